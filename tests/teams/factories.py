"""Teams for tests: teams, members, topic sets and assignments; a small hand-checked
world for the team dashboard; bulk learners for query counts;"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.test import Client

from accounts.models import User
from progress.models import ConfidenceMark, Note
from questions.models import Question, Topic
from teams.models import Assignment, Membership, Team, TopicSet
from teams.services import create_team
from tests.factories import make_bank, make_question, make_topic, make_user, mark, note

LEARNER = Membership.Role.LEARNER
INSTRUCTOR = Membership.Role.INSTRUCTOR
_counter = itertools.count(1)


# --- Teams, members, sets and assignments ------------------------------------


def make_team(name: str = "", *, instructor: User | None = None, learners=()) -> Team:
    """A team made the way the app makes it: its creator becomes its instructor."""
    team = create_team(name=name or f"Team {next(_counter)}", creator=instructor or make_user())
    for learner in learners:
        add_member(team, learner)
    return team


def add_member(team: Team, user: User, role: str = LEARNER) -> Membership:
    return Membership.objects.create(team=team, user=user, role=role)


def membership(team: Team, user: User) -> Membership:
    return Membership.objects.get(team=team, user=user)


def make_topic_set(team: Team, *, name: str = "", topics=(), questions=(), **fields) -> TopicSet:
    topic_set = TopicSet.objects.create(team=team, name=name or f"Set {next(_counter)}", **fields)
    topic_set.topics.set(topics)
    topic_set.questions.set(questions)
    return topic_set


def make_assignment(
    team: Team, topic_set: TopicSet | None = None, *, due_date: date | None = None, **set_fields
) -> Assignment:
    """An assignment of `topic_set`, or of a new set built from `set_fields`."""
    if topic_set is None:
        topic_set = make_topic_set(team, **set_fields)
    return Assignment.objects.create(team=team, topic_set=topic_set, due_date=due_date)


def bulk_learners(
    team: Team, count: int, *, questions=(), level: int = 3, prefix: str = ""
) -> list[User]:
    """`count` learners of the team, each with a mark at `level` on every question.

    Three bulk inserts (users, memberships, marks) whatever the count.
    """
    prefix = prefix or f"bulk{next(_counter)}-"
    User.objects.bulk_create(
        [
            User(username=f"{prefix}{i:04d}", display_name=f"Bulk {prefix}{i:04d}", password="!")
            for i in range(count)
        ]
    )
    users = list(User.objects.filter(username__startswith=prefix).order_by("username"))
    Membership.objects.bulk_create([Membership(team=team, user=u, role=LEARNER) for u in users])
    at = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    ConfidenceMark.objects.bulk_create(
        [
            ConfidenceMark(user=u, question=q, level=level, updated_at=at)
            for u in users
            for q in questions
        ]
    )
    return users


#: (members, topics) of the worlds in which query counts are pinned: a count that grows with
#: either would differ between the two. 60 × 40 and not more: rendering the grid costs
#: time in every test run and proves nothing a smaller grid does not.
SCALE_SIZES = [(5, 13), (60, 40)]


def checked(
    user: User,
    question: Question,
    recall: int,
    *,
    level: int | None = None,
    half: bool | None = None,
) -> ConfidenceMark:
    """Give the user's mark on `question` (made at `level` first, when given) a latest
    check that scored `recall` and made at least half of the key points when `half` (by
    default, when `recall` is 50 or more): set on the mark the way progress.recall
    copies a check there, so that hand-checked worlds need no checker."""
    if level is not None:
        mark(user, question, level, at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC))
    half = recall >= 50 if half is None else half
    updated = ConfidenceMark.objects.filter(user=user, question=question).update(
        recall=recall, recalled_half=half, recall_at=datetime(2026, 2, 9, 9, 0, tzinfo=UTC)
    )
    assert updated == 1, f"{user} has no mark on {question}"
    return ConfidenceMark.objects.get(user=user, question=question)


def bulk_checks(users, questions, *, recall: int, half: bool) -> int:
    """Give every mark of `users` on `questions` a check that scored `recall`, in one
    query; returns how many marks it touched."""
    return ConfidenceMark.objects.filter(user__in=users, question__in=questions).update(
        recall=recall, recalled_half=half, recall_at=datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
    )


# --- A small world with hand-checked numbers ---------------------------------

#: When the world's learners last studied: Ada first, then Dee, then Bo.
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
NOTE_TEXT = "ADA-PRIVATE-NOTE: remember the receptive field trick"


@dataclass
class World:
    """One team of four learners over three topics of five questions.

    Topics (position order): Alpha q1 q2 q3 · Beta q3 q4 · Gamma q5 (q3 is in two topics).

    | learner       | marks                       | Alpha | Beta | Gamma | overall | last   |
    |---------------|-----------------------------|-------|------|-------|---------|--------|
    | Ada Lovelace  | q1=5 q2=4 q3=3 q4=4         | 3/3   | 2/2  | 0/1   | 4 (80%) | T0+1d  |
    | Bo Chen       | q2=3 q3=2 q4=3              | 1/3   | 1/2  | 0/1   | 2 (40%) | T0+3d  |
    | Cy Diaz       | —                           | 0/3   | 0/2  | 0/1   | 0 (0%)  | never  |
    | Dee Evans     | q1=3 q2=3 q4=1 q5=4         | 2/3   | 0/2  | 1/1   | 3 (60%) | T0+2d  |

    Iris (the instructor) and Eve (a learner of another team) have marks too, which
    must never count. Ada has a private note on q1.

    Assignments: `week1` = topic Alpha, due `DUE_PAST`; `mixed` = topic Gamma plus the
    single question q4, due `DUE_FUTURE`.
    """

    team: Team
    other_team: Team
    instructor: User
    ada: User
    bo: User
    cy: User
    dee: User
    eve: User
    alpha: Topic
    beta: Topic
    gamma: Topic
    q: dict[int, Question]
    week1: Assignment
    mixed: Assignment

    @property
    def learners(self) -> list[User]:
        return [self.ada, self.bo, self.cy, self.dee]


DUE_PAST = date(2026, 3, 1)
DUE_FUTURE = date(2026, 3, 20)
#: A day between the two due dates, for freezing time.
TODAY = date(2026, 3, 10)


def build_world() -> World:
    alpha = make_topic(slug="alpha", name="Alpha", position=1)
    beta = make_topic(slug="beta", name="Beta", position=2)
    gamma = make_topic(slug="gamma", name="Gamma", position=3)
    topics_of = {1: [alpha], 2: [alpha], 3: [alpha, beta], 4: [beta], 5: [gamma]}
    q = {
        n: make_question(key=f"wq-{n}", position=n, text=f"World question {n}?", topics=ts)
        for n, ts in topics_of.items()
    }
    instructor = make_user(username="iris", display_name="Iris Instructor")
    ada = make_user(username="ada", display_name="Ada Lovelace")
    bo = make_user(username="bo", display_name="Bo Chen")
    cy = make_user(username="cy", display_name="Cy Diaz")
    dee = make_user(username="dee", display_name="Dee Evans")
    eve = make_user(username="eve", display_name="Eve Outsider")
    team = make_team("Vision group", instructor=instructor, learners=[ada, bo, cy, dee])
    other_team = make_team("Other group", learners=[eve])

    def marks(user: User, day: int, levels: dict[int, int]) -> None:
        for n, level in levels.items():
            mark(user, q[n], level, at=T0 + timedelta(days=day))

    marks(ada, 1, {1: 5, 2: 4, 3: 3, 4: 4})
    marks(bo, 3, {2: 3, 3: 2, 4: 3})
    marks(dee, 2, {1: 3, 2: 3, 4: 1, 5: 4})
    marks(instructor, 4, {3: 5, 5: 5})
    marks(eve, 5, {1: 5, 2: 5, 3: 5, 4: 5, 5: 5})
    note(ada, q[1], NOTE_TEXT)

    week1 = make_assignment(
        team, name="Week 1: alpha", topics=[alpha], due_date=DUE_PAST, created_by=instructor
    )
    mixed = make_assignment(
        team,
        name="Gamma and Q4",
        topics=[gamma],
        questions=[q[4]],
        due_date=DUE_FUTURE,
        created_by=instructor,
    )
    return World(
        team, other_team, instructor, ada, bo, cy, dee, eve, alpha, beta, gamma, q, week1, mixed
    )


# --- A team at any size, for query counts ----------------------------------------


class ScaledTeam:
    """A team of `members` learners, each with marks on all 12 questions of three topics,
    and `assignments` assignments (each a topic plus a single question)."""

    def __init__(self, members: int, assignments: int) -> None:
        self.topics = make_bank(topics=3, questions_per_topic=4)
        questions = [q for t in self.topics for q in t.questions.all()]
        self.instructor = make_user()
        self.team = make_team("Scaled", instructor=self.instructor)
        self.learners = bulk_learners(self.team, members, questions=questions)
        # Noise: another team with its own learners, marks and assignment.
        other = make_team("Other")
        bulk_learners(other, 5, questions=questions, level=2)
        make_assignment(other, topics=self.topics)
        self.assignments = [
            make_assignment(
                self.team,
                topics=[self.topics[i % 3]],
                questions=[questions[(i + 5) % len(questions)]],
            )
            for i in range(assignments)
        ]
        add_member(other, self.learners[0])  # a learner in two teams
        assert self.team.memberships.count() == members + 1

    def client(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client


def note_texts() -> list[str]:
    return list(Note.objects.values_list("text", flat=True))
