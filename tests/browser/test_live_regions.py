"""Status lines are live regions: htmx must change their text, not replace the element,
or screen readers stay silent (WCAG 4.1.3)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_page, rating_button, wait_for_htmx

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def tag_element(page: Page, selector: str) -> None:
    page.eval_on_selector(selector, "el => { el.dataset.original = 'yes'; }")


def still_original(page: Page, selector: str) -> bool:
    return page.eval_on_selector(selector, "el => el.dataset.original === 'yes'")


def test_marking_updates_the_confidence_status_in_place(logged_in_page: Page):
    page = logged_in_page
    open_page(page, "progress:question_detail", key="cnn-05", query={"topic": "detection"})
    tag_element(page, "#confidence-status")

    rating_button(page, "Shaky").click()
    wait_for_htmx(page)
    expect(page.locator("#confidence-status")).to_have_text(
        "Your confidence: Shaky — not covered yet."
    )
    assert still_original(page, "#confidence-status"), "the status element was replaced"
    expect(page.locator("#confidence-status")).to_have_attribute("role", "status")


def test_autosave_updates_the_note_status_in_place(logged_in_page: Page):
    page = logged_in_page
    open_page(page, "progress:question_detail", key="cnn-05")
    page.get_by_role("link", name="Write a note").click()
    textarea = page.get_by_label("Note", exact=True)
    expect(textarea).to_be_focused()
    wait_for_htmx(page)  # autosave is wired up when htmx settles, after focus
    tag_element(page, "#note-status")

    textarea.press_sequentially("anchors")
    expect(page.locator("#note-status")).to_contain_text("Saved at", timeout=8_000)
    assert still_original(page, "#note-status"), "the status element was replaced"


def test_filter_count_is_announced_in_a_persistent_region(logged_in_page: Page):
    page = logged_in_page
    open_page(page, "progress:topic_detail", slug="detection")
    tag_element(page, "#filter-status")

    page.get_by_label("Show").select_option(label="Not rated yet")
    expect(page.locator("#filter-status")).to_have_text(
        re.compile(r"^Not rated yet: 4 questions\.$")
    )
    assert still_original(page, "#filter-status")
