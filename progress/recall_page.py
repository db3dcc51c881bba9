"""What the question page and the study card show of typed recall: the check on show
(`?check=<id>`, the learner's own only), the list of their typed answers to the question,
and the recall score the rating buttons' "comes back in" times are worked out with.

A check is *fresh* while it is the learner's latest on the question and nothing has been
rated since: record_confidence then caps the rating by its score, so the buttons preview
the same (progress.scheduling.rating_buttons).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from progress.models import Confidence, ConfidenceMark, RecallCheck
from progress.recall import suggested_level
from questions.models import Question, QuestionQuerySet
from studyhub.http import id_or_none

#: How many of a learner's typed answers to one question the question page lists.
TYPED_ANSWERS_SHOWN = 50


def with_my_check_count(questions: QuestionQuerySet, user: User) -> QuestionQuerySet:
    """Annotate `my_check_count`: how many typed answers `user` has checked on each
    question, in the question's own query, so a page whose learner never typed one
    asks for none."""
    mine = (
        RecallCheck.objects.filter(user=user, question=OuterRef("pk"))
        .order_by()
        .values("question")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return questions.annotate(
        my_check_count=Coalesce(Subquery(mine, output_field=IntegerField()), Value(0))
    )


def recount_my_checks(question: Question, user: User) -> None:
    """Count `my_check_count` again, after a check was made or deleted since `question`
    was loaded with it."""
    question.my_check_count = user.recall_checks.filter(question=question).count()  # type: ignore[attr-defined]


@dataclass
class Recall:
    """Typed recall on one page: the check on show, the learner's typed answers, and the
    score the next rating is checked with (None: no fresh check)."""

    check: RecallCheck | None = None
    check_is_fresh: bool = False
    typed_answers: list[RecallCheck] = field(default_factory=list)
    typed_answer_count: int = 0
    fresh_score: int | None = None

    @property
    def suggested(self) -> int | None:
        """The confidence level the check on show suggests (the learner decides)."""
        return suggested_level(self.check.score) if self.check is not None else None

    def context(self) -> dict:
        suggested = self.suggested
        return {
            "check": self.check,
            "check_is_fresh": self.check_is_fresh,
            "suggested": suggested,
            "suggested_label": Confidence(suggested).label if suggested else "",
            "recall_max_length": RecallCheck.MAX_LENGTH,
            "typed_answers": self.typed_answers,
            "typed_answer_count": self.typed_answer_count,
        }


def question_page_recall(
    user: User, question: Question, mark: ConfidenceMark | None, *, check_id: object
) -> Recall:
    """The question page's: `question` carries `my_check_count` (with_my_check_count),
    so no query is made unless the learner has typed an answer to it; then one, for the
    list, which holds the check on show too. A question loaded without the count (an
    htmx fragment that shows none of this) asks for the check on show only."""
    count = getattr(question, "my_check_count", None)
    wanted = id_or_none(check_id) if check_id else None
    if count is None:
        check = _own_check(user, question, wanted) if wanted else None
        return Recall(check=check, fresh_score=_mark_recall(mark))
    if count == 0:
        return Recall()
    checks = list(user.recall_checks.filter(question=question)[:TYPED_ANSWERS_SHOWN])
    latest = checks[0]
    latest_fresh = mark.has_fresh_check if mark is not None else True
    check = next((c for c in checks if c.pk == wanted), None)
    if check is None and wanted and len(checks) == TYPED_ANSWERS_SHOWN:
        check = _own_check(user, question, wanted)  # older than those listed
    return Recall(
        check=check,
        check_is_fresh=check is latest and latest_fresh,
        typed_answers=checks,
        typed_answer_count=count,
        fresh_score=latest.score if latest_fresh else None,
    )


def study_card_recall(
    user: User, question: Question, mark: ConfidenceMark | None, *, check_id: object
) -> Recall:
    """The study card's: the check on show, whether it is fresh, in one query (none
    without `?check=`: then the score of a fresh check made elsewhere, from `mark`, as
    progress.selectors.my_mark rebuilds it). The card lists no typed answers."""
    wanted = id_or_none(check_id) if check_id else None
    if not wanted:
        return Recall(fresh_score=_mark_recall(mark))
    newer = RecallCheck.objects.filter(
        user=OuterRef("user"), question=OuterRef("question"), created_at__gt=OuterRef("created_at")
    )
    rated_since = ConfidenceMark.objects.filter(
        user=OuterRef("user"), question=OuterRef("question"), updated_at__gte=OuterRef("created_at")
    )
    check = (
        user.recall_checks.filter(question=question, pk=wanted)
        .annotate(newer=Exists(newer), rated_since=Exists(rated_since))
        .first()
    )
    if check is None:
        return Recall(fresh_score=_mark_recall(mark))
    fresh = not (check.newer or check.rated_since)
    return Recall(check=check, check_is_fresh=fresh, fresh_score=check.score if fresh else None)


def _own_check(user: User, question: Question, pk: int | None) -> RecallCheck | None:
    if pk is None:
        return None
    return user.recall_checks.filter(question=question, pk=pk).first()


def _mark_recall(mark: ConfidenceMark | None) -> int | None:
    return mark.recall if mark is not None and mark.has_fresh_check else None
