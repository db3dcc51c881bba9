"""Proposals in a real browser: a learner proposes a question (warned first that it
repeats a seed question), the instructor sees the count in the navigation, edits and
accepts it, the learner sees it accepted and opens it; another team's member gets a 404.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from questions.models import Question
from tests.browser.conftest import open_page, wait_for_htmx
from tests.browser.test_accessibility import assert_accessible
from tests.factories import make_user
from tests.teams.factories import make_team

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

PROPOSED = "How do you choose the learning rate when fine-tuning a pretrained CNN?"
EDITED = "How do you choose learning rates when fine-tuning a pretrained CNN, layer by layer?"


def label(text: str) -> re.Pattern[str]:
    """A field's label, with or without Django's label suffix."""
    return re.compile(rf"^{re.escape(text)}:?$")


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def test_a_learner_proposes_and_the_instructor_accepts_it_edited(
    new_context, console, log_in_as, learner, bank_server
):
    iris = make_user(username="iris", display_name="Iris Instructor")
    team = make_team("Vision group", instructor=iris, learners=[learner])
    outsider = make_user(username="eve", display_name="Eve Outsider")
    make_team("Other group", learners=[outsider])
    seed_question = Question.objects.get(key="cnn-12")

    # The learner starts from the team page and types a seed question, reworded a little.
    lee = new_context().new_page()
    log_in_as(lee.context, learner)
    lee.goto(team.get_absolute_url())
    lee.get_by_role("link", name="Propose a question").click()
    expect(h1(lee)).to_have_text("Propose a question")
    lee.evaluate("window.__marker = 1")
    question = lee.get_by_label(label("Question"))
    question.fill(seed_question.text.upper())
    warning = lee.get_by_role("status").filter(has_text="looks like yours")
    expect(warning).to_contain_text("A question you can already study looks like yours:")
    expect(warning.get_by_role("link", name=seed_question.text)).to_have_attribute(
        "href", reverse("progress:question_detail", kwargs={"key": seed_question.key})
    )
    expect(warning).to_contain_text("(the same question)")
    wait_for_htmx(lee)

    # Their own question instead: the warning goes away as they type.
    question.fill(PROPOSED)
    expect(lee.locator("#duplicates")).to_have_text(re.compile(r"^\s*$"))
    wait_for_htmx(lee)
    assert lee.evaluate("window.__marker") == 1, "the check reloaded the page"
    lee.get_by_label(label("Answer")).fill("Lower for early layers, higher for the head.")
    lee.get_by_role("checkbox", name="Transfer and self-supervised learning").check()
    assert_accessible(lee, "the proposal form")
    lee.get_by_role("button", name="Send proposal").click()
    expect(h1(lee)).to_have_text("My proposals")
    expect(lee.get_by_role("status")).to_contain_text("Proposal sent to Vision group.")
    expect(lee.get_by_role("row").filter(has_text=PROPOSED)).to_contain_text("Waiting for review")

    # The instructor sees the count in the navigation and reviews the proposal.
    teacher = new_context().new_page()
    log_in_as(teacher.context, iris)
    open_page(teacher, "progress:dashboard")
    navigation = teacher.get_by_role("navigation", name="Main")
    navigation.get_by_role("link", name="Proposals 1 waiting").click()
    expect(h1(teacher)).to_have_text("Proposals")
    assert_accessible(teacher, "the review queue")
    teacher.get_by_role("link", name=PROPOSED).click()
    expect(h1(teacher)).to_have_text("Proposal by Lee Learner")
    assert_accessible(teacher, "a proposal to review")
    teacher.get_by_label(label("Question")).fill(EDITED)
    teacher.get_by_role("checkbox", name="CNN foundations").check()
    teacher.get_by_role("button", name="Accept").click()
    expect(h1(teacher)).to_have_text("Proposals")
    expect(teacher.get_by_role("status")).to_contain_text(f"Accepted: “{EDITED}” is now Q51")
    expect(navigation.get_by_role("link", name=re.compile("^Proposals"))).to_have_count(0)

    # The learner sees it accepted and opens the question it became.
    open_page(lee, "authoring:my_proposals")
    row = lee.get_by_role("row").filter(has_text=PROPOSED)
    expect(row).to_contain_text("Accepted")
    row.get_by_role("link", name=re.compile(r"^open Q51")).click()
    expect(h1(lee)).to_have_text(EDITED)
    question_url = lee.url

    # A member of another team: as if it did not exist.
    console.allow(r"status of 404")
    eve = new_context().new_page()
    log_in_as(eve.context, outsider)
    response = eve.goto(question_url)
    assert response is not None and response.status == 404
    expect(eve.get_by_role("main")).not_to_contain_text(EDITED)
