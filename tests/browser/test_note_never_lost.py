"""Nothing typed in the note editor is lost, whatever the learner does right after typing:
close the editor, leave the textarea, follow a link, close the tab (static/js/notes.js).

The page's clock is paused once the editor is open, so the 1.5 s autosave can never fire:
each test acts "within 100 ms" of typing however slow the machine is, and only the way
of leaving can have saved the text. Each test checks the Note row and the page after.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.template.response import TemplateResponse
from django.urls import reverse
from playwright.sync_api import BrowserContext, Dialog, Page, expect

import progress.views
from progress.models import Note
from tests.browser.conftest import open_page, url_pattern, wait_for_htmx

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

#: Question 5, reached from its topic.
KEY, FROM_TOPIC = "cnn-05", {"topic": "detection"}
TYPED = "Anchors are priors; NMS prunes."
START = datetime(2030, 1, 7, 9, 0)


def open_question(page: Page) -> None:
    open_page(page, "progress:question_detail", key=KEY, query=FROM_TOPIC)


def next_question() -> re.Pattern[str]:
    """The URL of another question of the topic, reached from the topic."""
    return url_pattern(
        "progress:question_detail", key=rf"(?!{re.escape(KEY)}/)[\w-]+", query=FROM_TOPIC
    )


def note_url() -> re.Pattern[str]:
    """The URL the note editor saves to."""
    return re.compile(re.escape(reverse("progress:edit_note", kwargs={"key": KEY})) + "$")


def open_editor(page: Page) -> None:
    """Open the question and its note editor, then stop the page's clock."""
    page.clock.install(time=START)
    open_question(page)
    page.get_by_role("link", name=re.compile(r"^(Write a|Edit) note$")).click()
    expect(page.get_by_label("Note", exact=True)).to_be_focused()
    wait_for_htmx(page)
    # No timer fires from here on unless a test runs the clock: not the autosave's either.
    page.clock.pause_at(START + timedelta(hours=1))


def type_note(page: Page, text: str = TYPED) -> None:
    page.get_by_label("Note", exact=True).press_sequentially(text, delay=2)


def close_window(page: Page) -> None:
    """Close the page as closing its window does: no beforeunload, only pagehide, whose
    keep-alive request carries the last save.

    The page is closed, not its browser context: context.close() also drops the
    context's network session at once, and with it a keep-alive request still in flight,
    which a real browser lets finish. That made this a race the save lost once under
    CI's load (2026-12-05)."""
    with page.expect_event("close"):
        page.close()  # run_before_unload defaults to False


def wait_for_note(text: str, seconds: float = 10.0) -> Note:
    """The saved note once it holds `text` (a request sent as a page closes lands a
    moment later); fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        note = Note.objects.filter(text=text).first()
        if note is not None:
            return note
        if time.monotonic() > deadline:
            saved = list(Note.objects.values_list("text", flat=True))
            pytest.fail(f"{text!r} was not saved within {seconds} s; saved notes: {saved}")
        time.sleep(0.05)


def expect_note_on_the_page(page: Page, text: str = TYPED) -> None:
    open_question(page)
    expect(page.get_by_role("region", name="My note")).to_contain_text(text)


def record_dialogs(page: Page) -> list[str]:
    """Every dialog the page opens (each dismissed: the learner stays)."""
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return dialogs


def test_save_and_close_right_after_typing_saves(logged_in_page: Page, learner):
    page = logged_in_page
    open_editor(page)
    type_note(page)

    page.get_by_role("button", name="Save and close").click()

    note_section = page.get_by_role("region", name="My note")
    expect(note_section).to_contain_text(TYPED)
    expect(page.get_by_label("Note", exact=True)).to_have_count(0)
    page.clock.run_for(100)  # htmx settles the swapped-in section
    expect(note_section.get_by_role("link", name="Edit note")).to_be_focused()
    note = wait_for_note(TYPED)
    assert (note.user, note.version) == (learner, 1)
    expect_note_on_the_page(page)


def test_leaving_the_textarea_saves_at_once(logged_in_page: Page):
    page = logged_in_page
    open_editor(page)
    type_note(page)

    page.keyboard.press("Tab")

    expect(page.get_by_role("button", name="Save and close")).to_be_focused()
    expect(page.locator("#note-status")).to_contain_text("Saved at")
    assert wait_for_note(TYPED).version == 1
    expect_note_on_the_page(page)


@pytest.mark.parametrize(
    ("where", "link", "arrives"),
    [
        ("main", "Next question →", next_question),
        # The notes page shows the note: the save must land before the page is made.
        ("header", "Notes", lambda: reverse("progress:note_list")),
    ],
    ids=["next-question", "header-notes"],
)
def test_following_a_link_right_after_typing_saves(logged_in_page: Page, where, link, arrives):
    page = logged_in_page
    open_editor(page)
    type_note(page)

    page.get_by_role("banner" if where == "header" else "main").get_by_role(
        "link", name=link
    ).click()

    expect(page).to_have_url(arrives())
    if link == "Notes":
        expect(page.get_by_role("main")).to_contain_text(TYPED)
    assert wait_for_note(TYPED).version == 1
    expect_note_on_the_page(page)


@pytest.mark.parametrize("how", ["close-tab", "close-window"])
def test_closing_the_tab_right_after_typing_saves(new_context, learner, log_in_as, how):
    context: BrowserContext = new_context()
    log_in_as(context, learner)
    page = context.new_page()
    open_editor(page)
    type_note(page)

    if how == "close-tab":
        # As a person closes it: the page is asked first (beforeunload), and says nothing.
        dialogs = record_dialogs(page)
        with page.expect_event("close"):
            page.close(run_before_unload=True)
        assert dialogs == []
    else:
        close_window(page)  # no beforeunload: only pagehide's keep-alive request

    assert wait_for_note(TYPED).version == 1
    again = new_context()
    log_in_as(again, learner)
    expect_note_on_the_page(again.new_page())


def test_no_warning_before_leaving_when_everything_is_saved(logged_in_page: Page):
    page = logged_in_page
    open_editor(page)
    type_note(page)
    page.keyboard.press("Tab")
    expect(page.locator("#note-status")).to_contain_text("Saved at")
    dialogs = record_dialogs(page)

    page.get_by_role("link", name="Next question →").click()

    expect(page).to_have_url(next_question())
    assert dialogs == []
    assert wait_for_note(TYPED).version == 1


def test_a_warning_before_leaving_while_a_save_has_failed(logged_in_page: Page, console):
    console.allow(r"ERR_FAILED")  # the aborted saves
    page = logged_in_page
    open_editor(page)
    saves = note_url()
    page.route(saves, lambda route: route.abort())
    type_note(page)
    page.keyboard.press("Tab")
    status = page.locator("#note-status")
    expect(status).to_contain_text("Not saved: StudyHub could not be reached.")
    expect(status).to_contain_text("Your text is still here")
    dialogs = record_dialogs(page)

    # The link tries to save once more, fails, and the browser asks; the learner stays.
    page.get_by_role("link", name="Next question →").click()

    for _ in range(100):  # up to 5 s
        if dialogs:
            break
        page.wait_for_timeout(50)
    assert dialogs == ["beforeunload"]
    question = reverse("progress:question_detail", kwargs={"key": KEY})
    expect(page).to_have_url(re.compile(re.escape(question)))
    expect(page.get_by_label("Note", exact=True)).to_have_value(TYPED)
    assert not Note.objects.exists()

    # Back online: leaving the textarea saves, and then the link goes without a question.
    page.unroute(saves)
    page.get_by_label("Note", exact=True).focus()
    page.keyboard.press("Tab")
    expect(status).to_contain_text("Saved at")
    page.get_by_role("link", name="Next question →").click()
    expect(page).to_have_url(next_question())
    assert dialogs == ["beforeunload"]
    assert wait_for_note(TYPED).version == 1


@pytest.fixture
def first_answer_held(monkeypatch) -> Iterator[threading.Event]:
    """The first autosave is stored and answered, but the answer waits in the server (up
    to 20 s) until the event is set: a save in flight, with the browser left as it is."""
    release, done = threading.Event(), threading.Event()
    autosave = progress.views._autosave_note
    calls = []

    def autosave_then_wait(*args, **kwargs):
        response = autosave(*args, **kwargs)
        assert isinstance(response, TemplateResponse)
        response.render()
        calls.append(response.status_code)
        if len(calls) == 1:
            release.wait(20)
            done.set()
        return response

    monkeypatch.setattr(progress.views, "_autosave_note", autosave_then_wait)
    yield release
    release.set()
    if calls:
        done.wait(20)


# Two saves of this note would be 72 KB of keep-alive bodies, over the browser's 64 KiB:
# its autosave goes as a normal request, leaving the allowance to the last save.
LONG_START = "Якорь — априорная рамка. " * 700  # 17,500 characters, 32 KB as UTF-8


def hide(page: Page) -> None:
    """The tab goes to the background (or a phone's screen goes off): the last event a
    mobile browser sends before it may freeze or end the page."""
    page.evaluate(
        "Object.defineProperty(document, 'visibilityState', {value: 'hidden'});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )


def expect_saved_in_a_new_tab(context: BrowserContext, learner, log_in_as, text: str) -> None:
    """The learner, in a new browser context, finds `text` saved as their note."""
    log_in_as(context, learner)
    page = context.new_page()
    open_question(page)
    note_section = page.get_by_role("region", name="My note")
    expect(note_section).to_contain_text(text)
    expect(note_section).not_to_contain_text("Not saved")
    expect(note_section.get_by_role("link", name="Edit note")).to_be_visible()


@pytest.mark.parametrize(
    ("how", "start"),
    [
        ("close-tab", "Anchors are priors;"),
        ("close-tab", LONG_START),
        ("hidden", "Anchors are priors;"),
        ("hidden", LONG_START),
        # Closing the window ends the page without beforeunload: pagehide sends the
        # last save (close_window).
        ("close-window", "Anchors are priors;"),
        ("close-window", LONG_START),
    ],
    ids=[
        "close-tab-short",
        "close-tab-long",
        "hidden-short",
        "hidden-long",
        "close-window-short",
        "close-window-long",
    ],
)
def test_hiding_or_closing_the_tab_while_a_save_is_in_flight_saves_the_newest_text(
    new_context, learner, log_in_as, first_answer_held, how, start
):
    context: BrowserContext = new_context()
    log_in_as(context, learner)
    page = context.new_page()
    open_editor(page)
    textarea = page.get_by_label("Note", exact=True)
    textarea.fill(start)
    page.clock.run_for(1_500)  # the autosave of what was typed so far goes out
    assert wait_for_note(start).version == 1  # its answer is held
    textarea.press("End")
    textarea.press_sequentially(" NMS prunes.", delay=2)

    # The last save goes out at once, with the version the page still has (the held
    # save's new one has not come back): the server keeps it, the later of the two.
    if how == "close-tab":
        dialogs = record_dialogs(page)
        with page.expect_event("close"):
            page.close(run_before_unload=True)
        assert dialogs == []
    elif how == "hidden":
        hide(page)  # a phone may freeze the page from here on
    else:
        close_window(page)

    assert wait_for_note(start + " NMS prunes.").version == 2
    first_answer_held.set()
    expect_saved_in_a_new_tab(new_context(), learner, log_in_as, start.strip() + " NMS prunes.")


def test_closing_the_tab_while_a_long_autosave_is_in_flight_sends_it_again_to_outlive_the_page(
    new_context, learner, log_in_as, first_answer_held
):
    """A long note's autosave is a normal request, which the page's end may cut off: as
    the tab closes the same text goes again as a keep-alive request, with no warning."""
    context: BrowserContext = new_context()
    log_in_as(context, learner)
    page = context.new_page()
    open_editor(page)
    page.get_by_label("Note", exact=True).fill(LONG_START)
    page.clock.run_for(1_500)  # the autosave goes out and its answer is held
    assert wait_for_note(LONG_START).version == 1

    dialogs = record_dialogs(page)
    with page.expect_event("close"):
        page.close(run_before_unload=True)

    assert dialogs == []
    first_answer_held.set()
    expect_saved_in_a_new_tab(new_context(), learner, log_in_as, LONG_START.strip())
