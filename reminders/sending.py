"""The daily reminders: learners hear of assignments due soon that they have not finished,
instructors of the learners who have not started one.

`send_reminders` is run once a day (manage.py send_reminders from cron, or the task in
reminders/tasks.py on a worker). It may run any number of times: a SentReminder row is
written before each e-mail goes, under unique constraints, so nothing is sent twice.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, formataddr
from typing import Literal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.http import urlencode

from accounts.models import User
from reminders.links import absolute, unsubscribe_token
from reminders.models import SentReminder
from teams.models import Assignment, Membership, Team, TopicSet
from teams.selectors import (
    COMPLETE,
    NOT_STARTED,
    Progress,
    StateGroup,
    assignment_statuses,
    progress_of_learners_by_set,
)

logger = logging.getLogger(__name__)

#: How many learners a digest names for each assignment; it counts the rest.
DIGEST_NAMES = 10


@dataclass
class Report:
    """What one run did."""

    reminders: int = 0
    digests: int = 0
    failed: int = 0

    def __str__(self) -> str:
        text = (
            f"Sent {self.reminders} reminder{'s' if self.reminders != 1 else ''} to learners "
            f"and {self.digests} digest{'s' if self.digests != 1 else ''} to instructors."
        )
        if self.failed:
            text += f" {self.failed} could not be sent and will be tried on the next run."
        return text


@dataclass
class DueItem:
    """An assignment a learner is reminded of."""

    assignment: Assignment
    progress: Progress
    days_left: int

    @property
    def when(self) -> str:
        return when(self.assignment, self.days_left)


@dataclass
class DigestItem:
    """An assignment of a team an instructor teaches, and who has not started it."""

    assignment: Assignment
    days_left: int
    not_started: StateGroup
    learners: int

    @property
    def when(self) -> str:
        return when(self.assignment, self.days_left)


def when(assignment: Assignment, days_left: int) -> str:
    """ "today", "tomorrow" or "in 3 days (Friday 11 December)", by the reader's calendar."""
    if days_left == 0:
        return "today"
    if days_left == 1:
        return "tomorrow"
    assert assignment.due_date is not None
    return f"in {days_left} days ({format_date(assignment.due_date, 'l j F')})"


def send_reminders(*, now: datetime | None = None) -> Report:
    """Send every reminder and digest due now and not sent before."""
    absolute("/")  # no address for the links: stop before anything is sent
    now = now or timezone.now()
    days = settings.REMINDER_DAYS_AHEAD
    # Every date some time zone is on now, and the days after: each person's own "today"
    # picks from these.
    utc_today = now.astimezone(UTC).date()
    assignments = list(
        Assignment.objects.filter(
            due_date__range=(utc_today - timedelta(days=1), utc_today + timedelta(days=days + 1))
        ).select_related("team", "topic_set")
    )
    by_team: dict[Team, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_team[assignment.team].append(assignment)
    report = Report()
    mailer = _Mailer()
    try:
        for user, items in _learners_due(by_team, now, days):
            _send_due(mailer, user, items, now, report)
        for user, digest in _instructor_digests(by_team, now, days):
            _send_digest(mailer, user, digest, now, report)
    finally:
        mailer.close()
    return report


# --- Who is reminded of what ----------------------------------------------------------


def _days_left(user: User, due: date | None, now: datetime, days: int) -> int | None:
    """Days from the user's today to `due`, when that is 0..days; else None."""
    if due is None:
        return None
    left = (due - timezone.localdate(now, user.zone)).days
    return left if 0 <= left <= days else None


def _learners_due(
    by_team: dict[Team, list[Assignment]], now: datetime, days: int
) -> Iterable[tuple[User, list[DueItem]]]:
    """Each learner who wants reminders with the assignments due soon they have not
    finished and have not been reminded of (for that due date)."""
    items: dict[User, list[DueItem]] = defaultdict(list)
    for team, assignments in by_team.items():
        held = TopicSet.objects.filter(pk__in={a.topic_set_id for a in assignments}).question_ids()
        sets = {a.pk: held.get(a.topic_set_id, set()) for a in assignments}
        statuses = progress_of_learners_by_set(team, sets)
        for assignment in assignments:
            for status in statuses[assignment.pk]:
                user = status.membership.user
                if not _wants(user, "email_due_reminders") or not status.progress.total:
                    continue
                left = _days_left(user, assignment.due_date, now, days)
                if left is None or status.progress.state == COMPLETE:
                    continue
                items[user].append(DueItem(assignment, status.progress, left))
    if not items:
        return []
    sent = set(
        SentReminder.objects.filter(
            kind=SentReminder.Kind.DUE,
            user__in=list(items),
            assignment__in={i.assignment.pk for its in items.values() for i in its},
        ).values_list("user_id", "assignment_id", "due_date")
    )
    result = []
    for user, its in items.items():
        fresh = [i for i in its if (user.pk, i.assignment.pk, i.assignment.due_date) not in sent]
        if fresh:
            fresh.sort(key=lambda i: (i.days_left, i.assignment.topic_set.name))
            result.append((user, fresh))
    return result


def _instructor_digests(
    by_team: dict[Team, list[Assignment]], now: datetime, days: int
) -> Iterable[tuple[User, list[tuple[Team, list[DigestItem]]]]]:
    """Each instructor who wants the digest with, team by team, the assignments due soon
    that some learners have not started."""
    if not by_team:
        return []
    teams = {team.pk: team for team in by_team}
    instructors: dict[Team, list[User]] = defaultdict(list)
    for membership in (
        Membership.objects.instructors().filter(team__in=list(teams)).select_related("user")
    ):
        if _wants(membership.user, "email_team_digest"):
            instructors[teams[membership.team_id]].append(membership.user)
    digests: dict[User, list[tuple[Team, list[DigestItem]]]] = defaultdict(list)
    for team, users in instructors.items():
        statuses = assignment_statuses(team, by_team[team], shown=DIGEST_NAMES)
        for user in users:
            its = []
            for assignment, groups in statuses:
                left = _days_left(user, assignment.due_date, now, days)
                waiting = groups[NOT_STARTED]
                if left is not None and waiting.count:
                    learners = sum(group.count for group in groups.values())
                    its.append(DigestItem(assignment, left, waiting, learners))
            if its:
                its.sort(key=lambda i: (i.days_left, i.assignment.topic_set.name))
                digests[user].append((team, its))
    sent_today = set(
        SentReminder.objects.filter(
            kind=SentReminder.Kind.DIGEST, user__in=list(digests)
        ).values_list("user_id", "day")
    )
    return [
        (user, sorted(teams, key=lambda pair: pair[0].name))
        for user, teams in digests.items()
        if (user.pk, timezone.localdate(now, user.zone)) not in sent_today
    ]


def _wants(user: User, preference: str) -> bool:
    return bool(user.is_active and user.email and getattr(user, preference))


# --- Claiming, writing and sending ------------------------------------------------------


class _Mailer:
    """One SMTP connection for the whole run, opened at the first e-mail."""

    def __init__(self) -> None:
        self.connection = get_connection()
        self.opened = False

    def send(self, message: EmailMultiAlternatives) -> None:
        if not self.opened:
            self.connection.open()
            self.opened = True
        message.connection = self.connection
        message.send()

    def close(self) -> None:
        if self.opened:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.close()


def _claim(rows: list[SentReminder]) -> list[SentReminder]:
    """Write the rows that no other run has written; return those."""
    claimed = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            continue  # another run sent it
        claimed.append(row)
    return claimed


def _deliver(
    mailer: _Mailer,
    message: EmailMultiAlternatives,
    claimed: list[SentReminder],
    report: Report,
    kind: Literal["reminders", "digests"],
) -> None:
    """Send `message` and count it in `report` (`kind`: "reminders" or "digests"); if it
    cannot be sent, give the claims back for the next run and count a failure."""
    try:
        mailer.send(message)
    except (OSError, smtplib.SMTPException) as error:
        # The error's class and text name the server's complaint; never the settings.
        logger.warning(
            "reminder e-mail not sent, kept for the next run: %s: %s",
            type(error).__name__,
            error,
            extra={"user_id": claimed[0].user_id if claimed else None},
        )
        SentReminder.objects.filter(pk__in=[row.pk for row in claimed]).delete()
        report.failed += 1
        return
    setattr(report, kind, getattr(report, kind) + 1)


def _send_due(
    mailer: _Mailer, user: User, items: list[DueItem], now: datetime, report: Report
) -> None:
    today = timezone.localdate(now, user.zone)
    claimed = _claim(
        [
            SentReminder(
                user=user,
                kind=SentReminder.Kind.DUE,
                assignment=item.assignment,
                due_date=item.assignment.due_date,
                day=today,
            )
            for item in items
        ]
    )
    mine = {row.assignment_id for row in claimed}
    items = [item for item in items if item.assignment.pk in mine]
    if not items:
        return
    if len(items) == 1:
        subject = f"“{items[0].assignment.topic_set.name}” is due {items[0].when}"
    else:
        subject = f"{len(items)} assignments are due soon"
    links = {
        item.assignment.pk: absolute(
            reverse("teams:assignment_detail", args=[item.assignment.team_id, item.assignment.pk])
        )
        + "#study"
        for item in items
    }
    context = {"items": [(item, links[item.assignment.pk]) for item in items]}
    message = _message(user, "due", subject, "reminders/email/due", context, now)
    _deliver(mailer, message, claimed, report, "reminders")


def _send_digest(
    mailer: _Mailer,
    user: User,
    digest: list[tuple[Team, list[DigestItem]]],
    now: datetime,
    report: Report,
) -> None:
    claimed = _claim(
        [
            SentReminder(
                user=user, kind=SentReminder.Kind.DIGEST, day=timezone.localdate(now, user.zone)
            )
        ]
    )
    if not claimed:
        return
    waiting = sum(item.not_started.count for _team, items in digest for item in items)
    subject = (
        f"{waiting} learner{'s have' if waiting != 1 else ' has'} not started "
        "an assignment due soon"
    )
    teams = [
        (
            team,
            [
                (
                    item,
                    absolute(reverse("teams:team_dashboard", args=[team.pk]))
                    + "?"
                    + urlencode({"assignment": item.assignment.pk}),
                )
                for item in items
            ],
        )
        for team, items in digest
    ]
    message = _message(user, "digest", subject, "reminders/email/digest", {"teams": teams}, now)
    _deliver(mailer, message, claimed, report, "digests")


def _message(
    user: User, kind: str, subject: str, template: str, context: dict, now: datetime
) -> EmailMultiAlternatives:
    """A plain-text and HTML e-mail to `user`, in their time zone, with the headers that
    let a mail program offer "unsubscribe" (RFC 2369 and the one-click RFC 8058)."""
    unsubscribe = absolute(reverse("reminders:unsubscribe", args=[unsubscribe_token(user, kind)]))
    context = {
        **context,
        "user": user,
        "unsubscribe_url": unsubscribe,
        "profile_url": absolute(reverse("accounts:profile")),
        "site_url": absolute("/"),
    }
    with timezone.override(user.zone):
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line, whatever a name holds
        body=text,
        to=[formataddr((user.shown_name, user.email))],
        headers={
            "Date": format_datetime(now.astimezone(user.zone)),
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
