"""A learner's history: coverage week by week, days studied, and every rating made.

Everything except the change log comes from one query: the learner's events, oldest
first, as plain tuples, replayed in Python. Replaying keeps the query count fixed
however long the history is, and a year of daily study (about 5,000 events) replays
in a few milliseconds. The change log is a second queryset, paginated, whose previous
level per question comes from a window function in the same query as the page.

Dates are local dates (`timezone.localtime`), so "a day" is the learner's day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

from django.core.paginator import Paginator
from django.db.models import F, QuerySet, Window
from django.db.models.functions import Lag
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


def learner_history(user: User, *, now: datetime, weeks: int = HISTORY_WEEKS) -> History:
    """The history page's figures for `user` as of `now`: two queries, any history size."""
    banks = visible_banks(user)
    events = list(
        user.confidence_events.filter(live_in(banks, prefix="question__"), created_at__lte=now)
        .order_by("created_at", "pk")
        .values_list("question_id", "level", "created_at")
    )
    question_count = Question.objects.live_in(banks).count()
    zone = timezone.get_current_timezone()  # looked up once, not for every event
    today = timezone.localtime(now, zone).date()
    days = [timezone.localtime(at, zone).date() for _, _, at in events]
    return History(
        weeks=weekly_coverage(events, today=today, weeks=weeks, total=question_count),
        calendar=activity_calendar(days, today=today),
        event_count=len(events),
        question_count=question_count,
        changes=CountedPaginator(change_log(user, now=now), CHANGES_PER_PAGE, count=len(events)),
    )


def change_log(user: User, *, now: datetime) -> QuerySet[ConfidenceEvent]:
    """Every rating the user made up to `now`, newest first, each with its question and
    `previous_level`: the user's level on that question before it (None for the first).
    Ratings of questions the user no longer sees (retired, or of a team they left) are
    left out, as they are from every figure."""
    banks = visible_banks(user)
    return (
        user.confidence_events.filter(live_in(banks, prefix="question__"), created_at__lte=now)
        .select_related("question")
        .annotate(
            previous_level=Window(
                Lag("level"),
                partition_by=[F("question_id")],
                order_by=[F("created_at").asc(), F("pk").asc()],
            )
        )
        .order_by("-created_at", "-pk")
    )


def change_log_paginator(user: User, *, now: datetime) -> Paginator:
    """The change log alone (for the htmx page swap): a COUNT and a page, two queries."""
    return Paginator(change_log(user, now=now), CHANGES_PER_PAGE)


def weekly_coverage(
    events: list[tuple[int, int, datetime]], *, today: date, weeks: int, total: int
) -> list[WeekCoverage]:
    """Covered questions at the end of each of the last `weeks` weeks, oldest first.

    The last week ends today; each earlier one seven days before. `events` are
    (question_id, level, created_at) in time order. A question counts as covered at a
    moment when its latest event before that moment has a level of COVERED_LEVEL or more.
    """
    endings = [today - timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]
    latest: dict[int, int] = {}
    covered = 0
    snapshots = []
    position = 0
    for ending in endings:
        boundary = _start_of(ending + timedelta(days=1))
        while position < len(events) and events[position][2] < boundary:
            question_id, level, _ = events[position]
            before = latest.get(question_id, 0)
            covered += (level >= COVERED_LEVEL) - (before >= COVERED_LEVEL)
            latest[question_id] = level
            position += 1
        snapshots.append(WeekCoverage(ending=ending, covered=covered, total=total))
    return snapshots


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
