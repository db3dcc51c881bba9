"""A study session driven from the keyboard alone, as a screen-reader user would."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from progress.models import ConfidenceMark
from questions.models import Question
from tests.browser.conftest import open_page, wait_for_htmx
from tests.browser.test_accessibility import assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def start_ocr_session(page: Page) -> None:
    open_page(page, "progress:study_home")
    page.get_by_label("Topic", exact=True).select_option(label="OCR")
    page.get_by_role("button", name="Study this topic").click()
    expect(page.get_by_text("Question 1 of 2 · OCR")).to_be_visible()
    # The keys work once study.js (deferred) has run: by DOMContentLoaded. The text can
    # show before that, and a key pressed then would do nothing.
    page.wait_for_load_state("domcontentloaded")


def test_the_whole_session_works_from_the_keyboard(logged_in_page: Page, learner):
    page = logged_in_page
    start_ocr_session(page)
    q8, q25 = Question.objects.get(position=8), Question.objects.get(position=25)
    answer = page.locator("#study-answer")
    expect(answer).not_to_have_attribute("open", "")
    expect(page.get_by_role("button", name="Confident")).to_be_hidden()

    page.keyboard.press("5")  # before the reveal: no rating, the card stays
    page.wait_for_timeout(300)
    expect(page.get_by_text("Question 1 of 2 · OCR")).to_be_visible()
    assert not ConfidenceMark.objects.filter(user=learner).exists()

    page.keyboard.press("Space")  # reveal
    expect(answer).to_have_attribute("open", "")
    expect(answer.get_by_text(q8.concise_answer.text[:40])).to_be_visible()

    page.keyboard.press("4")  # Confident, and on to the next question
    wait_for_htmx(page)
    expect(page.get_by_text("Question 2 of 2 · OCR")).to_be_visible()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(q25.text)
    expect(heading).to_be_focused()  # a screen reader reads the new question
    assert ConfidenceMark.objects.get(user=learner, question=q8).level == 4

    page.keyboard.press("p")  # back: once the answer shows, so does the rating given
    wait_for_htmx(page)
    expect(page.get_by_text("Question 1 of 2 · OCR")).to_be_visible()
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Confident")).to_have_attribute("aria-pressed", "true")

    page.keyboard.press("n")
    wait_for_htmx(page)
    expect(page.get_by_text("Question 2 of 2 · OCR")).to_be_visible()

    page.keyboard.press("?")
    expect(page.locator("#study-shortcuts")).to_have_attribute("open", "")
    expect(page.get_by_text("Show the answer", exact=True)).to_be_visible()

    page.keyboard.press("Enter")  # Enter reveals too
    expect(page.locator("#study-answer")).to_have_attribute("open", "")
    page.keyboard.press("2")  # Shaky on a new question: it comes back straight away
    wait_for_htmx(page)
    expect(page.get_by_text("Question 3 of 3 · OCR")).to_be_visible()
    expect(page.get_by_text("Back again:")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(q25.text)
    page.keyboard.press("Space")
    page.keyboard.press("3")  # Okay: done with, and the summary follows
    wait_for_htmx(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Session complete")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(
        page.get_by_text("1 question came back for another try; 1 of them ended Okay")
    ).to_be_visible()
    summary = page.get_by_role("table", name="Ratings in this session")
    expect(summary.get_by_role("row", name=re.compile(r"4 · Confident"))).to_contain_text("1")
    expect(summary.get_by_role("row", name=re.compile(r"3 · Okay"))).to_contain_text("1")
    expect(page.get_by_role("link", name="OCR")).to_be_visible()
    expect(page.locator("#study-shortcuts")).to_be_hidden()  # nothing left to press


def test_keys_typed_into_a_field_are_not_shortcuts(logged_in_page: Page, learner):
    page = logged_in_page
    open_page(page, "progress:study_home")
    page.get_by_label("Topic", exact=True).focus()
    page.keyboard.press("4")  # moves the select, must not rate anything
    assert not ConfidenceMark.objects.filter(user=learner).exists()


def test_leaving_mid_session_and_coming_back_resumes(logged_in_page: Page):
    page = logged_in_page
    start_ocr_session(page)
    page.get_by_text("Show answer").click()
    page.get_by_role("button", name="Okay").click()
    wait_for_htmx(page)
    open_page(page, "progress:dashboard")
    page.get_by_role("link", name="Resume it").click()
    expect(page.get_by_text("Question 2 of 2 · OCR")).to_be_visible()


def test_study_pages_are_accessible(logged_in_page: Page):
    page = logged_in_page
    open_page(page, "progress:study_home")
    assert_accessible(page, "study start page")
    start_ocr_session(page)
    page.get_by_text("Show answer").click()
    page.get_by_text("Keyboard shortcuts").click()
    assert_accessible(page, "study session")
