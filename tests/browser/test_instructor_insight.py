"""Instructor insight in a real browser, with the demo data, as the demo instructor Ines:
one learner in full (sections, what is missing, the weekly numbers), the hard-questions
report (sorting, filtering), axe-core on both pages, and screenshots on a phone and a
desktop with nothing wider than the phone's screen."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import strip_tags
from playwright.sync_api import Page, expect

from accounts.models import User
from questions.models import Question, Topic
from studyhub.markdown import render_markdown
from teams.demo import DEMO_NOTES, DEMO_TEAM, load_demo_data
from teams.models import Team
from tests.browser.conftest import DEVICES, SCREENSHOT_DIR, each_scheme, open_page
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_screenshots import OVERFLOWING

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def demo_team(bank_server) -> Team:
    load_demo_data()
    return Team.objects.get(name=DEMO_TEAM)


@pytest.fixture
def as_ines(log_in_as):
    def log_in(context) -> None:
        log_in_as(context, User.objects.get(username="ines"))

    return log_in


def open_member(page: Page, team: Team, username: str) -> None:
    membership = team.memberships.get(user__username=username)
    open_page(page, "teams:member_detail", team_id=team.pk, membership_id=membership.pk)
    name = membership.user.shown_name
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def open_report(page: Page, team: Team, **query: str) -> None:
    open_page(page, "teams:hard_questions", team_id=team.pk, query=query or None)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{DEMO_TEAM}: hard questions")


# --- One learner in full ---------------------------------------------------------------


def test_the_member_page_shows_one_learner_in_full(page: Page, demo_team, as_ines):
    as_ines(page.context)
    open_member(page, demo_team, "priya")
    main = page.get_by_role("main")
    for heading in ["Overall", "Coverage by topic", "Confidence", "Activity", "Assignments"]:
        expect(main.get_by_role("heading", name=heading, exact=True, level=2)).to_be_visible()
    expect(main.get_by_role("heading", name="Rated Not yet or Shaky", level=2)).to_be_visible()
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Dashboard")

    topics = page.get_by_role("table", name="Coverage and confidence by topic for Priya Shah")
    banks = [demo_team.bank_id]
    with_questions = (
        Topic.objects.in_scope(banks).filter(questions__in=Question.objects.live_in(banks))
    ).distinct()
    expect(topics.locator("tbody tr")).to_have_count(with_questions.count())
    expect(topics.get_by_role("link", name="Deployment and efficiency")).to_be_visible()
    # The section and the table's scrolling frame are two regions with two names.
    expect(main.get_by_role("region", name="Coverage by topic", exact=True)).to_have_count(1)
    expect(
        main.get_by_role("region", name="Coverage and confidence by topic for Priya Shah")
    ).to_have_count(1)

    # What is missing of the first assignment: hidden until asked for, then linked.
    week3 = main.get_by_role("region", name="Week 3: deployment and robustness")
    missing = week3.locator("details.missing")
    listed = missing.get_by_role("listitem")
    expect(listed.first).to_be_hidden()
    missing.locator("summary").click()
    expect(listed.first).to_be_visible()
    expect(listed.first.get_by_role("link")).to_have_attribute("href", re.compile(r"/questions/"))
    expect(listed.first).to_contain_text(re.compile(r"Not rated|Not yet|Shaky"))
    week3_id = demo_team.assignments.get(topic_set__name="Week 3: deployment and robustness").pk
    team_view = missing.get_by_role("link", name=re.compile("^See how the team does on these"))
    team_view.click()
    expect(page).to_have_url(re.compile(rf"\?assignment={week3_id}$"))
    expect(page.get_by_label("Assignment", exact=True)).to_have_value(str(week3_id))
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Shah")

    # The weekly numbers behind the chart.
    expect(
        page.get_by_role("img", name=re.compile(r"^Ratings per week|^No ratings"))
    ).to_be_visible()
    page.get_by_text("Ratings per week as a table").click()
    expect(page.locator(".activity-numbers tbody tr")).to_have_count(12)


def note_lines() -> list[str]:
    """Each line of the demo notes as a page shows it once rendered (Markdown gone)."""
    return [
        line.strip()
        for text in DEMO_NOTES.values()
        for line in strip_tags(render_markdown(text)).splitlines()
        if line.strip()
    ]


def test_the_member_page_never_shows_a_note(page: Page, demo_team, as_ines, log_in_as):
    lena = User.objects.get(username="lena")  # Lena has notes on three questions
    lines = note_lines()
    assert "Distillation = train a small student on the soft targets of a big teacher." in lines
    # The lines are what a page showing a note holds: Lena's own question page does.
    log_in_as(page.context, lena)
    open_page(page, "progress:question_detail", key="cnn-10")
    expect(page.locator("body")).to_contain_text(lines[0])

    page.context.clear_cookies()
    as_ines(page.context)
    open_member(page, demo_team, "lena")
    expect(page.get_by_role("heading", name="Rated Not yet or Shaky")).to_be_visible()
    for details in page.locator("details").all():
        details.locator("summary").click()
    body = page.locator("body")
    for line in lines:
        expect(body).not_to_contain_text(line)
    expect(page.locator(".note-badge")).to_have_count(0)


# --- The hard questions ------------------------------------------------------------------------


def test_the_report_sorts_by_a_column_and_filters_by_topic(page: Page, demo_team, as_ines):
    as_ines(page.context)
    open_report(page, demo_team)
    table = page.get_by_role("table", name=re.compile("^Questions by how many learners"))
    struggling = table.get_by_role("columnheader", name="Not yet or Shaky")
    expect(struggling).to_have_attribute("aria-sort", "descending")

    table.get_by_role("link", name="Average level").click()
    sorted_url = reverse("teams:hard_questions", args=[demo_team.pk], query={"sort": "-average"})
    expect(page).to_have_url(re.compile(re.escape(sorted_url) + "$"))
    expect(table.get_by_role("columnheader", name="Average level")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(struggling).not_to_have_attribute("aria-sort", re.compile("."))
    averages = [
        float(text)
        for text in table.locator("tbody tr td:nth-child(6)").all_inner_texts()
        if not text.startswith("—")
    ]
    assert averages and averages == sorted(averages, reverse=True)

    page.get_by_label("Topic").select_option(label="Deployment and efficiency")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Questions of Deployment and efficiency"
    )
    in_topic = Question.objects.live_in([demo_team.bank_id]).filter(topics__slug="deployment")
    expect(table.locator("tbody tr")).to_have_count(in_topic.count())
    # The sort is kept.
    expect(table.get_by_role("columnheader", name="Average level")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(page.get_by_role("link", name=re.compile("^Download CSV"))).to_have_attribute(
        "href", re.compile(r"\?topic=deployment&sort=-average$")
    )


# --- axe-core and screenshots ---------------------------------------------------------------------


@pytest.mark.parametrize("device", list(DEVICES))
def test_insight_pages_are_accessible(new_context, demo_team, as_ines, device):
    context = new_context(**DEVICES[device])
    as_ines(context)
    page = context.new_page()
    open_member(page, demo_team, "marco")
    for details in page.locator("details.missing, details.activity-numbers").all():
        details.locator("summary").click()
    assert_accessible(page, f"member page ({device})")
    open_report(page, demo_team)
    assert_accessible(page, f"hard questions ({device})")


@pytest.mark.parametrize("device", list(DEVICES))
def test_screenshots(new_context, demo_team, as_ines, device):
    context = new_context(**DEVICES[device])
    as_ines(context)
    page = context.new_page()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    width = DEVICES[device]["viewport"]["width"]

    def member(page: Page) -> None:
        open_member(page, demo_team, "priya")
        page.locator("details.missing summary").first.click()

    def report(page: Page) -> None:
        open_report(page, demo_team)

    problems = []
    for name, open_it in {"member-detail": member, "hard-questions": report}.items():
        open_it(page)
        for scheme in each_scheme(page):
            path = SCREENSHOT_DIR / f"{name}-{device}-{scheme}.png"
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
