"""The question page shows answers as Markdown, made safe; it says which bank the
question is in; and its query count for a library question is what it was."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from authoring.services import QuestionContent, edit_question
from questions.models import Question
from tests.authoring.conftest import question_url
from tests.factories import make_user
from tests.pages import html_of, section
from tests.progress.test_topic_views import QUERIES


def answer_html(page: str) -> str:
    match = re.search(r'<div class="answer-body">(.*?)</details>', page, re.S)
    assert match, "no answer on the page"
    return match.group(1)


@pytest.fixture
def learner_client(client, db):
    client.force_login(make_user(username="reader"))
    return client


def test_seed_answers_read_as_before_with_their_lists(seed_bank, learner_client):
    q3 = Question.objects.get(position=3)
    html = answer_html(html_of(learner_client.get(question_url(q3))))
    # The long answer's "- " lines are a list now, each item whole.
    assert "<ul>\n<li>Reduced training time: Transfer learning allows leveraging" in html
    assert html.count("<li>") == 5
    # Paragraphs stay paragraphs, in both answers.
    assert "<p>Transfer learning in CNNs offers the following benefits:</p>" in html
    assert "<p>In transfer learning, the pre-trained model can be used in two ways" in html


def test_the_cut_answer_still_says_where_the_source_ends(seed_bank, learner_client):
    q5 = Question.objects.get(position=5)
    html = answer_html(html_of(learner_client.get(question_url(q5))))
    assert "to extract hierarchical</p>" in html
    assert "<strong>The source text ends here</strong>" in html


def test_markdown_in_an_answer_is_made_safe(db, learner_client):
    from tests.factories import make_question, make_topic

    question = make_question(
        topics=[make_topic()],
        concise='**Strides** <script>alert("x")</script> [link](javascript:alert(1)) `List<int>`',
    )
    html = answer_html(html_of(learner_client.get(question.get_absolute_url())))
    assert "<strong>Strides</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert "<code>List&lt;int&gt;</code>" in html


def test_an_edited_answer_shows_rendered(seed_bank, learner_client):
    staff = make_user(username="boss", is_staff=True)
    q1 = Question.objects.get(position=1)
    content = QuestionContent.of(q1)
    edit_question(
        question=q1,
        author=staff,
        content=QuestionContent(
            text=content.text,
            concise="1. First\n2. Second\n\n| a | b |\n|---|---|\n| 1 | 2 |",
            long=content.long,
            topics=content.topics,
            related=content.related,
        ),
    )
    html = answer_html(html_of(learner_client.get(question_url(q1))))
    assert "<ol>\n<li>First</li>\n<li>Second</li>\n</ol>" in html
    assert "<table>" in html


@pytest.mark.parametrize("staff", [False, True], ids=["learner", "staff"])
def test_the_library_question_page_costs_what_it_did(
    seed_bank, client, staff, django_assert_num_queries
):
    """Knowing whether the user may edit costs nothing for a library question."""
    user = make_user(username="viewer", is_staff=staff)
    client.force_login(user)
    question = Question.objects.get(position=7)
    with django_assert_num_queries(QUERIES["question_detail"]):
        response = client.get(question_url(question))
    page = html_of(response)
    edit = reverse("authoring:question_edit", kwargs={"key": question.key})
    assert (edit in page) is staff
    assert "Related questions" in section(page, "related-heading", attr="aria-labelledby")


@pytest.mark.parametrize("role", ["learner", "instructor"])
def test_a_team_question_page_costs_at_most_two_queries_more(
    banks, role, django_assert_max_num_queries
):
    """Its bank's name and whether the user may edit it. (The name costs nothing once
    the page's query loads the bank with the question.)"""
    client = banks.client(role)
    with django_assert_max_num_queries(QUERIES["question_detail"] + 2):
        response = client.get(question_url(banks.team_question))
    page = html_of(response)
    assert '<span class="bank-label">Team bank: Vision group</span>' in page
    edit = reverse("authoring:question_edit", kwargs={"key": banks.team_question.key})
    assert (edit in page) is (role == "instructor")
