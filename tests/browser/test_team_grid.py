"""The team dashboard's grid in a browser, with the demo team (teams.demo) as its
instructor, Ines, sees it: every topic fits a desktop without scrolling sideways, the
member column stays in view when a phone scrolls it, the levels view draws bars, the
assignment filter agrees with the assignment's lists, and axe finds nothing serious.

Screenshots land in SCREENSHOT_DIR as team-grid-*.png for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from questions.models import Topic
from teams.demo import DEMO_TEAM, load_demo_data
from teams.models import Team
from tests.browser.conftest import DEVICES, SCREENSHOT_DIR, open_page, wait_for_htmx
from tests.browser.test_accessibility import assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

WEEK3 = "Week 3: deployment and robustness"


@pytest.fixture
def demo_team(bank_server) -> Team:
    load_demo_data()
    return Team.objects.get(name=DEMO_TEAM)


@pytest.fixture
def open_grid(new_context, log_in_as, demo_team):
    """Open the demo team's dashboard as Ines on a device of DEVICES ("phone", "desktop")."""

    def open_it(device: str, **options) -> Page:
        context = new_context(**DEVICES[device], **options)
        log_in_as(context, User.objects.get(username="ines"))
        page = context.new_page()
        open_page(page, "teams:team_dashboard", team_id=demo_team.pk)
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{DEMO_TEAM}: team dashboard")
        return page

    return open_it


def grid(page: Page) -> Locator:
    return page.get_by_role("table", name=re.compile(r"^Learners by topic coverage"))


def choose_assignment(page: Page, option: str) -> None:
    page.get_by_label("Assignment", exact=True).select_option(label=option)


def others_box(page: Page) -> Locator:
    return page.get_by_role("checkbox", name="Also show other topics")


def frame(page: Page) -> Locator:
    return page.get_by_role("region", name="Coverage by member and topic")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"team-grid-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.is_file() and path.stat().st_size > 1_000, f"no screenshot at {path}"


def overflow(locator: Locator) -> tuple[int, int]:
    return tuple(locator.evaluate("el => [el.scrollWidth, el.clientWidth]"))


def test_every_topic_fits_a_desktop_without_scrolling_sideways(open_grid, demo_team):
    page = open_grid("desktop")
    topics = Topic.objects.in_scope([demo_team.bank_id]).order_by("position", "name")
    assert len(topics) >= 13
    headers = grid(page).get_by_role("columnheader")
    expect(headers).to_have_count(3 + len(topics))
    # Short headings to the eye, the full names to a screen reader and in the tooltip.
    deployment = grid(page).get_by_role("columnheader", name="Deployment and efficiency")
    expect(deployment).to_contain_text("Deployment")
    expect(deployment.get_by_role("link")).to_have_attribute("title", "Deployment and efficiency")
    scroll_width, client_width = overflow(frame(page))
    assert scroll_width <= client_width, f"the grid scrolls: {scroll_width} > {client_width}px"
    screenshot(page, "desktop")

    # An assignment's columns, its Status, and the option to add the other topics.
    choose_assignment(page, f"“{WEEK3}”")
    expect(grid(page)).to_have_accessible_name(re.compile(rf"topics of {re.escape(WEEK3)}$"))
    wait_for_htmx(page)
    page.get_by_label("Also show other topics").check()
    expect(page).to_have_url(re.compile(r"[?&]others=1(&|$)"))
    expect(headers.filter(has_text="*")).to_have_count(len(topics) - 2)
    wait_for_htmx(page)
    # Status and every topic, the assignment's and the others, still fit.
    expect(headers).to_have_count(4 + len(topics))
    scroll_width, client_width = overflow(frame(page))
    assert scroll_width <= client_width, f"the grid scrolls: {scroll_width} > {client_width}px"
    screenshot(page, "desktop-assignment-and-others")


def test_other_topics_are_offered_once_an_assignment_is_chosen(open_grid, demo_team):
    page = open_grid("desktop")
    headers = grid(page).get_by_role("columnheader")
    topic_count = Topic.objects.in_scope([demo_team.bank_id]).count()
    expect(others_box(page)).to_have_count(0)  # nothing to add to with every topic shown
    choose_assignment(page, f"“{WEEK3}”")
    expect(others_box(page)).to_be_visible()
    expect(others_box(page)).not_to_be_checked()
    wait_for_htmx(page)
    # Ticked from the keyboard: the swap that adds the topics keeps the box focused.
    others_box(page).focus()
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"[?&]others=1(&|$)"))
    expect(headers).to_have_count(4 + topic_count)
    wait_for_htmx(page)
    expect(others_box(page)).to_be_checked()
    expect(others_box(page)).to_be_focused()
    # Drawn as levels, every topic still fits the desktop.
    page.get_by_label("confidence levels").check()
    rows = grid(page).locator("tbody tr").count()
    expect(grid(page).locator(".level-bar")).to_have_count(rows * topic_count)
    wait_for_htmx(page)
    scroll_width, client_width = overflow(frame(page))
    assert scroll_width <= client_width, f"the grid scrolls: {scroll_width} > {client_width}px"
    # Back to every topic: the option goes again, and the grid has no Status.
    choose_assignment(page, "None: every topic")
    expect(others_box(page)).to_have_count(0)
    expect(headers).to_have_count(3 + topic_count)
    wait_for_htmx(page)


def test_other_topics_are_offered_with_an_assignment_without_javascript(open_grid, demo_team):
    page = open_grid("desktop", java_script_enabled=False)
    headers = grid(page).get_by_role("columnheader")
    topic_count = Topic.objects.in_scope([demo_team.bank_id]).count()
    expect(others_box(page)).to_have_count(0)
    choose_assignment(page, f"“{WEEK3}”")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]assignment=\d+(&|$)"))
    expect(grid(page).get_by_role("columnheader", name="Status")).to_be_visible()
    others_box(page).check()
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]others=1(&|$)"))
    expect(headers).to_have_count(4 + topic_count)
    expect(others_box(page)).to_be_checked()
    choose_assignment(page, "None: every topic")
    page.get_by_role("button", name="Show").click()
    expect(headers).to_have_count(3 + topic_count)
    expect(others_box(page)).to_have_count(0)


def test_the_member_column_stays_in_view_when_a_phone_scrolls_the_grid(open_grid):
    page = open_grid("phone")
    box = frame(page)
    scroll_width, client_width = overflow(box)
    assert scroll_width > client_width, "at 390px the grid should scroll inside its frame"
    screenshot(page, "phone")
    box.scroll_into_view_if_needed()
    box.evaluate("el => el.scrollLeft = el.scrollWidth")
    assert box.evaluate("el => el.scrollLeft") > 0
    frame_box = box.bounding_box()
    name = grid(page).get_by_role("rowheader", name="Lena Park")
    name_box = name.bounding_box()
    assert frame_box and name_box
    assert frame_box["x"] <= name_box["x"] <= frame_box["x"] + 2, (frame_box, name_box)
    # Nothing painted over it: the name is what sits at its place.
    x, y = name_box["x"] + 8, name_box["y"] + name_box["height"] / 2
    hit = page.evaluate(f"document.elementFromPoint({x}, {y}).closest('th')?.textContent")
    assert hit and hit.strip() == "Lena Park"
    screenshot(page, "phone-scrolled")
    # The page itself never scrolls sideways: only the grid's frame does.
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= DEVICES["phone"]["viewport"]["width"]


def test_the_levels_view_draws_a_bar_in_every_cell(open_grid, demo_team):
    page = open_grid("desktop")
    rows = grid(page).locator("tbody tr")
    topic_count = grid(page).locator("thead th.topic").count()
    page.get_by_label("confidence levels").check()
    expect(page).to_have_url(re.compile(r"[?&]cells=levels(&|$)"))
    expect(grid(page).locator(".level-bar")).to_have_count(rows.count() * topic_count)
    expect(page.get_by_role("list", name="Key to the cells")).to_contain_text("Mastered")
    # The numbers come as text too.
    lena = grid(page).get_by_role("row").filter(has=page.get_by_role("rowheader", name="Lena Park"))
    expect(lena.locator("td.level-cell").first).to_contain_text(
        re.compile(r"Not yet \d+, Shaky \d+")
    )
    # A sort link keeps the levels view.
    grid(page).get_by_role("columnheader", name="Deployment and efficiency").get_by_role(
        "link"
    ).click()
    expect(page).to_have_url(re.compile(r"sort=-deployment&cells=levels$"))
    expect(grid(page).locator(".level-bar")).to_have_count(rows.count() * topic_count)
    scroll_width, client_width = overflow(frame(page))
    assert scroll_width <= client_width, f"the grid scrolls: {scroll_width} > {client_width}px"
    screenshot(page, "desktop-levels")


def test_the_filtered_grid_says_what_the_assignment_lists_say(open_grid):
    page = open_grid("desktop")
    choose_assignment(page, f"“{WEEK3}”")
    expect(grid(page).get_by_role("columnheader")).to_have_text(
        [
            "Member",
            re.compile(r"^Assignment \(of \d+\)$"),
            "Status",
            "Last activity",
            re.compile(r"Deployment"),
            re.compile(r"Robustness"),
        ]
    )
    wait_for_htmx(page)
    status = page.get_by_role("region", name=re.compile(rf"^{re.escape(WEEK3)} due "))
    for learner in ("Lena Park", "Marco Rossi", "Priya Shah"):
        row = grid(page).get_by_role("row").filter(has=page.get_by_role("rowheader", name=learner))
        state = row.locator("td.status").inner_text().removesuffix(" ✓")
        overall = row.locator("td.overall").inner_text().split(" · ")[0]
        group = status.locator(".status-groups > div").filter(
            has=page.get_by_role("link", name=learner)
        )
        expect(group.get_by_role("heading")).to_have_text(re.compile(rf"^{state}: \d+$"))
        expect(group.get_by_role("listitem").filter(has_text=learner)).to_contain_text(
            f"({overall} of "
        )


def test_the_dashboard_is_accessible_in_both_views(open_grid):
    page = open_grid("desktop")
    assert_accessible(page, "team dashboard, coverage")
    page.get_by_label("confidence levels").check()
    expect(grid(page).locator(".level-bar").first).to_be_visible()
    wait_for_htmx(page)
    assert_accessible(page, "team dashboard, levels")
    choose_assignment(page, f"“{WEEK3}”")
    expect(grid(page).get_by_role("columnheader", name="Status")).to_be_visible()
    page.get_by_label("Also show other topics").check()
    expect(page).to_have_url(re.compile(r"[?&]others=1(&|$)"))
    wait_for_htmx(page)
    assert_accessible(page, "team dashboard, assignment and other topics")
