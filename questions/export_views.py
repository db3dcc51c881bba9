"""Downloading the question bank.

Any signed-in user may, and gets what they can read on the site: the library and the
banks of their teams, no retired question. Nothing personal is in the file.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from questions.access import visible_banks
from questions.exporters import bank_snapshot, render_csv, render_json
from studyhub.downloads import attachment


@require_GET
@login_required
def export_bank_json(request: HttpRequest) -> HttpResponse:
    return attachment(
        "studyhub-question-bank.json",
        content_type="application/json; charset=utf-8",
        content=render_json(bank_snapshot(visible_banks(request.user))),
    )


@require_GET
@login_required
def export_bank_csv(request: HttpRequest) -> HttpResponse:
    return attachment(
        "studyhub-question-bank.csv",
        content_type="text/csv; charset=utf-8",
        content=render_csv(bank_snapshot(visible_banks(request.user))),
    )
