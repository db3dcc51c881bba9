"""Revisions: the diffs, the history page, restoring, and the page's query count."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from authoring.diffs import WORD_DIFF_MAX, content_diff, list_diff, text_diff
from authoring.services import QuestionContent, edit_question, retire_question
from questions.models import Question
from tests.authoring.conftest import Banks
from tests.factories import make_question, make_topic
from tests.pages import html_of, squash

LAYOUT_QUERIES = 3  # session, user, the navigation's teams


def history_url(question: Question, **query) -> str:
    return reverse("authoring:question_history", kwargs={"key": question.key}, query=query)


def restore_url(question: Question, number: int) -> str:
    return reverse("authoring:revision_restore", kwargs={"key": question.key, "number": number})


def revise(question: Question, author, **changes) -> None:
    content = QuestionContent.of(Question.objects.get(pk=question.pk))
    fields = content.as_data() | changes
    edit_question(question=question, author=author, content=QuestionContent.from_data(fields))


# --- Diffs ------------------------------------------------------------------------------


def test_a_changed_word_shows_as_that_word():
    assert text_diff("The step of the filter.", "The stride of the filter.") == [
        ("same", "The "),
        ("del", "step"),
        ("ins", "stride"),
        ("same", " of the filter."),
    ]


def test_unchanged_paragraphs_stay_whole_and_new_ones_are_inserted():
    old = "First paragraph.\n\nSecond one.\n"
    new = "First paragraph.\n\nA new one.\n\nSecond one.\n"
    assert text_diff(old, new) == [
        ("same", "First paragraph.\n\n"),
        ("ins", "A new one.\n\n"),
        ("same", "Second one.\n"),
    ]


def test_a_block_too_large_to_compare_word_by_word_is_replaced_whole():
    words = int(WORD_DIFF_MAX**0.5)  # tokens are words and spaces: twice this many
    old = " ".join(f"a{i}" for i in range(words))
    new = " ".join(f"b{i}" for i in range(words))
    assert text_diff(old, new) == [("del", old), ("ins", new)]


def test_list_diff_keeps_removes_and_adds():
    assert list_diff(["Alpha", "Beta"], ["Beta", "Gamma"]) == [
        ("del", "Alpha"),
        ("same", "Beta"),
        ("ins", "Gamma"),
    ]


def test_content_diff_names_topics_and_lists_only_changed_fields():
    old = QuestionContent(text="Q?", concise="A.", topics=("a", "gone"), related=("k1",))
    new = QuestionContent(text="Q?", concise="A.", topics=("a", "b"), related=())
    changes = content_diff(
        old,
        new,
        topic_names={"a": "Alpha", "b": "Beta"},
        related_names={"k1": "Q1. First"},
    )
    assert [(c.label, c.items) for c in changes] == [
        ("Topics", (("same", "Alpha"), ("del", "gone"), ("ins", "Beta"))),
        ("Related questions", (("del", "Q1. First"),)),
    ]


# --- The history page ------------------------------------------------------------------


def test_the_history_shows_who_when_what_and_the_change(banks, instructor_client):
    question = banks.team_question
    revise(question, banks.instructor, concise="The input <b>area</b> a neuron sees.")
    page = html_of(instructor_client.get(history_url(question)))
    headings = re.findall(r'<h2 class="revision-heading">(.*?)</h2>', page)
    assert [squash(h) for h in headings] == [
        "Revision 2: Edited Current",
        "Revision 1: As it was before editing",
    ]
    assert "By Iris Instructor" in page
    assert "Not made in StudyHub's editor (seeded or imported)" in page
    # The changed words, escaped, inside the marks; no style attribute anywhere.
    assert (
        "The input <del>area</del><ins>&lt;b&gt;area&lt;/b&gt;</ins> a "
        "<del>unit</del><ins>neuron</ins> sees." in page
    )
    assert "<b>area</b>" not in page
    assert "style=" not in page
    # Revision 1 (how it was first) shows all its content as added.
    assert "<ins>What is a receptive field?</ins>" in page
    # The way back leads to the team bank's page.
    bank_page = reverse("authoring:team_bank", kwargs={"team_id": banks.team.pk})
    assert f'<a href="{bank_page}">Team bank: Vision group</a>' in page
    # Only earlier revisions can be restored.
    assert f'action="{restore_url(question, 1)}"' in page
    assert f'action="{restore_url(question, 2)}"' not in page


def test_topic_and_related_changes_are_named(banks, instructor_client):
    question = banks.team_question
    revise(
        question,
        banks.instructor,
        topics=[banks.team_topic.slug],
        related=[banks.library_question.key],
    )
    page = html_of(instructor_client.get(history_url(question)))
    assert "<dt>Topics</dt>" in page and "<del>CNN basics</del>" in page
    assert "<dt>Related questions</dt>" in page
    assert f"<ins>Q{banks.library_question.position}. What is a convolution?</ins>" in page


def test_retiring_shows_in_the_history_without_a_content_change(banks, instructor_client):
    question = banks.team_question
    retire_question(question=question, by=banks.instructor)
    page = html_of(instructor_client.get(history_url(question)))
    assert "Revision 2: Retired" in squash(page)
    assert "No change to the question's text, answers, topics or related questions." in page
    assert "<strong>Retired</strong> since" in page


def test_restoring_makes_a_new_revision_with_the_old_content(banks, instructor_client):
    question = banks.team_question
    revise(question, banks.instructor, concise="Second.", topics=[banks.team_topic.slug])
    revise(question, banks.instructor, concise="Third.")
    response = instructor_client.post(restore_url(question, 1), follow=True)
    assert "Revision 1 restored, as a new revision." in html_of(response)
    restored = Question.objects.get(pk=question.pk)
    assert restored.concise_answer is not None
    assert restored.concise_answer.text == "The input area a unit sees."
    assert sorted(t.slug for t in restored.topics.all()) == sorted(
        [banks.team_topic.slug, banks.library_topic.slug]
    )
    latest = restored.revisions.first()
    assert latest is not None
    assert (latest.number, latest.action, latest.author) == (
        4,
        "Restored revision 1",
        banks.instructor,
    )


def test_restoring_what_it_already_says_changes_nothing(banks, instructor_client):
    question = banks.team_question
    revise(question, banks.instructor, concise="Second.")
    revise(question, banks.instructor, concise="The input area a unit sees.")
    response = instructor_client.post(restore_url(question, 1), follow=True)
    assert "Nothing changed: the question already says what revision 1 held." in html_of(response)
    assert question.revisions.count() == 3


def test_a_question_never_changed_has_an_empty_history(banks, instructor_client):
    page = html_of(instructor_client.get(history_url(banks.team_question)))
    assert "No revisions yet" in page


def test_long_histories_come_in_pages_each_compared_with_the_one_before(banks, instructor_client):
    question = banks.team_question
    for n in range(2, 26):  # revisions 2..25 after the baseline
        revise(question, banks.instructor, concise=f"Answer {n}.")
    first = html_of(instructor_client.get(history_url(question)))
    numbers = [int(n) for n in re.findall(r'id="revision-(\d+)"', first)]
    assert numbers == list(range(25, 5, -1))
    # The oldest shown (6) is compared with 5, which is on the next page.
    assert "<del>5.</del><ins>6.</ins>" in first
    assert f'href="{history_url(question, page=2)}"' not in first  # relative link
    assert 'href="?page=2"' in first
    second = html_of(instructor_client.get(history_url(question, page=2)))
    assert [int(n) for n in re.findall(r'id="revision-(\d+)"', second)] == [5, 4, 3, 2, 1]
    assert 'href="?page=1"' in second and 'href="?page=3"' not in second


@pytest.mark.parametrize("page", ["0", "-1", "x", "9999999", "3"])
def test_pages_that_do_not_exist(banks, instructor_client, page):
    revise(banks.team_question, banks.instructor, concise="Changed.")
    response = instructor_client.get(history_url(banks.team_question) + f"?page={page}")
    assert response.status_code == 404


# --- Query counts -----------------------------------------------------------------------

#: Exact queries of the history page, however many revisions, topics and related
#: questions: the layout, the question (with its latest revision number), whether the
#: user may change its bank (none for staff and a library question), the page of
#: revisions with their authors, and the names of their topics and related questions.
HISTORY_QUERIES = {"team": LAYOUT_QUERIES + 5, "library": LAYOUT_QUERIES + 4}


def grow(banks: Banks, question: Question, author, size: int) -> None:
    topics = [make_topic(bank=question.bank) for _ in range(size)]
    others = [make_question(bank=question.bank, topics=topics[:1]) for _ in range(size)]
    for n in range(size):
        revise(
            question,
            author,
            concise=f"Answer {n}.",
            topics=[t.slug for t in topics[: n + 1]],
            related=[q.key for q in others[: n + 1]],
        )


@pytest.mark.parametrize("size", [2, 30])
@pytest.mark.parametrize("which", ["team", "library"])
def test_the_history_page_query_count_is_flat(banks, which, size, django_assert_num_queries):
    question = banks.team_question if which == "team" else banks.library_question
    role = "instructor" if which == "team" else "staff"
    author = banks.instructor if which == "team" else banks.staff
    grow(banks, question, author, size)
    client = banks.client(role)
    with django_assert_num_queries(HISTORY_QUERIES[which]):
        response = client.get(history_url(question))
    assert response.status_code == 200
    assert html_of(response).count('class="card revision"') == min(size + 1, 20)
