"""The API under /api/v1/ (docs/api.md): its schema at /api/v1/openapi.json and
interactive docs at /api/v1/docs, served from StudyHub's own static files."""

from __future__ import annotations

from ninja import NinjaAPI

from api.auth import AUTH, PerPerson
from api.endpoints import router

api = NinjaAPI(
    title="StudyHub API",
    version="1",
    description=(
        "The question bank you see, your confidence marks, notes, coverage and "
        "calibration, and for instructors their team's progress. Authenticate with a "
        "personal access token (`Authorization: Bearer shp_…`, made on your profile "
        "page) or, in a browser, your session and its CSRF token."
    ),
    urls_namespace="api",
    auth=AUTH,
    throttle=[PerPerson()],
)
api.add_router("", router)
