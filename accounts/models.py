from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone


class User(AbstractUser):
    """A StudyHub user. Shown to others by display name, never by e-mail."""

    display_name = models.CharField(
        max_length=80,
        blank=True,
        help_text="How other members of your teams see you.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.shown_name

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


def new_invite_code() -> str:
    """A short code that is easy to read aloud and type: no 0/O or 1/I/L."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class TeamQuerySet(models.QuerySet["Team"]):
    def for_member(self, user) -> TeamQuerySet:
        """Teams the user belongs to, each annotated with `my_role`."""
        return (
            self.filter(memberships__user=user)
            .annotate(my_role=models.F("memberships__role"))
            .order_by("name", "pk")
        )

    def with_member_count(self) -> TeamQuerySet:
        """Annotate `member_count`. A subquery, because counting the memberships joined by
        for_member() would count only the user's own."""
        members = (
            Membership.objects.filter(team=models.OuterRef("pk"))
            .order_by()
            .values("team")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(member_count=models.Subquery(members))


class Team(models.Model):
    """A study group. Members are instructors or learners."""

    name = models.CharField(max_length=80)
    invite_code = models.CharField(max_length=16, unique=True, default=new_invite_code)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("teams:team_detail", kwargs={"team_id": self.pk})

    def rotate_invite(self) -> None:
        """Give the team a new invite code; the old link and code stop working."""
        self.invite_code = new_invite_code()
        self.save(update_fields=["invite_code"])


class Membership(models.Model):
    class Role(models.TextChoices):
        INSTRUCTOR = "instructor", "Instructor"
        LEARNER = "learner", "Learner"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.LEARNER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "user__display_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_role_display()})"

    @property
    def is_instructor(self) -> bool:
        return self.role == self.Role.INSTRUCTOR


class RateCounterManager(models.Manager["RateCounter"]):
    def hit(self, key: str, *, limit: int, window: timedelta) -> bool:
        """Count one more use of `key`; False when `limit` uses of the current window are
        spent (and then nothing is counted).

        A window starts at a key's first use and lasts `window`. Expired rows are deleted
        first, which keeps the table as small as one window's keys; then one INSERT that
        leaves an existing row alone and one conditional UPDATE, so every worker and server
        sharing the database counts together and two requests at once cannot both take the
        last use.
        """
        now = timezone.now()
        with transaction.atomic():
            self.filter(resets_at__lte=now).delete()
            self.bulk_create(
                [RateCounter(key=key, count=0, resets_at=now + window)], ignore_conflicts=True
            )
            counted = self.filter(key=key, count__lt=limit).update(count=models.F("count") + 1)
        return counted == 1

    def resets_at(self, key: str) -> datetime | None:
        """When the current window of `key` ends (None: it has none)."""
        return self.filter(key=key).values_list("resets_at", flat=True).first()


class RateCounter(models.Model):
    """How often something (a reset e-mail to one address, say) happened in its window."""

    key = models.CharField(max_length=100, unique=True)
    count = models.PositiveIntegerField()
    resets_at = models.DateTimeField(db_index=True)

    objects = RateCounterManager()

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {self.resets_at:%Y-%m-%d %H:%M}"
