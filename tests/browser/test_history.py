"""The history page in Chromium: chart, tables, calendar and the change log's pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from progress.history import CALENDAR_WEEKS
from progress.models import ConfidenceEvent, ConfidenceMark
from questions.models import Question
from tests.browser.conftest import open_page
from tests.browser.test_accessibility import PHONE, assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

#: Two ratings a day for 40 days: 80 events, so the log has two pages (50 + 30).
DAYS, PER_DAY = 40, 2


@pytest.fixture
def studied(learner):
    """Forty days of study on the seed bank, ending today, with rising confidence:
    the oldest week rates Not yet, the last 24 days Okay or better."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    questions = list(Question.objects.order_by("position"))
    events = []
    for back in range(DAYS):
        for n in range(PER_DAY):
            question = questions[(back * PER_DAY + n) % len(questions)]
            level = 1 + (DAYS - back) * 5 // (DAYS + 1)
            # Seconds after midnight, so every rating falls on its own day whatever the hour.
            at = midnight - timedelta(days=back) + timedelta(seconds=PER_DAY - n)
            events.append(
                ConfidenceEvent(user=learner, question=question, level=level, created_at=at)
            )
    ConfidenceEvent.objects.bulk_create(events)
    latest = {}
    for event in sorted(events, key=lambda e: e.created_at):
        latest[event.question_id] = event
    ConfidenceMark.objects.bulk_create(
        ConfidenceMark(user=learner, question_id=qid, level=e.level, updated_at=e.created_at)
        for qid, e in latest.items()
    )
    return learner


def changes_rows(page: Page):
    return page.get_by_role("table", name="Confidence changes, newest first").locator("tbody tr")


def calendar_days() -> int:
    """Squares in the calendar: 25 full weeks and this week up to today."""
    return (CALENDAR_WEEKS - 1) * 7 + timezone.localdate().weekday() + 1


def test_history_shows_chart_table_calendar_and_pages_of_changes(page: Page, studied, log_in_as):
    log_in_as(page.context, studied)
    open_page(page, "progress:dashboard")
    page.get_by_text("Account menu for Lee Learner").click()
    page.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your history")
    expect(page).to_have_title("Your history · StudyHub")

    chart = page.get_by_role(
        "img", name=re.compile(r"^Coverage rose from 0% to \d+% over 12 weeks")
    )
    expect(chart).to_be_visible()
    expect(chart.locator("circle")).to_have_count(12)
    weeks = page.get_by_role("table", name="Coverage at the end of each week")
    expect(weeks.locator("tbody tr")).to_have_count(12)
    expect(weeks.locator("tbody tr").first.locator("td")).to_have_text(["0", "50", "0%"])

    calendar = page.get_by_role("region", name="Activity calendar")
    expect(calendar.get_by_role("img", name=re.compile(r"^Ratings per day from "))).to_be_visible()
    expect(calendar.locator("rect.day")).to_have_count(calendar_days())
    expect(calendar.locator("rect.day:not(.day-0)")).to_have_count(DAYS)
    today = timezone.localdate()
    expect(calendar.locator("rect title").last).to_have_text(
        f"{today:%a} {today.day} {today:%b %Y}: 2 ratings"
    )
    expect(
        page.get_by_text(
            re.compile(r"^Studied on 40 days in the last 26 weeks; current streak 40 days\.$")
        )
    ).to_be_visible()

    # The change log, page by page; with htmx only the log is swapped and the URL kept in step.
    page.evaluate("window.__marker = 1")
    expect(changes_rows(page)).to_have_count(50)
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    expect(page.get_by_role("link", name="Newer")).to_have_count(0)
    page.get_by_role("link", name="Older").click()
    expect(changes_rows(page)).to_have_count(30)
    expect(page).to_have_url(reverse("progress:history", query={"page": 2}))
    expect(page.get_by_role("heading", name="Changes")).to_be_focused()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    assert page.evaluate("window.__marker") == 1, "paging through the log reloaded the page"
    # The oldest rating of a question it was the first rating of.
    change = changes_rows(page).last.locator("td").nth(2)
    expect(change).to_have_text("Not rated → Not yet")
    expect(change.get_by_role("img")).to_have_accessible_name("to")

    page.go_back()
    expect(page).to_have_url(reverse("progress:history"))
    expect(changes_rows(page)).to_have_count(50)
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()


def test_history_is_accessible(new_context, log_in_as, studied):
    context = new_context()
    log_in_as(context, studied)
    page = context.new_page()
    open_page(page, "progress:history")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your history")
    assert_accessible(page, "history")
    open_page(page, "progress:history", query={"page": 2})
    expect(changes_rows(page)).to_have_count(30)
    assert_accessible(page, "history page 2")


def test_history_fits_a_phone(new_context, log_in_as, studied):
    context = new_context(**PHONE)
    log_in_as(context, studied)
    page = context.new_page()
    open_page(page, "progress:history")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your history")

    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width == 390, f"page is {scroll_width}px wide"

    # The calendar scrolls inside its own frame, starting at today's end; the keyboard can
    # reach the frame and scroll back to older weeks.
    frame = page.get_by_role("region", name="Activity calendar")
    expect(frame).to_have_attribute("tabindex", "0")
    assert frame.evaluate("el => el.scrollWidth > el.clientWidth"), "the calendar fits: no scroll"
    today = frame.locator("rect.day").last.bounding_box()
    oldest = frame.locator("rect.day").first.bounding_box()
    assert today and oldest
    assert today["x"] + today["width"] <= 390, "today's square is scrolled out of sight"
    assert oldest["x"] < 0, "the oldest week is not scrolled out of sight"
    frame.focus()
    expect(frame).to_be_focused()
    page.keyboard.press("ArrowLeft")
    # Keyboard scrolling is animated and, on a busy machine, can start late: wait for the
    # frame to move rather than for a fixed time.
    page.wait_for_function(
        "() => document.querySelector('.calendar-frame').scrollLeft < 0", timeout=10_000
    )
    assert_accessible(page, "history (phone)")
