"""Typed recall: a learner types an answer before the model answer shows, StudyHub checks
it against the question's key points (questions.answer_check), and the learner may
correct the check ("I did say that") before rating.

The latest check on a question is copied onto the learner's mark (ConfidenceMark.recall,
recalled_half, recall_at): coverage counts a covered question as *verified* when that check
made at least half of the key points, calibration compares it with the rating, and the
scheduler lets a low score pull a high rating's next review closer (progress.scheduling).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from progress.models import Confidence, ConfidenceMark, RecallCheck
from questions.answer_check import check_answer
from questions.models import Question

#: The recall score each level of confidence promises: a learner who rates Confident
#: expects to make about 70% of the key points. Calibration measures against these.
EXPECTED_RECALL = {
    Confidence.NOT_YET: 10,
    Confidence.SHAKY: 30,
    Confidence.OKAY: 50,
    Confidence.CONFIDENT: 70,
    Confidence.MASTERED: 90,
}


def suggested_level(score: int) -> int:
    """The level whose promise is nearest `score`: what the rating control suggests."""
    return min(EXPECTED_RECALL, key=lambda level: (abs(EXPECTED_RECALL[level] - score), level))


def record_check(
    *, user: User, question: Question, text: str, at: datetime | None = None
) -> RecallCheck:
    """Check `text` against the question's key points and keep it (and its score on the
    learner's mark, if they have one). The check runs before the transaction opens, so no
    lock is held while it works."""
    text = text[: RecallCheck.MAX_LENGTH]
    result = check_answer(text, question.key_points)
    points = [
        {
            "text": point.text,
            "strength": point.strength,
            "mentioned": point.mentioned,
            "corrected": False,
        }
        for point in result.points
    ]
    with transaction.atomic():
        check = RecallCheck.objects.create(
            user=user,
            question=question,
            text=text,
            points=points,
            score=result.score,
            checked_score=result.score,
            created_at=at or timezone.now(),
        )
        _copy_to_mark(user, question.pk, check)
    return check


def correct_point(check: RecallCheck, index: int) -> RecallCheck:
    """The learner says they made point `index` after all: it counts as mentioned, the
    score is worked out again, and the correction is counted. Correcting a point already
    mentioned changes nothing."""
    if not 0 <= index < len(check.points):
        raise IndexError(f"the check has no point {index}")
    point = check.points[index]
    if point["mentioned"]:
        return check
    point.update(mentioned=True, corrected=True)
    check.corrections += 1
    check.score = corrected_score(check.points)
    with transaction.atomic():
        check.save(update_fields=["points", "corrections", "score"])
        if _is_latest(check):
            _copy_to_mark(check.user, check.question_id, check)
    return check


def corrected_score(points: list[dict]) -> int:
    """The score of checked `points`, a corrected one counting in full."""
    if not points:
        return 0
    strengths = [1.0 if p["corrected"] else float(p["strength"]) for p in points]
    return round(100 * sum(strengths) / len(strengths))


def delete_checks(user: User, checks: list[RecallCheck] | None = None) -> int:
    """Delete `checks` of `user` (all of them when None); each mark they touched takes
    the latest check left, or none. Returns how many were deleted."""
    with transaction.atomic():
        mine = RecallCheck.objects.filter(user=user)
        if checks is not None:
            mine = mine.filter(pk__in=[c.pk for c in checks])
        question_ids = set(mine.values_list("question_id", flat=True))
        deleted, _ = mine.delete()
        for question_id in question_ids:
            latest = (
                RecallCheck.objects.filter(user=user, question_id=question_id)
                .order_by("-created_at", "-pk")
                .first()
            )
            _copy_to_mark(user, question_id, latest)
    return deleted


def _checks_newest_first(user: User, question: Question) -> QuerySet[RecallCheck]:
    return RecallCheck.objects.filter(user=user, question=question).order_by("-created_at", "-pk")


def latest_check(user: User, question: Question) -> RecallCheck | None:
    return _checks_newest_first(user, question).first()


def latest_check_id(user: User, question: Question) -> int | None:
    """The id of latest_check(user, question), without loading the check."""
    return _checks_newest_first(user, question).values_list("pk", flat=True).first()


#: The ConfidenceMark fields that carry the latest check.
CHECK_FIELDS = ("recall", "recalled_half", "recall_at")
#: The fields a mark needs to carry its latest check onto the next rating
#: (ConfidenceMark.has_fresh_check compares recall_at with updated_at).
FRESH_CHECK_FIELDS = ("updated_at", *CHECK_FIELDS)


def mark_fields(check: RecallCheck | None) -> dict[str, Any]:
    """The ConfidenceMark fields that carry the latest check."""
    if check is None:
        return {"recall": None, "recalled_half": False, "recall_at": None}
    return {"recall": check.score, "recalled_half": check.made_half, "recall_at": check.created_at}


def _copy_to_mark(user: User, question_id: int, check: RecallCheck | None) -> None:
    ConfidenceMark.objects.filter(user=user, question_id=question_id).update(**mark_fields(check))


def _is_latest(check: RecallCheck) -> bool:
    return not RecallCheck.objects.filter(
        user_id=check.user_id, question_id=check.question_id, created_at__gt=check.created_at
    ).exists()
