"""Read models for teams: assignment progress and the instructors' team dashboard.

Every function here runs a fixed number of queries whatever the number of members,
topics, questions or assignments, and counts in the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import (
    Aggregate,
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower, NullIf
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

_SHORT_NAME_END = re.compile(r",| and ")


def short_topic_name(name: str) -> str:
    """A topic's name cut for a narrow column heading: the part before its first comma
    or " and " ("Deployment and efficiency" → "Deployment"). The full name stays in the
    heading's accessible name, so the short one is always its start."""
    return _SHORT_NAME_END.split(name, maxsplit=1)[0].strip() or name


@dataclass(frozen=True)
class Column:
    """A topic column of the team dashboard. Filtered to an assignment, `total` counts
    only the topic's questions in the assignment; a topic shown beside the assignment
    (`in_assignment` False) counts all of its questions."""

    topic: Topic
    total: int
    in_assignment: bool = True

    @property
    def short_name(self) -> str:
        return short_topic_name(self.topic.name)


@dataclass
class Cell:
    topic: Topic
    covered: int
    total: int
    fresh: int = 0
    #: How many of the cell's questions the learner rated at each level 1–5, in the
    #: levels view; None in the coverage view.
    levels: tuple[int, ...] | None = None
    in_assignment: bool = True
    #: Covered questions whose latest typed answer made at least half of the key points.
    verified: int = 0

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

    @property
    def unrated(self) -> int:
        return self.total - sum(self.levels or ())


@dataclass
class MemberRow:
    membership: Membership
    cells: list[Cell]
    covered: int
    total: int
    last_activity: datetime | None
    fresh: int = 0
    rated: int = 0
    #: Covered questions (of the assignment, when filtered) that are verified.
    verified: int = 0

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def percent(self) -> int:
        return percent(self.covered, self.total)

    @property
    def progress(self) -> Progress:
        return Progress(self.covered, self.total, self.rated)

    @property
    def state(self) -> str:
        """Complete, in progress or not started, as the assignment lists say."""
        return self.progress.state


@dataclass
class Matrix:
    topics: list[Topic]
    rows: list[MemberRow]
    sort: str
    descending: bool
    question_count: int
    columns: list[Column] = field(default_factory=list)
    #: The assignment the grid is filtered to: every figure is over its questions.
    assignment: Assignment | None = None
    #: Cells show the distribution of confidence levels rather than coverage alone.
    levels: bool = False
    #: The topics outside the assignment are shown after its own.
    others: bool = False

    @property
    def outside_count(self) -> int:
        return sum(1 for c in self.columns if not c.in_assignment)


@dataclass
class Grid:
    """The team dashboard before its rows: its columns, what each figure counts, and
    the learners in the order chosen, sorted by the database on a unique key, so that a
    page of them is a slice of one order (`matrix` then reads only that page's marks)."""

    team: Team
    columns: list[Column]
    #: The assignment's questions when filtered to one; None over the whole bank.
    held: set[int] | None
    question_count: int
    sort: str
    descending: bool
    #: The learners (users loaded) in the grid's order, ties by name, then by pk.
    learners: QuerySet[Membership]
    now: datetime
    assignment: Assignment | None = None
    levels: bool = False
    others: bool = False

    def matrix(self, members: Iterable[Membership] | None = None) -> Matrix:
        """The grid over `members` (a page of `learners`, in their order), or over every
        learner. Two queries, whatever the number of members or topics."""
        everyone = members is None
        members = list(self.learners if members is None else members)
        rows = _member_rows(self, members, everyone=everyone)
        return Matrix(
            [c.topic for c in self.columns],
            rows,
            self.sort,
            self.descending,
            self.question_count,
            self.columns,
            self.assignment,
            self.levels,
            self.others,
        )


def team_matrix(
    team: Team,
    *,
    assignment: Assignment | None = None,
    others: bool = False,
    levels: bool = False,
    sort: str = "",
    now: datetime | None = None,
) -> Matrix:
    """Every learner's row of the team dashboard (the CSV's): team_grid's, all of them."""
    grid = team_grid(team, assignment=assignment, others=others, levels=levels, sort=sort, now=now)
    return grid.matrix()


def team_grid(
    team: Team,
    *,
    assignment: Assignment | None = None,
    others: bool = False,
    levels: bool = False,
    sort: str = "",
    now: datetime | None = None,
) -> Grid:
    """Learners × topics with coverage in each cell, overall coverage and last activity;
    `fresh` counts covered questions not yet due for review at `now`, `verified` those
    whose latest typed answer made at least half of the key points (the same aggregates
    count both, so neither costs a query).

    Filtered to an assignment, the columns are the topics it touches (its whole topics,
    then those reached only through its single questions) and every figure, "Overall"
    included, counts the assignment's questions only, so it agrees with the assignment's
    Complete / In progress / Not started lists; `others` adds the remaining topics after
    them, with whole-topic figures. `levels` counts each cell's marks at each level. A
    topic with no question the team sees (only another team's or retired ones) is no
    column: it would read 0/0.

    Two queries here (three filtered to an assignment: its questions take two instead of
    the bank's count), then the learners' (one, or a COUNT and a page) and two for the
    rows (Grid.matrix), whatever the number of members, topics, questions or assignments.
    """
    now = now or timezone.now()
    # The team sees the library and its own bank: another team's questions, even in a
    # library topic, and retired ones count for nothing here.
    banks = [team.bank_id]
    in_scope = live_in(banks, prefix="questions__")
    # Topic declares question_count for this annotation; django-stubs takes it for a clash.
    counted = Topic.objects.in_scope(banks).annotate(  # type: ignore[no-redef]
        question_count=Count("questions", filter=in_scope)
    )
    held: set[int] | None = None
    if assignment is not None:
        held = assignment.topic_set.question_ids()  # live and the team's: two queries
        placed = _with_place_in_set(counted, assignment.topic_set_id, held, in_scope)
        topics = list(placed.order_by("position", "name"))
        question_count = len(held)
    else:
        topics = list(counted.order_by("position", "name"))
        question_count = Question.objects.live_in(banks).count()
    columns = _columns(topics, held, others=others)

    descending = sort.startswith("-")
    key = sort.lstrip("-") or "name"
    keys = {"name", "overall", "last", *(c.topic.slug for c in columns)}
    if held is not None:
        keys.add("status")
    if key not in keys:
        # A column that is not shown (say, a topic outside the chosen set): by name.
        key, descending = "name", False
    learners = team.memberships.learners().select_related("user")
    ordered = _in_grid_order(learners, team, key, descending, columns, held, question_count)
    return Grid(
        team,
        columns,
        held,
        question_count,
        key,
        descending,
        ordered,
        now,
        assignment,
        levels,
        others and held is not None,
    )


def members_in_order(team: Team) -> QuerySet[Membership]:
    """The team's members, users loaded: instructors ("instructor" sorts before
    "learner"), then learners, each by the name shown (ignoring case), then by pk: a
    unique key, so that pages of them never repeat or skip a member."""
    members = team.memberships.select_related("user").alias(_name=_shown_name_key())
    return members.order_by("role", "_name", "pk")


def _shown_name_key() -> Lower:
    """User.shown_name, lowercased, in the database: the display name, or the username
    when there is none."""
    return Lower(Coalesce(NullIf("user__display_name", Value("")), "user__username"))


def _marks_of_learner(banks: list[int]) -> QuerySet[ConfidenceMark]:
    """The marks, in the team's scope, of the learner of the outer membership query."""
    return ConfidenceMark.objects.filter(
        live_in(banks, prefix="question__"), user_id=OuterRef("user_id")
    )


def count_of(marks: QuerySet[ConfidenceMark]) -> Coalesce:
    """How many of `marks` (correlated to an outer query), as an expression: 0 for none."""
    counted = marks.order_by().values("user_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def _in_grid_order(
    learners: QuerySet[Membership],
    team: Team,
    key: str,
    descending: bool,
    columns: list[Column],
    held: set[int] | None,
    question_count: int,
) -> QuerySet[Membership]:
    """The learners sorted on the grid's column `key`: names A to Z (or Z to A); numbers
    and dates with ties in name order either way, then by pk, so the order is total.
    The figures sorted on are counted in the database, as the cells count them: a
    topic's cells by their covered count (the column's total is the same in each row)."""
    name = _shown_name_key()
    if key == "name":
        first = name.desc() if descending else name.asc()
        return learners.alias(_name=name).order_by(first, "pk")
    marks = _marks_of_learner([team.bank_id])
    covering = Q(level__gte=COVERED_LEVEL)
    in_set = Q(question_id__in=held) if held else Q(pk__in=[])
    in_overall = in_set if held is not None else Q()
    value: Any
    if key == "last":
        # A learner who never studied sorts first, as the oldest, and last descending.
        value = Subquery(marks.order_by("-updated_at").values("updated_at")[:1])
    elif key in ("overall", "status"):
        covered = count_of(marks.filter(in_overall & covering))
        value = covered
        if key == "status":
            # Not started, in progress, complete; then by covered within each.
            rated = count_of(marks.filter(in_overall))
            complete = [When(Q(_covered__gte=question_count), then=2)] if question_count else []
            learners = learners.alias(_covered=covered, _rated=rated)
            state = Case(*complete, When(Q(_rated__gt=0), then=1), default=0)
            learners = learners.alias(_rank=state)
            order = [F("_rank"), F("_covered")]
            return learners.alias(_name=name).order_by(
                *(o.desc() if descending else o.asc() for o in order), "_name", "pk"
            )
    else:
        column = next(c for c in columns if c.topic.slug == key)
        in_topic = Q(question__topics=column.topic.pk) & covering
        if held is not None and column.in_assignment:
            in_topic &= in_set
        value = count_of(marks.filter(in_topic))
    ordering = (
        F("_value").desc(nulls_last=True) if descending else F("_value").asc(nulls_first=True)
    )
    return learners.alias(_value=value, _name=name).order_by(ordering, "_name", "pk")


def _member_rows(grid: Grid, members: list[Membership], *, everyone: bool) -> list[MemberRow]:
    """The grid's rows of `members`, in their order: two aggregates over their marks
    (per topic, and overall), whatever their number."""
    banks = [grid.team.bank_id]
    held, levels, others = grid.held, grid.levels, grid.others
    users: Any = (
        grid.team.memberships.learners().values("user_id")
        if everyone
        else [m.user_id for m in members]
    )
    marks = ConfidenceMark.objects.filter(live_in(banks, prefix="question__"), user_id__in=users)
    in_set = Q(question_id__in=held) if held else Q(pk__in=[])
    covering = Q(level__gte=COVERED_LEVEL)
    fresh_mark = Q(due__gt=grid.now)
    verified_mark = covering & Q(recalled_half=True)

    # Per learner and topic (and level, in the levels view): "all" counts every question
    # of the topic, "in" only the assignment's.
    group = ["user_id", "question__topics", *(["level"] if levels else [])]
    per_topic = marks.values(*group)
    if not levels:
        per_topic = per_topic.filter(covering)
    counts: dict[str, Aggregate] = {}
    scopes = []
    if held is None or others:
        counts |= {
            "n_all": Count("pk"),
            "fresh_all": Count("pk", filter=fresh_mark),
            "verified_all": Count("pk", filter=verified_mark),
        }
        scopes.append("all")
    if held is not None:
        counts |= {
            "n_in": Count("pk", filter=in_set),
            "fresh_in": Count("pk", filter=in_set & fresh_mark),
            "verified_in": Count("pk", filter=in_set & verified_mark),
        }
        scopes.append("in")
        if not others:
            per_topic = per_topic.filter(in_set)
    # [marks at levels 1–5, covered, fresh, verified] per (learner, topic, scope); a
    # plain loop over tuples, since the levels view reads up to members × topics × 5 rows.
    tally: dict[tuple[int, int, str], list[int]] = {}
    for row in per_topic.annotate(**counts).values_list(*group, *counts).order_by():
        user_id, topic_id = row[0], row[1]
        level = row[2] if levels else COVERED_LEVEL
        for offset, scope in enumerate(scopes):
            start = len(group) + 3 * offset
            n, fresh, verified = row[start : start + 3]
            if not n:
                continue
            numbers = tally.setdefault((user_id, topic_id, scope), [0] * 8)
            numbers[level - 1] += n
            if level >= COVERED_LEVEL:
                numbers[5] += n
                numbers[6] += fresh
                numbers[7] += verified

    in_overall = in_set if held is not None else Q()
    overall = {
        row["user_id"]: row
        for row in marks.values("user_id")
        .annotate(
            covered=Count("pk", filter=in_overall & covering),
            rated=Count("pk", filter=in_overall),
            fresh=Count("pk", filter=in_overall & covering & fresh_mark),
            verified=Count("pk", filter=in_overall & verified_mark),
            # When the learner last studied anything, in the assignment or not.
            last=Max("updated_at"),
        )
        .order_by()
    }

    empty = [0] * 8
    rows = []
    nothing = {"covered": 0, "rated": 0, "fresh": 0, "verified": 0, "last": None}
    for membership in members:
        user_id = membership.user_id
        stats = overall.get(user_id, nothing)
        cells = []
        for column in grid.columns:
            scope = "in" if held is not None and column.in_assignment else "all"
            numbers = tally.get((user_id, column.topic.pk, scope), empty)
            cells.append(
                Cell(
                    column.topic,
                    numbers[5],
                    column.total,
                    numbers[6],
                    tuple(numbers[:5]) if levels else None,
                    column.in_assignment,
                    numbers[7],
                )
            )
        rows.append(
            MemberRow(
                membership,
                cells,
                stats["covered"],
                grid.question_count,
                stats["last"],
                stats["fresh"],
                stats["rated"],
                stats["verified"],
            )
        )
    return rows


def _with_place_in_set(
    topics: QuerySet[Topic], topic_set_id: int, held: set[int], in_scope: Q
) -> QuerySet[Topic]:
    """Topics annotated with how they stand in a topic set: `whole` (a whole topic of
    the set), `via_single` (holding one of its single questions) and `held_count` (its
    questions in the set, `held`). Subqueries of the topics' own query, so no query of
    their own."""
    through = TopicSet.questions.through.objects.filter(
        topicset_id=topic_set_id, question_id__in=held, question__topics=OuterRef("pk")
    )
    in_held = Q(questions__in=held) if held else Q(pk__in=[])
    return topics.annotate(
        whole=Exists(
            TopicSet.topics.through.objects.filter(
                topicset_id=topic_set_id, topic_id=OuterRef("pk")
            )
        ),
        via_single=Exists(through) if held else Value(False),
        held_count=Count("questions", filter=in_scope & in_held),
    )


def _columns(topics: list[Topic], held: set[int] | None, *, others: bool) -> list[Column]:
    """The grid's topic columns: every topic; or the assignment's whole topics, then the
    topics only its single questions reach, then (with `others`) the rest. Only topics
    with questions to count: a column of none would read 0/0."""
    if held is None:
        return [Column(t, t.question_count) for t in topics if t.question_count]
    whole = [
        Column(t, t.held_count)  # type: ignore[attr-defined]
        for t in topics
        if t.whole and t.held_count  # type: ignore[attr-defined]
    ]
    via_single = [
        Column(t, t.held_count)  # type: ignore[attr-defined]
        for t in topics
        if t.via_single and not t.whole  # type: ignore[attr-defined]
    ]
    chosen = {t.pk for t in topics if t.whole or t.via_single}  # type: ignore[attr-defined]
    rest = [
        Column(t, t.question_count, False)
        for t in topics
        if t.pk not in chosen and t.question_count
    ]
    return [*whole, *via_single, *(rest if others else [])]


@dataclass(frozen=True)
class SortHeader:
    """A column heading of the team dashboard: a link that sorts the rows by it."""

    label: str
    url: str
    #: "ascending" or "descending" on the column the rows are sorted by, else "".
    aria_sort: str = ""
    css_class: str = ""
    #: The whole heading for screen readers and the tooltip, when `label` is cut short.
    full_label: str = ""


def sort_headers(matrix: Matrix, *, assignment: Assignment | None) -> list[SortHeader]:
    """The matrix's column headings. A first click sorts names A to Z and numbers highest
    first; a click on the sorted column reverses it. Each link keeps the assignment and
    the other choices of the filter form."""
    overall = "Assignment" if assignment is not None else "Overall"
    columns: list[tuple[str, str, str, str]] = [
        ("name", "Member", "", "member"),
        ("overall", f"{overall} (of {matrix.question_count})", "", ""),
    ]
    if assignment is not None:
        columns.append(("status", "Status", "", ""))
    columns.append(("last", "Last activity", "", ""))
    first_outside = True
    for column in matrix.columns or [Column(t, t.question_count) for t in matrix.topics]:
        name = column.topic.name
        short = column.short_name
        css_class = "topic"
        full = name if short != name else ""
        if not column.in_assignment:
            css_class += " outside" + (" first-outside" if first_outside else "")
            first_outside = False
            full = f"{name} (not in the assignment)"
        columns.append((column.topic.slug, short, full, css_class))
    kept = {}
    if assignment is not None:
        kept["assignment"] = str(assignment.pk)
        if matrix.others:
            kept["others"] = "1"
    if matrix.levels:
        kept["cells"] = "levels"
    headers = []
    for key, label, full, css_class in columns:
        sorted_here = matrix.sort == key
        if key == "name":
            descending = sorted_here and not matrix.descending
        else:
            descending = not (sorted_here and matrix.descending)
        query = {"sort": ("-" if descending else "") + key, **kept}
        aria_sort = ("descending" if matrix.descending else "ascending") if sorted_here else ""
        headers.append(SortHeader(label, "?" + urlencode(query), aria_sort, css_class, full))
    return headers


@dataclass
class MemberStatus:
    membership: Membership
    progress: Progress
    last_activity: datetime | None


def progress_of_learners(team: Team, question_ids: set[int]) -> list[MemberStatus]:
    """Each learner's progress on a set of questions (an assignment, a topic)."""
    return progress_of_learners_by_set(team, {"only": question_ids})["only"]


_Key = TypeVar("_Key", bound=Hashable)


def _progress_by_set(
    team: Team, sets: Mapping[_Key, set[int]]
) -> Callable[[_Key, int], tuple[Progress, datetime | None]]:
    """One aggregate that counts, per learner, the covered and rated questions of every
    set with conditional counts (so the query count does not grow with the sets), as a
    function of (set, user id) giving that learner's progress and last mark on it."""
    keyed = [(key, ids, f"s{index}") for index, (key, ids) in enumerate(sets.items()) if ids]
    annotations: dict[str, Aggregate] = {}
    for _key, ids, alias in keyed:
        # One set (the usual case): every mark the query reads is in it, so its counts
        # need no test of each mark against the set (three per mark, once a set has
        # a thousand questions, were most of the big team dashboard's time).
        in_set = Q() if len(keyed) == 1 else Q(question_id__in=ids)
        annotations[f"{alias}_covered"] = Count("pk", filter=in_set & Q(level__gte=COVERED_LEVEL))
        annotations[f"{alias}_rated"] = Count("pk", filter=in_set or None)
        annotations[f"{alias}_last"] = Max("updated_at", filter=in_set or None)
    stats: dict[int, dict[str, Any]] = {}
    if annotations:
        # Only the marks on a question of some set: read from mark_user_coverage alone.
        in_any = set().union(*(ids for _key, ids, _alias in keyed))
        stats = {
            row["user_id"]: row
            for row in ConfidenceMark.objects.filter(
                user_id__in=team.memberships.learners().values("user_id"),
                question_id__in=in_any,
            )
            .values("user_id")
            .annotate(**annotations)
            .order_by()
        }
    aliases = {key: alias for key, _ids, alias in keyed}

    def progress(key: _Key, user_id: int) -> tuple[Progress, datetime | None]:
        prefix = aliases.get(key)
        row = stats.get(user_id, {}) if prefix else {}
        covered, rated = row.get(f"{prefix}_covered", 0), row.get(f"{prefix}_rated", 0)
        return Progress(covered, len(sets[key]), rated), row.get(f"{prefix}_last")

    return progress


def progress_of_learners_by_set(
    team: Team, sets: Mapping[_Key, set[int]]
) -> dict[_Key, list[MemberStatus]]:
    """Each learner's progress on each of several question sets, in two queries: every
    learner with their user (for an export or a page of them all), and their counts
    (_progress_by_set). The most covered first, ties by name."""
    members = list(team.memberships.learners().select_related("user"))
    if not members:
        return {key: [] for key in sets}
    progress = _progress_by_set(team, sets)
    result: dict[_Key, list[MemberStatus]] = {}
    for key in sets:
        statuses = [MemberStatus(m, *progress(key, m.user_id)) for m in members]
        statuses.sort(key=lambda s: (-s.progress.covered, s.membership.user.shown_name))
        result[key] = statuses
    return result


#: How many names the dashboard shows in each state of an assignment; the grid, filtered
#: to the assignment, pages through them all.
STATUS_NAMES_SHOWN = 10


@dataclass
class StateGroup:
    """The learners in one state of an assignment: how many, and the first few."""

    count: int
    first: list[MemberStatus]

    @property
    def more(self) -> int:
        return self.count - len(self.first)


@dataclass
class LearnersOnQuestions:
    """The team's learners by their progress on a set of questions (a topic's): the
    most advanced first (complete, then by covered), ties by name, then pk."""

    #: Every learner's membership id, in that order.
    ordered: list[int]
    total: int
    #: How many learners are in each state, over the whole team.
    counts: dict[str, int]
    #: Each learner's (covered, rated), by user id; a learner with neither is missing.
    progress: dict[int, tuple[int, int]]

    @property
    def learner_count(self) -> int:
        return sum(self.counts.values())

    def statuses(self, membership_ids: Sequence[int]) -> list[MemberStatus]:
        """Some of `ordered` (a page) as MemberStatus rows, their users loaded: one query."""
        members = Membership.objects.select_related("user").in_bulk(membership_ids)
        statuses = []
        for pk in membership_ids:
            member = members.get(pk)
            if member is None:  # left the team since it was counted
                continue
            covered, rated = self.progress.get(member.user_id, (0, 0))
            statuses.append(MemberStatus(member, Progress(covered, self.total, rated), None))
        return statuses


#: A team learner's mark on a question: (user id, question id, level).
TeamMark = tuple[int, int, int]


def _covered_and_rated(marks: list[TeamMark], by: int) -> dict[int, tuple[int, int]]:
    """(covered, rated) counts of `marks` by their user id (`by` 0) or question id (1)."""
    tally: dict[int, list[int]] = {}
    for mark in marks:
        counts = tally.setdefault(mark[by], [0, 0])
        counts[0] += mark[2] >= COVERED_LEVEL
        counts[1] += 1
    return {key: (covered, rated) for key, (covered, rated) in tally.items()}


def team_marks_on(team: Team, question_ids: set[int]) -> list[TeamMark]:
    """The team's learners' marks on `question_ids`, as (user, question, level): one
    query, which reads them from mark_user_coverage alone. The team topic page counts
    them by learner and by question from this one read."""
    if not question_ids:
        return []
    return list(
        ConfidenceMark.objects.filter(
            user_id__in=team.memberships.learners().values("user_id"),
            question_id__in=question_ids,
        )
        .order_by()
        .values_list("user_id", "question_id", "level")
    )


def learners_on_questions(
    team: Team, question_ids: set[int], *, marks: list[TeamMark] | None = None
) -> LearnersOnQuestions:
    """Each learner's progress on `question_ids`, from the team's learners' marks on them
    (`marks`, when the caller has read them with team_marks_on) and the learners in name
    order, which Python sorts by progress (a stable sort, so ties stay in name order).

    The work grows with the marks the team's learners have, not with learners times
    questions: per-learner counts the database made for its own ordering probed each
    question for each learner (152 ms for 1,000 learners and a topic of 500 questions at
    100× the data on SQLite; bench/results/2026-12-04-team-topic.md)."""
    total = len(question_ids)
    learners = team.memberships.learners()
    if marks is None:
        marks = team_marks_on(team, question_ids)
    progress = _covered_and_rated(marks, by=0)

    def state(user_id: int) -> str:
        covered, rated = progress.get(user_id, (0, 0))
        # With no question, nobody has completed it.
        if total and covered >= total:
            return COMPLETE
        return IN_PROGRESS if rated else NOT_STARTED

    by_name = learners.alias(_name=_shown_name_key()).order_by("_name", "pk")
    members = list(by_name.values_list("pk", "user_id"))
    rank = {COMPLETE: 2, IN_PROGRESS: 1, NOT_STARTED: 0}
    members.sort(key=lambda m: (-rank[state(m[1])], -progress.get(m[1], (0, 0))[0]))
    counts = {COMPLETE: 0, IN_PROGRESS: 0, NOT_STARTED: 0}
    for _pk, user_id in members:
        counts[state(user_id)] += 1
    return LearnersOnQuestions([pk for pk, _user_id in members], total, counts, progress)


def group_by_state(statuses: list[MemberStatus]) -> dict[str, list[MemberStatus]]:
    groups: dict[str, list[MemberStatus]] = {COMPLETE: [], IN_PROGRESS: [], NOT_STARTED: []}
    for status in statuses:
        groups[status.progress.state].append(status)
    return groups


def assignment_statuses(
    team: Team, assignments: list[Assignment], *, shown: int = STATUS_NAMES_SHOWN
) -> list[tuple[Assignment, dict[str, StateGroup]]]:
    """Each assignment with the team's learners counted by their progress on it, and the
    first `shown` of each state (the most covered first, ties by name) with their users.

    Four queries, whatever the team's size: the sets' questions (two), every learner's
    counts (one aggregate), and their names; only the learners shown are loaded whole
    (one query), where making all 1,000 of a big team with their users was half the
    dashboard's time at 100× the data."""
    if not assignments:
        return []
    held = TopicSet.objects.filter(pk__in={a.topic_set_id for a in assignments}).question_ids()
    sets = {a.pk: held.get(a.topic_set_id, set()) for a in assignments}
    learners = list(
        team.memberships.learners().values_list(
            "pk", "user_id", "user__display_name", "user__username"
        )
    )
    progress = _progress_by_set(team, sets) if learners else None
    chosen: dict[int, dict[str, list[tuple[int, Progress, datetime | None]]]] = {}
    counts: dict[int, dict[str, int]] = {}
    for assignment in assignments:
        rows = [
            (pk, display_name or username, *progress(assignment.pk, user_id))
            for pk, user_id, display_name, username in learners
            if progress is not None
        ]
        rows.sort(key=lambda row: (-row[2].covered, row[1]))
        by_state: dict[str, list[tuple[int, Progress, datetime | None]]] = {
            COMPLETE: [],
            IN_PROGRESS: [],
            NOT_STARTED: [],
        }
        tally = {COMPLETE: 0, IN_PROGRESS: 0, NOT_STARTED: 0}
        for pk, _name, state_progress, last in rows:
            state = state_progress.state
            tally[state] += 1
            if len(by_state[state]) < shown:
                by_state[state].append((pk, state_progress, last))
        chosen[assignment.pk], counts[assignment.pk] = by_state, tally
    wanted = {pk for by_state in chosen.values() for rows in by_state.values() for pk, *_ in rows}
    members = Membership.objects.select_related("user").in_bulk(wanted) if wanted else {}
    return [
        (
            assignment,
            {
                state: StateGroup(
                    counts[assignment.pk][state],
                    # A learner who left the team since it was counted is left out.
                    [MemberStatus(members[pk], p, last) for pk, p, last in rows if pk in members],
                )
                for state, rows in chosen[assignment.pk].items()
            },
        )
        for assignment in assignments
    ]


def topic_sets_with_size(team: Team) -> list[tuple[TopicSet, int]]:
    """The team's topic sets, their topics loaded, each with how many questions it holds."""
    held = team.topic_sets.question_ids()
    topics = Prefetch("topics", queryset=Topic.objects.in_scope([team.bank_id]))
    sets = TopicSet.objects.filter(team=team).prefetch_related(topics)
    return [(s, len(held.get(s.pk, ()))) for s in sets]


def weakest_questions(
    team: Team,
    topic: Topic,
    limit: int = 5,
    *,
    positions: dict[int, int] | None = None,
    marks: list[TeamMark] | None = None,
) -> list[Question]:
    """The topic's questions the team's learners have covered least (then rated least,
    then in question order), with `covered_by` and `rated_by`.

    Counted from the team's learners' marks on the topic's questions (`marks`, when the
    caller has read them with team_marks_on), by question: the work grows with what the
    team has rated, not with every learner's marks on the topic (which joining from the
    questions read: 458 ms on SQLite and 1.8 s on PostgreSQL at 100× the data, against
    105 and 112 ms this way). Only the questions' positions are read to sort them
    (`positions`, {id: position} of the topic's live questions, when the caller has read
    them), and only the `limit` weakest are loaded."""
    if positions is None:
        positions = dict(topic.questions.live_in([team.bank_id]).values_list("pk", "position"))
    if marks is None:
        marks = team_marks_on(team, set(positions))
    tally = _covered_and_rated(marks, by=1)

    def weakness(row: tuple[int, int]) -> tuple[int, int, int, int]:
        pk, position = row
        covered_by, rated_by = tally.get(pk, (0, 0))
        return covered_by, rated_by, position, pk

    chosen = [pk for pk, _position in sorted(positions.items(), key=weakness)[:limit]]
    if not chosen:
        return []
    loaded = Question.objects.only("key", "position", "text", "bank_id").in_bulk(chosen)
    weakest = []
    for pk in chosen:
        question = loaded.get(pk)
        if question is None:  # deleted since it was counted
            continue
        question.covered_by, question.rated_by = tally.get(pk, (0, 0))  # type: ignore[attr-defined]
        weakest.append(question)
    return weakest
