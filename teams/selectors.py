"""Read models for teams: assignment progress and the instructors' team dashboard.

Every function here runs a fixed number of queries whatever the number of members,
topics, questions or assignments, and counts in the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Aggregate, Count, Max, Prefetch, Q
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import User
from progress.models import COVERED_LEVEL, ConfidenceMark
from questions.models import Question, Topic, live_in, percent
from teams.models import Assignment, Membership, Team, TopicSet

COMPLETE, IN_PROGRESS, NOT_STARTED = "complete", "in progress", "not started"


@dataclass
class Progress:
    covered: int
    total: int
    rated: int = 0

    @property
    def percent(self) -> int:
        return percent(self.covered, self.total)

    @property
    def state(self) -> str:
        if self.total and self.covered >= self.total:
            return COMPLETE
        return IN_PROGRESS if self.rated or self.covered else NOT_STARTED


@dataclass
class AssignmentProgress:
    assignment: Assignment
    progress: Progress

    @property
    def is_complete(self) -> bool:
        return self.progress.state == COMPLETE

    @property
    def is_overdue(self) -> bool:
        due = self.assignment.due_date
        return bool(due and due < timezone.localdate() and not self.is_complete)


def assignments_with_progress(
    team_or_teams: Team | Iterable[Team], user: User
) -> list[AssignmentProgress]:
    """The assignments of one team (or of several) with the user's progress on each."""
    queryset = Assignment.objects.select_related("topic_set", "team")
    if isinstance(team_or_teams, Team):
        queryset = queryset.filter(team=team_or_teams)
    else:
        queryset = queryset.filter(team__in=team_or_teams)
    assignments = list(queryset)
    if not assignments:
        return []
    held = TopicSet.objects.filter(pk__in={a.topic_set_id for a in assignments}).question_ids()
    mine = dict(
        user.confidence_marks.filter(
            question_id__in={q for ids in held.values() for q in ids}
        ).values_list("question_id", "level")
    )
    result = []
    for assignment in assignments:
        ids = held.get(assignment.topic_set_id, set())
        covered = sum(1 for q in ids if mine.get(q, 0) >= COVERED_LEVEL)
        rated = sum(1 for q in ids if q in mine)
        result.append(AssignmentProgress(assignment, Progress(covered, len(ids), rated)))
    return result


# --- The team dashboard ------------------------------------------------------


@dataclass
class Cell:
    topic: Topic
    covered: int
    total: int
    fresh: int = 0

    @property
    def percent(self) -> int:
        return percent(self.covered, self.total)

    @property
    def band(self) -> int:
        """0–4, for the cell's colour; the number is always shown too."""
        if self.covered == 0:
            return 0
        if self.percent == 100:
            return 4
        return 1 + self.percent // 34


@dataclass
class MemberRow:
    membership: Membership
    cells: list[Cell]
    covered: int
    total: int
    last_activity: datetime | None
    fresh: int = 0

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def percent(self) -> int:
        return percent(self.covered, self.total)


@dataclass
class Matrix:
    topics: list[Topic]
    rows: list[MemberRow]
    sort: str
    descending: bool
    question_count: int


def team_matrix(
    team: Team, *, topic_ids: set[int] | None = None, sort: str = "", now: datetime | None = None
) -> Matrix:
    """Learners × topics with coverage in each cell, overall coverage and last activity;
    `fresh` counts covered questions not yet due for review at `now`."""
    now = now or timezone.now()
    members = list(team.memberships.learners().select_related("user"))
    member_user_ids = team.memberships.learners().values("user_id")
    # The team sees the library and its own bank: another team's questions, even in a
    # library topic, and retired ones count for nothing here.
    banks = [team.bank_id]
    in_scope = live_in(banks, prefix="questions__")
    # Topic declares question_count for this annotation; django-stubs takes it for a clash.
    counted = Topic.objects.in_scope(banks).annotate(  # type: ignore[no-redef]
        question_count=Count("questions", filter=in_scope)
    )
    topics = list(counted.order_by("position", "name"))
    if topic_ids is not None:
        topics = [t for t in topics if t.pk in topic_ids]
    question_count = Question.objects.live_in(banks).count()
    marks = ConfidenceMark.objects.filter(
        live_in(banks, prefix="question__"), user_id__in=member_user_ids
    )

    covered_by_topic = defaultdict(int)
    fresh_by_topic = defaultdict(int)
    per_topic = (
        marks.filter(level__gte=COVERED_LEVEL)
        .values("user_id", "question__topics")
        .annotate(n=Count("pk"), fresh=Count("pk", filter=Q(due__gt=now)))
        .order_by()
    )
    for row in per_topic:
        covered_by_topic[row["user_id"], row["question__topics"]] = row["n"]
        fresh_by_topic[row["user_id"], row["question__topics"]] = row["fresh"]

    overall = {
        row["user_id"]: row
        for row in marks.values("user_id")
        .annotate(
            covered=Count("pk", filter=Q(level__gte=COVERED_LEVEL)),
            fresh=Count("pk", filter=Q(level__gte=COVERED_LEVEL, due__gt=now)),
            last=Max("updated_at"),
        )
        .order_by()
    }

    rows = []
    for membership in members:
        stats = overall.get(membership.user_id, {"covered": 0, "fresh": 0, "last": None})
        user_id = membership.user_id
        cells = [
            Cell(
                t, covered_by_topic[user_id, t.pk], t.question_count, fresh_by_topic[user_id, t.pk]
            )
            for t in topics
        ]
        rows.append(
            MemberRow(
                membership, cells, stats["covered"], question_count, stats["last"], stats["fresh"]
            )
        )

    descending = sort.startswith("-")
    key = sort.lstrip("-") or "name"
    if key not in {"name", "overall", "last", *(t.slug for t in topics)}:
        # A column that is not shown (say, a topic outside the chosen set): by name.
        key, descending = "name", False
    # Two stable sorts: ties on the chosen column stay in name order either way.
    rows.sort(key=lambda row: row.user.shown_name.casefold())
    rows.sort(key=_row_sort_key(key, topics), reverse=descending)
    return Matrix(topics, rows, key, descending, question_count)


@dataclass(frozen=True)
class SortHeader:
    """A column heading of the team dashboard: a link that sorts the rows by it."""

    label: str
    url: str
    #: "ascending" or "descending" on the column the rows are sorted by, else "".
    aria_sort: str = ""
    css_class: str = ""


def sort_headers(matrix: Matrix, *, assignment: Assignment | None) -> list[SortHeader]:
    """The matrix's column headings. A first click sorts names A to Z and numbers highest
    first; a click on the sorted column reverses it. Each link keeps the assignment."""
    columns = [
        ("name", "Member"),
        ("overall", f"Overall (of {matrix.question_count})"),
        ("last", "Last activity"),
        *((topic.slug, topic.name) for topic in matrix.topics),
    ]
    headers = []
    for key, label in columns:
        sorted_here = matrix.sort == key
        if key == "name":
            descending = sorted_here and not matrix.descending
        else:
            descending = not (sorted_here and matrix.descending)
        query = {"sort": ("-" if descending else "") + key}
        if assignment is not None:
            query["assignment"] = str(assignment.pk)
        aria_sort = ("descending" if matrix.descending else "ascending") if sorted_here else ""
        css_class = "member" if key == "name" else ""
        headers.append(SortHeader(label, "?" + urlencode(query), aria_sort, css_class))
    return headers


def _row_sort_key(key: str, topics: list[Topic]) -> Callable[[MemberRow], Any]:
    if key == "overall":
        return lambda row: row.covered
    if key == "last":
        return lambda row: row.last_activity.timestamp() if row.last_activity else 0.0
    slugs = [t.slug for t in topics]
    if key in slugs:
        index = slugs.index(key)
        return lambda row: row.cells[index].percent
    return lambda row: row.user.shown_name.casefold()


@dataclass
class MemberStatus:
    membership: Membership
    progress: Progress
    last_activity: datetime | None


def progress_of_learners(team: Team, question_ids: set[int]) -> list[MemberStatus]:
    """Each learner's progress on a set of questions (an assignment, a topic)."""
    return progress_of_learners_by_set(team, {"only": question_ids})["only"]


_Key = TypeVar("_Key", bound=Hashable)


def progress_of_learners_by_set(
    team: Team, sets: Mapping[_Key, set[int]]
) -> dict[_Key, list[MemberStatus]]:
    """Each learner's progress on each of several question sets, in two queries.

    One aggregate counts, per learner, covered and rated questions of every set
    with conditional counts, so the query count does not grow with the sets.
    """
    members = list(team.memberships.learners().select_related("user"))
    keyed = [(key, ids, f"s{index}") for index, (key, ids) in enumerate(sets.items()) if ids]
    annotations: dict[str, Aggregate] = {}
    for _key, ids, alias in keyed:
        in_set = Q(question_id__in=ids)
        annotations[f"{alias}_covered"] = Count("pk", filter=in_set & Q(level__gte=COVERED_LEVEL))
        annotations[f"{alias}_rated"] = Count("pk", filter=in_set)
        annotations[f"{alias}_last"] = Max("updated_at", filter=in_set)
    stats = {}
    if annotations and members:
        stats = {
            row["user_id"]: row
            for row in ConfidenceMark.objects.filter(
                user_id__in=team.memberships.learners().values("user_id")
            )
            .values("user_id")
            .annotate(**annotations)
            .order_by()
        }
    aliases = {key: alias for key, _ids, alias in keyed}
    result: dict[_Key, list[MemberStatus]] = {}
    for key, ids in sets.items():
        prefix = aliases.get(key)
        statuses = []
        for membership in members:
            row = stats.get(membership.user_id, {}) if prefix else {}
            progress = Progress(
                row.get(f"{prefix}_covered", 0), len(ids), row.get(f"{prefix}_rated", 0)
            )
            statuses.append(MemberStatus(membership, progress, row.get(f"{prefix}_last")))
        statuses.sort(key=lambda s: (-s.progress.covered, s.membership.user.shown_name))
        result[key] = statuses
    return result


def group_by_state(statuses: list[MemberStatus]) -> dict[str, list[MemberStatus]]:
    groups: dict[str, list[MemberStatus]] = {COMPLETE: [], IN_PROGRESS: [], NOT_STARTED: []}
    for status in statuses:
        groups[status.progress.state].append(status)
    return groups


def assignment_statuses(
    team: Team, assignments: list[Assignment]
) -> list[tuple[Assignment, dict[str, list[MemberStatus]]]]:
    """Each assignment with the team's learners grouped by their progress on it."""
    held = TopicSet.objects.filter(pk__in={a.topic_set_id for a in assignments}).question_ids()
    by_assignment = progress_of_learners_by_set(
        team, {a.pk: held.get(a.topic_set_id, set()) for a in assignments}
    )
    return [(a, group_by_state(by_assignment[a.pk])) for a in assignments]


def topic_sets_with_size(team: Team) -> list[tuple[TopicSet, int]]:
    """The team's topic sets, their topics loaded, each with how many questions it holds."""
    held = team.topic_sets.question_ids()
    topics = Prefetch("topics", queryset=Topic.objects.in_scope([team.bank_id]))
    sets = TopicSet.objects.filter(team=team).prefetch_related(topics)
    return [(s, len(held.get(s.pk, ()))) for s in sets]


def weakest_questions(team: Team, topic: Topic, limit: int = 5) -> list[Question]:
    """The topic's questions the team's learners have covered least, with `covered_by`."""
    learner_ids = team.memberships.learners().values("user_id")
    return list(
        topic.questions.live_in([team.bank_id])
        .annotate(
            covered_by=Count(
                "confidence_marks",
                filter=Q(
                    confidence_marks__user_id__in=learner_ids,
                    confidence_marks__level__gte=COVERED_LEVEL,
                ),
            ),
            rated_by=Count("confidence_marks", filter=Q(confidence_marks__user_id__in=learner_ids)),
        )
        .order_by("covered_by", "rated_by", "position")[:limit]
    )


def topic_ids_of_set(topic_set: TopicSet) -> set[int]:
    """Topics an assignment touches: its whole topics and those of its single questions."""
    whole = set(topic_set.topics.values_list("pk", flat=True))
    singles = set(
        Question.topics.through.objects.filter(question__topic_sets=topic_set).values_list(
            "topic_id", flat=True
        )
    )
    return whole | singles
