"""What reminders were sent, so the daily job never sends the same one twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class SentReminder(models.Model):
    """One reminder sent (or being sent) to one person.

    A learner's reminder is about one assignment and its due date: an e-mail names every
    assignment it reminds of, one row each, and a due date moved later is reminded of
    again. An instructor's digest is one a day, by the instructor's own calendar.
    The rows are written before the e-mail goes and deleted if it could not be sent, so
    two jobs running at once cannot both send it (the unique constraints decide).
    """

    class Kind(models.TextChoices):
        DUE = "due", "Due-date reminder"
        DIGEST = "digest", "Instructor's digest"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_reminders"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    #: A learner's reminder: the assignment and the due date it had.
    assignment = models.ForeignKey(
        "teams.Assignment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    #: The recipient's own date when it was sent.
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "assignment", "due_date"],
                condition=Q(kind="due"),
                name="reminders_one_due_reminder_per_assignment_date",
            ),
            models.UniqueConstraint(
                fields=["user", "day"],
                condition=Q(kind="digest"),
                name="reminders_one_digest_a_day",
            ),
            models.CheckConstraint(
                condition=Q(kind="digest")
                | Q(kind="due", assignment__isnull=False, due_date__isnull=False),
                name="reminders_due_names_its_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.user} on {self.day}"
