"""'Due today', the next seven days and the streak at the edges of a learner's day: at
UTC+13 and UTC−10 either side of their local midnight, and on the 23- and 25-hour days
when daylight saving starts and ends (progress/dashboard.py, progress/history.py, with
the zone activated by studyhub.middleware.TimeZoneMiddleware).

Times are written as the learner's wall-clock time (`local(...)`) so each test reads as
the learner would tell it; the server's own zone stays UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from progress.dashboard import learner_dashboard
from progress.history import learner_history
from progress.models import ConfidenceMark
from questions.models import Question
from tests.factories import make_bank, mark
from tests.pages import html_of, squash, table_rows

TONGA = "Pacific/Tongatapu"  # UTC+13 all year
HONOLULU = "Pacific/Honolulu"  # UTC−10, no daylight saving
LONDON = "Europe/London"  # clocks go forward on 29 Mar 2026, back on 25 Oct 2026
NEW_YORK = "America/New_York"  # forward on 8 Mar 2026, back on 1 Nov 2026
ONE_DAY = timedelta(days=1)
DASHBOARD = reverse("progress:dashboard")
HISTORY = reverse("progress:history")


def local(zone: str, day: date, hour: int, minute: int, *, fold: int = 0) -> datetime:
    """`day` at hour:minute on the clocks of `zone`, as the aware UTC moment it is
    (`fold=1`: the second of a time that happens twice when the clocks go back)."""
    wall = datetime(day.year, day.month, day.day, hour, minute, fold=fold)
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.fixture
def questions(db) -> list[Question]:
    (topic,) = make_bank(topics=1, questions_per_topic=6)
    return list(topic.questions.order_by("position"))


def due_at(user: User, question: Question, when: datetime) -> None:
    """A review of `question` falling due at `when`."""
    mark(user, question, 3, at=when - timedelta(days=30))
    ConfidenceMark.objects.filter(user=user, question=question).update(due=when)


def dashboard_in(zone: str, user: User, now: datetime) -> dict:
    with timezone.override(ZoneInfo(zone)):
        return learner_dashboard(user, now=now)


def streak_in(zone: str, user: User, now: datetime) -> int:
    with timezone.override(ZoneInfo(zone)):
        return learner_history(user, now=now).calendar.streak


def calendar_in(zone: str, user: User, now: datetime) -> dict[date, int]:
    with timezone.override(ZoneInfo(zone)):
        return {d.date: d.count for d in learner_history(user, now=now).calendar.days if d.count}


# --- "Due today" around the learner's midnight ------------------------------------------


@pytest.mark.parametrize("zone", [TONGA, HONOLULU])
def test_due_today_ends_at_the_learners_midnight(user, questions, zone):
    now = local(zone, date(2026, 3, 15), 23, 0)
    due_at(user, questions[0], local(zone, date(2026, 3, 15), 23, 59))  # today, just
    due_at(user, questions[1], local(zone, date(2026, 3, 16), 0, 1))  # tomorrow, just
    due_at(user, questions[2], local(zone, date(2026, 3, 15), 22, 0))  # due already

    data = dashboard_in(zone, user, now)

    assert (data["due_now"], data["due_today"]) == (1, 2)
    assert data["next_days"][0] == (date(2026, 3, 16), 1)
    assert sum(count for _, count in data["next_days"]) == 1


@pytest.mark.parametrize("zone", [TONGA, HONOLULU])
def test_just_after_midnight_yesterdays_late_review_is_due_now_and_the_day_is_new(
    user, questions, zone
):
    now = local(zone, date(2026, 3, 16), 0, 10)
    due_at(user, questions[0], local(zone, date(2026, 3, 15), 23, 50))  # yesterday: due now
    due_at(user, questions[1], local(zone, date(2026, 3, 16), 0, 20))  # later today
    due_at(user, questions[2], local(zone, date(2026, 3, 17), 0, 0))  # tomorrow's first moment

    data = dashboard_in(zone, user, now)

    assert (data["due_now"], data["due_today"]) == (1, 2)
    assert data["next_days"][0] == (date(2026, 3, 17), 1)
    assert [day for day, _ in data["next_days"]] == [
        date(2026, 3, 17) + timedelta(days=n) for n in range(7)
    ]


def test_the_same_reviews_fall_on_different_days_at_utc_plus_13_and_minus_10(user, questions):
    """One moment, 23 hours apart on the clocks: what is today in one zone is not in the
    other."""
    now = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)  # 23:00 Sun in Tonga, 00:00 Sun in Honolulu
    due_at(user, questions[0], datetime(2026, 3, 15, 10, 30, tzinfo=UTC))  # 23:30 / 00:30
    due_at(user, questions[1], datetime(2026, 3, 15, 11, 30, tzinfo=UTC))  # 00:30 Mon / 01:30

    tonga, honolulu = dashboard_in(TONGA, user, now), dashboard_in(HONOLULU, user, now)
    utc = dashboard_in("UTC", user, now)

    assert tonga["due_today"] == 1
    assert tonga["next_days"][0] == (date(2026, 3, 16), 1)
    assert honolulu["due_today"] == 2
    assert honolulu["next_days"][0] == (date(2026, 3, 16), 0)
    assert utc["due_today"] == 2


@pytest.mark.parametrize("zone", [TONGA, HONOLULU])
def test_the_dashboard_page_counts_due_today_in_the_learners_zone(client, user, questions, zone):
    user.time_zone = zone
    user.save()
    now = local(zone, date(2026, 3, 15), 23, 0)
    due_at(user, questions[0], local(zone, date(2026, 3, 15), 23, 59))
    due_at(user, questions[1], local(zone, date(2026, 3, 16), 0, 1))

    with time_machine.travel(now, tick=False):
        client.force_login(user)
        html = html_of(client.get(DASHBOARD))

    assert "1 due today" in squash(html)
    assert table_rows(html, "upcoming")[0] == ["Mon 16 Mar", "1"]


# --- The streak around the learner's midnight -------------------------------------------


@pytest.mark.parametrize("zone", [TONGA, HONOLULU])
def test_ratings_either_side_of_local_midnight_are_two_days_of_a_streak(user, questions, zone):
    mark(user, questions[0], 3, at=local(zone, date(2026, 3, 14), 23, 30))
    mark(user, questions[1], 3, at=local(zone, date(2026, 3, 15), 0, 30))
    now = local(zone, date(2026, 3, 15), 22, 0)

    assert streak_in(zone, user, now) == 2
    assert calendar_in(zone, user, now) == {date(2026, 3, 14): 1, date(2026, 3, 15): 1}
    # By the server's clock (UTC) the two ratings are an hour apart on one day.
    assert streak_in("UTC", user, now) == 1


@pytest.mark.parametrize("zone", [TONGA, HONOLULU])
def test_ratings_an_hour_apart_across_a_missed_day_are_no_streak(user, questions, zone):
    mark(user, questions[0], 3, at=local(zone, date(2026, 3, 13), 23, 30))
    mark(user, questions[1], 3, at=local(zone, date(2026, 3, 15), 0, 30))
    now = local(zone, date(2026, 3, 15), 22, 0)

    assert streak_in(zone, user, now) == 1


@pytest.mark.parametrize("zone", [TONGA, HONOLULU])
def test_the_streak_lives_until_the_end_of_the_learners_day(user, questions, zone):
    mark(user, questions[0], 3, at=local(zone, date(2026, 3, 14), 12, 0))
    mark(user, questions[1], 3, at=local(zone, date(2026, 3, 15), 12, 0))

    # Nothing rated yet on the 16th: the day is not over, the streak stands ...
    assert streak_in(zone, user, local(zone, date(2026, 3, 16), 23, 59)) == 2
    # ... until the learner's 17th begins.
    assert streak_in(zone, user, local(zone, date(2026, 3, 17), 0, 1)) == 0


@pytest.mark.parametrize("zone", [TONGA, HONOLULU])
def test_the_history_page_shows_the_streak_in_the_learners_zone(client, user, questions, zone):
    user.time_zone = zone
    user.save()
    mark(user, questions[0], 3, at=local(zone, date(2026, 3, 14), 23, 30))
    mark(user, questions[1], 3, at=local(zone, date(2026, 3, 15), 0, 30))

    with time_machine.travel(local(zone, date(2026, 3, 15), 22, 0), tick=False):
        client.force_login(user)
        html = html_of(client.get(HISTORY))

    assert "current streak 2 days" in squash(html)
    assert "Sat 14 Mar 2026: 1 rating" in html and "Sun 15 Mar 2026: 1 rating" in html


# --- Daylight saving: the 23-hour and the 25-hour day ---------------------------------

SPRING = {LONDON: date(2026, 3, 29), NEW_YORK: date(2026, 3, 8)}  # 23 hours
AUTUMN = {LONDON: date(2026, 10, 25), NEW_YORK: date(2026, 11, 1)}  # 25 hours


@pytest.mark.parametrize("zone", [LONDON, NEW_YORK])
def test_the_switch_days_are_23_and_25_hours_long(zone):
    """The premise of the tests below."""
    for day, hours in ((SPRING[zone], 23), (AUTUMN[zone], 25)):
        length = local(zone, day + ONE_DAY, 0, 0) - local(zone, day, 0, 0)
        assert length == timedelta(hours=hours)


@pytest.mark.parametrize("zone", [LONDON, NEW_YORK])
def test_due_today_on_the_23_hour_day(user, questions, zone):
    day = SPRING[zone]
    now = local(zone, day, 0, 30)  # before the clocks go forward
    due_at(user, questions[0], local(zone, day, 23, 30))  # today: 22 real hours on
    due_at(user, questions[1], local(zone, day + ONE_DAY, 0, 30))  # tomorrow: 23 real hours on

    data = dashboard_in(zone, user, now)

    assert data["due_today"] == 1
    assert data["next_days"][0] == (day + ONE_DAY, 1)


@pytest.mark.parametrize("zone", [LONDON, NEW_YORK])
def test_due_today_on_the_25_hour_day(user, questions, zone):
    day = AUTUMN[zone]
    now = local(zone, day, 0, 30)  # before the clocks go back
    a_day_later = now + timedelta(hours=24)  # 23:30 on the clocks: still today
    due_at(user, questions[0], a_day_later)
    due_at(user, questions[1], local(zone, day, 1, 30, fold=1))  # the second 01:30
    due_at(user, questions[2], local(zone, day + ONE_DAY, 0, 30))

    data = dashboard_in(zone, user, now)

    assert timezone.localtime(a_day_later, ZoneInfo(zone)).date() == day
    assert data["due_today"] == 2
    assert data["next_days"][0] == (day + ONE_DAY, 1)


@pytest.mark.parametrize("zone", [LONDON, NEW_YORK])
def test_a_streak_across_the_spring_switch_counts_each_local_day_once(user, questions, zone):
    # 00:30 each day. In London the second and third are on one day by UTC: 00:30 GMT
    # on the 29th, then 23:30 UTC on the 29th (00:30 BST on the 30th).
    days = [SPRING[zone] + timedelta(days=n) for n in (-1, 0, 1, 2)]
    for question, day in zip(questions, days, strict=False):
        mark(user, question, 3, at=local(zone, day, 0, 30))
    now = local(zone, days[-1], 12, 0)

    assert streak_in(zone, user, now) == 4
    assert calendar_in(zone, user, now) == dict.fromkeys(days, 1)


@pytest.mark.parametrize("zone", [LONDON, NEW_YORK])
def test_a_streak_across_the_autumn_switch_counts_the_long_day_once(user, questions, zone):
    long_day = AUTUMN[zone]
    before, after = long_day - ONE_DAY, long_day + ONE_DAY
    mark(user, questions[0], 3, at=local(zone, before, 23, 30))
    mark(user, questions[1], 3, at=local(zone, long_day, 0, 30))  # its first hour
    mark(user, questions[2], 3, at=local(zone, long_day, 1, 30, fold=0))  # 01:30, first time
    mark(user, questions[3], 3, at=local(zone, long_day, 1, 30, fold=1))  # 01:30, again
    mark(user, questions[4], 3, at=local(zone, long_day, 23, 30))  # its last hour
    mark(user, questions[5], 3, at=local(zone, after, 0, 30))
    now = local(zone, after, 12, 0)

    assert streak_in(zone, user, now) == 3
    assert calendar_in(zone, user, now) == {before: 1, long_day: 4, after: 1}


def test_the_history_page_counts_the_long_day_once(client, user, questions):
    user.time_zone = LONDON
    user.save()
    mark(user, questions[0], 3, at=local(LONDON, date(2026, 10, 25), 0, 30))
    mark(user, questions[1], 3, at=local(LONDON, date(2026, 10, 25), 23, 30))
    mark(user, questions[2], 3, at=local(LONDON, date(2026, 10, 26), 0, 30))

    with time_machine.travel(local(LONDON, date(2026, 10, 26), 9, 0), tick=False):
        client.force_login(user)
        html = html_of(client.get(HISTORY))

    assert "current streak 2 days" in squash(html)
    assert "Sun 25 Oct 2026: 2 ratings" in html
