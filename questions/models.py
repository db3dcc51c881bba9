from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


def percent(part: int, whole: int) -> int:
    """part ÷ whole as a whole percentage, rounded down so 99.9% never shows as 100% (and
    0 of nothing is 0%). Every coverage figure on every page is this one."""
    return part * 100 // whole if whole else 0


class Topic(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    # Annotations of progress.selectors.with_my_coverage, which coverage_percent reads.
    question_count: int
    covered_count: int

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def coverage_percent(self) -> int:
        """Needs the counts of progress.selectors.with_my_coverage."""
        return percent(self.covered_count, self.question_count)


class QuestionQuerySet(models.QuerySet["Question"]):
    def in_selection(
        self, *, topic_ids: Iterable[int | str], question_ids: Iterable[int | str]
    ) -> QuestionQuerySet:
        """The questions of the given topics plus the given single questions, each once:
        what a topic set with that selection holds."""
        return self.filter(Q(topics__in=topic_ids) | Q(pk__in=question_ids)).distinct()

    def for_question_page(self) -> QuestionQuerySet:
        """Everything the question page shows about the question itself."""
        return self.prefetch_related(
            "answers",
            "topics",
            models.Prefetch("related", queryset=Question.objects.only("key", "text", "position")),
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

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"Q{self.position}. {self.text}"

    @property
    def concise_answer(self) -> Answer | None:
        return self._answer(Answer.Kind.CONCISE)

    @property
    def long_answer(self) -> Answer | None:
        return self._answer(Answer.Kind.LONG)

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

    class Meta:
        ordering = ["question", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["question", "kind"], name="one_answer_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to Q{self.question.position}"


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

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("questions:import_preview", kwargs={"import_id": self.pk})

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
