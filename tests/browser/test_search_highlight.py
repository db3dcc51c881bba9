"""The question search says why each result matched — the words marked in the question,
a passage of the answer — readably on a phone and a desktop, in light and dark.

Each run also writes a screenshot to test-results/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOT_DIR, each_scheme, open_page, wait_for_htmx
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_screenshots import DEVICES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def result(page: Page, number: int):
    """The result row of question `number`."""
    rows = page.get_by_role("region", name=re.compile(r"^Results")).get_by_role("listitem")
    return rows.filter(has=page.get_by_role("link", name=re.compile(rf"^Q{number} ")))


@pytest.mark.parametrize("device", list(DEVICES))
def test_results_show_why_they_matched(new_context, learner, log_in_as, device):
    context = new_context(**DEVICES[device])
    log_in_as(context, learner)
    page = context.new_page()
    open_page(page, "progress:question_list")

    # Typed, so htmx swaps in the results.
    page.get_by_label("Search", exact=True).fill("networks")
    expect(page.get_by_role("status").and_(page.locator("#results-status"))).to_have_text(
        re.compile(r"^\d+ questions match\.$")
    )
    wait_for_htmx(page)

    # Q1 says "networks" itself: the word is marked in the question, and no passage follows.
    q1 = result(page, 1)
    expect(q1.get_by_role("link").locator("mark")).to_have_text(["networks"])
    expect(q1.locator(".match")).to_have_count(0)
    # Q2 matched in its answer only: a passage of it, "network" marked too (stemmed).
    q2 = result(page, 2)
    expect(q2.get_by_role("link").locator("mark")).to_have_count(0)
    passage = q2.locator("p.match")
    expect(passage).to_be_visible()
    expect(passage).to_contain_text("Matched in the answer:")  # for screen readers
    expect(passage.locator("mark").filter(has_text=re.compile(r"^network$")).first).to_be_visible()

    # The mark stands out by more than its colour, and nothing is wider than the screen.
    mark = passage.locator("mark").first
    assert mark.evaluate("el => getComputedStyle(el).fontWeight") == "600"
    for scheme in each_scheme(page):
        assert mark.evaluate("el => getComputedStyle(el).backgroundColor") != mark.evaluate(
            "el => getComputedStyle(el.closest('li')).backgroundColor"
        ), scheme
    width = DEVICES[device]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    assert_accessible(page, f"question search with marked results ({device})")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    q2.scroll_into_view_if_needed()
    for scheme in each_scheme(page):
        path = SCREENSHOT_DIR / f"search-why-{device}-{scheme}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 0
