"""Who sees which questions, and who may change them.

Everyone signed in sees the library (questions and topics with no bank); a team's bank
is seen only by the team's members, and changed by its instructors; staff change the
library. Only the teams app knows who belongs to which team, so the rule is the class
settings.QUESTIONS_BANK_ACCESS names (teams.permissions.TeamBankAccess), and this module
is how every page of the apps below it asks.

The banks come back as a query of ids, not a list, so that filtering by them adds a
subquery to the page's query rather than a query of its own.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.module_loading import import_string

from accounts.models import User
from questions.models import (
    Bank,
    BankIds,
    Question,
    QuestionQuerySet,
    Topic,
    TopicQuerySet,
    in_library_or,
)

Viewer = User | AnonymousUser


class BankAccess(Protocol):
    def visible_banks(self, user: User) -> BankIds:
        """The banks whose questions and topics the user sees, besides the library."""

    def editable_banks(self, user: User) -> BankIds:
        """The banks whose questions the user may write, edit, retire and import into."""

    def team_bank(self, team: str) -> Bank | None:
        """The bank of the team with this id, or else this exact name (if only one has it)."""


def _access() -> BankAccess:
    return import_string(settings.QUESTIONS_BANK_ACCESS)()


def visible_banks(user: Viewer) -> BankIds:
    if not user.is_authenticated:
        return []
    return _access().visible_banks(user)


def editable_banks(user: Viewer) -> BankIds:
    if not user.is_authenticated:
        return []
    return _access().editable_banks(user)


def team_bank(team: str) -> Bank | None:
    """For `manage.py import_questions --team`: a team's bank by the team's id or name."""
    return _access().team_bank(team)


def visible_questions(user: Viewer) -> QuestionQuerySet:
    """The questions the user sees: the library's and their banks', none retired."""
    return Question.objects.live_in(visible_banks(user))


def questions_seen_by(user: Viewer) -> QuestionQuerySet:
    """The questions of the banks the user sees, retired ones too: a question's own page
    and a learner's notes still show a retired question, marked so."""
    return Question.objects.filter(in_library_or(visible_banks(user)))


def visible_topics(user: Viewer) -> TopicQuerySet:
    return Topic.objects.in_scope(visible_banks(user))


def can_see_bank(user: Viewer, bank_id: int | None) -> bool:
    """Whether the user sees the bank (None: the library, which everyone signed in sees)."""
    if bank_id is None:
        return user.is_authenticated
    return Bank.objects.filter(pk=bank_id, pk__in=visible_banks(user)).exists()


def can_see(user: Viewer, question: Question) -> bool:
    """Whether the user sees the question's bank (retired or not)."""
    return can_see_bank(user, question.bank_id)


def can_edit_bank(user: Viewer, bank_id: int | None) -> bool:
    """Staff change the library; a team bank is changed by those the rule allows."""
    if not user.is_authenticated:
        return False
    if bank_id is None:
        return user.is_staff
    return Bank.objects.filter(pk=bank_id, pk__in=editable_banks(user)).exists()


def writable_banks(user: Viewer) -> list[Bank | None]:
    """Where the user may add questions, the library (None) first when they are staff."""
    if not user.is_authenticated:
        return []
    banks: list[Bank | None] = [None] if user.is_staff else []
    return banks + list(Bank.objects.filter(pk__in=editable_banks(user)).order_by("name", "pk"))


def can_import(user: Viewer) -> bool:
    """Staff, and whoever may change at least one team bank, may import questions."""
    if not user.is_authenticated:
        return False
    return user.is_staff or Bank.objects.filter(pk__in=editable_banks(user)).exists()
