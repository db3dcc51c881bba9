"""The history page: coverage week by week, days studied, and the change log.

The clock is frozen at NOW, a Sunday (so the calendar's last column is a full week), and
the server's time zone is UTC unless a test says otherwise.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from progress.history import (
    CALENDAR_WEEKS,
    CHANGES_PER_PAGE,
    activity_calendar,
    activity_legend,
    chart_summary,
    coverage_chart,
    learner_history,
)
from progress.models import ConfidenceEvent, ConfidenceMark
from questions.models import Question
from tests.factories import make_bank, make_question, make_user, mark
from tests.pages import HTMX, html_of, section

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
URL = reverse("progress:history")

# Pinned counts; every request starts with 2 (session, user).
#: events (one query for the whole replay), question count, one page of the change log,
#: the navigation's teams. The log's row count comes from the replay, not a COUNT.
HISTORY_QUERIES = 6
#: the change log's COUNT and its page
HISTORY_HTMX_QUERIES = 4


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def questions(db) -> list[Question]:
    make_bank(topics=2, questions_per_topic=5)
    return list(Question.objects.order_by("position"))


@pytest.fixture
def learner_client(client, user, frozen):
    # Logged in at the frozen time, so the session is valid then.
    client.force_login(user)
    return client


# --- Readers for the rendered page --------------------------------------------------


def week_rows(html: str) -> list[tuple[str, int, int, int]]:
    """The coverage table: (week ending as ISO date, covered, of, percent), oldest first."""
    rows = re.findall(
        r'<tr><th scope="row"><time datetime="([\d-]+)">[^<]*</time></th>'
        r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)%</td></tr>",
        html,
    )
    return [(day, int(c), int(t), int(p)) for day, c, t, p in rows]


def change_rows(html: str) -> list[tuple[int, str, str]]:
    """The change log: (question position, from level, to level), as shown."""
    table = re.search(r'<table class="data-table changes-table">.*?</table>', html, re.S)
    if not table:
        return []
    return [
        (int(position), before, after)
        for position, before, after in re.findall(
            r'<span class="qnum">Q(\d+)</span>.*?<td class="change">'
            r'<span class="badge[^"]*">([^<]*)</span>.*?<span class="badge[^"]*">([^<]*)</span>',
            table.group(0),
            re.S,
        )
    ]


def day_titles(html: str) -> dict[str, str]:
    """Calendar square titles ("Sun 15 Mar 2026" -> "2 ratings") with the square's class."""
    return {
        title: f"{count} ({band})"
        for band, title, count in re.findall(
            r'<rect class="day (day-\d)"[^>]*><title>([^:<]*): ([^<]*)</title>', html
        )
    }


def chart_label(html: str) -> str:
    match = re.search(r'<svg class="history-chart"[^>]*aria-label="([^"]*)"', html)
    assert match, "no coverage chart"
    return match.group(1)


def rate(user, question, level, at):
    return mark(user, question, level, at=at)


# --- Coverage over time ---------------------------------------------------------------


def test_weekly_coverage_replays_the_latest_level_at_each_week_end(learner_client, user, questions):
    q1, q2, q3, q4 = questions[:4]
    rate(user, q3, 5, NOW - timedelta(days=100))  # before the 12 weeks: covered throughout
    rate(user, q1, 4, NOW - timedelta(days=20))  # Mon 23 Feb
    rate(user, q2, 3, NOW - timedelta(days=10))  # Thu 5 Mar
    rate(user, q4, 1, NOW - timedelta(days=8))  # rated, never covered
    rate(user, q1, 2, NOW - timedelta(days=3))  # 4 then 2: no longer covered

    html = html_of(learner_client.get(URL))

    rows = week_rows(html)
    assert [row[0] for row in rows] == [
        (date(2026, 3, 15) - timedelta(weeks=back)).isoformat() for back in range(11, -1, -1)
    ]
    assert [row[1] for row in rows] == [1] * 9 + [2, 3, 2]
    assert {row[2] for row in rows} == {10}
    assert [row[3] for row in rows] == [10] * 9 + [20, 30, 20]
    assert chart_label(html) == (
        "Coverage rose from 10% to 20% over 12 weeks; 2 of 10 questions covered now"
    )
    assert html.count('<circle class="chart-point"') == 12


def test_a_week_ends_at_local_midnight(learner_client, user, questions):
    q1, q2 = questions[:2]
    rate(user, q1, 3, datetime(2026, 3, 8, 23, 59, 59, tzinfo=UTC))  # last second of the week
    rate(user, q2, 3, datetime(2026, 3, 9, 0, 0, tzinfo=UTC))  # first second of the next

    rows = week_rows(html_of(learner_client.get(URL)))

    assert rows[-3:] == [
        ("2026-03-01", 0, 10, 0),
        ("2026-03-08", 1, 10, 10),
        ("2026-03-15", 2, 10, 20),
    ]


def test_events_after_now_are_not_history_yet(user, questions):
    rate(user, questions[0], 4, NOW - timedelta(days=1))
    rate(user, questions[1], 4, NOW + timedelta(minutes=1))

    history = learner_history(user, now=NOW)

    assert history.event_count == 1
    assert history.weeks[-1].covered == 1
    assert history.changes.count == 1
    assert len(history.changes.get_page(1).object_list) == 1


def test_other_learners_never_count(learner_client, user, other_user, questions):
    rate(other_user, questions[0], 5, NOW - timedelta(days=2))
    secret = make_question(text="A question only someone else rated")
    rate(other_user, secret, 5, NOW - timedelta(days=1))
    rate(user, questions[1], 3, NOW - timedelta(days=1))

    html = html_of(learner_client.get(URL))

    assert week_rows(html)[-1] == ("2026-03-15", 1, 11, 9)
    assert change_rows(html) == [(questions[1].position, "Not rated", "Okay")]
    assert secret.text not in html
    assert "Studied on <strong>1</strong> day in the last 26 weeks" in html


def test_the_chart_says_whether_coverage_rose_fell_or_stayed():
    from progress.history import WeekCoverage

    def weeks(*covered):
        return [WeekCoverage(date(2026, 1, 1), c, 10) for c in covered]

    assert chart_summary(weeks(1, 5)).startswith("Coverage rose from 10% to 50% over 2 weeks")
    assert chart_summary(weeks(5, 2)).startswith("Coverage fell from 50% to 20% over 2 weeks")
    assert chart_summary(weeks(3, 3, 3)).startswith("Coverage stayed at 30% over 3 weeks")
    chart = coverage_chart(weeks(0, 10, 5))
    # 0% sits on the plot's bottom line, 100% at its top, 50% half-way.
    assert [p.y for p in chart.points] == [chart.plot_bottom, 12, (chart.plot_bottom + 12) / 2]
    assert chart.points[0].x == chart.plot_left and chart.points[-1].x == chart.plot_right
    assert chart.area_path.startswith(f"M{chart.plot_left:.1f},{chart.plot_bottom} L")


def test_no_questions_means_zero_percent_not_an_error(user):
    history = learner_history(user, now=NOW)
    assert [w.percent for w in history.weeks] == [0] * 12
    assert history.question_count == 0


# --- Activity calendar ----------------------------------------------------------------


def test_calendar_counts_ratings_per_day_and_the_streak(learner_client, user, questions):
    today = NOW.replace(hour=8)
    rate(user, questions[0], 3, today)
    rate(user, questions[1], 3, today + timedelta(hours=1))
    rate(user, questions[2], 2, today - timedelta(days=1))
    for n in range(12):  # three days ago, 12 ratings: the busiest band
        rate(user, questions[n % 10], 1 + n % 5, today - timedelta(days=3, minutes=n))
    rate(user, questions[3], 4, today - timedelta(days=400))  # outside the calendar

    html = html_of(learner_client.get(URL))

    titles = day_titles(html)
    assert titles["Sun 15 Mar 2026"] == "2 ratings (day-1)"
    assert titles["Sat 14 Mar 2026"] == "1 rating (day-1)"
    assert titles["Fri 13 Mar 2026"] == "0 ratings (day-0)"
    assert titles["Thu 12 Mar 2026"] == "12 ratings (day-4)"
    # 26 columns of 7 days ending on Sunday today, Monday-first.
    assert len(titles) == CALENDAR_WEEKS * 7
    assert "Mon 15 Sep 2025" in titles and "Sun 14 Sep 2025" not in titles
    activity = section(html, "activity-heading", attr="aria-labelledby")
    assert (
        "Studied on <strong>3</strong> days in the last 26 weeks; "
        "current streak <strong>2</strong> days." in activity
    )
    for label in ("none", "1–2", "3–5", "6–9", "10 or more"):
        assert f"</svg> {label}</li>" in activity


def test_streak_continues_from_yesterday_and_beyond_the_calendar():
    today = date(2026, 3, 15)
    studied = [today - timedelta(days=back) for back in range(1, 201)]  # not yet today

    calendar = activity_calendar(studied, today=today)

    assert calendar.streak == 200
    assert calendar.first == date(2025, 9, 15)
    assert calendar.days_studied == len(calendar.days) - 1 == 181
    assert activity_calendar([*studied, today], today=today).streak == 201
    assert activity_calendar(studied[1:], today=today).streak == 0  # yesterday missed


def test_a_day_is_the_local_day(user, questions):
    late = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)  # 00:30 on the 15th in Berlin
    rate(user, questions[0], 3, late)

    utc_days = {d.date: d.count for d in learner_history(user, now=NOW).calendar.days}
    with timezone.override(ZoneInfo("Europe/Berlin")):
        berlin = learner_history(user, now=NOW)
    berlin_days = {d.date: d.count for d in berlin.calendar.days}

    assert (utc_days[date(2026, 3, 14)], utc_days[date(2026, 3, 15)]) == (1, 0)
    assert (berlin_days[date(2026, 3, 14)], berlin_days[date(2026, 3, 15)]) == (0, 1)
    assert berlin.calendar.streak == 1


def test_legend_matches_the_bands():
    assert activity_legend() == [
        (0, "none"),
        (1, "1–2"),
        (2, "3–5"),
        (3, "6–9"),
        (4, "10 or more"),
    ]


# --- Change log -------------------------------------------------------------------------


def test_change_log_shows_from_and_to_per_question(learner_client, user, other_user, questions):
    q1, q2 = questions[:2]
    rate(user, q1, 4, NOW - timedelta(days=5))
    rate(other_user, q1, 1, NOW - timedelta(days=4))  # someone else's level in between
    rate(user, q2, 3, NOW - timedelta(days=3))
    rate(user, q1, 2, NOW - timedelta(days=2))
    rate(user, q1, 2, NOW - timedelta(days=1))

    html = html_of(learner_client.get(URL))

    assert change_rows(html) == [
        (q1.position, "Shaky", "Shaky"),
        (q1.position, "Confident", "Shaky"),
        (q2.position, "Not rated", "Okay"),
        (q1.position, "Not rated", "Confident"),
    ]
    assert f'href="{q1.get_absolute_url()}"' in html
    assert (
        '<time datetime="2026-03-14T12:00:00+00:00"><span>14 Mar 2026,</span> <span>12:00</span>'
        in html
    )
    assert "1–4 of 4" in html
    assert "Newer" not in html and "Older" not in html  # one page: no pager


def bulk_events(user, questions, count: int, *, start: datetime) -> None:
    """`count` events a minute apart from `start`, cycling through questions and levels."""
    ConfidenceEvent.objects.bulk_create(
        ConfidenceEvent(
            user=user,
            question=questions[n % len(questions)],
            level=1 + n % 5,
            created_at=start + timedelta(minutes=n),
        )
        for n in range(count)
    )


@pytest.mark.parametrize(
    ("page", "shown", "rows"),
    [
        ("", 1, CHANGES_PER_PAGE),
        ("2", 2, CHANGES_PER_PAGE),
        ("3", 3, 20),
        ("99", 3, 20),  # past the end: the last page
        ("0", 3, 20),
        ("abc", 1, CHANGES_PER_PAGE),  # not a number: the first page
        ("1.5", 1, CHANGES_PER_PAGE),
    ],
)
def test_change_log_pages(learner_client, user, questions, page, shown, rows):
    bulk_events(user, questions, 120, start=NOW - timedelta(days=2))

    response = learner_client.get(URL, {"page": page})

    assert response.status_code == 200
    html = html_of(response)
    assert len(change_rows(html)) == rows
    assert f"Page {shown} of 3" in html
    assert (">Newer</a>" in html) == (shown > 1)
    assert (">Older</a>" in html) == (shown < 3)
    if shown < 3:
        assert f'href="{URL}?page={shown + 1}"' in html
    first = (shown - 1) * CHANGES_PER_PAGE + 1
    assert f"{first}–{first + rows - 1} of 120" in html


def test_pages_are_newest_first_and_do_not_overlap(learner_client, user, questions):
    bulk_events(user, questions, 60, start=NOW - timedelta(days=1))
    events = list(user.confidence_events.order_by("-created_at"))

    first = html_of(learner_client.get(URL))
    second = html_of(learner_client.get(URL, {"page": 2}))

    def times(html):
        return re.findall(r'<td class="when"><time datetime="([^"]+)"', html)

    shown = times(first) + times(second)
    assert shown == [timezone.localtime(e.created_at).isoformat() for e in events]


def test_htmx_swaps_only_the_change_log(learner_client, user, questions):
    bulk_events(user, questions, 60, start=NOW - timedelta(days=1))

    plain = learner_client.get(URL, {"page": 2})
    swapped = learner_client.get(URL, {"page": 2}, headers=HTMX)

    assert "HX-Request" in plain["Vary"] and "HX-Request" in swapped["Vary"]
    plain_html, swapped_html = html_of(plain), html_of(swapped)
    assert "<h1>Your history</h1>" in plain_html
    assert swapped_html.lstrip().startswith('<section id="changes"')
    assert "<h1>" not in swapped_html and "Coverage over time" not in swapped_html
    assert change_rows(swapped_html) == change_rows(plain_html)
    assert len(change_rows(swapped_html)) == 10
    # Focus moves to the log's heading after the swap, not on a full page load.
    assert 'id="changes-heading" tabindex="-1" autofocus' in swapped_html
    assert "autofocus" not in plain_html


def test_an_empty_history(learner_client, questions):
    html = html_of(learner_client.get(URL))
    assert "No ratings yet." in html
    assert [row[1] for row in week_rows(html)] == [0] * 12
    assert chart_label(html).startswith("Coverage stayed at 0% over 12 weeks")
    assert "Studied on <strong>0</strong> days" in html
    assert "current streak <strong>0</strong> days" in html


# --- Access --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={URL}"


def test_history_is_only_read(logged_in_client):
    assert logged_in_client.post(URL).status_code == 405


def test_linked_from_the_dashboard_and_the_account_menu(logged_in_client):
    html = html_of(logged_in_client.get(reverse("progress:dashboard")))
    assert f'<a href="{URL}">See your history</a>' in html
    assert html.count(f'href="{URL}"') == 2


# --- Query counts -----------------------------------------------------------------------


def a_year_of_study(user, questions, *, now: datetime, seed: int = 4) -> int:
    """Daily study for 365 days up to `now`: 12–16 ratings a day, more of them Okay or
    better as the year goes on, and the matching current marks. Returns the event count."""
    rng = random.Random(seed)
    events, latest = [], {}
    for back in range(364, -1, -1):
        day = now - timedelta(days=back, hours=2)
        progress = (364 - back) / 364
        for n in range(12 + rng.randrange(5)):
            question = rng.choice(questions)
            # Ratings of Okay or better grow from 30% early in the year to all at its end.
            covering = rng.random() < 0.3 + 0.7 * progress
            level = rng.choice([3, 4, 5] if covering else [1, 2])
            at = day + timedelta(minutes=n)
            events.append(ConfidenceEvent(user=user, question=question, level=level, created_at=at))
            latest[question.pk] = (question, level, at)
    ConfidenceEvent.objects.bulk_create(events, batch_size=1000)
    # The current mark is the latest rating: the year's, unless one made before is newer.
    marked = dict(user.confidence_marks.values_list("question_id", "updated_at"))
    ConfidenceMark.objects.bulk_create(
        [
            ConfidenceMark(user=user, question=q, level=level, updated_at=at)
            for q, level, at in latest.values()
            if q.pk not in marked or marked[q.pk] < at
        ],
        update_conflicts=True,
        unique_fields=["user", "question"],
        update_fields=["level", "updated_at"],
    )
    return len(events)


def test_history_query_count_is_flat_from_a_handful_to_a_year(
    learner_client, user, questions, django_assert_num_queries
):
    rate(user, questions[0], 4, NOW - timedelta(days=1))
    rate(user, questions[1], 2, NOW - timedelta(hours=1))
    rate(user, questions[0], 5, NOW - timedelta(minutes=5))
    bulk_events(make_user(), questions, 5, start=NOW - timedelta(days=1))

    with django_assert_num_queries(HISTORY_QUERIES):
        small = html_of(learner_client.get(URL))
    with django_assert_num_queries(HISTORY_HTMX_QUERIES):
        small_log = html_of(learner_client.get(URL, headers=HTMX))

    # Grow: 50 questions, a year of daily study (~5,000 events), 20 other learners.
    for _ in range(40):
        make_question()
    questions = list(Question.objects.all())
    events = 3 + a_year_of_study(user, questions, now=NOW)
    assert 4_500 <= events <= 5_500
    for _ in range(20):
        bulk_events(make_user(), questions, 100, start=NOW - timedelta(days=30))
    assert ConfidenceEvent.objects.count() == events + 5 + 20 * 100

    with django_assert_num_queries(HISTORY_QUERIES):
        large = html_of(learner_client.get(URL))
    with django_assert_num_queries(HISTORY_HTMX_QUERIES):
        large_log = html_of(learner_client.get(URL, {"page": 2}, headers=HTMX))

    assert change_rows(small) == [
        (questions[0].position, "Confident", "Mastered"),
        (questions[1].position, "Not rated", "Shaky"),
        (questions[0].position, "Not rated", "Confident"),
    ]
    assert len(change_rows(small_log)) == 3
    assert f"1–50 of {events}" in large
    assert len(change_rows(large)) == len(change_rows(large_log)) == CHANGES_PER_PAGE
    assert f"51–100 of {events}" in large_log
    # Every day of the calendar was studied, and the streak is the whole year.
    assert (
        f"Studied on <strong>{CALENDAR_WEEKS * 7}</strong> days in the last 26 weeks; "
        "current streak <strong>365</strong> days." in large
    )
    rows = week_rows(large)
    assert len(rows) == 12 and {row[2] for row in rows} == {50}
    assert rows[-1][1] == ConfidenceMark.objects.filter(user=user, level__gte=3).count()
    assert rows[0][3] < rows[-1][3]
