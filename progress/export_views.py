from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from progress.exporters import learner_sections
from studyhub.downloads import json_chunks, streaming_attachment


@require_GET
@login_required
@never_cache
def download_my_data(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """The signed-in user's own data as JSON. There is no way to ask for anyone else's:
    the view takes no id, only the session's user. Private, so never cached. Streamed:
    a learner's history can run to tens of thousands of rows, and a worker holds only a
    chunk of it at a time."""
    name = slugify(request.user.username) or "my"
    return streaming_attachment(
        f"studyhub-{name}-data.json",
        content_type="application/json; charset=utf-8",
        chunks=json_chunks(learner_sections(request.user)),
    )
