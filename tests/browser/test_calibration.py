"""The calibration page in Chromium: the chart and its table, the words, the topics, the
questions rated above their recall and "Study these"; verified coverage on the dashboard
and a topic page; axe-core and screenshots on a phone and a desktop."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from progress.models import ConfidenceMark, StudySession
from progress.services import record_confidence
from questions.models import Question
from tests.browser.conftest import DEVICES, each_scheme, open_page
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_screenshots import OVERFLOWING

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

#: (seed question number, level, recall) on deployment (10, 11, 27, 28, 46) and
#: robustness (15, 19, 32, 33; Q19 is in detection too, Q32 in tracking): two questions
#: rated well above what was recalled (Q10, Q11), one below (Q15), the rest about right.
CHECKS = [
    (10, 5, 20),
    (11, 4, 30),
    (27, 3, 55),
    (28, 4, 70),
    (46, 2, 35),
    (15, 2, 75),
    (19, 4, 65),
    (32, 3, 50),
    (33, 5, 85),
]


@pytest.fixture
def calibrated(learner):
    """The learner's ratings of CHECKS, each with a check that recalled its score."""
    by_position = {q.position: q for q in Question.objects.filter(bank__isnull=True)}
    for position, level, recall in CHECKS:
        question = by_position[position]
        record_confidence(user=learner, question=question, level=level)
        ConfidenceMark.objects.filter(user=learner, question=question).update(
            recall=recall,
            recalled_half=recall >= 50,
            recall_at=timezone.now() + timedelta(seconds=1),
        )
    return learner


def open_calibration(page: Page) -> None:
    open_page(page, "progress:calibration")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calibration")


def test_the_page_shows_the_chart_table_words_and_topics(page: Page, calibrated, log_in_as):
    log_in_as(page.context, calibrated)
    open_page(page, "progress:dashboard")
    page.get_by_role("link", name="See your calibration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calibration")
    expect(page).to_have_title("Calibration · StudyHub")

    chart = page.get_by_role("img", name=re.compile(r"^Average recall by confidence: "))
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_name(
        "Average recall by confidence: Shaky, 55 against a promised 30 (2 questions); "
        "Okay, 53 against a promised 50 (2 questions); Confident, 55 against a promised 70 "
        "(3 questions); Mastered, 53 against a promised 90 (2 questions). Nothing checked "
        "at Not yet"
    )
    expect(chart.locator("rect.calibration-bar")).to_have_count(4)
    levels = page.get_by_role("table", name="Average recall by confidence level")
    expect(levels.locator("tbody tr")).to_have_count(5)
    expect(levels.locator("tbody tr").nth(3).locator("th, td")).to_have_text(
        ["Confident", "3", "55", "70"]
    )

    words = page.get_by_role("region", name="In words")
    expect(words).to_contain_text(
        "You rate Confident or higher on 2 questions where you recalled under half of the key "
        "points."
    )
    expect(words).to_contain_text(
        "You rate Shaky or lower on 1 question where you recalled at least half of the key points"
    )

    topics = page.get_by_role("table", name="Confidence against recall by topic")
    rows = topics.locator("tbody tr")
    # Deployment, detection (Q19), tracking (Q32) and robustness, the most over-confident first.
    expect(rows.locator("th")).to_have_text(
        ["Deployment and efficiency", "Object detection", "Object tracking", "Robustness"]
    )
    # Deployment: (90 + 70 + 50 + 70 + 30) / 5 = 62 against (20 + 30 + 55 + 70 + 35) / 5 = 42.
    expect(rows.first.locator("th, td")).to_have_text(
        ["Deployment and efficiency", "5", "62", "42", "+20", "Over-confident"]
    )

    listed = page.get_by_role("region", name="Rated above what you recalled")
    expect(listed.locator(".row-link")).to_have_count(2)
    expect(listed.locator(".row-link").first).to_contain_text("Q10")


def test_study_these_starts_a_session_of_the_listed_questions(page: Page, calibrated, log_in_as):
    log_in_as(page.context, calibrated)
    open_calibration(page)
    page.get_by_role("button", name="Study these 2").click()
    expect(page.get_by_text("Question 1 of 2 · Rated above recall")).to_be_visible()
    session = calibrated.study_sessions.get()
    expect(page).to_have_url(re.compile(re.escape(session.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        Question.objects.get(bank__isnull=True, position=10).text
    )
    assert session.source == StudySession.Source.CALIBRATION
    positions = list(
        Question.objects.filter(pk__in=session.question_ids).values_list("pk", "position")
    )
    assert [dict(positions)[pk] for pk in session.question_ids] == [10, 11]


def test_nothing_checked_says_how_to_start(page: Page, learner, log_in_as):
    log_in_as(page.context, learner)
    open_calibration(page)
    expect(page.get_by_role("heading", name="Nothing checked yet")).to_be_visible()
    page.get_by_role("link", name="“Type my answer first” in your profile").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.url.endswith("/accounts/profile/")


@pytest.mark.parametrize("device", list(DEVICES))
def test_accessible_on_phone_and_desktop_with_screenshots(
    new_context, calibrated, log_in_as, device
):
    context = new_context(**DEVICES[device])
    log_in_as(context, calibrated)
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = DEVICES[device]["viewport"]["width"]

    def calibration(page: Page) -> None:
        open_calibration(page)

    def dashboard(page: Page) -> None:
        open_page(page, "progress:dashboard")
        page.get_by_text("What is verified?").click()
        expect(page.get_by_text("when the latest answer you typed to it")).to_be_visible()

    def topic(page: Page) -> None:
        open_page(page, "progress:topic_detail", slug="robustness")
        expect(page.locator(".topic-coverage")).to_contain_text("3 verified")

    def topic_list(page: Page) -> None:
        open_page(page, "progress:topic_list")
        card = page.get_by_role("listitem").filter(has_text="Deployment and efficiency")
        expect(card).to_contain_text("2 verified")

    problems = []
    for name, open_it in {
        "calibration": calibration,
        "calibration-dashboard": dashboard,
        "calibration-topic": topic,
        "calibration-topic-list": topic_list,
    }.items():
        open_it(page)
        assert_accessible(page, f"{name} ({device})")
        for scheme in each_scheme(page):
            path = SCREENSHOTS / f"{name}-{device}-{scheme}.png"
            path.unlink(missing_ok=True)
            page.screenshot(path=str(path), full_page=True)
            assert path.is_file() and path.stat().st_size > 1_000, f"no screenshot at {path}"
        scroll_width, inner_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll_width > inner_width or scroll_width > width:
            problems.append(
                f"{name}: scrollWidth {scroll_width}px, innerWidth {inner_width}px;"
                f" sticking out: {page.evaluate(OVERFLOWING)}"
            )
    assert not problems, "Horizontal overflow:\n" + "\n".join(problems)
