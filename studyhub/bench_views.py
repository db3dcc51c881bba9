"""The benchmark's floor: a trivial view behind the same middleware as every page.

Mounted only when DJANGO_BENCHMARK=1 (bench/run.py), so production never has it.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
