"""Who changes the bank, and how: each question's revisions, and learners' proposals.

The questions themselves, their banks and whether they are retired live in the
questions app, which every page reads; this app sits on top of the others because
changing a question asks who teaches a team (teams) and who has rated or noted it
(progress).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class QuestionRevision(models.Model):
    """What a question said at one moment: written when it is created, imported, edited
    or restored. `data` holds the text, both answers and the topic slugs and related
    keys, so a revision can be shown, compared and restored on its own."""

    question = models.ForeignKey(
        "questions.Question", on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: What happened: "Written", "Edited", "Restored revision 2"…
    action = models.CharField(max_length=80)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["question", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="one_revision_number"),
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of Q{self.question_id}"


class Proposal(models.Model):
    """A question a learner proposes to a team, which its instructors accept into the
    team's bank (perhaps after editing it) or decline with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    bank = models.ForeignKey("questions.Bank", on_delete=models.CASCADE, related_name="proposals")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proposals"
    )
    text = models.TextField()
    answer = models.TextField()
    long_answer = models.TextField(blank=True)
    topics = models.ManyToManyField("questions.Topic", blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True, help_text="Why it was declined.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    #: The question an accepted proposal became.
    question = models.ForeignKey(
        "questions.Question", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["bank", "status"], name="proposal_bank_status")]

    def __str__(self) -> str:
        return f"Proposal by {self.author}: {self.text[:40]}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
