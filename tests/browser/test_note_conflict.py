"""A note edited in two tabs: the stale tab never overwrites newer text; the learner
sees both versions and chooses. With htmx (autosave included) and without JavaScript."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from progress.drafts import SESSION_KEY
from progress.models import Note
from tests.browser.conftest import log_in, open_page, wait_for_htmx

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

#: Question 5, reached from its topic.
KEY, FROM_TOPIC = "cnn-05", {"topic": "detection"}
CONFLICT = "Not saved: this note was changed in another tab or window"


def open_question(page: Page) -> None:
    open_page(page, "progress:question_detail", key=KEY, query=FROM_TOPIC)


def open_editor(page: Page) -> None:
    open_question(page)
    page.get_by_role("link", name=re.compile(r"^(Write a|Edit) note$")).click()
    expect(page.get_by_label("Note", exact=True)).to_be_focused()
    wait_for_htmx(page)


def saved_note() -> tuple[str, int]:
    note = Note.objects.get()
    return note.text, note.version


def wait_for_kept_text(question_key: str, seconds: float = 10.0) -> str:
    """The refused text the server keeps for the question (progress/drafts.py), once a
    session holds it: a save sent as a tab closes lands a moment later."""
    deadline = time.monotonic() + seconds
    while True:
        for session in Session.objects.all():
            kept = session.get_decoded().get(SESSION_KEY, {})
            if question_key in kept:
                return kept[question_key]
        if time.monotonic() > deadline:
            pytest.fail(f"no refused text kept for {question_key} within {seconds} s")
        time.sleep(0.05)


def note_posts(page: Page) -> list[str]:
    """Every POST the page makes to the note URL, from now on."""
    posts: list[str] = []
    note_url = reverse("progress:edit_note", kwargs={"key": KEY})
    page.on(
        "request",
        lambda request: (
            posts.append(request.post_data or "")
            if request.method == "POST" and note_url in request.url
            else None
        ),
    )
    return posts


def two_editors_after_b_saved(context: BrowserContext, tab_a: Page) -> tuple[Page, Page]:
    """Two tabs with the note editor open; tab B has saved "Tab B wrote this.", so tab
    A's editor is now stale."""
    tab_b = context.new_page()
    open_editor(tab_a)
    open_editor(tab_b)
    tab_b.get_by_label("Note", exact=True).fill("Tab B wrote this.")
    tab_b.get_by_role("button", name="Save and close").click()
    expect(tab_b.get_by_role("region", name="My note")).to_contain_text("Tab B wrote this.")
    return tab_a, tab_b


def test_two_tabs_with_htmx(context: BrowserContext, logged_in_page: Page, console):
    console.allow(r"status of 409")  # Chromium reports the Conflict answers in the console
    tab_a, tab_b = two_editors_after_b_saved(context, logged_in_page)

    # Tab B saves first, then starts editing again.
    assert saved_note() == ("Tab B wrote this.", 1)
    tab_b.get_by_role("link", name="Edit note").click()
    expect(tab_b.get_by_label("Note", exact=True)).to_have_value("Tab B wrote this.")
    wait_for_htmx(tab_b)

    # Tab A, stale, types: its autosave is refused, says so, and stops.
    note_a = tab_a.get_by_label("Note", exact=True)
    note_a.press_sequentially("Tab A's idea", delay=5)
    status_a = tab_a.locator("#note-status")
    expect(status_a).to_contain_text(CONFLICT, timeout=8_000)
    expect(status_a).to_contain_text("Autosave is off")
    posts = note_posts(tab_a)
    note_a.press_sequentially(", continued.", delay=5)
    tab_a.wait_for_timeout(2_500)  # longer than autosave's pause
    assert posts == [], "autosave went on after the conflict"
    assert saved_note() == ("Tab B wrote this.", 1)
    expect(note_a).to_have_value("Tab A's idea, continued.")  # nothing typed is lost

    # Saving shows both versions.
    tab_a.get_by_role("button", name="Save and close").click()
    note_section = tab_a.get_by_role("region", name="My note")
    expect(note_section.get_by_role("status")).to_contain_text(CONFLICT)
    mine = tab_a.get_by_label("Your version")
    expect(mine).to_have_value("Tab A's idea, continued.")
    expect(mine).to_be_focused()
    expect(tab_a.get_by_label("Saved version")).to_have_value("Tab B wrote this.")
    assert saved_note() == ("Tab B wrote this.", 1)

    # Keep mine, after merging in a line of the saved one.
    mine.press("End")
    mine.press_sequentially(" Tab B wrote this.", delay=2)
    tab_a.get_by_role("button", name="Keep mine").click()
    expect(note_section).to_contain_text("Tab A's idea, continued. Tab B wrote this.")
    expect(note_section.get_by_role("link", name="Edit note")).to_be_visible()
    assert saved_note() == ("Tab A's idea, continued. Tab B wrote this.", 2)

    # Tab B is stale now: it saves, sees the conflict and keeps the saved version.
    tab_b.get_by_label("Note", exact=True).fill("Tab B's second thought.")
    tab_b.get_by_role("button", name="Save and close").click()
    expect(tab_b.get_by_label("Saved version")).to_have_value(
        "Tab A's idea, continued. Tab B wrote this."
    )
    expect(tab_b.get_by_label("Your version")).to_have_value("Tab B's second thought.")
    tab_b.get_by_role("button", name="Keep saved").click()
    note_b = tab_b.get_by_role("region", name="My note")
    expect(note_b).to_contain_text("Kept the saved version")
    expect(note_b).to_contain_text("Tab A's idea, continued. Tab B wrote this.")
    wait_for_htmx(tab_b)
    assert saved_note() == ("Tab A's idea, continued. Tab B wrote this.", 2)


def test_a_stale_tab_closed_right_after_typing_keeps_its_text_for_the_learner(
    context: BrowserContext, logged_in_page: Page, console
):
    console.allow(r"status of 409")
    tab_a, tab_b = two_editors_after_b_saved(context, logged_in_page)

    # Stale tab A: typed, then closed at once. Its save goes out as the tab closes.
    tab_a.get_by_label("Note", exact=True).press_sequentially("Tab A's late idea.", delay=2)
    with tab_a.expect_event("close"):
        tab_a.close(run_before_unload=True)

    # Once the refused save has landed, the next visit shows both versions.
    wait_for_kept_text(KEY)
    assert saved_note() == ("Tab B wrote this.", 1)  # nothing was overwritten
    open_question(tab_b)
    note_section = tab_b.get_by_role("region", name="My note")
    expect(note_section.get_by_role("status")).to_contain_text(
        "Not saved: some changes to this note were made in a tab or window that had an older"
    )
    expect(tab_b.get_by_label("Your version")).to_have_value("Tab A's late idea.")
    expect(tab_b.get_by_label("Saved version")).to_have_value("Tab B wrote this.")
    assert saved_note() == ("Tab B wrote this.", 1)

    # Keeping it saves it; after that the page is back to normal.
    tab_b.get_by_role("button", name="Keep mine").click()
    expect(note_section.get_by_role("link", name="Edit note")).to_be_visible()
    expect(note_section).to_contain_text("Tab A's late idea.")
    assert saved_note() == ("Tab A's late idea.", 2)
    wait_for_htmx(tab_b)
    tab_b.reload()
    expect(note_section.get_by_role("link", name="Edit note")).to_be_visible()
    expect(note_section).not_to_contain_text("Not saved")


def test_two_tabs_without_javascript(new_context, learner, console):
    console.allow(r"status of 409")
    context = new_context(java_script_enabled=False)
    tab_a, tab_b = context.new_page(), context.new_page()
    log_in(tab_a, "learner")
    for tab in (tab_a, tab_b):
        open_question(tab)
        tab.get_by_role("link", name="Write a note").click()
        expect(tab).to_have_url(
            reverse("progress:edit_note", kwargs={"key": KEY}, query=FROM_TOPIC)
        )

    tab_b.get_by_label("Note", exact=True).fill("From tab B.")
    tab_b.get_by_role("button", name="Save and close").click()
    expect(tab_b.get_by_role("status").filter(has_text="Note saved.")).to_be_visible()

    tab_a.get_by_label("Note", exact=True).fill("From tab A.")
    tab_a.get_by_role("button", name="Save and close").click()
    expect(tab_a.get_by_role("region", name="My note")).to_contain_text(CONFLICT)
    expect(tab_a.get_by_label("Your version")).to_have_value("From tab A.")
    expect(tab_a.get_by_label("Saved version")).to_have_value("From tab B.")
    assert saved_note() == ("From tab B.", 1)

    tab_a.get_by_role("button", name="Keep mine").click()
    expect(tab_a).to_have_url(
        reverse("progress:question_detail", kwargs={"key": KEY}, query=FROM_TOPIC, fragment="note")
    )
    expect(tab_a.get_by_role("region", name="My note")).to_contain_text("From tab A.")
    assert saved_note() == ("From tab A.", 2)
