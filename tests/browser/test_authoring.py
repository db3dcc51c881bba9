"""Writing and changing a question in a real browser.

An instructor goes from the team page to the team bank, writes a question into it
(previewing the Markdown of its answer first), edits it, reads its history and
retires it; a learner of another team is told it does not exist. axe-core checks the
editor, the history and the bank page. A screenshot of a seed question's answer, now
rendered from Markdown, goes to test-results/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from questions.models import Question
from tests.authoring.conftest import question_url
from tests.browser.conftest import SCREENSHOT_DIR, open_page, wait_for_htmx
from tests.browser.test_accessibility import assert_accessible
from tests.factories import make_user
from tests.teams.factories import make_team

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

ANSWER = "The step of the filter.\n\n- one pixel: dense\n- two pixels: half the size"


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def test_an_instructor_writes_edits_reads_the_history_and_retires(
    new_context, bank_server, log_in_as, console
):
    instructor = make_user(username="iris", display_name="Iris Instructor")
    outsider = make_user(username="olga", display_name="Olga Other")
    team = make_team("Vision group", instructor=instructor)
    make_team("Other group", learners=[outsider])
    page = new_context().new_page()
    log_in_as(page.context, instructor)

    # From the team page to its bank, and to the editor for it.
    page.goto(team.get_absolute_url())
    page.get_by_role("link", name="Team bank").click()
    expect(h1(page)).to_have_text("Team bank: Vision group")
    assert_accessible(page, "the team bank page")
    page.get_by_role("link", name="Write a question").click()
    expect(h1(page)).to_have_text("Write a question")
    expect(page.get_by_label("Where it goes")).to_have_value(str(team.bank_id))

    page.get_by_label(re.compile(r"^Question:?$")).fill("What does a convolution's stride do?")
    page.get_by_label("Concise answer").fill(ANSWER)
    page.get_by_role("checkbox", name="Object detection", exact=True).check()
    # The preview shows the Markdown as learners will read it, in place.
    page.get_by_role("button", name="Preview answers").click()
    wait_for_htmx(page)
    preview = page.locator("#answer-preview")
    expect(preview.get_by_role("listitem")).to_have_count(2)
    expect(preview.get_by_role("listitem").first).to_have_text("one pixel: dense")
    expect(page).to_have_url(re.compile(r"/questions/new/\?bank=\d+$"))  # nothing sent yet
    assert_accessible(page, "the question editor with its preview")
    page.get_by_role("button", name="Save question").click()

    expect(h1(page)).to_have_text("What does a convolution's stride do?")
    expect(page.get_by_text("written into the team bank of Vision group")).to_be_visible()
    expect(page.locator(".bank-label")).to_have_text("Team bank: Vision group")
    question = Question.objects.get(text="What does a convolution's stride do?")
    assert question.bank_id == team.bank_id
    page.get_by_text("Show answer").click()
    expect(page.locator("#answer li")).to_have_count(2)

    # Edit it: same question, new answer.
    page.get_by_role("link", name="Edit").click()
    expect(h1(page)).to_have_text(f"Edit question {question.position}")
    page.get_by_label("Concise answer").fill("The step of the filter, in pixels.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(f"Question {question.position} saved.")).to_be_visible()

    # Its history: who changed what.
    page.get_by_role("link", name="History").click()
    expect(h1(page)).to_have_text(f"History of question {question.position}")
    latest = page.locator("#revision-2")
    expect(latest.get_by_role("heading")).to_contain_text("Revision 2: Edited")
    expect(latest).to_contain_text("By Iris Instructor")
    expect(latest.locator("dt")).to_have_text(["Concise answer"])
    expect(latest.locator("ins").filter(has_text="pixels")).to_have_count(1)
    expect(latest.locator("del").filter(has_text="dense")).to_have_count(1)
    assert_accessible(page, "the question's history")

    # Retire it, after saying yes.
    page.goto(question_url(question))
    page.locator("summary", has_text="Retire").click()
    page.get_by_role("button", name=f"Yes, retire Q{question.position}").click()
    expect(page.locator(".retired-notice")).to_contain_text("Retired")
    expect(page.get_by_role("heading", name="How confident are you?")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Bring back"))).to_be_visible()

    # A learner of another team: no such question.
    console.allow(r"status of 404")
    other = new_context().new_page()
    log_in_as(other.context, outsider)
    response = other.goto(question_url(question))
    assert response is not None and response.status == 404
    expect(other.get_by_text("What does a convolution's stride do?")).to_have_count(0)


def test_staff_retire_and_bring_back_from_the_library_page(new_context, bank_server, log_in_as):
    staff = make_user(username="stella", display_name="Stella Staff", is_staff=True)
    page = new_context().new_page()
    log_in_as(page.context, staff)
    open_page(page, "authoring:library")
    expect(h1(page)).to_have_text("Library")
    expect(page.get_by_text("50 questions, retired ones included.")).to_be_visible()
    assert_accessible(page, "the library page")
    page.locator("summary", has_text="Retire Q7").click()
    page.get_by_role("button", name="Yes, retire Q7").click()
    expect(h1(page)).to_have_text("Library")  # back on the list
    row = page.get_by_role("row").filter(has_text="Q7 ")
    expect(row.get_by_text("Retired", exact=True)).to_be_visible()
    row.get_by_role("button", name="Bring back Q7").click()
    expect(page.get_by_text("Question 7 is back, with everyone's marks and notes.")).to_be_visible()
    assert not Question.objects.get(position=7).is_retired


def test_a_seed_answer_reads_well_as_markdown(logged_in_page: Page):
    """Question 3's long answer has a list: a person checks the screenshot."""
    open_page(logged_in_page, "progress:question_detail", key="cnn-03")
    logged_in_page.get_by_text("Show answer").click()
    answer = logged_in_page.locator("#answer")
    expect(answer.locator(".long-answer li")).to_have_count(5)
    expect(answer.locator(".long-answer li").first).to_have_text(
        re.compile(r"^Reduced training time: Transfer learning allows")
    )
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    answer.screenshot(path=str(SCREENSHOT_DIR / "seed-answer-markdown.png"))
