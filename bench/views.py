"""The benchmark's floors: the least a page and a mark can do, behind the same
middleware as every page.

Mounted only by the benchmark's settings (bench/settings.py, bench/urls.py), so
production never has them.
"""

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_POST
def write_floor(request: HttpRequest, key: str) -> HttpResponse:
    """The least any mark can do: the signed-in user (session and user row), one
    transaction that adds the event and upserts the current mark in raw SQL, and a
    fixed fragment. No form, no FSRS step, no template."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    level = int(request.POST["level"])
    # Stored as the ORM stores it (on SQLite, naive UTC text), so that the app's marks
    # read it back as theirs: a mark compares the time it read when it writes.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM questions_question WHERE key = %s", [key])
        (question_id,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO progress_confidenceevent (user_id, question_id, level, rating,"
            " created_at) VALUES (%s, %s, %s, %s, %s)",
            [request.user.pk, question_id, level, 3, now],
        )
        cursor.execute(
            "INSERT INTO progress_confidencemark (user_id, question_id, level, updated_at,"
            " fsrs_state, recalled_half) VALUES (%s, %s, %s, %s, 1, %s)"
            " ON CONFLICT (user_id, question_id)"
            " DO UPDATE SET level = excluded.level, updated_at = excluded.updated_at",
            [request.user.pk, question_id, level, now, False],
        )
    return HttpResponse('<p id="confidence-status">Marked.</p>')
