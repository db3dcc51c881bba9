"""Downloading the question bank.

Any signed-in user may: the bank is shared, and every question and answer in it is
already readable on the site by everyone signed in. Nothing personal is in the file.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from questions.exporters import bank_snapshot, render_csv, render_json


def _download(content: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@login_required
def export_bank_json(request: HttpRequest) -> HttpResponse:
    return _download(
        render_json(bank_snapshot()), "application/json", "studyhub-question-bank.json"
    )


@require_GET
@login_required
def export_bank_csv(request: HttpRequest) -> HttpResponse:
    return _download(render_csv(bank_snapshot()), "text/csv", "studyhub-question-bank.csv")
