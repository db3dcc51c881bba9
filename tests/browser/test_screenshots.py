"""Full-page screenshots of the main pages on a phone and a desktop, light and dark.

The PNGs land in test-results/screenshots/ (gitignored) for a person to look at; the test
itself checks that they were written and that nothing is wider than a phone screen.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from teams.demo import load_demo_data
from tests.browser.conftest import SCREENSHOT_DIR, open_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

DEVICES: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 1,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
}


def open_dashboard(page: Page) -> None:
    open_page(page, "progress:dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Lena Park")


def open_topic_list(page: Page) -> None:
    open_page(page, "progress:topic_list")
    expect(page.get_by_role("heading", level=1)).to_have_text("Topics")


def open_topic_page(page: Page) -> None:
    open_page(page, "progress:topic_detail", slug="deployment")
    expect(page.get_by_role("heading", level=1)).to_have_text("Deployment and efficiency")


def open_question_page(page: Page) -> None:
    # Question 10 has a note in the demo data; question 5 has the cut-off long answer.
    open_page(page, "progress:question_detail", key="cnn-05", query={"topic": "detection"})
    page.get_by_text("Show answer").click()
    expect(page.get_by_text("The source text ends here")).to_be_visible()


PAGES = {
    "dashboard": open_dashboard,
    "topic-list": open_topic_list,
    "topic-page": open_topic_page,
    "question-page": open_question_page,
}

#: The outermost visible elements that stick out past the right edge of the layout.
OVERFLOWING = """() => {
    const width = document.documentElement.clientWidth;
    const sticksOut = el => el.checkVisibility() && el.getBoundingClientRect().right > width + 0.5;
    const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        [...el.classList].map(c => "." + c).join("");
    return [...document.querySelectorAll("body *")]
        .filter(el => sticksOut(el) && !sticksOut(el.parentElement))
        .map(el => `${name(el)} (right edge at ${Math.round(el.getBoundingClientRect().right)}px)`);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", list(DEVICES))
def test_screenshots(new_context, log_in_as, bank_server, device, scheme):
    load_demo_data()
    context = new_context(color_scheme=scheme, **DEVICES[device])
    log_in_as(context, User.objects.get(username="lena"))
    page = context.new_page()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    width = DEVICES[device]["viewport"]["width"]

    problems = []
    for name, open_it in PAGES.items():
        open_it(page)
        path = SCREENSHOT_DIR / f"{name}-{device}-{scheme}.png"
        path.unlink(missing_ok=True)
        page.screenshot(path=str(path), full_page=True)
        assert path.is_file() and path.stat().st_size > 1_000, f"no screenshot at {path}"

        if device == "phone":
            scroll_width, inner_width = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll_width > inner_width or scroll_width > width:
                problems.append(
                    f"{name}: scrollWidth {scroll_width}px, innerWidth {inner_width}px,"
                    f" phone {width}px; sticking out: {page.evaluate(OVERFLOWING)}"
                )
    assert not problems, "Horizontal overflow at phone width:\n" + "\n".join(problems)


def test_header_menus_fit_on_a_phone(new_context, log_in_as, bank_server):
    load_demo_data()
    context = new_context(**DEVICES["phone"])
    log_in_as(context, User.objects.get(username="lena"))
    page = context.new_page()
    open_page(page, "progress:topic_list")
    width = DEVICES["phone"]["viewport"]["width"]

    problems = []
    for summary in [
        page.get_by_role("navigation", name="Main").get_by_text("Teams", exact=True),
        page.get_by_text("Account menu for Lena Park"),
    ]:
        summary.click()
        menu = summary.locator("xpath=..").get_by_role("list")
        expect(menu).to_be_visible()
        box = menu.bounding_box()
        left, right = box["x"], box["x"] + box["width"]
        if left < 0 or right > width:
            problems.append(
                f"{summary.inner_text()!r} menu spans x={left:.0f}..{right:.0f}"
                f" on a {width}px screen"
            )
        summary.click()
        expect(menu).to_be_hidden()
    assert not problems, "Header menus cut off on a phone:\n" + "\n".join(problems)
