from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, timedelta, tzinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

#: Names in the time-zone database that are not places: "localtime" is whatever the
#: server's own clock is set to, "Factory" a placeholder with no offset of its own.
NOT_PLACES = {"localtime", "Factory"}


@functools.cache
def known_time_zones() -> frozenset[str]:
    """Every IANA time-zone name this server knows (read from disk once per process)."""
    return frozenset(zoneinfo.available_timezones() - NOT_PLACES)


def validate_time_zone(name: str) -> None:
    if name not in known_time_zones():
        raise ValidationError("Choose a time zone from the list.", code="invalid_time_zone")


def zone_named(name: str) -> tzinfo:
    """The zone called `name`, or the site's (settings.TIME_ZONE) when `name` is blank or
    unknown here: a name saved before this server's time-zone data dropped it must not
    break every page of its owner."""
    if name in known_time_zones():
        return zoneinfo.ZoneInfo(name)
    return timezone.get_default_timezone()


class User(AbstractUser):
    """A StudyHub user. Shown to others by display name, never by e-mail."""

    display_name = models.CharField(
        max_length=80,
        blank=True,
        help_text="How other members of your teams see you.",
    )
    #: An IANA name ("Europe/Berlin"); blank means the site's settings.TIME_ZONE.
    time_zone = models.CharField(
        max_length=64, blank=True, default="", validators=[validate_time_zone]
    )
    #: Ask for a typed answer before the model answer shows (progress.recall).
    type_answers = models.BooleanField(
        default=False,
        verbose_name="Type my answer first",
        help_text="Before the answer shows, type yours; StudyHub checks it against the "
        "answer's key points.",
    )

    #: E-mails StudyHub may send (reminders/): each can be turned off on the profile or
    #: from the signed link in every such e-mail.
    email_due_reminders = models.BooleanField(
        default=True,
        verbose_name="E-mail me before my assignments are due",
        help_text="A few days before an assignment you have not finished is due.",
    )
    email_team_digest = models.BooleanField(
        default=True,
        verbose_name="E-mail me who has not started (instructors)",
        help_text="A daily note, when an assignment of a team you teach is due soon and "
        "some learners have not started it.",
    )

    # django-stubs 5.2.9 lacks AbstractUser.Meta (typeddjango/django-stubs#2112).
    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.shown_name

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    @property
    def zone(self) -> tzinfo:
        """Where this person's days begin and end: every time shown to them, "due today",
        the calendar and the streak follow it (studyhub.middleware.TimeZoneMiddleware)."""
        return zone_named(self.time_zone)


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


class AccessTokenQuerySet(models.QuerySet["AccessToken"]):
    def usable(self, now: datetime | None = None) -> AccessTokenQuerySet:
        """Tokens neither revoked nor expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class AccessToken(models.Model):
    """A personal access token for the API (accounts/tokens.py, docs/api.md): its owner
    made it on the profile page and saw it once. Only a hash of it is kept."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=80)
    #: SHA-256 of the whole token, hex: a token is 32 random bytes, so a fast hash is safe.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    #: The token's first characters, shown in the list so its owner can tell tokens apart.
    prefix = models.CharField(max_length=16, editable=False)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE
