"""The learner's history page: coverage over time, days studied, and the change log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedHttpRequest
from progress.history import activity_legend, change_log_paginator, coverage_chart, learner_history

HISTORY_PAGE = "progress/history.html"


@require_GET
@login_required
@vary_on_headers("HX-Request")
def history(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    # get_page turns a missing or malformed ?page= into the first page and one past
    # the end into the last, so no page number is an error.
    page_number = request.GET.get("page")
    if request.htmx and not request.htmx.history_restore_request:
        # "Newer"/"Older" swap only the log: no replay needed.
        changes = change_log_paginator(request.user, now=now).get_page(page_number)
        return TemplateResponse(request, HISTORY_PAGE + "#changes", {"changes": changes})

    history = learner_history(request.user, now=now)
    context = {
        "history": history,
        "chart": coverage_chart(history.weeks),
        "calendar": history.calendar,
        "legend": activity_legend(),
        "changes": history.changes.get_page(page_number),
    }
    return TemplateResponse(request, HISTORY_PAGE, context)
