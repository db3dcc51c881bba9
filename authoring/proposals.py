"""Proposals: a learner proposes a question to a team; the team's instructors accept it
into the team bank, perhaps after editing it, or decline it with a reason.

Before a proposal is sent, its text is compared with the questions the learner can see
(the library and the banks of their teams) by the importer's duplicate finder, with a
small work budget, so a hostile text costs a bounded amount whatever it holds. Only
what the learner already sees can be named as a likely duplicate, so the warning never
reveals another team's question.

Accepting and declining claim the proposal with a conditional update, in the same
transaction as the write, as confirming an import claims its record: of two instructors
deciding at once, exactly one decides, and an accepted proposal writes one question.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.text import Truncator

from accounts.models import User
from authoring.models import Proposal
from authoring.services import QuestionContent, write_question
from questions.importing.document import (
    ANSWER_MAX_CHARS,
    QUESTION_MAX_CHARS,
    TOPICS_PER_QUESTION_MAX,
    ParseError,
    normalise_for_match,
)
from questions.importing.duplicates import DUPLICATE_SHARED_WORDS, BankQuestions, Work
from questions.models import Question, Topic

#: The sizes a proposal may have: the importer's, so an accepted proposal is a question
#: the importer would take too.
TEXT_MAX = QUESTION_MAX_CHARS
ANSWER_MAX = ANSWER_MAX_CHARS
TOPICS_MAX = TOPICS_PER_QUESTION_MAX
#: A reason for declining.
REASON_MAX = 2_000
#: Proposals one learner may have waiting for review in one team; a proposal decided
#: makes room for another.
WAITING_MAX = 20
#: The work units (questions.importing.duplicates.Work) one duplicate check may spend.
#: The finder's own caps keep a text of TEXT_MAX characters under about 7,000 (2,000
#: index entries read, 100 questions counted, 20 comparisons of up to 1,000 × 1,000
#: characters); the budget is the backstop should the bank hold far longer questions.
DUPLICATE_WORK = 10_000
#: Rows per page of the review queue and of "My proposals".
PER_PAGE = 50


class ProposalRefused(Exception):
    """A proposal that cannot be sent as it is; the message says why, for the learner."""


# --- Likely duplicates ------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    question: Question
    similarity: int  # percent; 100 for the same text


@dataclass(frozen=True)
class DuplicateCheck:
    """What comparing a text with some questions found."""

    duplicates: list[Duplicate]
    #: False when the text was not compared (too long, or it would cost too much).
    checked: bool = True

    def __bool__(self) -> bool:
        return bool(self.duplicates)


def likely_duplicates(text: str, *, among: QuerySet[Question]) -> DuplicateCheck:
    """The questions of `among` that `text` likely repeats: the one with the same text
    (case, punctuation and spacing aside) and the one most alike, if either exists.

    Reads `among` in one query, narrowed to the questions that may be alike
    (sharing_words); comparing spends at most DUPLICATE_WORK work units.
    """
    if len(text) > TEXT_MAX:
        return DuplicateCheck([], checked=False)
    normalised = normalise_for_match(text)
    if not normalised:
        return DuplicateCheck([])
    bank = BankQuestions(
        Work("proposal", DUPLICATE_WORK), questions=among.filter(sharing_words(normalised))
    )
    found: list[Duplicate] = []
    if (same := bank.by_text.get(normalised)) is not None:
        found.append(Duplicate(same, 100))
    try:
        near = bank.likely_duplicate(normalised)
    except ParseError:  # over the work budget
        return DuplicateCheck(found, checked=bool(found))
    if near is not None and all(d.question.pk != near[0].pk for d in found):
        found.append(Duplicate(near[0], int(near[1])))
    return DuplicateCheck(found)


#: The most words sharing_words looks for. Each is a case-insensitive substring match
#: over every visible question, which costs more than reading them all once there are
#: more than about ten (PostgreSQL upper-cases each text once per word); a question of
#: the seed bank needs at most 9 (its longest has 20 distinct words).
SHARING_WORDS_MAX = 10


def sharing_words(normalised: str) -> Q:
    """Questions that may share enough words with `normalised` (normalise_for_match's
    form) to be a likely duplicate: those containing one of its longest words.

    The finder compares only questions sharing DUPLICATE_SHARED_WORDS of the text's
    distinct words, and such a question misses at most the rest, so it holds at least
    one of any (distinct words - needed + 1) of them; the longest are usually the
    rarest. A substring match of the raw text, case aside, finds every question whose
    words include one of them (and some more). Reading only those instead of every
    visible question makes a check at 10,000 questions two to four times faster
    (bench/proposal_duplicates.py). Words outside ASCII, whose case folding LIKE may
    not match, or more than SHARING_WORDS_MAX words read every question instead.
    """
    words = sorted(set(normalised.split()), key=lambda word: (-len(word), word))
    needed = max(1, math.ceil(len(words) * DUPLICATE_SHARED_WORDS))
    chosen = words[: len(words) - needed + 1]
    if len(chosen) > SHARING_WORDS_MAX or not all(word.isascii() for word in chosen):
        return Q()
    return reduce(operator.or_, (Q(text__icontains=word) for word in chosen))


def team_scope(bank_id: int) -> QuerySet[Question]:
    """The questions a team's members all see: the library's and the team bank's, live."""
    return Question.objects.live_in([bank_id])


# --- Proposing -------------------------------------------------------------------------


def waiting_count(*, bank_id: int, author: User) -> int:
    """How many of the author's proposals wait for review in the bank."""
    return author.proposals.filter(bank_id=bank_id, status=Proposal.Status.PENDING).count()


def too_many_waiting_message() -> str:
    return (
        f"You already have {WAITING_MAX} proposals waiting for review in this team, the "
        "most there may be. Once the instructors have decided on some of them, you can "
        "propose more."
    )


@transaction.atomic
def propose(
    *,
    bank_id: int,
    author: User,
    text: str,
    answer: str,
    long_answer: str = "",
    topics: Iterable[Topic] = (),
) -> Proposal:
    """A proposal waiting for review; ProposalRefused when the author already has
    WAITING_MAX waiting in this bank.

    The author's row is locked first, so two proposals sent at once are counted one
    after the other and the limit holds (SQLite's writers queue anyway).
    """
    User.objects.select_for_update().filter(pk=author.pk).first()
    if waiting_count(bank_id=bank_id, author=author) >= WAITING_MAX:
        raise ProposalRefused(too_many_waiting_message())
    proposal = Proposal.objects.create(
        bank_id=bank_id, author=author, text=text, answer=answer, long_answer=long_answer
    )
    proposal.topics.set(topics)
    return proposal


# --- Deciding ----------------------------------------------------------------------------

ACTION_MAX = 80  # QuestionRevision.action


def accepted_action(proposer: User) -> str:
    """The first revision's action: "Accepted from a proposal by <name>", cut to fit."""
    return Truncator(f"Accepted from a proposal by {proposer.shown_name}").chars(ACTION_MAX)


def accept_proposal(
    *, proposal: Proposal, instructor: User, content: QuestionContent
) -> Question | None:
    """Write `content` (the proposal, perhaps edited) into the proposal's team bank and
    mark the proposal accepted with its question; None when it was already decided.

    The question's `created_by` is the accepting instructor, who put it into the bank
    (as an import's questions are its uploader's); its first revision names the
    instructor as author and the proposer in its action, and the proposal keeps both.
    """
    with transaction.atomic():
        if not _claim(proposal, Proposal.Status.ACCEPTED, instructor):
            return None
        question = write_question(
            bank=proposal.bank,
            author=instructor,
            content=content,
            action=accepted_action(proposal.author),
        )
        Proposal.objects.filter(pk=proposal.pk).update(question=question)
        # Inside the transaction: once the decision has committed, nothing is left that
        # could fail and answer it as not made.
        proposal.refresh_from_db()
    return question


def decline_proposal(*, proposal: Proposal, instructor: User, reason: str) -> bool:
    """Decline the proposal with `reason`; False when it was already decided."""
    with transaction.atomic():  # as accept_proposal: nothing can fail after the commit
        declined = _claim(proposal, Proposal.Status.DECLINED, instructor, reason=reason)
        proposal.refresh_from_db()
    return declined


def _claim(proposal: Proposal, status: str, instructor: User, **fields: Any) -> bool:
    """Decide a waiting proposal: a conditional update, so of two decisions made at
    once only the first changes it (PostgreSQL makes the second wait for the first's
    transaction and then finds nothing waiting)."""
    return bool(
        Proposal.objects.filter(pk=proposal.pk, status=Proposal.Status.PENDING).update(
            status=status, decided_by=instructor, decided_at=timezone.now(), **fields
        )
    )


# --- Reading ------------------------------------------------------------------------------


def queue_of(bank_id: int) -> QuerySet[Proposal]:
    """A team's proposals for its instructors: those waiting first, oldest first, then
    the decided ones, latest decision first; each with its author and decider."""
    return (
        Proposal.objects.filter(bank_id=bank_id)
        .select_related("author", "decided_by", "question")
        .order_by(
            Case(When(status=Proposal.Status.PENDING, then=Value(0)), default=Value(1)),
            F("decided_at").desc(nulls_first=True),
            "created_at",
            "pk",
        )
    )


def queue_counts(bank_id: int) -> dict[str, int]:
    """How many proposals the bank has, and how many of them wait: one query."""
    return Proposal.objects.filter(bank_id=bank_id).aggregate(
        total=Count("pk"), waiting=Count("pk", filter=Q(status=Proposal.Status.PENDING))
    )


def proposals_of(user: User) -> QuerySet[Proposal]:
    """The user's own proposals, latest first, each with its bank (named as its team)
    and question."""
    return user.proposals.select_related("bank", "question").order_by("-created_at", "-pk")
