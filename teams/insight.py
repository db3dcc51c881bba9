"""Read models for instructor insight: one learner of a team in full, the questions
the team's learners find hard, and the team's calibration (confidence against checked
recall, per topic).

As on the team dashboard, only the team's learners count (never its instructors or
another team's members), and only the questions of the team's scope: the library and
the team's own bank, none retired. Each function runs a fixed number of queries whatever
the number of learners, topics, questions or ratings, and counts in the database.
A learner's notes and typed answers (progress.models.RecallCheck) are never read here:
calibration reads only the scores copied onto the marks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.db.models import (
    Count,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode

from accounts.models import User
from progress.calibration import HIGH_LEVEL, Verdict, promise_of, rounded_average, verdict
from progress.models import COVERED_LEVEL, Confidence, ConfidenceEvent, ConfidenceMark
from progress.recall import EXPECTED_RECALL
from questions.models import Question, Topic, live_in, percent
from teams.models import Assignment, Membership, Team, TopicSet
from teams.selectors import COMPLETE, Progress

#: The confidence levels 1–5 with their names, in order.
LEVELS: list[tuple[int, str]] = [(int(value), str(label)) for value, label in Confidence.choices]
#: Levels that count as struggling: Not yet and Shaky.
STRUGGLING_LEVELS = (Confidence.NOT_YET, Confidence.SHAKY)

#: Weeks of activity on the learner page; questions at Not yet or Shaky listed there.
ACTIVITY_WEEKS = 12
LOWEST_SHOWN = 10
#: How far back the hard-questions report looks for its change column.
CHANGE_DAYS = 28


def _level_counts(pairs: dict[int, int]) -> list[int]:
    """Counts at levels 1–5 from {level: count}."""
    return [pairs.get(level, 0) for level, _name in LEVELS]


@dataclass(frozen=True)
class LevelShare:
    """One line of a confidence distribution: a level (None: not rated) and its count."""

    level: int | None
    label: str
    count: int
    percent: int


def distribution(levels: list[int], unrated: int) -> list[LevelShare]:
    total = sum(levels) + unrated
    shares = [
        LevelShare(level, label, n, percent(n, total))
        for (level, label), n in zip(LEVELS, levels, strict=True)
    ]
    shares.append(LevelShare(None, "Not rated", unrated, percent(unrated, total)))
    return shares


@dataclass
class RecallFigures:
    """Checked marks (marks with a typed answer's score on them) added up: how many,
    the recall scores their levels promise (progress.recall.EXPECTED_RECALL) and the
    scores they got. Averages are rounded half up and the gap and verdict come from the
    rounded figures, as on the learner's calibration page, so the words agree with the
    numbers shown."""

    checks: int = 0
    promised_total: int = 0
    recall_total: int = 0
    #: Checked marks rated Confident or higher whose check made under half the key points.
    sure_but_short: int = 0
    #: Covered marks whose check made at least half the key points.
    verified: int = 0

    def add_level(
        self, level: int, checks: int, recall_total: int, under_half: int, made_half: int
    ) -> None:
        """Count `checks` marks at `level` (`under_half` of them made under half of the
        key points, `made_half` at least half)."""
        self.checks += checks
        self.promised_total += EXPECTED_RECALL[Confidence(level)] * checks
        self.recall_total += recall_total
        if level >= HIGH_LEVEL:
            self.sure_but_short += under_half
        if level >= COVERED_LEVEL:
            self.verified += made_half

    @property
    def promised(self) -> int | None:
        """The average recall the ratings promise; None with nothing checked."""
        return rounded_average(self.promised_total, self.checks) if self.checks else None

    @property
    def recalled(self) -> int | None:
        return rounded_average(self.recall_total, self.checks) if self.checks else None

    @property
    def gap(self) -> int | None:
        """Promise minus recall, in points: above 0 the ratings promise more."""
        if self.promised is None or self.recalled is None:
            return None
        return self.promised - self.recalled

    @property
    def gap_text(self) -> str:
        """ "+18", "−7", "0"; "—" with nothing checked."""
        gap = self.gap
        if gap is None:
            return "—"
        return f"{'−' if gap < 0 else '+' if gap > 0 else ''}{abs(gap)}"

    @property
    def verdict(self) -> Verdict | None:
        gap = self.gap
        return None if gap is None else verdict(gap)


# --- One learner in full -------------------------------------------------------------


@dataclass
class TopicRow:
    """A topic of the team's scope with the learner's marks on its questions by level."""

    topic: Topic
    total: int
    levels: list[int]
    #: The learner's checked marks on the topic's questions, with their recall.
    recall: RecallFigures = field(default_factory=RecallFigures)

    @property
    def covered(self) -> int:
        return sum(self.levels[COVERED_LEVEL - 1 :])

    @property
    def rated(self) -> int:
        return sum(self.levels)

    @property
    def unrated(self) -> int:
        return max(self.total - self.rated, 0)

    @property
    def percent(self) -> int:
        return percent(self.covered, self.total)


@dataclass(frozen=True)
class ActivityWeek:
    """Ratings made in the week starting on `start` (a Monday, in the viewer's zone)."""

    start: date
    count: int

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


@dataclass(frozen=True)
class ActivityBar:
    week: ActivityWeek
    x: float
    y: float
    width: float
    height: float
    label: str

    @property
    def middle(self) -> float:
        return self.x + self.width / 2


@dataclass
class ActivityChart:
    """The weeks placed as bars of an SVG drawn on the server (sizes are attributes)."""

    bars: list[ActivityBar]
    width: int
    height: int
    baseline: float
    summary: str


@dataclass(frozen=True)
class MissingQuestion:
    """A question of an assignment the learner has not covered, with their level."""

    question: Question
    level: int | None

    @property
    def level_label(self) -> str:
        return Confidence(self.level).label if self.level else "Not rated"


@dataclass
class AssignmentGap:
    """An assignment, the learner's progress on it and the questions still missing."""

    assignment: Assignment
    progress: Progress
    missing: list[MissingQuestion]

    @property
    def missing_count(self) -> int:
        return self.progress.total - self.progress.covered

    @property
    def is_overdue(self) -> bool:
        due = self.assignment.due_date
        return bool(due and due < timezone.localdate() and self.progress.state != COMPLETE)


@dataclass
class MemberInsight:
    membership: Membership
    question_count: int
    levels: list[int]
    last_activity: datetime | None
    topics: list[TopicRow]
    activity: list[ActivityWeek]
    assignments: list[AssignmentGap]
    lowest: list[ConfidenceMark]
    #: All of the learner's checked marks in the team's scope, each question once.
    recall: RecallFigures = field(default_factory=RecallFigures)

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def calibrated_topics(self) -> list[TopicRow]:
        """The topics with a checked mark, the most over-confident first (then in topic
        order): per learner, this page is the only place that shows them."""
        return _by_gap([row for row in self.topics if row.recall.checks], lambda r: r.recall)

    @property
    def covered(self) -> int:
        return sum(self.levels[COVERED_LEVEL - 1 :])

    @property
    def rated(self) -> int:
        return sum(self.levels)

    @property
    def percent(self) -> int:
        return percent(self.covered, self.question_count)

    @property
    def distribution(self) -> list[LevelShare]:
        return distribution(self.levels, max(self.question_count - self.rated, 0))

    @property
    def unrated(self) -> int:
        return max(self.question_count - self.rated, 0)

    @property
    def activity_total(self) -> int:
        return sum(week.count for week in self.activity)

    @property
    def activity_chart(self) -> ActivityChart:
        return activity_chart(self.activity)


def member_insight(
    team: Team, membership: Membership, *, now: datetime | None = None
) -> MemberInsight:
    """Everything the member page shows about one learner of `team`, in ten queries:
    coverage per topic (topics with questions in the scope) and overall, the confidence
    distribution, ratings per week, each assignment with every question still missing,
    the questions rated Not yet or Shaky, lowest first, and confidence against checked
    recall per topic and overall (counted by the coverage queries, so no query more:
    scores only, never a typed answer)."""
    now = now or timezone.now()
    banks = [team.bank_id]
    user = membership.user
    marks = ConfidenceMark.objects.filter(live_in(banks, prefix="question__"), user=user)

    question_count = Question.objects.live_in(banks).count()
    in_scope = live_in(banks, prefix="questions__")
    # Topic declares question_count for this annotation; django-stubs takes it for a clash.
    counted = Topic.objects.in_scope(banks).annotate(  # type: ignore[no-redef]
        question_count=Count("questions", filter=in_scope)
    )
    topics = list(counted.order_by("position", "name"))

    by_topic: dict[int, dict[int, int]] = defaultdict(dict)
    recall_by_topic: dict[int, RecallFigures] = defaultdict(RecallFigures)
    per_topic = marks.values("question__topics", "level").annotate(n=Count("pk"), **_CHECKED)
    for row in per_topic.order_by():
        by_topic[row["question__topics"]][row["level"]] = row["n"]
        _add_checked(recall_by_topic[row["question__topics"]], row)
    # A topic can hold only questions out of the scope (another team's, retired ones).
    topic_rows = [
        TopicRow(t, t.question_count, _level_counts(by_topic[t.pk]), recall_by_topic[t.pk])
        for t in topics
        if t.question_count
    ]

    overall = list(
        marks.values("level").annotate(n=Count("pk"), last=Max("updated_at"), **_CHECKED).order_by()
    )
    levels = _level_counts({row["level"]: row["n"] for row in overall})
    last_activity = max((row["last"] for row in overall), default=None)
    recall = RecallFigures()
    for row in overall:
        _add_checked(recall, row)

    lowest = list(
        marks.filter(level__lt=COVERED_LEVEL)
        .select_related("question")
        .order_by("level", "updated_at", "question__position")[:LOWEST_SHOWN]
    )
    return MemberInsight(
        membership=membership,
        question_count=question_count,
        levels=levels,
        last_activity=last_activity,
        topics=topic_rows,
        activity=weekly_activity(user, banks, now=now),
        assignments=assignment_gaps(team, user),
        lowest=lowest,
        recall=recall,
    )


_Row = TypeVar("_Row")

#: Per level, what calibration needs of a group of marks: how many have a check (a
#: recall score), its sum, and how many checks made under half and at least half of the
#: key points.
_CHECKED = {
    "checks": Count("recall"),
    "recall_sum": Sum("recall"),
    "under_half": Count("pk", filter=Q(recall__isnull=False, recalled_half=False)),
    "made_half": Count("pk", filter=Q(recall__isnull=False, recalled_half=True)),
}


def _add_checked(figures: RecallFigures, row: dict[str, Any]) -> None:
    if row["checks"]:
        figures.add_level(
            row["level"], row["checks"], row["recall_sum"], row["under_half"], row["made_half"]
        )


def _by_gap(rows: list[_Row], figures: Callable[[_Row], RecallFigures]) -> list[_Row]:
    """Rows with a gap, the largest first (ties keep their order), then those without."""
    known = [row for row in rows if figures(row).gap is not None]
    unknown = [row for row in rows if figures(row).gap is None]
    known.sort(key=lambda row: -(figures(row).gap or 0))
    return known + unknown


def weekly_activity(
    user: User, banks: list[int], *, now: datetime, weeks: int = ACTIVITY_WEEKS
) -> list[ActivityWeek]:
    """Ratings the user made on the scope's questions in each of the last `weeks` weeks,
    oldest first: Monday-to-Sunday weeks of the current time zone, the last one holding
    today. One query, counting per local day in the database."""
    zone = timezone.get_current_timezone()
    today = timezone.localdate(now)
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    since = timezone.make_aware(datetime.combine(first, time.min), zone)
    per_day = (
        ConfidenceEvent.objects.filter(
            live_in(banks, prefix="question__"), user=user, created_at__gte=since
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = [0] * weeks
    for row in per_day:
        index = (row["day"] - first).days // 7
        if 0 <= index < weeks:
            counts[index] += row["n"]
    return [ActivityWeek(first + timedelta(days=7 * i), n) for i, n in enumerate(counts)]


#: The activity chart's geometry, in SVG units; the sides leave room for the first and
#: last week's labels.
_CHART_WIDTH, _CHART_HEIGHT, _CHART_SIDE = 360, 132, 16
_CHART_TOP, _CHART_BOTTOM = 18, 108


def activity_chart(weeks: list[ActivityWeek]) -> ActivityChart:
    """Bars for the weeks, scaled to the busiest; every other week is labelled, counting
    back from the latest so the current week always is."""
    slot = (_CHART_WIDTH - 2 * _CHART_SIDE) / max(len(weeks), 1)
    most = max((w.count for w in weeks), default=0)
    room = _CHART_BOTTOM - _CHART_TOP
    bars = []
    for index, week in enumerate(weeks):
        height = room * week.count / most if most else 0.0
        if week.count and height < 2:
            height = 2.0
        labelled = (len(weeks) - 1 - index) % 2 == 0
        bars.append(
            ActivityBar(
                week=week,
                x=_CHART_SIDE + index * slot + slot * 0.15,
                y=_CHART_BOTTOM - height,
                width=slot * 0.7,
                height=height,
                label=formats.date_format(week.start, "j M") if labelled else "",
            )
        )
    total = sum(w.count for w in weeks)
    if total:
        busiest = max(weeks, key=lambda w: (w.count, w.start))
        summary = (
            f"Ratings per week over the last {len(weeks)} weeks: {total} in all, most in the "
            f"week of {formats.date_format(busiest.start, 'j M')} ({busiest.count})"
        )
    else:
        summary = f"No ratings in the last {len(weeks)} weeks"
    return ActivityChart(bars, _CHART_WIDTH, _CHART_HEIGHT, float(_CHART_BOTTOM), summary)


def assignment_gaps(team: Team, user: User) -> list[AssignmentGap]:
    """Each assignment of the team with the user's progress and the questions of it the
    user has not covered (position order), in four queries however many assignments."""
    assignments = list(team.assignments.select_related("topic_set"))
    if not assignments:
        return []
    held = TopicSet.objects.filter(pk__in={a.topic_set_id for a in assignments}).question_ids()
    every = {q for ids in held.values() for q in ids}
    level = ConfidenceMark.objects.filter(user=user, question=OuterRef("pk")).values("level")
    not_covered: list[Any] = []
    if every:
        not_covered = list(
            Question.objects.filter(pk__in=every)
            .annotate(my_level=Subquery(level[:1]))
            .filter(Q(my_level__isnull=True) | Q(my_level__lt=COVERED_LEVEL))
            .only("key", "position", "text", "bank_id")
            .order_by("position", "pk")
        )
    gaps = []
    for assignment in assignments:
        ids = held.get(assignment.topic_set_id, set())
        missing = [MissingQuestion(q, q.my_level) for q in not_covered if q.pk in ids]
        rated_missing = sum(1 for m in missing if m.level)
        covered = len(ids) - len(missing)
        gaps.append(
            AssignmentGap(assignment, Progress(covered, len(ids), covered + rated_missing), missing)
        )
    return gaps


# --- The questions the team finds hard ----------------------------------------------


@dataclass
class HardQuestion:
    """A question with its learners' current levels and their Not yet/Shaky share
    `CHANGE_DAYS` days ago (from the events: each learner's latest one by then).

    The report sorts on the question's id and position alone; the question itself (its
    text) is loaded for the rows shown (HardReport.rows_of, HardReport.rows)."""

    pk: int
    position: int
    levels: list[int]
    then_rated: int = 0
    then_struggling: int = 0
    question: Question = field(init=False, repr=False, compare=False)

    @property
    def rated(self) -> int:
        return sum(self.levels)

    @property
    def struggling(self) -> int:
        return self.levels[0] + self.levels[1]

    @property
    def share(self) -> int | None:
        """Percent of those who rated it at Not yet or Shaky; None when nobody did."""
        return percent(self.struggling, self.rated) if self.rated else None

    @property
    def exact_share(self) -> float | None:
        return self.struggling / self.rated if self.rated else None

    @property
    def average(self) -> float | None:
        if not self.rated:
            return None
        return (
            sum(level * n for (level, _), n in zip(LEVELS, self.levels, strict=True)) / self.rated
        )

    @property
    def then_share(self) -> int | None:
        return percent(self.then_struggling, self.then_rated) if self.then_rated else None

    @property
    def change(self) -> int | None:
        """Points the struggling share moved since then; None with nothing to compare."""
        if self.share is None or self.then_share is None:
            return None
        return self.share - self.then_share

    @property
    def change_text(self) -> str:
        """The change as shown: "−20 pts", "+15 pts", "0 pts"; "—" with nothing to compare."""
        change = self.change
        if change is None:
            return "—"
        sign = "−" if change < 0 else "+" if change > 0 else ""
        return f"{sign}{abs(change)} pts"

    @property
    def change_words(self) -> str:
        """The change for a screen reader, with the share it started from."""
        change = self.change
        if change is None:
            return "nothing to compare with"
        then = f"from {self.then_share}% {CHANGE_DAYS} days ago"
        if change == 0:
            return f"no change {then}"
        points = f"{abs(change)} point{'s' if abs(change) != 1 else ''}"
        return f"{'up' if change > 0 else 'down'} {points} {then}"


#: The report's sortable columns. The database sorts on them (hard_questions); rows
#: without a value (nobody rated it, nothing to compare) come last, in question order.
SORT_KEYS = ("struggling", "rated", "average", "change", "number")
DEFAULT_SORT = "-struggling"


@dataclass
class HardReport:
    """The report's question ids in its order (`questions`, to page), their rows
    (`rows_of` a page; `rows` all of them, for the CSV) and how they were chosen."""

    questions: list[int]
    sort: str
    descending: bool
    learner_count: int
    topic: Topic | None = None
    assignment: Assignment | None = None
    cutoff: datetime | None = None
    #: The team's learners' user ids, as a subquery.
    learner_ids: QuerySet[Any, Any] | None = None
    #: Each question's row, by question id.
    by_id: dict[int, HardQuestion] = field(default_factory=dict)
    #: The question ids whose shares then are known.
    then_known: set[int] = field(default_factory=set)

    @property
    def query(self) -> dict[str, str]:
        """The filter and sort as query parameters, for links that keep them."""
        query = {}
        if self.topic is not None:
            query["topic"] = self.topic.slug
        if self.assignment is not None:
            query["assignment"] = str(self.assignment.pk)
        query["sort"] = ("-" if self.descending else "") + self.sort
        return query

    def rows_of(self, question_ids: Iterable[int]) -> list[HardQuestion]:
        """The rows of some of `questions` (a page), in their order, their questions
        loaded, with the shares then: two queries (one when the order needed every
        share then already)."""
        rows = [self.by_id[pk] for pk in question_ids]
        return self._with_shares_then(_with_questions(rows))

    @cached_property
    def rows(self) -> list[HardQuestion]:
        """Every row of the report, in its order, with the shares then."""
        return self.rows_of(self.questions)

    def _with_shares_then(self, rows: list[HardQuestion]) -> list[HardQuestion]:
        wanted = [row.pk for row in rows if row.pk not in self.then_known]
        if not wanted or self.learner_ids is None or self.cutoff is None:
            return rows
        for then in _shares_then(self.learner_ids, wanted, self.cutoff):
            hard = self.by_id.get(then["question_id"])
            if hard is not None:
                hard.then_rated, hard.then_struggling = then["rated"], then["struggling"]
        self.then_known.update(wanted)
        return rows


def hard_questions(
    team: Team,
    *,
    topic: Topic | None = None,
    assignment: Assignment | None = None,
    sort: str = "",
    now: datetime | None = None,
) -> HardReport:
    """One row per live question of the team's scope (of `topic` and/or `assignment` if
    given) with its learners' level counts and the change over `CHANGE_DAYS` days, sorted
    (ties in question order either way, rows without a value last).

    The counts are read from the team's learners' marks, grouped by question and level:
    the work grows with what the team has rated, not with every learner's marks on every
    question of the bank (the database, joining from the questions, read those: 1.4 s at
    100× the data). The questions come in a second query and are sorted here. Three
    queries (five with an assignment: its questions take two), and one more when sorted
    by the change (the shares then of every row)."""
    now = now or timezone.now()
    banks = [team.bank_id]
    learner_ids = team.memberships.learners().values("user_id")
    questions = Question.objects.live_in(banks)
    if topic is not None:
        questions = questions.filter(pk__in=topic.questions.values("pk"))
    if assignment is not None:
        held = TopicSet.objects.filter(pk=assignment.topic_set_id).question_ids()
        questions = questions.filter(pk__in=held.get(assignment.topic_set_id, set()))

    # Ids and positions only: at 100× the data, making 5,000 questions with their text
    # to show 50 cost more than counting their marks.
    in_scope = questions.order_by("position", "pk").values_list("pk", "position")
    by_id = {pk: HardQuestion(pk, position, [0] * len(LEVELS)) for pk, position in in_scope}
    counts = (
        ConfidenceMark.objects.filter(user_id__in=learner_ids)
        .order_by()
        .values("question_id", "level")
        .annotate(n=Count("pk"))
        .values_list("question_id", "level", "n")
    )
    for question_id, level, n in counts:
        row = by_id.get(question_id)
        if row is not None:
            row.levels[level - 1] = n
    cutoff = now - timedelta(days=CHANGE_DAYS)
    key, descending = _parse_sort(sort)
    report = HardReport(
        [],
        key,
        descending,
        team.memberships.learners().count(),
        topic,
        assignment,
        cutoff,
        learner_ids,
        by_id,
    )
    rows = list(by_id.values())
    if key == "change":
        report._with_shares_then(rows)
    value = _SORT_VALUES[key]

    def order(row: HardQuestion) -> tuple[bool, float, int, int]:
        figure = value(row)
        if figure is None:
            return (True, 0.0, row.position, row.pk)
        return (False, -figure if descending else figure, row.position, row.pk)

    report.questions = [row.pk for row in sorted(rows, key=order)]
    return report


def _with_questions(rows: list[HardQuestion]) -> list[HardQuestion]:
    """`rows` with their questions loaded (key, position, text, bank): one query for those
    not loaded yet. A question deleted since the report counted it is left out."""
    wanted = [row.pk for row in rows if not hasattr(row, "question")]
    if wanted:
        loaded = Question.objects.only("key", "position", "text", "bank_id").in_bulk(wanted)
        for row in rows:
            if row.pk in loaded:
                row.question = loaded[row.pk]
    return [row for row in rows if hasattr(row, "question")]


#: The figure the report sorts on, as the rows show it (None where a row shows none).
_SORT_VALUES: dict[str, Callable[[HardQuestion], float | None]] = {
    "number": lambda row: row.position,
    "rated": lambda row: row.rated,
    "struggling": lambda row: row.exact_share,
    "average": lambda row: row.average,
    "change": lambda row: row.change,
}


def _shares_then(
    learner_ids: QuerySet[Any, Any], question_ids: Any, cutoff: datetime
) -> QuerySet[Any, Any]:
    """Per question, how many learners had rated it by `cutoff` and how many of them were
    at Not yet or Shaky then: each learner's latest event before the cutoff counts.

    It starts from the learners' marks on the questions (every event has its mark: a
    rating writes both, and only deleting the learner or the question deletes either),
    looking up each mark's latest event by then through event_user_question_time. Reading
    the events from the learners' side instead, PostgreSQL went through every event of
    each learner (119 ms for a page of 50 questions and a team of 1,000 at 100× the data,
    9 ms now; bench/results/2026-12-05-hard-questions-then.md)."""
    then = (
        ConfidenceEvent.objects.filter(
            user_id=OuterRef("user_id"), question_id=OuterRef("question_id"), created_at__lt=cutoff
        )
        .order_by("-created_at", "-pk")
        .values("level")[:1]
    )
    return (
        ConfidenceMark.objects.filter(user_id__in=learner_ids, question_id__in=question_ids)
        .annotate(then=Subquery(then))
        .values("question_id")
        .annotate(rated=Count("then"), struggling=Count("pk", filter=Q(then__in=STRUGGLING_LEVELS)))
        .order_by()
    )


def _parse_sort(sort: str) -> tuple[str, bool]:
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        sort = DEFAULT_SORT
        key = sort.lstrip("-")
    return key, sort.startswith("-")


@dataclass(frozen=True)
class Header:
    """A column heading of the report: sortable ones link to their sort."""

    label: str
    key: str = ""
    url: str = ""
    aria_sort: str = ""
    css_class: str = ""


#: The report's columns: (sort key or "" when it does not sort, label, CSS class).
#: The share and its change come first after the question, so a phone shows them without
#: scrolling sideways.
_COLUMNS = [
    ("number", "Question", "question"),
    ("struggling", "Not yet or Shaky", "num"),
    ("change", f"Change ({CHANGE_DAYS} days)", "num"),
    ("", "Levels 1–5", "spread"),
    ("rated", "Rated by", "num"),
    ("average", "Average level", "num"),
]


def report_headers(report: HardReport) -> list[Header]:
    """The report's column headings. A first click sorts question numbers up and every
    other column highest first; a click on the sorted column reverses it. Each link keeps
    the topic and assignment chosen."""
    headers = []
    for key, label, css_class in _COLUMNS:
        if not key:
            headers.append(Header(label, css_class=css_class))
            continue
        sorted_here = report.sort == key
        if key == "number":
            descending = sorted_here and not report.descending
        else:
            descending = not (sorted_here and report.descending)
        query = {**report.query, "sort": ("-" if descending else "") + key}
        aria_sort = ("descending" if report.descending else "ascending") if sorted_here else ""
        headers.append(Header(label, key, "?" + urlencode(query), aria_sort, css_class))
    return headers


# --- The team's calibration ---------------------------------------------------------


@dataclass
class TopicCalibration:
    """A topic of the team's scope with its learners' checked marks added up."""

    topic: Topic
    question_count: int
    recall: RecallFigures
    #: Learners with at least one checked mark on the topic's questions.
    learners: int = 0


@dataclass
class TeamCalibration:
    """Per topic, the team's average confidence (as the recall its levels promise)
    against its average checked recall; `overall` counts every checked mark once,
    whichever topics its question is in."""

    learner_count: int
    #: Topics with a check, the most over-confident first (ties in topic order), then
    #: the topics nobody has checked, in topic order.
    topics: list[TopicCalibration]
    overall: RecallFigures
    #: Learners with at least one checked mark.
    learners_checked: int

    @property
    def checked_topics(self) -> list[TopicCalibration]:
        return [row for row in self.topics if row.recall.checks]

    @property
    def overconfident(self) -> list[TopicCalibration]:
        """The topics the team is over-confident in, the most first."""
        return [row for row in self.topics if row.recall.verdict == "over-confident"]


def team_calibration(team: Team) -> TeamCalibration:
    """Confidence against checked recall for the team's learners, per topic of the
    team's scope and overall, in four queries whatever the size of the team: the topics,
    the per-topic sums, the overall sums and the number of learners. Only the scores on
    the learners' marks are read (ConfidenceMark.recall, recalled_half), never a typed
    answer; only learners count, never the team's instructors."""
    banks = [team.bank_id]
    learner_ids = team.memberships.learners().values("user_id")
    # Topic declares question_count for this annotation; django-stubs takes it for a clash.
    counted = Topic.objects.in_scope(banks).annotate(  # type: ignore[no-redef]
        question_count=Count("questions", filter=live_in(banks, prefix="questions__"))
    )
    topics = [t for t in counted.order_by("position", "name") if t.question_count]
    checked = ConfidenceMark.objects.filter(
        live_in(banks, prefix="question__"), user_id__in=learner_ids, recall__isnull=False
    )
    sums = {
        "checks": Count("pk"),
        "learners": Count("user_id", distinct=True),
        "recall_total": Sum("recall"),
        "promised_total": Sum(promise_of("level")),
        "sure_but_short": Count("pk", filter=Q(level__gte=HIGH_LEVEL, recalled_half=False)),
        "verified": Count("pk", filter=Q(level__gte=COVERED_LEVEL, recalled_half=True)),
    }
    by_topic = {
        row["question__topics"]: row
        for row in checked.values("question__topics").annotate(**sums).order_by()
    }
    overall = checked.aggregate(**sums)
    rows = []
    for topic in topics:
        row = by_topic.get(topic.pk)
        rows.append(
            TopicCalibration(
                topic, topic.question_count, _figures(row), row["learners"] if row else 0
            )
        )
    return TeamCalibration(
        learner_count=team.memberships.learners().count(),
        topics=_by_gap(rows, lambda row: row.recall),
        overall=_figures(overall),
        learners_checked=overall["learners"] or 0,
    )


def _figures(row: dict[str, Any] | None) -> RecallFigures:
    if not row or not row["checks"]:
        return RecallFigures()
    return RecallFigures(
        checks=row["checks"],
        promised_total=row["promised_total"],
        recall_total=row["recall_total"],
        sure_but_short=row["sure_but_short"],
        verified=row["verified"],
    )
