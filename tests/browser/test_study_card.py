"""The study card as a learner meets it: the answer comes before the rating, the rating
stays in reach on a phone, what was not known comes back, and a note typed on the card
is never lost."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.db.models.functions import Length
from playwright.sync_api import BrowserContext, Page, expect

from progress.models import ConfidenceMark, StudySession
from progress.study import start_questions
from questions.models import Answer, Question
from tests.browser.conftest import DEVICES, rating_button, wait_for_htmx
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_note_never_lost import close_window, wait_for_note

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PHONE, DESKTOP = DEVICES["phone"], DEVICES["desktop"]
TYPED = "Recall: strides shrink the map."
START = datetime(2030, 1, 7, 9, 0)


def longest_answer_first(learner, *, then: int = 2) -> StudySession:
    """A session whose first card has the longest answer in the bank (concise and long
    together), then `then` more questions."""
    lengths: dict[int, int] = {}
    for question_id, length in Answer.objects.annotate(n=Length("text")).values_list(
        "question_id", "n"
    ):
        lengths[question_id] = lengths.get(question_id, 0) + length
    longest = max(lengths, key=lambda pk: lengths[pk])
    others = list(
        Question.objects.exclude(pk=longest).order_by("position").values_list("pk", flat=True)
    )[:then]
    session = start_questions(
        user=learner, source="topic", label="Longest first", question_ids=[longest]
    )
    session.question_ids = [longest, *others]
    session.save()
    return session


def open_card(context: BrowserContext, session: StudySession) -> Page:
    page = context.new_page()
    page.goto(session.get_absolute_url())
    page.wait_for_load_state("domcontentloaded")  # keys.js is deferred
    return page


def viewport(page: Page) -> tuple[int, int]:
    size = page.viewport_size
    assert size is not None
    return size["width"], size["height"]


def in_viewport(page: Page, locator) -> bool:
    box = locator.bounding_box()
    width, height = viewport(page)
    return bool(
        box
        and box["y"] >= 0
        and box["y"] + box["height"] <= height
        and box["x"] >= 0
        and box["x"] + box["width"] <= width
    )


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_after_the_longest_answer_the_rating_buttons_are_in_reach(
    new_context, learner, log_in_as, device
):
    context = new_context(**device)
    log_in_as(context, learner)
    session = longest_answer_first(learner)
    page = open_card(context, session)
    page.get_by_text("Show answer").click()
    expect(page.get_by_role("heading", name="Long answer")).to_be_visible()
    answer = page.locator("#study-answer").bounding_box()
    assert answer is not None
    answer_height = answer["height"]
    assert answer_height > viewport(page)[1], "the answer should need scrolling"
    for level in ("Not yet", "Shaky", "Okay", "Confident", "Mastered"):
        button = rating_button(page, level)
        expect(button).to_be_visible()
        assert in_viewport(page, button), f"{level} is out of reach"
    # Halfway down the answer, still in reach; and the last one is pressed from there.
    page.mouse.wheel(0, answer_height / 2)
    page.wait_for_timeout(200)
    assert in_viewport(page, rating_button(page, "Okay"))
    rating_button(page, "Okay").click()
    wait_for_htmx(page)
    expect(page.locator("#study-progress")).to_contain_text("Question 2 of 3 ·")
    assert ConfidenceMark.objects.get(user=learner, question_id=session.question_ids[0]).level == 3


def test_a_rating_key_before_the_reveal_rates_nothing_on_a_phone(new_context, learner, log_in_as):
    context = new_context(**PHONE)
    log_in_as(context, learner)
    session = longest_answer_first(learner)
    page = open_card(context, session)
    for key in "12345":
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    expect(page.locator("#study-progress")).to_contain_text("Question 1 of 3 ·")
    expect(page.locator("#study-answer")).not_to_have_attribute("open", "")
    assert not ConfidenceMark.objects.filter(user=learner).exists()
    page.keyboard.press("Space")
    page.keyboard.press("5")
    wait_for_htmx(page)
    expect(page.locator("#study-progress")).to_contain_text("Question 2 of 3 ·")
    assert ConfidenceMark.objects.get(user=learner).level == 5


def test_a_question_rated_not_yet_comes_back_in_the_same_session(new_context, learner, log_in_as):
    context = new_context(**PHONE)
    log_in_as(context, learner)
    session = longest_answer_first(learner, then=2)
    first = Question.objects.get(pk=session.question_ids[0])
    page = open_card(context, session)
    page.get_by_text("Show answer").click()
    expect(rating_button(page, "Not yet")).to_contain_text("10 min")
    rating_button(page, "Not yet").click()
    wait_for_htmx(page)
    for _ in range(2):  # the other two, rated Okay
        expect(page.get_by_role("heading", level=1)).not_to_contain_text(first.text)
        page.get_by_text("Show answer").click()
        rating_button(page, "Okay").click()
        wait_for_htmx(page)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(first.text)
    expect(page.locator("#study-returning")).to_contain_text("you rated it Not yet")
    expect(page.locator("#study-progress")).to_contain_text("Question 4 of 4 ·")
    page.get_by_text("Show answer").click()
    rating_button(page, "Confident").click()
    wait_for_htmx(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Session complete")
    expect(page.get_by_text("1 question came back for another try")).to_be_visible()
    assert ConfidenceMark.objects.get(user=learner, question=first).level == 4
    assert_accessible(page, "session summary")


def test_the_card_rates_without_javascript(new_context, learner, log_in_as):
    context = new_context(java_script_enabled=False, **PHONE)
    log_in_as(context, learner)
    session = longest_answer_first(learner)
    page = context.new_page()
    page.goto(session.get_absolute_url())
    expect(rating_button(page, "Okay")).to_be_hidden()  # inside the closed answer
    page.get_by_text("Show answer").click()  # <details> needs no script
    rating_button(page, "Okay").click()
    expect(page.locator("#study-progress")).to_contain_text("Question 2 of 3 ·")
    assert ConfidenceMark.objects.get(user=learner).level == 3


def test_the_study_card_is_accessible(new_context, learner, log_in_as):
    context = new_context(**PHONE)
    log_in_as(context, learner)
    session = longest_answer_first(learner)
    page = open_card(context, session)
    page.get_by_text("Show answer").click()
    page.get_by_role("link", name="Write a note").click()
    expect(page.get_by_label("Note", exact=True)).to_be_focused()
    assert_accessible(page, "study card, answer and note open")


# --- A note typed on the card is kept, however the learner moves on -------------------


def open_note_editor(page: Page) -> None:
    """Open the card's note editor, then stop the page's clock: the 1.5 s autosave never
    fires, so each test acts within 100 ms of typing and only the way of moving on can
    have saved the text."""
    page.get_by_role("link", name="Write a note").click()
    expect(page.get_by_label("Note", exact=True)).to_be_focused()
    wait_for_htmx(page)
    page.clock.pause_at(START + timedelta(hours=1))


@pytest.mark.parametrize(
    "how", ["rate", "rating-key", "skip", "header-link", "close-tab", "close-window"]
)
def test_a_note_typed_on_the_card_is_kept(new_context, learner, log_in_as, how):
    context = new_context(**DESKTOP)
    log_in_as(context, learner)
    session = longest_answer_first(learner)
    first = session.question_ids[0]
    page = context.new_page()
    page.clock.install(time=START)
    page.goto(session.get_absolute_url())
    page.wait_for_load_state("domcontentloaded")
    page.get_by_text("Show answer").click()
    open_note_editor(page)
    page.get_by_label("Note", exact=True).press_sequentially(TYPED, delay=2)

    if how == "rate":
        rating_button(page, "Okay").click()
    elif how == "rating-key":
        page.keyboard.press("Escape")  # out of the textarea: keys are shortcuts again
        page.locator("#study-heading").focus()
        page.keyboard.press("3")
    elif how == "skip":
        page.get_by_role("button", name=re.compile(r"^Skip")).click()
    elif how == "header-link":
        page.get_by_role("banner").get_by_role("link", name="Notes").click()
    elif how == "close-tab":
        with page.expect_event("close"):
            page.close(run_before_unload=True)
    else:
        close_window(page)

    note = wait_for_note(TYPED)
    assert (note.user, note.question_id) == (learner, first)
    if how in ("rate", "rating-key", "skip"):
        page.clock.resume()
        expect(page.locator("#study-progress")).to_contain_text("Question 2 of 3 ·")
        if how != "skip":
            assert ConfidenceMark.objects.get(user=learner, question_id=first).level == 3
    if how == "header-link":
        expect(page.get_by_role("main")).to_contain_text(TYPED)


def test_a_note_that_cannot_be_saved_keeps_the_card_where_it_is(
    new_context, learner, log_in_as, console
):
    console.allow(r"ERR_FAILED")  # the aborted saves
    context = new_context(**DESKTOP)
    log_in_as(context, learner)
    session = longest_answer_first(learner)
    first = session.question_ids[0]
    page = open_card(context, session)
    page.get_by_text("Show answer").click()
    page.get_by_role("link", name="Write a note").click()
    note_box = page.get_by_label("Note", exact=True)
    expect(note_box).to_be_focused()
    wait_for_htmx(page)
    saves = re.compile(r"/note/$")
    page.route(saves, lambda route: route.abort())
    note_box.press_sequentially(TYPED, delay=2)

    rating_button(page, "Okay").click()  # the save fails: the card must not move on
    expect(page.locator("#note-status")).to_contain_text("Not saved")
    page.wait_for_timeout(500)
    expect(page.locator("#study-progress")).to_contain_text("Question 1 of 3 ·")
    expect(note_box).to_have_value(TYPED)
    assert not ConfidenceMark.objects.filter(user=learner).exists()

    page.unroute(saves)  # back online: the next try saves, then rates
    rating_button(page, "Okay").click()
    expect(page.locator("#study-progress")).to_contain_text("Question 2 of 3 ·")
    assert wait_for_note(TYPED).question_id == first
    assert ConfidenceMark.objects.get(user=learner, question_id=first).level == 3
