"""A real SMTP server (aiosmtpd) on loopback for the reminder tests, and a small team
whose assignment is due soon."""

from __future__ import annotations

import email
import email.policy
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from accounts.models import User
from questions.models import Question
from teams.models import Assignment, Team
from tests.factories import make_question, make_topic, make_user, mark
from tests.security.own_postgres import free_port
from tests.teams.factories import add_member, make_assignment, make_team

#: Noon in UTC on a Wednesday: every time zone below is on 2 or 3 December.
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SITE = "https://studyhub.example.org"


class Inbox:
    """What the SMTP server received: each message parsed, with its envelope."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.refuse:
            return "451 Try again later"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [
            m
            for m, (_f, rcpt) in zip(self.messages, self.envelopes, strict=True)
            if address in rcpt
        ]

    def clear(self) -> None:
        self.messages.clear()
        self.envelopes.clear()


@pytest.fixture
def inbox(settings):
    """An SMTP server on a free loopback port that Django sends through."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's every command
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = SITE
    settings.REMINDER_DAYS_AHEAD = 3
    try:
        yield handler
    finally:
        controller.stop()


@dataclass
class World:
    team: Team
    instructor: User
    lena: User  # has not started
    marco: User  # part-way
    priya: User  # finished
    quiet: User  # turned reminders off
    nomail: User  # no e-mail address
    questions: list[Question]
    soon: Assignment  # due in 2 days
    later: Assignment  # due in 10 days
    past: Assignment  # due yesterday
    extra: dict = field(default_factory=dict)


@pytest.fixture
def world(db) -> World:
    topic = make_topic(name="Object detection")
    questions = [make_question(topics=[topic]) for _ in range(4)]
    instructor = make_user(username="ines", display_name="Ines Instructor")
    lena = make_user(username="lena", display_name="Lena Park")
    marco = make_user(username="marco", display_name="Marco Rossi")
    priya = make_user(username="priya", display_name="Priya Nair")
    quiet = make_user(username="quiet", display_name="Quinn Quiet", email_due_reminders=False)
    nomail = make_user(username="nomail", display_name="Nomail Nils", email="")
    team = make_team("Vision group", instructor=instructor)
    for learner in (lena, marco, priya, quiet, nomail):
        add_member(team, learner)
    today = NOW.date()
    soon = make_assignment(
        team, due_date=today + timedelta(days=2), name="Detection basics", questions=questions
    )
    later = make_assignment(
        team, due_date=today + timedelta(days=10), name="Later set", questions=questions[:2]
    )
    past = make_assignment(
        team, due_date=today - timedelta(days=1), name="Past set", questions=questions[:1]
    )
    mark(marco, questions[0], 3)
    for question in questions:
        mark(priya, question, 4)
    return World(team, instructor, lena, marco, priya, quiet, nomail, questions, soon, later, past)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_of_mail(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)
