"""Note text that a save refused, kept until the learner chooses what to keep.

A save is refused when the note changed elsewhere since the editor opened it (a
stale tab, progress.services.NoteConflict). In the page the learner sees that at
once, but a save sent as the tab closes is answered to nobody: its text is kept here,
in the learner's session, and the question page shows it next to the saved note until
they keep one of the two (the same choice as any conflict). So a stale tab never
overwrites newer text, and its text is never silently lost either.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

SESSION_KEY = "refused_notes"


def keep_refused_text(request: HttpRequest, question_key: str, text: str) -> None:
    """Keep `text` for the question, replacing an older one; at most
    settings.NOTE_REFUSED_KEPT questions are kept, the oldest dropped first."""
    session = request.session
    kept = {k: v for k, v in session.get(SESSION_KEY, {}).items() if k != question_key}
    kept[question_key] = text
    while len(kept) > settings.NOTE_REFUSED_KEPT:
        del kept[next(iter(kept))]
    session[SESSION_KEY] = kept


def refused_text(request: HttpRequest, question_key: str) -> str | None:
    """The kept text for the question, or None when there is none."""
    return request.session.get(SESSION_KEY, {}).get(question_key)


def forget_refused_text(request: HttpRequest, question_key: str) -> None:
    """The learner chose between their text and the saved note."""
    kept = request.session.get(SESSION_KEY, {})
    if question_key in kept:
        request.session[SESSION_KEY] = {k: v for k, v in kept.items() if k != question_key}
