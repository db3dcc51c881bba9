"""The study loop in a real browser: sign up, read a question, mark confidence, keep a note."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import log_in, open_page, rating_button, sign_up, wait_for_htmx

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

#: Question 5, reached from its topic.
KEY, FROM_TOPIC = "cnn-05", {"topic": "detection"}
NOTE = "Anchors are **priors** of box shapes.\n\n- regress offsets\n- *per* feature-map cell"


def level_button(page: Page, name: str) -> Locator:
    return rating_button(page, name)


def open_question_five(page: Page) -> None:
    """From anywhere: Topics → Object detection → question 5."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Topics").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Topics")
    page.get_by_role("link", name="Object detection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Object detection")
    page.get_by_role("link", name=re.compile(r"^Q5 ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^How do CNNs approach the task of object detection")
    )
    expect(page.get_by_text("Question 5 · 1 of 4 in Object detection")).to_be_visible()


def reveal_answer(page: Page) -> None:
    page.get_by_text("Show answer").click()
    expect(page.locator("details#answer")).to_have_js_property("open", True)
    expect(page.get_by_role("heading", name="Long answer")).to_be_visible()


def test_study_loop_with_htmx(page: Page, bank_server):
    sign_up(page, username="nia", display_name="Nia New")
    expect(page.get_by_role("status")).to_contain_text("Welcome to StudyHub, Nia New.")
    overall = page.get_by_role("region", name="Overall coverage")
    expect(overall).to_contain_text("0 of 50")

    open_question_five(page)
    reveal_answer(page)
    long_answer = page.locator("section.long-answer")
    expect(long_answer).to_contain_text("to extract hierarchical")
    expect(page.get_by_text("The source text ends here")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Not rated yet")).to_be_visible()

    # Marking swaps the confidence control and the coverage panel in place: no page load.
    page.evaluate("window.__marker = 1")
    level_button(page, "Confident").click()
    expect(level_button(page, "Confident")).to_have_attribute("aria-pressed", "true")
    for other in ("Not yet", "Shaky", "Okay", "Mastered"):
        expect(level_button(page, other)).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("status").filter(has_text="Your confidence")).to_have_text(
        "Your confidence: Confident — covered."
    )
    coverage = page.get_by_role("region", name="Your coverage")
    expect(coverage).to_contain_text("1 of 4")
    expect(coverage).to_contain_text("25%")
    assert page.evaluate("window.__marker") == 1, "marking confidence reloaded the page"
    wait_for_htmx(page)
    expect(page.locator("details#answer")).to_have_js_property("open", True)

    # The note editor opens in place, autosaves after a pause, and saves on the button.
    page.get_by_role("link", name="Write a note").click()
    note_box = page.get_by_label("Note", exact=True)
    expect(note_box).to_be_focused()
    wait_for_htmx(page)  # autosave is wired up when htmx settles, after focus
    note_box.press_sequentially(NOTE, delay=5)
    expect(page.locator("#note-status")).to_contain_text("Saved at", timeout=8_000)
    page.get_by_role("button", name="Save and close").click()
    note = page.get_by_role("region", name="My note")
    expect(note.locator("strong")).to_have_text("priors")
    expect(note.locator("em")).to_have_text("per")
    expect(note.get_by_role("listitem")).to_have_count(2)
    expect(note.get_by_role("link", name="Edit note")).to_be_visible()
    assert page.evaluate("window.__marker") == 1, "saving the note reloaded the page"

    # Both are kept on the server.
    page.reload()
    expect(level_button(page, "Confident")).to_have_attribute("aria-pressed", "true")
    expect(note.locator("strong")).to_have_text("priors")

    # And the dashboard counts them.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(overall).to_contain_text("1 of 50")
    expect(overall).to_contain_text("2%")
    detection = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Object detection")
    )
    expect(detection).to_contain_text("1 of 4")
    expect(detection).to_contain_text("25%")
    expect(page.get_by_role("region", name="Notes")).to_contain_text("1")
    expect(page.get_by_role("region", name="Recently studied")).to_contain_text("Q5")
    expect(page.get_by_role("region", name="Recently studied")).to_contain_text("Confident")


def test_mark_and_note_without_javascript(new_context, learner):
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, "learner")
    open_question_five(page)

    # <details> needs no script.
    reveal_answer(page)

    level_button(page, "Shaky").click()
    question = reverse("progress:question_detail", kwargs={"key": KEY}, query=FROM_TOPIC)
    expect(page).to_have_url(question + "#confidence")
    expect(page.get_by_role("status").filter(has_text="Marked")).to_have_text("Marked “Shaky”.")
    expect(level_button(page, "Shaky")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("region", name="Your coverage")).to_contain_text("0 of 4")

    # Changing one's mind is a second post.
    level_button(page, "Mastered").click()
    expect(level_button(page, "Mastered")).to_have_attribute("aria-pressed", "true")
    expect(level_button(page, "Shaky")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("region", name="Your coverage")).to_contain_text("1 of 4")

    page.get_by_role("link", name="Write a note").click()
    expect(page).to_have_url(reverse("progress:edit_note", kwargs={"key": KEY}, query=FROM_TOPIC))
    page.get_by_label("Note", exact=True).fill(NOTE)
    page.get_by_role("button", name="Save and close").click()
    expect(page).to_have_url(question + "#note")
    expect(page.get_by_role("status").filter(has_text="Note saved.")).to_be_visible()
    note = page.get_by_role("region", name="My note")
    expect(note.locator("strong")).to_have_text("priors")
    expect(level_button(page, "Mastered")).to_have_attribute("aria-pressed", "true")

    # Editing again starts from the saved text.
    note.get_by_role("link", name="Edit note").click()
    expect(page.get_by_label("Note", exact=True)).to_have_value(NOTE)


def test_over_long_note_is_refused_and_kept(page: Page, console, logged_in_page):
    # The refusals are 422 responses, which Chromium reports in the console.
    console.allow(r"status of 422")
    open_page(page, "progress:question_detail", key=KEY, query=FROM_TOPIC)
    page.get_by_role("link", name="Write a note").click()
    note_box = page.get_by_label("Note", exact=True)
    expect(note_box).to_be_focused()
    # htmx focuses the editor on swap but wires up autosave when it settles, a moment later.
    wait_for_htmx(page)
    too_long = ("Lorem ipsum dolor sit amet. " * 800)[:20_001]
    note_box.fill(too_long)

    # The autosave refuses it and says why...
    status = page.locator("#note-status")
    expect(status).to_contain_text("Not saved.", timeout=8_000)
    expect(status).to_contain_text("This note is 20,001 characters long; the limit is 20,000.")
    expect(note_box).to_have_value(too_long)

    # ...and so does the Save button, keeping the text in the editor.
    page.get_by_role("button", name="Save and close").click()
    expect(status).to_contain_text("the limit is 20,000")
    expect(status).to_contain_text("your text is still here")
    note_box = page.get_by_label("Note", exact=True)
    expect(note_box).to_have_value(too_long)
    expect(note_box).to_have_attribute("aria-invalid", "true")

    # One character less is fine.
    note_box.fill(too_long[:20_000])
    page.get_by_role("button", name="Save and close").click()
    expect(page.get_by_role("region", name="My note")).to_contain_text("Lorem ipsum")
    expect(page.get_by_role("link", name="Edit note")).to_be_visible()
