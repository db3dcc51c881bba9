"""A learner's history: coverage week by week, days studied, and every rating made.

Everything except the change log comes from one query: the learner's events, oldest
first, as three columns of numbers (question, level, seconds since the epoch: no
datetime objects), replayed with numpy. Replaying keeps the query count fixed however
long the history is, and the work per event is a few array operations, so a learner
with 20,000 ratings costs little more than one with 200 (docs/performance.md). The
change log is a second queryset, a page at a time, whose previous level per question
is looked up for the page's rows only (the index on user, question and time).

Dates are local dates in the learner's time zone, so "a day" is the learner's day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any

import numpy as np
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import FloatField, Func, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.models import User
from progress.models import COVERED_LEVEL, ConfidenceEvent
from questions.access import visible_banks
from questions.models import Question, live_in, percent
from studyhub.pagination import CountedPaginator

HISTORY_WEEKS = 12
CALENDAR_WEEKS = 26
CHANGES_PER_PAGE = 50
#: The least number of ratings on a day for each calendar band above 0.
ACTIVITY_BANDS = (1, 3, 6, 10)
#: The calendar's geometry in SVG user units (pixels: it is drawn at its natural size).
CELL, SQUARE = 14, 11
CALENDAR_LEFT, CALENDAR_TOP = 30, 16


@dataclass(frozen=True)
class WeekCoverage:
    """Covered questions at the end of the week ending on `ending` (a local date)."""

    ending: date
    covered: int
    total: int

    @property
    def percent(self) -> int:
        """Rounded down, as on the dashboard, so 99.9% never shows as 100%."""
        return percent(self.covered, self.total)


@dataclass(frozen=True)
class Day:
    """One square of the activity calendar: `column` is the week, `row` the weekday."""

    date: date
    count: int
    column: int
    row: int

    @property
    def band(self) -> int:
        """0 for no ratings, then 1–4 by ACTIVITY_BANDS."""
        return sum(1 for least in ACTIVITY_BANDS if self.count >= least)

    @property
    def title(self) -> str:
        """The square's tooltip, e.g. "Mon 9 Mar 2026: 3 ratings"."""
        ratings = "rating" if self.count == 1 else "ratings"
        return f"{format_date(self.date, 'D j M Y')}: {self.count} {ratings}"

    @property
    def x(self) -> int:
        return CALENDAR_LEFT + self.column * CELL

    @property
    def y(self) -> int:
        return CALENDAR_TOP + self.row * CELL


@dataclass(frozen=True)
class Calendar:
    days: list[Day]
    first: date
    last: date
    weeks: int
    days_studied: int
    streak: int
    #: (x, "Mar") over the columns whose Monday begins a new month.
    months: list[tuple[int, str]]

    width = CALENDAR_LEFT + CALENDAR_WEEKS * CELL
    height = CALENDAR_TOP + 7 * CELL
    square = SQUARE
    #: (y, "Mon") beside every other row, as text baselines.
    weekday_labels = [
        (CALENDAR_TOP + row * CELL + 9, name) for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"))
    ]


@dataclass(frozen=True)
class History:
    weeks: list[WeekCoverage]
    calendar: Calendar
    event_count: int
    question_count: int
    #: The change log, newest first; `changes.get_page(n)` runs one query.
    changes: Paginator


class EpochSeconds(Func):
    """A datetime column as seconds since 1970 (a float), so reading thousands of them
    builds no datetime objects."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # Stored as ISO text in UTC: julianday reads it; 2440587.5 is 1970-01-01.
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


@dataclass(frozen=True)
class Replay:
    """A learner's events, oldest first, as parallel arrays."""

    question: np.ndarray
    level: np.ndarray
    #: Seconds since 1970, UTC.
    seconds: np.ndarray

    @classmethod
    def of(cls, user: User, *, now: datetime, live: np.ndarray) -> Replay:
        """`user`'s events up to `now` on the questions `live` (sorted ids) lists.

        Read straight from the cursor (the ORM's row-by-row layer costs more than the
        query for a long history), and without joining the question table: the events
        of questions the learner no longer sees are dropped here, by `live`."""
        events = (
            user.confidence_events.filter(created_at__lte=now)
            .order_by("created_at", "pk")
            .annotate(seconds=EpochSeconds("created_at"))
            .values_list("question_id", "level", "seconds")
        )
        sql, params = events.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        table = np.array(rows, dtype=np.float64).reshape(-1, 3)
        question = table[:, 0].astype(np.int64)
        kept = np.isin(question, live, assume_unique=False)
        return cls(question[kept], table[kept, 1].astype(np.int64), table[kept, 2])

    def local_days(self, zone: tzinfo) -> np.ndarray:
        """Each event's local date in `zone`, as days since 1970-01-01.

        The UTC offset is looked up once per UTC day the events fall on, not per event;
        only on a day whose offset changes (a daylight-saving switch) is it looked up
        for each of that day's events.
        """
        if not len(self.seconds):
            return np.zeros(0, np.int64)
        utc_days = np.floor(self.seconds / DAY_SECONDS).astype(np.int64)
        days, index = np.unique(utc_days, return_inverse=True)
        starts = [_offset(zone, float(day) * DAY_SECONDS) for day in days]
        ends = [_offset(zone, (float(day) + 1) * DAY_SECONDS - 1) for day in days]
        offsets = np.array(starts, np.float64)[index]
        for changing in np.flatnonzero(np.array(starts) != np.array(ends)):
            on_that_day = np.flatnonzero(index == changing)
            offsets[on_that_day] = [_offset(zone, float(t)) for t in self.seconds[on_that_day]]
        return np.floor((self.seconds + offsets) / DAY_SECONDS).astype(np.int64)


DAY_SECONDS = 86_400
EPOCH = date(1970, 1, 1)


def _offset(zone: tzinfo, seconds: float) -> float:
    utcoffset = datetime.fromtimestamp(seconds, zone).utcoffset()
    return utcoffset.total_seconds() if utcoffset else 0.0


def learner_history(user: User, *, now: datetime, weeks: int = HISTORY_WEEKS) -> History:
    """The history page's figures for `user` as of `now`: two queries, any history size."""
    live = np.fromiter(
        Question.objects.live_in(visible_banks(user)).order_by().values_list("pk", flat=True),
        dtype=np.int64,
    )
    question_count = len(live)
    replay = Replay.of(user, now=now, live=live)
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now, zone).date()
    day_numbers, counts = np.unique(replay.local_days(zone), return_counts=True)
    studied = Counter(
        {EPOCH + timedelta(days=int(d)): int(n) for d, n in zip(day_numbers, counts, strict=True)}
    )
    event_count = len(replay.seconds)
    return History(
        weeks=weekly_coverage(replay, today=today, weeks=weeks, total=question_count),
        calendar=activity_calendar(studied, today=today),
        event_count=event_count,
        question_count=question_count,
        changes=CountedPaginator(change_log(user, now=now), CHANGES_PER_PAGE, count=event_count),
    )


def change_log(user: User, *, now: datetime) -> QuerySet[ConfidenceEvent]:
    """Every rating the user made up to `now`, newest first, each with its question and
    `previous_level`: the user's level on that question before it (None for the first).
    Ratings of questions the user no longer sees (retired, or of a team they left) are
    left out, as they are from every figure.

    The previous level is a subquery, which the database runs for the rows of the page
    it returns only, each an index lookup (event_user_question_time)."""
    banks = visible_banks(user)
    earlier = ConfidenceEvent.objects.filter(
        Q(created_at__lt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")),
        user=OuterRef("user"),
        question=OuterRef("question"),
    ).order_by("-created_at", "-pk")
    return (
        user.confidence_events.filter(live_in(banks, prefix="question__"), created_at__lte=now)
        .select_related("question")
        .annotate(previous_level=Subquery(earlier.values("level")[:1]))
        .order_by("-created_at", "-pk")
    )


def change_log_paginator(user: User, *, now: datetime) -> Paginator:
    """The change log alone (for the htmx page swap): a COUNT and a page, two queries."""
    return Paginator(change_log(user, now=now), CHANGES_PER_PAGE)


def weekly_coverage(replay: Replay, *, today: date, weeks: int, total: int) -> list[WeekCoverage]:
    """Covered questions at the end of each of the last `weeks` weeks, oldest first.

    The last week ends today; each earlier one seven days before. A question counts as
    covered at a moment when its latest event before that moment has a level of
    COVERED_LEVEL or more. Each event changes the number covered by +1, 0 or −1 (from
    its question's previous level to its own); the number at a moment is the sum of
    the changes before it.
    """
    endings = [today - timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]
    covered = replay.level >= COVERED_LEVEL
    # The events of each question together, in time order within it (a stable sort).
    by_question = np.argsort(replay.question, kind="stable")
    grouped = replay.question[by_question]
    was_covered = np.zeros(len(grouped), dtype=bool)
    same_question = grouped[1:] == grouped[:-1]
    was_covered[1:] = covered[by_question][:-1] & same_question
    change = np.zeros(len(grouped), np.int64)
    change[by_question] = covered[by_question].astype(np.int64) - was_covered
    running = np.concatenate([[0], np.cumsum(change)])
    boundaries = [_start_of(ending + timedelta(days=1)).timestamp() for ending in endings]
    before = np.searchsorted(replay.seconds, boundaries, side="left")
    return [
        WeekCoverage(ending=ending, covered=int(running[n]), total=total)
        for ending, n in zip(endings, before, strict=True)
    ]


def activity_calendar(days: Iterable[date], *, today: date) -> Calendar:
    """Ratings per day for the last CALENDAR_WEEKS weeks (Monday-first columns, the last
    one holding today), the days studied among them, and the current streak.

    The streak counts consecutive days with a rating back from today, or from yesterday
    when nothing has been rated yet today (the day is not over), over the whole history.
    """
    counts = Counter(days)
    first = today - timedelta(days=today.weekday() + 7 * (CALENDAR_WEEKS - 1))
    grid = []
    day = first
    while day <= today:
        column, row = divmod((day - first).days, 7)
        grid.append(Day(date=day, count=counts.get(day, 0), column=column, row=row))
        day += timedelta(days=1)

    streak = 0
    day = today if counts.get(today) else today - timedelta(days=1)
    while counts.get(day):
        streak += 1
        day -= timedelta(days=1)

    return Calendar(
        days=grid,
        first=first,
        last=today,
        weeks=CALENDAR_WEEKS,
        days_studied=sum(1 for d in grid if d.count),
        streak=streak,
        months=_month_labels(first),
    )


def activity_legend() -> list[tuple[int, str]]:
    """(band, "3–5") for each colour of the activity calendar: ratings on a day."""
    legend = [(0, "none")]
    bounds = pairwise([*ACTIVITY_BANDS, None])
    for band, (least, next_least) in enumerate(bounds, start=1):
        if next_least is None:
            legend.append((band, f"{least} or more"))
        elif next_least - 1 == least:
            legend.append((band, str(least)))
        else:
            legend.append((band, f"{least}–{next_least - 1}"))
    return legend


def _month_labels(first: date) -> list[tuple[int, str]]:
    """A label over each column whose Monday is in a new month; the first column's
    label is left out when the next one follows too closely to fit beside it."""
    labels = []
    previous_month = None
    for column in range(CALENDAR_WEEKS):
        monday = first + timedelta(days=7 * column)
        if monday.month != previous_month:
            labels.append((CALENDAR_LEFT + column * CELL, format_date(monday, "M")))
            previous_month = monday.month
    if len(labels) > 1 and labels[1][0] - labels[0][0] < 3 * CELL:
        labels.pop(0)
    return labels


def _start_of(day: date) -> datetime:
    """Local midnight at the start of `day`, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


# --- Drawing ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    week: WeekCoverage


@dataclass(frozen=True)
class CoverageChart:
    """The coverage-over-time chart in SVG user units (the template only places them)."""

    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    points: list[ChartPoint]
    #: (y, "50%") for each horizontal grid line.
    y_ticks: list[tuple[float, str]]
    #: (x, "15 Mar") under the points that carry a date label.
    x_labels: list[tuple[float, str]]
    summary: str

    @property
    def line_points(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def area_path(self) -> str:
        if not self.points:
            return ""
        first, last = self.points[0], self.points[-1]
        return (
            f"M{first.x:.1f},{self.plot_bottom} L{self.line_points.replace(' ', ' L')} "
            f"L{last.x:.1f},{self.plot_bottom} Z"
        )


CHART_WIDTH, CHART_HEIGHT = 520, 220
#: Room for the axis labels: "100%" on the left, half of a date on the right.
CHART_MARGIN = {"left": 48, "right": 28, "top": 12, "bottom": 30}
#: At most this many date labels fit under the chart.
CHART_DATE_LABELS = 6


def coverage_chart(weeks: list[WeekCoverage]) -> CoverageChart:
    """Place the weekly percentages on a 0–100% line chart, oldest week on the left."""
    left = CHART_MARGIN["left"]
    right = CHART_WIDTH - CHART_MARGIN["right"]
    top = CHART_MARGIN["top"]
    bottom = CHART_HEIGHT - CHART_MARGIN["bottom"]

    def y_of(percent: float) -> float:
        return bottom - (bottom - top) * percent / 100

    step = (right - left) / (len(weeks) - 1) if len(weeks) > 1 else 0
    points = [
        ChartPoint(x=left + index * step if step else (left + right) / 2, y=y_of(w.percent), week=w)
        for index, w in enumerate(weeks)
    ]
    every = -(-len(points) // CHART_DATE_LABELS)  # ceiling division
    # Count back from the newest week so the latest date is always labelled.
    labelled = points[::-1][::every] if every else []
    return CoverageChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        plot_left=left,
        plot_right=right,
        plot_bottom=bottom,
        points=points,
        y_ticks=[(y_of(p), f"{p}%") for p in (0, 25, 50, 75, 100)],
        x_labels=[(p.x, format_date(p.week.ending, "j M")) for p in reversed(labelled)],
        summary=chart_summary(weeks),
    )


def chart_summary(weeks: list[WeekCoverage]) -> str:
    """One sentence saying what the chart shows, for its accessible name."""
    if not weeks:
        return "Coverage over time: no weeks to show"
    first, last = weeks[0], weeks[-1]
    span = f"over {len(weeks)} week{'s' if len(weeks) != 1 else ''}"
    if last.percent > first.percent:
        trend = f"Coverage rose from {first.percent}% to {last.percent}% {span}"
    elif last.percent < first.percent:
        trend = f"Coverage fell from {first.percent}% to {last.percent}% {span}"
    else:
        trend = f"Coverage stayed at {last.percent}% {span}"
    return f"{trend}; {last.covered} of {last.total} questions covered now"
