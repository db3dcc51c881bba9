"""The learner's calibration page: confidence against what their typed answers recalled."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from progress.calibration import (
    CALIBRATION_MARGIN,
    HIGH_LEVEL,
    LOW_LEVEL,
    OVERCONFIDENT_SHOWN,
    calibration_chart,
    learner_calibration,
)
from progress.models import Confidence


@require_GET
@login_required
def calibration(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Only the signed-in learner's own marks are read: there is nobody else's to ask for."""
    report = learner_calibration(request.user)
    context = {
        "calibration": report,
        "chart": calibration_chart(report.levels),
        "margin": CALIBRATION_MARGIN,
        "shown_max": OVERCONFIDENT_SHOWN,
        "high_label": Confidence(HIGH_LEVEL).label,
        "low_label": Confidence(LOW_LEVEL).label,
    }
    return TemplateResponse(request, "progress/calibration.html", context)
