"""The topic page's filter, and the question page driven from the keyboard alone."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from questions.models import Question
from tests.browser.conftest import open_page, rating_button, wait_for_htmx
from tests.factories import mark

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def question(position: int) -> Question:
    return Question.objects.get(position=position)


def test_topic_filter_updates_in_place_and_back_restores(page: Page, learner, log_in_as):
    # Object detection holds questions 5, 19, 23 and 24.
    mark(learner, question(19), 3)
    mark(learner, question(23), 2)
    mark(learner, question(24), 5)
    log_in_as(page.context, learner)
    detection = reverse("progress:topic_detail", kwargs={"slug": "detection"})
    page.goto(detection)

    rows = page.get_by_role("region", name=re.compile(r"^All questions")).get_by_role("listitem")
    expect(page.get_by_role("heading", level=2)).to_have_text("All questions (4 of 4)")
    expect(rows).to_have_count(4)
    expect(page.get_by_text("Your coverage:")).to_contain_text("2 of 4")

    page.evaluate("window.__marker = 1")
    page.get_by_label("Show").select_option(label="Covered (Okay or better)")
    listing = page.get_by_role("region", name=re.compile(r"^Covered"))
    expect(listing.get_by_role("heading", level=2)).to_have_text(
        "Covered (Okay or better) (2 of 4)"
    )
    expect(page).to_have_url(detection + "?level=covered")
    expect(listing.get_by_role("link")).to_have_text([re.compile(r"^Q19 "), re.compile(r"^Q24 ")])
    expect(listing).to_contain_text("Okay")
    expect(listing).to_contain_text("Mastered")
    assert page.evaluate("window.__marker") == 1, "filtering reloaded the page"

    page.get_by_label("Show").select_option(label="Not rated yet")
    listing = page.get_by_role("region", name=re.compile(r"^Not rated yet"))
    expect(listing.get_by_role("link")).to_have_text([re.compile(r"^Q5 ")])
    expect(page).to_have_url(re.compile(r"\?level=unrated$"))

    # Back twice: the covered list, then the unfiltered list, with the select to match.
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?level=covered$"))
    expect(page.get_by_role("heading", level=2)).to_have_text("Covered (Okay or better) (2 of 4)")
    page.go_back()
    expect(page).to_have_url(detection)
    expect(page.get_by_role("heading", level=2)).to_have_text("All questions (4 of 4)")
    expect(
        page.get_by_role("region", name=re.compile(r"^All questions")).get_by_role("listitem")
    ).to_have_count(4)
    expect(page.get_by_label("Show")).to_have_value("")


def test_empty_filter_says_so(page: Page, learner, log_in_as):
    log_in_as(page.context, learner)
    open_page(page, "progress:topic_detail", slug="detection")
    page.get_by_label("Show").select_option(label="5 · Mastered")
    expect(page.get_by_text("No questions in this topic match “5 · Mastered”.")).to_be_visible()


def active_element(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            return {tag: el.tagName.toLowerCase(), id: el.id, text: el.textContent.trim(),
                    classes: [...el.classList]};
        }"""
    )


def tab_until(page: Page, matches, *, limit: int = 60) -> dict:
    """Press Tab until the focused element satisfies `matches`; fail after `limit` presses."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = active_element(page)
        if matches(focused):
            return focused
        seen.append(f"{focused['tag']}#{focused['id']} {focused['text'][:30]!r}")
    pytest.fail("Tab never reached the element; focus went through:\n" + "\n".join(seen))


def is_level_button(focused: dict) -> bool:
    return focused["tag"] == "button" and focused["id"].startswith("level-")


def test_question_page_from_the_keyboard(page: Page, learner, log_in_as):
    log_in_as(page.context, learner)
    open_page(page, "progress:question_detail", key="cnn-05", query={"topic": "detection"})
    page.evaluate("window.__marker = 1")

    # The first Tab offers the skip link.
    page.keyboard.press("Tab")
    assert active_element(page)["text"] == "Skip to main content"

    tab_until(page, lambda f: f["tag"] == "summary" and "Show answer" in f["text"])
    page.keyboard.press("Enter")
    expect(page.locator("details#answer")).to_have_js_property("open", True)
    expect(page.get_by_text("The source text ends here")).to_be_visible()

    # Tab to the first confidence button, on to "Okay", and press Enter.
    first = tab_until(page, is_level_button)
    assert first["id"] == "level-1"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert active_element(page)["id"] == "level-3"
    page.keyboard.press("Enter")
    okay = rating_button(page, "Okay")
    expect(okay).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("region", name="Your coverage")).to_contain_text("1 of 4")
    # The control was swapped, yet focus stayed on the same button.
    expect(okay).to_be_focused()
    assert is_level_button(active_element(page))
    wait_for_htmx(page)

    # Space works too, and focus survives the second swap.
    page.keyboard.press("Tab")
    assert active_element(page)["id"] == "level-4"
    page.keyboard.press("Space")
    confident = rating_button(page, "Confident")
    expect(confident).to_have_attribute("aria-pressed", "true")
    expect(okay).to_have_attribute("aria-pressed", "false")
    expect(confident).to_be_focused()
    assert is_level_button(active_element(page))
    wait_for_htmx(page)

    # The note editor opens from the keyboard and takes the focus.
    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "Write a note")
    page.keyboard.press("Enter")
    note_box = page.get_by_label("Note", exact=True)
    expect(note_box).to_be_focused()
    wait_for_htmx(page)  # the editor's form is enhanced when htmx settles, after focus
    page.keyboard.type("Typed **from the keyboard**")
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Save and close")
    page.keyboard.press("Enter")
    expect(page.get_by_role("region", name="My note").locator("strong")).to_have_text(
        "from the keyboard"
    )
    # The editor is gone; focus is on the way back into it, not lost to the page top.
    edit = page.get_by_role("link", name="Edit note")
    expect(edit).to_be_focused()
    wait_for_htmx(page)

    # So it is after "Save and close" with nothing changed.
    page.keyboard.press("Enter")
    expect(note_box).to_be_focused()
    wait_for_htmx(page)
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Save and close")
    page.keyboard.press("Enter")
    expect(edit).to_be_focused()
    assert page.evaluate("window.__marker") == 1


def test_header_menus_close_on_escape_and_on_a_click_elsewhere(page: Page, learner, log_in_as):
    log_in_as(page.context, learner)
    open_page(page, "progress:topic_list")
    teams = page.get_by_role("navigation", name="Main").locator("details")
    account = page.locator("details.account-menu")

    # From the keyboard: Enter opens the menu, Escape closes it and keeps focus on its button.
    tab_until(page, lambda f: f["tag"] == "summary" and f["text"] == "Teams")
    page.keyboard.press("Enter")
    expect(teams).to_have_js_property("open", True)
    page.keyboard.press("Tab")  # into the menu
    page.keyboard.press("Escape")
    expect(teams).to_have_js_property("open", False)
    assert active_element(page)["text"] == "Teams"

    # With the mouse: a click anywhere else closes it; a click inside does not.
    account.locator("summary").click()
    expect(account).to_have_js_property("open", True)
    account.locator("ul").click(position={"x": 2, "y": 2})
    expect(account).to_have_js_property("open", True)
    page.get_by_role("heading", level=1).click()
    expect(account).to_have_js_property("open", False)


def test_question_page_has_the_study_cards_keys(page: Page, learner, log_in_as):
    """Space reveals, 1–5 rate only once the answer shows, N and P move, ? lists them."""
    log_in_as(page.context, learner)
    open_page(page, "progress:question_detail", key="cnn-19", query={"topic": "detection"})
    page.wait_for_load_state("domcontentloaded")  # keys.js is deferred
    answer = page.locator("details#answer")

    page.keyboard.press("3")  # before the reveal: nothing is rated
    page.wait_for_timeout(300)
    assert not learner.confidence_marks.exists()

    page.keyboard.press("Space")
    expect(answer).to_have_js_property("open", True)
    page.keyboard.press("3")
    expect(rating_button(page, "Okay")).to_have_attribute("aria-pressed", "true")
    wait_for_htmx(page)
    assert learner.confidence_marks.get().level == 3

    page.keyboard.press("?")
    shortcuts = page.locator("#question-shortcuts")
    expect(shortcuts).to_have_js_property("open", True)
    expect(shortcuts).to_contain_text("Next question in Object detection")

    # Question 19 is second of detection's 5, 19, 23, 24.
    page.locator("#main").focus()
    page.keyboard.press("n")
    expect(page.get_by_text("Question 23 · 3 of 4 in Object detection")).to_be_visible()
    page.wait_for_load_state("domcontentloaded")
    page.keyboard.press("p")
    expect(page.get_by_text("Question 19 · 2 of 4 in Object detection")).to_be_visible()
