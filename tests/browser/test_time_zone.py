"""The browser's time zone (static/js/timezone.js): taken at sign-up, offered on the
profile; and the two pages' layout at a phone's and a desktop's width, light and dark.

The screenshots land in test-results/screenshots/ (time-zone-*.png) for a person to look
at; the test checks the room between each form's button and the line below it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser.conftest import DEVICES, SCREENSHOT_DIR, each_scheme, open_page, sign_up
from tests.browser.test_accessibility import assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

TONGA = "Pacific/Tongatapu"
HONOLULU = "Pacific/Honolulu"
#: The least room, in CSS pixels, between a form's last button and the text after it.
LEAST_GAP = 12


def gap_below(page: Page, button_name: str, text: str) -> float:
    button = page.get_by_role("button", name=button_name).bounding_box()
    below = page.get_by_text(text).bounding_box()
    assert button and below
    return below["y"] - (button["y"] + button["height"])


def test_sign_up_keeps_the_browsers_time_zone(new_context, bank_server):
    page = new_context(timezone_id=TONGA).new_page()

    sign_up(page, username="tana")

    assert User.objects.get(username="tana").time_zone == TONGA


def test_the_profile_offers_the_browsers_time_zone(new_context, log_in_as, learner):
    context = new_context(timezone_id=HONOLULU)
    log_in_as(context, learner)
    page = context.new_page()
    open_page(page, "accounts:profile")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("")

    page.get_by_role("button", name=f"Use this browser’s time zone ({HONOLULU})").click()

    expect(zone).to_have_value(HONOLULU)
    expect(zone).to_be_focused()
    expect(page.get_by_role("button", name="Use this browser’s time zone")).to_be_hidden()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    learner.refresh_from_db()
    assert learner.time_zone == HONOLULU
    # Chosen already: nothing more to offer.
    expect(page.get_by_label("Time zone")).to_have_value(HONOLULU)
    expect(page.get_by_role("button", name="Use this browser’s time zone")).to_have_count(0)


def test_the_profile_offers_nothing_when_the_browser_is_in_the_sites_zone(
    new_context, log_in_as, learner, settings
):
    context = new_context(timezone_id=settings.TIME_ZONE)
    log_in_as(context, learner)
    page = context.new_page()
    open_page(page, "accounts:profile")

    expect(page.get_by_label("Time zone")).to_have_value("")
    expect(page.get_by_role("button", name="Use this browser’s time zone")).to_have_count(0)


def test_the_profile_with_the_offer_is_accessible(new_context, log_in_as, learner):
    context = new_context(timezone_id=TONGA)
    log_in_as(context, learner)
    page = context.new_page()
    open_page(page, "accounts:profile")
    expect(
        page.get_by_role("button", name=f"Use this browser’s time zone ({TONGA})")
    ).to_be_visible()

    assert_accessible(page, "profile with the time-zone offer")


@pytest.mark.parametrize("device", list(DEVICES))
def test_sign_up_and_profile_leave_room_below_their_buttons(
    new_context, log_in_as, learner, device
):
    context = new_context(timezone_id=TONGA, **DEVICES[device])
    page = context.new_page()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    width = DEVICES[device]["viewport"]["width"]

    open_page(page, "accounts:signup")
    sign_up_gap = gap_below(page, "Sign up", "Already have an account?")
    for scheme in each_scheme(page):
        page.screenshot(
            path=str(SCREENSHOT_DIR / f"time-zone-sign-up-{device}-{scheme}.png"), full_page=True
        )
    sign_up_width = page.evaluate("document.documentElement.scrollWidth")

    log_in_as(context, learner)
    open_page(page, "accounts:profile")
    profile_gap = gap_below(page, "Save profile", "Change your password")
    for scheme in each_scheme(page):
        page.screenshot(
            path=str(SCREENSHOT_DIR / f"time-zone-profile-{device}-{scheme}.png"), full_page=True
        )
    profile_width = page.evaluate("document.documentElement.scrollWidth")

    assert sign_up_gap >= LEAST_GAP, f"{sign_up_gap}px below the sign-up button"
    assert profile_gap >= LEAST_GAP, f"{profile_gap}px below Save profile"
    assert sign_up_width <= width and profile_width <= width
