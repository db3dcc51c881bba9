from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from questions.models import BankIds, Question, live_in


class Confidence(models.IntegerChoices):
    NOT_YET = 1, "Not yet"
    SHAKY = 2, "Shaky"
    OKAY = 3, "Okay"
    CONFIDENT = 4, "Confident"
    MASTERED = 5, "Mastered"


#: A question is covered when the learner's latest confidence is at least this.
COVERED_LEVEL = Confidence.OKAY


class ConfidenceMarkQuerySet(models.QuerySet["ConfidenceMark"]):
    def on_live_questions(self, banks: BankIds) -> ConfidenceMarkQuerySet:
        """Marks on questions of the library and `banks` that are not retired: those
        that count. A mark on a retired question, or one of a team the learner has left,
        is kept but counts for nothing until the question is back in view."""
        return self.filter(live_in(banks, prefix="question__"))

    def recent(self, limit: int = 5) -> ConfidenceMarkQuerySet:
        """The latest questions a learner rated, newest first, with the question loaded."""
        return self.select_related("question").order_by("-updated_at")[:limit]

    def due_by(self, moment: datetime) -> ConfidenceMarkQuerySet:
        """Marks whose review is due at `moment` (never-scheduled marks count as due)."""
        return self.filter(Q(due__lte=moment) | Q(due__isnull=True))

    def fresh_at(self, moment: datetime) -> ConfidenceMarkQuerySet:
        """Covered and not yet due: FSRS puts `due` where retrievability falls to the
        desired retention (0.9), so these are remembered with at least that probability."""
        return self.filter(level__gte=COVERED_LEVEL, due__gt=moment)

    def coverage_totals(self, *, now: datetime | None = None) -> dict[str, int]:
        """How many questions these marks cover and rate; given `now`, also how many of
        the covered are fresh and how many reviews are due by then."""
        extra: dict[str, Count] = {}
        if now is not None:
            extra = {
                "fresh": Count("pk", filter=Q(level__gte=COVERED_LEVEL, due__gt=now)),
                "due": Count("pk", filter=Q(due__lte=now) | Q(due__isnull=True)),
            }
        return self.aggregate(
            covered=Count("pk", filter=Q(level__gte=COVERED_LEVEL)), rated=Count("pk"), **extra
        )

    def upcoming_reviews(self, start: datetime, end: datetime) -> list[tuple[date, int]]:
        """(local date, count) of reviews falling due after `start` up to `end`."""
        return list(
            self.filter(due__gt=start, due__lte=end)
            .annotate(day=TruncDate("due", tzinfo=timezone.get_current_timezone()))
            .values("day")
            .annotate(n=Count("pk"))
            .order_by("day")
            .values_list("day", "n")
        )


class ConfidenceMark(models.Model):
    """A learner's current confidence on a question: one row per user and question."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="confidence_marks"
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="confidence_marks"
    )
    level = models.PositiveSmallIntegerField(choices=Confidence.choices)
    updated_at = models.DateTimeField()
    # The FSRS schedule of this question for this learner (see progress.scheduling).
    due = models.DateTimeField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    last_review = models.DateTimeField(null=True, blank=True)
    fsrs_state = models.PositiveSmallIntegerField(default=1)
    fsrs_step = models.PositiveSmallIntegerField(null=True, blank=True)
    # The learner's latest answer check on this question (RecallCheck), copied here so
    # that coverage and calibration read one row: its score, whether it made at least
    # half of the key points, and when it was made (none: never checked).
    recall = models.PositiveSmallIntegerField(null=True, blank=True)
    recalled_half = models.BooleanField(default=False)
    recall_at = models.DateTimeField(null=True, blank=True)

    objects = ConfidenceMarkQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="one_mark_per_question"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5), name="mark_level_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-updated_at"], name="mark_user_recent"),
            models.Index(fields=["user", "due"], name="mark_user_due"),
            # A question's marks with their level and learner, read from the index alone:
            # the team topic page's and the hard-questions report's counts of a team's
            # learners per question. Level before user, so that a learner's own marks
            # are still looked up by one_mark_per_question (user, question)
            # (bench/results/2026-12-04-indexes.md).
            models.Index(fields=["question", "level", "user"], name="mark_question_level_user"),
            # A learner's marks with what their coverage counts read (level, verified,
            # next review, last change), from the index alone: the dashboard's, the topic
            # list's and the question page's coverage, and a team's counts per learner
            # (bench/results/2026-12-04-coverage.md).
            # The id is included for PostgreSQL, whose indexes do not carry the primary key
            # as SQLite's carry the rowid: counts of "pk" stay index-only (SQLite ignores
            # INCLUDE).
            models.Index(
                fields=["user", "question", "level", "recalled_half", "due", "updated_at"],
                include=["id"],
                name="mark_user_coverage",
            ),
            # The checked marks alone (a typed answer checked since the rating, about one
            # in ten), with what calibration adds up, read from the index alone: a
            # learner's and a team's calibration (bench/results/2026-12-04-calibration.md).
            models.Index(
                fields=["user", "question", "level", "recall", "recalled_half"],
                include=["id"],
                condition=Q(recall__isnull=False),
                name="mark_user_checked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · Q{self.question_id} · {self.get_level_display()}"

    def is_due(self, now: datetime) -> bool:
        return self.due is None or self.due <= now

    @property
    def is_covered(self) -> bool:
        return self.level >= COVERED_LEVEL

    @property
    def is_verified(self) -> bool:
        """Covered, and the latest check recalled at least half of the key points."""
        return self.is_covered and self.recalled_half

    @property
    def has_fresh_check(self) -> bool:
        """Whether the latest check was made since the question was last rated: the
        check of the answer this rating is about."""
        return self.recall_at is not None and self.recall_at > self.updated_at


class RecallCheck(models.Model):
    """An answer a learner typed before revealing the model answer, and its check
    against the question's key points (questions.answer_check).

    The text is private like a note: only its author ever sees it; instructors see
    scores and counts, never the words. `points` keeps the key points as they were
    checked (a later edit of the question changes nothing here): a list of
    {"text", "strength" (0–1), "mentioned", "corrected"}; a point the learner corrected
    ("I did say that") counts as mentioned with strength 1.
    """

    #: Characters a typed answer may have (questions.answer_check reads no more).
    MAX_LENGTH = 5_000

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recall_checks"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="recall_checks")
    text = models.TextField(max_length=MAX_LENGTH)
    points = models.JSONField(default=list)
    #: 0–100 after the learner's corrections; `checked_score` is the check's own.
    score = models.PositiveSmallIntegerField()
    checked_score = models.PositiveSmallIntegerField()
    #: How many points the learner corrected.
    corrections = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__lte=100, checked_score__lte=100), name="check_score_0_to_100"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "question", "-created_at"], name="check_user_question"),
        ]

    def __str__(self) -> str:
        return f"Check by {self.user} on Q{self.question_id}: {self.score}"

    @property
    def mentioned_count(self) -> int:
        return sum(1 for point in self.points if point["mentioned"])

    @property
    def made_half(self) -> bool:
        """At least half of the key points made (a check without points makes none)."""
        return bool(self.points) and 2 * self.mentioned_count >= len(self.points)


class ConfidenceEvent(models.Model):
    """Every confidence mark ever made, kept for history and scheduling."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="confidence_events"
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="confidence_events"
    )
    level = models.PositiveSmallIntegerField(choices=Confidence.choices)
    #: The FSRS rating this mark was reviewed with (1 Again … 4 Easy): the review log.
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5), name="event_level_1_to_5"
            ),
        ]
        indexes = [
            # A learner's latest event on a question before a moment: the hard-questions
            # report's "then" share looks for a later one with NOT EXISTS.
            models.Index(
                fields=["user", "question", "created_at"], name="event_user_question_time"
            ),
            # A learner's events in time order, with their question and level so that the
            # history page (which reads every one) and the hard-questions report's "then"
            # share need no visit to the rows, scattered among everyone else's. It replaced
            # event_user_time (user, created_at), its prefix: one index to write per mark
            # as before (bench/results/2026-12-04-indexes.md).
            models.Index(
                fields=["user", "created_at", "question", "level"], name="event_user_time_level"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.user} · Q{self.question_id} · {self.level} at {self.created_at:%Y-%m-%d %H:%M}"
        )


class Note(models.Model):
    """A learner's private Markdown note on one question. Only its author ever sees it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(blank=True)
    # The text rendered and sanitised when it was saved (studyhub.markdown), so that
    # showing a note never parses Markdown. Written with the text by services.save_note.
    html = models.TextField(blank=True, editable=False)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # The editor (one opening of the note editor, static/js/notes.js) whose save wrote
    # the note last, and that save's number: a later save of the same editor is no
    # conflict, an earlier one that arrives late is ignored (services.save_note).
    last_editor = models.CharField(max_length=64, blank=True, editable=False)
    last_seq = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="one_note_per_question"),
        ]

    def __str__(self) -> str:
        return f"Note by {self.user} on Q{self.question_id}"

    @property
    def rendered(self) -> SafeString:
        """The note as HTML for a page: sanitised by nh3 before it was stored."""
        return mark_safe(self.html)  # noqa: S308 — written only by render_markdown


class StudySessionQuerySet(models.QuerySet["StudySession"]):
    def open(self) -> StudySessionQuerySet:
        """Sessions not finished yet: what a learner can resume."""
        return self.filter(finished_at__isnull=True)


class StudySession(models.Model):
    """One sitting: a fixed list of questions, worked through one at a time.

    The list is fixed when the session starts, so coming back later resumes at the
    same place even if the source (a topic, what is due) has changed since.
    """

    class Source(models.TextChoices):
        TOPIC = "topic", "Topic"
        TOPIC_SET = "topic_set", "Topic set"
        ASSIGNMENT = "assignment", "Assignment"
        DUE = "due", "Due for review"
        WEAKEST = "weakest", "Weakest first"
        SEARCH = "search", "Search results"
        NOTES = "notes", "My notes"
        #: The questions a learner rated higher than their typed answers bore out.
        CALIBRATION = "calibration", "Rated above recall"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_sessions"
    )
    source = models.CharField(max_length=12, choices=Source.choices)
    label = models.CharField(max_length=200)
    question_ids = models.JSONField(default=list)
    position = models.PositiveIntegerField(default=0)
    #: question id (as a string, JSON keys are strings) → level rated in this session.
    ratings = models.JSONField(default=dict)
    #: question id (as a string) → how many times it came back in this session, after a
    #: rating of Not yet or Shaky, and was rated again (progress.study.rate).
    returns = models.JSONField(default=dict)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = StudySessionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["user", "finished_at"], name="study_user_open")]

    def __str__(self) -> str:
        return f"{self.label} ({self.user})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("progress:study_session", kwargs={"session_id": self.pk})

    @property
    def size(self) -> int:
        """Cards in the session, a question that came back counted again."""
        return len(self.question_ids)

    @property
    def question_count(self) -> int:
        """Different questions in the session."""
        return len(set(self.question_ids))

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def current_question_id(self) -> int | None:
        if self.is_finished or not self.question_ids:
            return None
        return self.question_ids[min(self.position, self.size - 1)]
