"""The team's calibration and verified coverage in a real browser, with the demo data and
some checks of our own, as the demo instructor Ines: the calibration page (its summary, the
table most over-confident first, the CSV link), a learner's "Confidence and recall" on the
member page, and the grid's verified figures readable on a phone; axe-core in both colour
schemes, nothing wider than a phone, and screenshots (var/screenshots/team-calibration-*.png)
on a phone and a desktop, light and dark, for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from accounts.models import User
from progress.models import ConfidenceMark
from teams.demo import DEMO_TEAM, load_demo_data
from teams.insight import team_calibration
from teams.models import Team
from tests.browser.conftest import DEVICES, each_scheme, open_page, wait_for_htmx
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_screenshots import OVERFLOWING

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture
def demo_team(bank_server) -> Team:
    """The demo team, and on top of whatever the demo learners typed, checks of our own:
    Lena's Deployment questions checked low (rated high, recalled little) and her first
    other questions checked well, so that the page has an over-confident topic and the
    grid verified figures."""
    load_demo_data()
    team = Team.objects.get(name=DEMO_TEAM)
    lena = User.objects.get(username="lena")
    marks = ConfidenceMark.objects.filter(user=lena).order_by("question__position")
    deployment = marks.filter(question__topics__slug="deployment")
    deployment.update(level=5, recall=15, recalled_half=False)
    others = marks.exclude(question__topics__slug="deployment").filter(level__gte=3)
    others.filter(pk__in=list(others.values_list("pk", flat=True)[:8])).update(
        recall=80, recalled_half=True
    )
    return team


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in each_scheme(page):
        path = SCREENSHOTS / f"team-calibration-{name}-{scheme}.png"
        path.unlink(missing_ok=True)
        page.screenshot(path=str(path), full_page=True)
        assert path.is_file() and path.stat().st_size > 1_000, f"no screenshot at {path}"


def fits_the_phone(page: Page) -> None:
    width = DEVICES["phone"]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.evaluate(
        OVERFLOWING
    )


def open_as_ines(new_context, log_in_as, device: str) -> Page:
    context = new_context(**DEVICES[device])
    log_in_as(context, User.objects.get(username="ines"))
    return context.new_page()


@pytest.mark.parametrize("device", list(DEVICES))
def test_the_team_calibration_page(new_context, log_in_as, demo_team, device):
    page = open_as_ines(new_context, log_in_as, device)
    open_page(page, "teams:team_dashboard", team_id=demo_team.pk)
    page.get_by_role("link", name="Confidence against recall, by topic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{DEMO_TEAM}: confidence and recall")
    report = team_calibration(demo_team)
    assert report.overall.checks > 0
    # Lena's Deployment: Mastered (90) against 15 at most; over-confident whatever the rest.
    assert report.overconfident, "the demo should have an over-confident topic"
    table = page.get_by_role("table", name=re.compile("^Confidence against recall by topic"))
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(report.topics))
    first = report.topics[0]
    expect(rows.first.get_by_role("rowheader")).to_have_text(first.topic.name)
    expect(rows.first).to_contain_text(f"{first.recall.gap_text} over-confident")
    summary = page.get_by_role("region", name="The team overall")
    expect(summary).to_contain_text(f"Most over-confident in: {first.topic.name}")
    # The summary's topic link leads to its row.
    summary.get_by_role("link", name=first.topic.name).click()
    expect(page).to_have_url(re.compile(rf"#topic-{first.topic.slug}$"))
    expect(page.get_by_role("link", name=re.compile("^Download CSV"))).to_have_attribute(
        "href", re.compile(r"/calibration\.csv$")
    )
    # How the figures are worked out, from the keyboard.
    help_summary = page.get_by_text("How the figures are worked out")
    help_summary.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"Each rating promises a recall score"))).to_be_visible()
    if device == "phone":
        fits_the_phone(page)
    assert_accessible(page, f"team calibration, {device}")
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, device)


@pytest.mark.parametrize("device", list(DEVICES))
def test_the_member_page_shows_the_learners_calibration(new_context, log_in_as, demo_team, device):
    page = open_as_ines(new_context, log_in_as, device)
    lena = demo_team.memberships.get(user__username="lena")
    open_page(page, "teams:member_detail", team_id=demo_team.pk, membership_id=lena.pk)
    expect(page.get_by_role("heading", level=1)).to_have_text("Lena Park")
    card = page.get_by_role("region", name="Confidence and recall")
    expect(card).to_contain_text(re.compile(r"\d+ checked answers?: the ratings promise"))
    table = card.get_by_role("table", name=re.compile("^Confidence against recall by topic"))
    first = table.locator("tbody tr").first
    expect(first.get_by_role("rowheader")).to_have_text("Deployment and efficiency")
    expect(first).to_contain_text("over-confident")
    if device == "phone":
        fits_the_phone(page)
    assert_accessible(page, f"member page with calibration, {device}")
    card.scroll_into_view_if_needed()
    shoot(page, f"member-{device}")


def test_verified_figures_are_readable_on_a_phone(new_context, log_in_as, demo_team):
    page = open_as_ines(new_context, log_in_as, "phone")
    open_page(page, "teams:team_dashboard", team_id=demo_team.pk)
    grid = page.get_by_role("table", name=re.compile(r"^Learners by topic coverage"))
    lena = grid.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Lena Park"))
    badges = lena.locator(".cell-verified")
    assert badges.count() >= 2  # overall and at least one topic
    # Each figure is a legible size and fully inside its cell.
    for index in range(badges.count()):
        badge = badges.nth(index)
        expect(badge).to_have_text(re.compile(r"^✓\d+$"))
        size = badge.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert size >= 11, f"the verified figure is {size}px"
        cell = badge.locator("xpath=ancestor::td[1]")
        inner, outer = badge.bounding_box(), cell.bounding_box()
        assert inner and outer
        assert (
            outer["x"] <= inner["x"]
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        ), (inner, outer)
    # Screen readers hear words, not the tick.
    expect(lena.locator("td.overall")).to_contain_text(re.compile(r", \d+ verified"))
    legend = page.get_by_role("list", name="Key to the cells")
    expect(legend).to_contain_text("covered questions verified")
    fits_the_phone(page)
    assert_accessible(page, "team grid with verified figures, phone")
    shoot(page, "grid-phone")
    # The levels view shows them too.
    page.get_by_label("confidence levels").check()
    expect(page).to_have_url(re.compile(r"[?&]cells=levels(&|$)"))
    wait_for_htmx(page)
    expect(lena.locator("td.level-cell .cell-verified").first).to_be_visible()
    shoot(page, "grid-levels-phone")


def test_the_grid_with_verified_figures_on_a_desktop(new_context, log_in_as, demo_team):
    page = open_as_ines(new_context, log_in_as, "desktop")
    open_page(page, "teams:team_dashboard", team_id=demo_team.pk)
    frame = page.get_by_role("region", name="Coverage by member and topic")
    # Thirteen topics still fit without scrolling sideways.
    width, client = frame.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert width <= client, f"the grid scrolls: {width} > {client}px"
    expect(frame.locator(".cell-verified").first).to_be_visible()
    shoot(page, "grid-desktop")
