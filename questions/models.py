from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from studyhub.markdown import render_markdown


def percent(part: int, whole: int) -> int:
    """part ÷ whole as a whole percentage, rounded down so 99.9% never shows as 100% (and
    0 of nothing is 0%). Every coverage figure on every page is this one."""
    return part * 100 // whole if whole else 0


#: Bank ids a scope adds to the library: a list, or a query of ids (a subquery).
BankIds = Iterable[int] | models.QuerySet[Any, Any]


def in_library_or(banks: BankIds, *, prefix: str = "") -> Q:
    """Rows (questions or topics, through `prefix`) of the library or of one of `banks`."""
    return Q(**{f"{prefix}bank__isnull": True}) | Q(**{f"{prefix}bank__in": banks})


def live_in(banks: BankIds, *, prefix: str = "") -> Q:
    """Questions (through `prefix`) of the library or `banks` that are not retired: what
    a viewer with those banks sees, and every coverage figure counts."""
    return in_library_or(banks, prefix=prefix) & Q(**{f"{prefix}retired_at__isnull": True})


class Bank(models.Model):
    """A team's own questions and topics, which only the team's members see.

    Questions and topics with no bank are the library: the seed bank and what staff
    add, which everyone signed in sees. Which team owns a bank is known only to the
    teams app above this one (teams.Team.bank); `name` is the team's, kept in step.
    """

    name = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class TopicQuerySet(models.QuerySet["Topic"]):
    def in_scope(self, banks: BankIds) -> TopicQuerySet:
        """Library topics and those of `banks`."""
        return self.filter(in_library_or(banks))


class Topic(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    bank = models.ForeignKey(
        Bank,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="topics",
        help_text="The team bank this topic belongs to; none for a library topic.",
    )

    objects = TopicQuerySet.as_manager()

    # Annotations of progress.selectors.with_my_coverage, which coverage_percent reads.
    question_count: int
    covered_count: int
    rated_count: int
    verified_count: int

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def coverage_percent(self) -> int:
        """Needs the counts of progress.selectors.with_my_coverage."""
        return percent(self.covered_count, self.question_count)


class QuestionQuerySet(models.QuerySet["Question"]):
    def live_in(self, banks: BankIds) -> QuestionQuerySet:
        """Questions of the library and `banks` that are not retired."""
        return self.filter(live_in(banks))

    def live(self) -> QuestionQuerySet:
        return self.filter(retired_at__isnull=True)

    def in_selection(
        self, *, topic_ids: Iterable[int | str], question_ids: Iterable[int | str]
    ) -> QuestionQuerySet:
        """The questions of the given topics plus the given single questions, each once:
        what a topic set with that selection holds."""
        return self.filter(Q(topics__in=topic_ids) | Q(pk__in=question_ids)).distinct()

    def for_question_page(self, related: QuestionQuerySet | None = None) -> QuestionQuerySet:
        """Everything the question page shows about the question itself; its related
        questions only among `related` (what the viewer sees)."""
        among = Question.objects.all() if related is None else related
        return self.select_related("bank").prefetch_related(
            "answers",
            "topics",
            models.Prefetch("related", queryset=among.only("key", "text", "position")),
        )


class Question(models.Model):
    key = models.SlugField(
        max_length=80,
        unique=True,
        help_text="Stable identifier; reloading the bank updates the question with this key.",
    )
    position = models.PositiveIntegerField(db_index=True)
    text = models.TextField()
    topics = models.ManyToManyField(Topic, related_name="questions")
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    bank = models.ForeignKey(
        Bank,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="questions",
        help_text="The team bank this question belongs to; none for a library question.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: The import that added the question, which undoing that import retires.
    import_record = models.ForeignKey(
        "ImportRecord",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
    )
    #: The statements a good answer makes, which a typed answer is checked against
    #: (questions.key_points, questions.answer_check): derived from the answers whenever
    #: they are written, unless someone wrote the points by hand (`key_points_edited`).
    key_points = models.JSONField(default=list, blank=True)
    key_points_edited = models.BooleanField(default=False)
    #: Retired questions are hidden from lists, search, sessions and coverage; marks and
    #: notes on them are kept, and bringing the question back restores them.
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            # Whether a question counts for a viewer (its bank, whether it is retired),
            # read without visiting its row, which holds its text: every coverage count
            # joins each question of a topic to it (bench/results/2026-12-04-coverage.md).
            models.Index(fields=["id", "bank", "retired_at"], name="question_scope"),
        ]

    def __str__(self) -> str:
        return f"Q{self.position}. {self.text}"

    @property
    def concise_answer(self) -> Answer | None:
        return self._answer(Answer.Kind.CONCISE)

    @property
    def long_answer(self) -> Answer | None:
        return self._answer(Answer.Kind.LONG)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def in_library(self) -> bool:
        return self.bank_id is None

    def _answer(self, kind: str) -> Answer | None:
        # Reads the prefetched answers when there are any, so no extra query.
        return next((a for a in self.answers.all() if a.kind == kind), None)


class Answer(models.Model):
    class Kind(models.TextChoices):
        CONCISE = "concise", "Concise answer"
        LONG = "long", "Long answer"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField()
    source_incomplete = models.BooleanField(
        default=False,
        help_text="The source document stops part-way through this answer.",
    )
    #: The text as Markdown rendered and sanitised (studyhub.markdown) whenever it is
    #: written, so that showing an answer never parses Markdown. save() writes it; the
    #: bulk writers (the importer) call render_markdown themselves.
    html = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["question", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["question", "kind"], name="one_answer_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to Q{self.question.position}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.html = render_markdown(self.text)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "text" in update_fields:
            kwargs["update_fields"] = {*update_fields, "html"}
        super().save(*args, **kwargs)

    @property
    def rendered(self) -> SafeString:
        """The answer as HTML for a page: sanitised by nh3 before it was stored."""
        return mark_safe(self.html)  # noqa: S308 — written only by render_markdown


class ImportRecord(models.Model):
    """A question file someone uploaded: kept while they check the preview, then the
    record of what it added to the bank.

    The preview is always worked out again from `text`, never from anything the
    browser sends back, so a confirmed import writes exactly what the file says.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        DONE = "done", "Imported"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_imports"
    )
    file_name = models.CharField(max_length=255)
    format = models.CharField(max_length=12, help_text="The format asked for, or 'auto'.")
    text = models.TextField()
    topics = models.JSONField(
        default=list, blank=True, help_text="Topics chosen for every question of the file."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="What the import added.")
    #: Where the file's questions go: a team bank, or the library when none.
    bank = models.ForeignKey(
        Bank, on_delete=models.CASCADE, null=True, blank=True, related_name="imports"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("questions:import_preview", kwargs={"import_id": self.pk})

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
