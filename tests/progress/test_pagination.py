"""Lists in pages (issue 18): the question list, its search, a topic's questions and my
notes show a page at a time, with exact counts, every row on exactly one page, the
same order on every request, and the query string kept in the links."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from progress.models import Note
from progress.views import NOTES_PER_PAGE
from questions.models import Answer, Question
from studyhub.pagination import PER_PAGE, page_url, paginate
from tests.factories import make_topic
from tests.pages import HTMX, html_of

QUESTIONS = reverse("progress:question_list")
NOTES = reverse("progress:note_list")
#: More than two pages of questions, the last one part full.
SIZE = 2 * PER_PAGE + 7


@pytest.fixture
def big_topic(db):
    """SIZE questions in one topic, all answering "kernel" alike, so a search ranks
    them equal and only the order's tie-break decides."""
    topic = make_topic(slug="deployment", name="Deployment")
    questions = Question.objects.bulk_create(
        Question(key=f"big-{n}", position=n, text=f"Kernel question {n}?")
        for n in range(1, SIZE + 1)
    )
    Answer.objects.bulk_create(
        Answer(question=q, kind=Answer.Kind.CONCISE, text="A kernel slides.") for q in questions
    )
    topic.questions.add(*questions)
    return topic


def positions(response) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="qnum">Q(\d+)</span>', html_of(response))]


def walk(client, url: str, params: dict, pages: int) -> list[list[int]]:
    return [positions(client.get(url, {**params, "page": n})) for n in range(1, pages + 1)]


LISTS = {
    "question list": lambda topic: (QUESTIONS, {}),
    "search": lambda topic: (QUESTIONS, {"q": "kernel"}),
    "search in a topic": lambda topic: (QUESTIONS, {"q": "kernel", "topic": topic.slug}),
    "topic page": lambda topic: (reverse("progress:topic_detail", args=[topic.slug]), {}),
    "topic page, not rated": lambda topic: (
        reverse("progress:topic_detail", args=[topic.slug]),
        {"level": "not-rated"},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(LISTS))
def test_every_question_is_on_exactly_one_page_in_order(logged_in_client, big_topic, kind):
    url, params = LISTS[kind](big_topic)
    pages = walk(logged_in_client, url, params, 3)

    assert [len(page) for page in pages] == [PER_PAGE, PER_PAGE, SIZE - 2 * PER_PAGE]
    assert [n for page in pages for n in page] == list(range(1, SIZE + 1))
    # The same page twice is the same rows.
    assert walk(logged_in_client, url, params, 1)[0] == pages[0]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(LISTS))
def test_counts_are_exact_and_links_keep_the_query(logged_in_client, big_topic, kind):
    url, params = LISTS[kind](big_topic)
    page = html_of(logged_in_client.get(url, {**params, "page": 2}))

    assert f"51–100 of {SIZE} questions · page 2 of 3" in page
    assert f"({SIZE}" in page  # the heading's count is the whole list's
    for rel, number in (("prev", 1), ("next", 3)):
        link = re.search(rf'<a class="button" href="([^"]+)" rel="{rel}"', page)
        assert link, rel
        href = link.group(1).replace("&amp;", "&")
        expected = [f"{key}={value}" for key, value in params.items()]
        assert all(part in href for part in expected), href
        assert ("page=" not in href) if number == 1 else (f"page={number}" in href)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("asked", "shown"), [("99", 3), ("0", 1), ("-1", 1), ("two", 1), ("", 1), ("1e9", 1)]
)
def test_a_page_out_of_range_or_not_a_number_shows_the_last_or_first(
    logged_in_client, big_topic, asked, shown
):
    response = logged_in_client.get(QUESTIONS, {"page": asked})

    assert response.status_code == 200
    assert f"page {shown} of 3" in html_of(response)


@pytest.mark.django_db
def test_htmx_swaps_the_results_and_pushes_the_address(logged_in_client, big_topic):
    response = logged_in_client.get(QUESTIONS, {"q": "kernel", "page": 2}, headers=HTMX)
    fragment = html_of(response)

    assert fragment.strip().startswith('<section id="question-results"')
    assert positions(response) == list(range(PER_PAGE + 1, 2 * PER_PAGE + 1))
    assert 'hx-target="#question-results"' in fragment
    assert 'hx-push-url="true"' in fragment
    assert "page 2 of 3" in fragment  # the status read out after the swap


@pytest.mark.django_db
def test_one_page_shows_no_pager(logged_in_client, big_topic):
    page = html_of(logged_in_client.get(QUESTIONS, {"q": "7 kernel"}))

    assert 'class="pager"' not in page
    assert positions_from(page) == [7]


def positions_from(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="qnum">Q(\d+)</span>', page)]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [QUESTIONS, "topic"])
def test_a_later_page_costs_the_same_queries_as_the_first(
    logged_in_client, big_topic, url, django_assert_num_queries
):
    if url == "topic":
        url = reverse("progress:topic_detail", args=[big_topic.slug])
    logged_in_client.get(url)  # the session is read once
    with CaptureQueriesContext(connection) as first:
        logged_in_client.get(url)
    with django_assert_num_queries(len(first)):
        logged_in_client.get(url, {"page": 3})


@pytest.mark.django_db
def test_my_notes_come_in_pages(logged_in_client, user, big_topic):
    questions = Question.objects.order_by("position")[: NOTES_PER_PAGE + 3]
    Note.objects.bulk_create(
        Note(user=user, question=q, text="n", html=f"<p>note {q.position}</p>") for q in questions
    )
    first = html_of(logged_in_client.get(NOTES))
    second = html_of(logged_in_client.get(NOTES, {"page": 2}))

    shown = [re.findall(r"<p>note (\d+)</p>", page) for page in (first, second)]
    assert [len(s) for s in shown] == [NOTES_PER_PAGE, 3]
    assert [int(n) for s in shown for n in s] == list(range(1, NOTES_PER_PAGE + 4))
    assert f"{NOTES_PER_PAGE + 3} notes" in first
    # "Study these" studies every note's question, not only this page's.
    assert f"Study these {NOTES_PER_PAGE + 3}</button>" in second


def test_page_links_keep_every_other_parameter(rf):
    request = rf.get("/questions/", {"q": "a b&c", "topic": "vision", "page": "4"})

    assert page_url(request, 5) == "/questions/?q=a+b%26c&topic=vision&page=5"
    assert page_url(request, 1) == "/questions/?q=a+b%26c&topic=vision"
    assert page_url(rf.get("/notes/", {"page": "2"}), 1) == "/notes/"


@pytest.mark.django_db
def test_an_unordered_list_is_refused(rf):
    with pytest.raises(ValueError, match="ordered"):
        paginate(rf.get("/"), Note.objects.order_by(), noun="notes")
