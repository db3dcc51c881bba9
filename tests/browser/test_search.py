"""The question list: active search with htmx, the address bar kept in step, back and forward."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from questions.models import Question
from tests.browser.conftest import open_page, wait_for_htmx
from tests.browser.test_accessibility import assert_accessible
from tests.factories import mark, note

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def reviews(learner):
    """ "distillation" is in questions 10 and 27 and an answer of 42. Q10 was rated Not yet
    a month ago, so it is due again; Q27 was just rated Mastered; Q42 has a note only."""
    by_key = Question.objects.in_bulk(field_name="key")
    mark(learner, by_key["cnn-10"], 1, at=timezone.now() - timedelta(days=30))
    mark(learner, by_key["cnn-27"], 5)
    note(learner, by_key["cnn-42"], "Defensive distillation smooths the gradients.")
    return learner


def results(page: Page):
    return page.get_by_role("region", name=re.compile(r"^Results")).get_by_role("listitem")


def test_search_updates_in_place_and_back_restores(page: Page, reviews, log_in_as):
    log_in_as(page.context, reviews)
    open_page(page, "progress:dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Questions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Questions")
    question_list = reverse("progress:question_list")
    expect(page).to_have_url(question_list)
    expect(results(page)).to_have_count(50)
    status = page.get_by_role("status").and_(page.locator("#results-status"))
    expect(status).to_have_text("")
    page.eval_on_selector("#results-status", "el => { el.dataset.original = 'yes'; }")
    page.evaluate("window.__marker = 1")

    # Typing searches once the typist pauses; the address bar follows.
    page.get_by_label("Search", exact=True).fill("distillation")
    expect(results(page)).to_have_count(3)
    expect(page).to_have_url(re.compile(re.escape(question_list) + r"\?q=distillation(&|$)"))
    expect(status).to_have_text("3 questions match.")
    links = results(page).get_by_role("link")
    expect(links).to_contain_text([re.compile(r"^Q(10|27) "), re.compile(r"^Q(10|27) "), "Q42 "])
    expect(results(page).filter(has_text="Q42 ")).to_contain_text("Note")
    expect(results(page).filter(has_text="Q27 ")).to_contain_text("Mastered")
    wait_for_htmx(page)

    # Only the reviews that are due: Q10, rated a month ago.
    page.get_by_label("Due for review").check()
    expect(results(page)).to_have_count(1)
    expect(results(page)).to_contain_text(["Q10 "])
    expect(results(page)).to_contain_text(["Not yet"])
    expect(results(page)).to_contain_text(["Due for review"])
    expect(page).to_have_url(re.compile(r"\?q=distillation&.*due=1"))
    expect(status).to_have_text("1 question matches.")
    assert page.evaluate("window.__marker") == 1, "searching reloaded the page"
    assert page.eval_on_selector("#results-status", "el => el.dataset.original === 'yes'"), (
        "the status region was replaced, so screen readers would not announce it"
    )
    wait_for_htmx(page)
    assert_accessible(page, "question search")

    # Nothing matches: the empty state says so.
    page.get_by_label("Search", exact=True).fill("distillation transformer")
    expect(page.get_by_text("No questions match “distillation transformer”")).to_be_visible()
    expect(status).to_have_text("0 questions match.")
    wait_for_htmx(page)

    # Back: the due-only search, then all three, then the whole list, form in step.
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=distillation&.*due=1"))
    expect(results(page)).to_have_count(1)
    expect(page.get_by_label("Due for review")).to_be_checked()
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=distillation(&|$)"))
    expect(results(page)).to_have_count(3)
    expect(page.get_by_label("Search", exact=True)).to_have_value("distillation")
    expect(page.get_by_label("Due for review")).not_to_be_checked()
    page.go_back()
    expect(page).to_have_url(question_list)
    expect(results(page)).to_have_count(50)
    expect(page.get_by_label("Search", exact=True)).to_have_value("")

    # Forward again.
    page.go_forward()
    expect(results(page)).to_have_count(3)


def test_a_shared_link_opens_the_same_search(new_context, reviews, log_in_as):
    context = new_context(color_scheme="dark")
    log_in_as(context, reviews)
    page = context.new_page()
    open_page(
        page,
        "progress:question_list",
        query={"q": "distillation", "topic": "deployment", "level": "", "note": "", "due": ""},
    )

    expect(results(page)).to_have_count(2)
    expect(results(page).get_by_role("link")).to_contain_text(
        [re.compile(r"^Q(10|27) "), re.compile(r"^Q(10|27) ")]
    )
    expect(page.get_by_label("Topic", exact=True)).to_have_value("deployment")
    expect(results(page).get_by_role("link").first).to_have_attribute(
        "href", re.compile(r"\?topic=deployment$")
    )

    # Changing a filter by keyboard alone searches too.
    page.get_by_label("Confidence").focus()
    page.get_by_label("Confidence").select_option("covered")
    expect(results(page)).to_have_count(1)
    expect(results(page)).to_contain_text(["Q27 "])
    expect(page).to_have_url(re.compile(r"level=covered"))
    wait_for_htmx(page)
    assert_accessible(page, "question search (dark)")


def test_results_come_in_pages_swapped_in_place_with_focus_on_the_list(
    page: Page, learner, log_in_as
):
    """Seed bank (50) plus 30 more: two pages. Next swaps the results in place, moves
    focus to the results heading, and the address says which page; Back returns."""
    from tests.factories import make_question

    for n in range(51, 81):
        make_question(position=n, text=f"Extra question {n} about kernels?")
    log_in_as(page.context, learner)
    open_page(page, "progress:question_list")
    page.evaluate("window.__marker = 1")
    expect(results(page)).to_have_count(50)
    pager = page.get_by_role("navigation", name="Pages of results")
    expect(pager).to_contain_text("1–50 of 80 questions · page 1 of 2")

    pager.get_by_role("link", name="Next page").click()
    expect(results(page)).to_have_count(30)
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(results(page).first).to_contain_text("Q51 ")
    expect(page.locator("#results-heading")).to_be_focused()
    assert page.evaluate("window.__marker") == 1, "swapped in place, not reloaded"
    expect(page.locator("#results-status")).to_have_text("80 questions match; page 2 of 2.")
    assert_accessible(page, "question search, page 2")

    page.go_back()
    expect(results(page)).to_have_count(50)
    expect(results(page).first).to_contain_text("Q1 ")


def test_pages_work_without_javascript(new_context, learner, log_in_as):
    from tests.factories import make_question

    for n in range(51, 81):
        make_question(position=n, text=f"Extra question {n}?")
    context = new_context(java_script_enabled=False)
    log_in_as(context, learner)
    page = context.new_page()
    open_page(page, "progress:question_list", query={"topic": ""})
    page.get_by_role("navigation", name="Pages of results").get_by_role(
        "link", name="Next page"
    ).click()
    expect(page).to_have_url(re.compile(r"\?topic=&page=2$"))
    expect(results(page)).to_have_count(30)
