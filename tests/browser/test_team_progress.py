"""Opt-in team progress in a real browser, on the demo data (team progress on; lena and
marco share, priya does not).

- A learner shares from the team page and finds herself on the team progress page.
- axe-core on the pages of the feature, light and dark.
- Screenshots at 390 and 1280 px, with nothing wider than the phone.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from questions.models import Topic
from teams.demo import DEMO_TEAM, load_demo_data
from teams.models import Team
from tests.browser.conftest import DEVICES, SCREENSHOT_DIR, open_page
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_screenshots import OVERFLOWING
from tests.factories import mark

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

OCR = "OCR"


def demo_team() -> Team:
    return Team.objects.get(name=DEMO_TEAM)


def priya_covers_ocr() -> None:
    """Priya covers every OCR question, so a topic names her once she shares."""
    priya = User.objects.get(username="priya")
    for question in Topic.objects.get(slug="ocr").questions.all():
        mark(priya, question, 4)


def row_of(page: Page, topic: str):
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=topic))


def test_a_learner_shares_from_the_team_page_and_sees_herself(page: Page, log_in_as, bank_server):
    load_demo_data()
    priya_covers_ocr()
    log_in_as(page.context, User.objects.get(username="priya"))

    open_page(page, "teams:team_progress", team_id=demo_team().pk)
    expect(page.get_by_text("2 members share their progress.")).to_be_visible()
    expect(
        page.get_by_text("You do not share your progress, so you are not counted")
    ).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("Priya Shah")

    page.get_by_role("link", name="Change this on the team page").click()
    card = page.get_by_role("region", name="Your progress in this team")
    expect(card).to_contain_text("You do not share your progress with CV interview prep.")
    expect(card).to_contain_text("They never see your notes.")
    card.get_by_role("button", name="Share my progress").click()

    expect(page.get_by_text("You now share your progress with CV interview prep.")).to_be_visible()
    card = page.get_by_role("region", name="Your progress in this team")
    expect(card.get_by_role("button", name="Stop sharing my progress")).to_be_visible()
    card.get_by_role("link", name="Team progress").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Team progress")
    expect(page.get_by_text("3 members share their progress.")).to_be_visible()
    expect(page.get_by_text("You share your progress, so you are counted here.")).to_be_visible()
    expect(row_of(page, OCR).get_by_role("cell").last).to_contain_text("Priya Shah")


def test_an_instructor_turns_team_progress_off_from_the_settings(
    page: Page, log_in_as, bank_server
):
    load_demo_data()
    log_in_as(page.context, User.objects.get(username="ines"))
    open_page(page, "teams:team_settings", team_id=demo_team().pk)
    card = page.get_by_role("region", name="Team progress for members")
    card.get_by_role("button", name="Turn team progress off").click()

    expect(page.get_by_text("Team progress is off: members no longer see it.")).to_be_visible()
    card = page.get_by_role("region", name="Team progress for members")
    expect(card.get_by_role("button", name="Let members see the team's progress")).to_be_visible()
    team = demo_team()
    assert not team.members_see_progress
    assert team.memberships.sharing().count() == 2  # the learners' choices are kept


# --- axe-core -----------------------------------------------------------------------


def progress_page(page: Page) -> None:
    open_page(page, "teams:team_progress", team_id=demo_team().pk)
    expect(page.get_by_role("table")).to_be_visible()


def progress_page_off(page: Page) -> None:
    demo_team().show_progress_to_members(False)
    open_page(page, "teams:team_progress", team_id=demo_team().pk)
    expect(page.get_by_role("heading", name="Team progress is off")).to_be_visible()


def team_page(page: Page) -> None:
    open_page(page, "teams:team_detail", team_id=demo_team().pk)
    expect(page.get_by_role("heading", name="Team progress")).to_be_visible()


def settings_page(page: Page) -> None:
    open_page(page, "teams:team_settings", team_id=demo_team().pk)
    expect(page.get_by_role("heading", name="Team progress for members")).to_be_visible()


def learner_team_page(page: Page) -> None:
    open_page(page, "teams:team_detail", team_id=demo_team().pk)
    expect(page.get_by_role("heading", name="Your progress in this team")).to_be_visible()


PAGES: dict[str, tuple[str, Callable[[Page], None]]] = {
    "team-progress": ("lena", progress_page),
    "team-progress-instructor": ("ines", progress_page),
    "team-page-learner": ("priya", learner_team_page),
    "team-page-instructor": ("ines", team_page),
    "team-settings": ("ines", settings_page),
    "team-progress-off": ("priya", progress_page_off),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_team_progress_pages_are_accessible(new_context, log_in_as, bank_server, name):
    load_demo_data()
    username, open_it = PAGES[name]
    context = new_context()
    log_in_as(context, User.objects.get(username=username))
    page = context.new_page()
    open_it(page)
    assert_accessible(page, name)


# --- Screenshots ------------------------------------------------------------------------


@pytest.mark.parametrize("device", list(DEVICES))
def test_team_progress_screenshots(new_context, log_in_as, bank_server, device):
    load_demo_data()
    priya_covers_ocr()
    context = new_context(**DEVICES[device])
    page = context.new_page()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    width = DEVICES[device]["viewport"]["width"]

    problems = []
    # The off page last: it turns team progress off.
    for name, (username, open_it) in PAGES.items():
        log_in_as(context, User.objects.get(username=username))
        open_it(page)
        path = SCREENSHOT_DIR / f"{name}-{device}.png"
        path.unlink(missing_ok=True)
        page.screenshot(path=str(path), full_page=True)
        assert path.is_file() and path.stat().st_size > 1_000, f"no screenshot at {path}"
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            problems.append(f"{name}: {scroll_width}px wide; {page.evaluate(OVERFLOWING)}")
    assert not problems, f"Wider than the {device}:\n" + "\n".join(problems)
