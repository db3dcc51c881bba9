from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from progress.exporters import learner_data
from studyhub.downloads import attachment


@require_GET
@login_required
@never_cache
def download_my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in user's own data as JSON. There is no way to ask for anyone else's:
    the view takes no id, only the session's user. Private, so never cached."""
    content = json.dumps(learner_data(request.user), ensure_ascii=False, indent=2) + "\n"
    name = slugify(request.user.username) or "my"
    filename = f"studyhub-{name}-data.json"
    return attachment(filename, content_type="application/json; charset=utf-8", content=content)
