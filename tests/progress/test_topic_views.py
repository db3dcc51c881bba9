"""progress.topic_views and the question page: the topic list, a topic's questions and
one question, each with the learner's own marks and notes."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from progress.models import ConfidenceMark, Note
from progress.scheduling import rating_buttons
from questions.models import Question
from tests.factories import make_bank, make_question, make_topic, make_user, mark, note
from tests.pages import HTMX, html_of, section

#: Queries every full page makes in base.html: session, user, the user's teams (navigation).
LAYOUT_QUERIES = 3
#: Exact SQL queries per page; the same for 5 or 50 questions and 1 or 20 other users.
QUERIES = {
    # + topics with my coverage
    "topic_list": LAYOUT_QUERIES + 1,
    # + topic with my coverage, the count of its questions shown, the page of them
    # with my level and note flag
    "topic_detail": LAYOUT_QUERIES + 3,
    # the #question-list fragment: session, user, topic, count, questions (no navigation)
    "topic_detail_htmx": 2 + 3,
    # + question, its answers, topics and related questions (3 prefetches), my mark,
    # my note, the topic's question keys (pager), coverage of the question's topics
    "question_detail": LAYOUT_QUERIES + 8,
}


LOGIN = reverse("accounts:login")
TOPICS = reverse("progress:topic_list")


def topic_url(slug: str) -> str:
    return reverse("progress:topic_detail", args=[slug])


def question_url(key: str) -> str:
    return reverse("progress:question_detail", args=[key])


def in_topic(key: str, slug: str) -> str:
    """A question's page reached from a topic, as the pager and the topic rows link it."""
    return f"{question_url(key)}?topic={slug}"


def row_positions(response) -> list[int]:
    """The question numbers listed on a topic page, in order."""
    return [int(n) for n in re.findall(r'<span class="qnum">Q(\d+)</span>', html_of(response))]


# --- Access --------------------------------------------------------------------------


PAGES = [TOPICS, topic_url("deployment"), question_url("cnn-01")]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(client, seed_bank, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", [topic_url("nope"), question_url("cnn-99"), question_url("nope")])
def test_unknown_slug_or_key_is_404(logged_in_client, seed_bank, url):
    assert logged_in_client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_pages_are_read_only(logged_in_client, seed_bank, url):
    assert logged_in_client.post(url).status_code == 405


# --- Topic list ----------------------------------------------------------------------


@pytest.mark.django_db
def test_topic_list_shows_every_topic_with_my_coverage(logged_in_client, seed_bank, user):
    for key in ("cnn-10", "cnn-27"):
        mark(user, Question.objects.get(key=key), 4)
    mark(user, Question.objects.get(key="cnn-11"), 2)
    someone = make_user()
    for question in Question.objects.all():
        mark(someone, question, 5)

    response = logged_in_client.get(TOPICS)

    assert response.status_code == 200
    page = html_of(response)
    assert "<html" in page
    names = re.findall(r'<h2><a href="([^"]+)">([^<]+)</a></h2>', page)
    assert len(names) == 13
    assert names[0] == (topic_url("foundations"), "CNN foundations")
    assert names[8] == (topic_url("deployment"), "Deployment and efficiency")
    assert names[-1] == (topic_url("applications"), "Medical imaging and multi-modal")
    assert "<strong>2 of 5</strong> · 40%" in page
    assert page.count("<strong>0 of ") == 12


@pytest.mark.django_db
def test_topic_list_without_topics(logged_in_client):
    response = logged_in_client.get(TOPICS)
    assert response.status_code == 200
    assert "No topics yet." in html_of(response)


@pytest.mark.django_db
def test_topic_list_with_htmx_header_is_the_full_page(logged_in_client, seed_bank, htmx_headers):
    response = logged_in_client.get(TOPICS, headers=htmx_headers)
    assert response.status_code == 200
    assert "<html" in html_of(response)
    assert "Deployment and efficiency" in html_of(response)


# --- Topic detail --------------------------------------------------------------------


@pytest.fixture
def deployment_marks(seed_bank, user):
    """My marks in deployment (10, 11, 27, 28, 46): 10 → 1, 11 → 3, 27 → 5, a note on 28."""
    by_key = Question.objects.in_bulk(field_name="key")
    mark(user, by_key["cnn-10"], 1)
    mark(user, by_key["cnn-11"], 3)
    mark(user, by_key["cnn-27"], 5)
    note(user, by_key["cnn-28"], "Look up int8 calibration")
    someone = make_user()
    for key in ("cnn-28", "cnn-46", "cnn-10"):
        mark(someone, by_key[key], 5)
        note(someone, by_key[key], "Not yours")


@pytest.mark.django_db
def test_topic_detail_full_page(logged_in_client, deployment_marks):
    response = logged_in_client.get(topic_url("deployment"))

    assert response.status_code == 200
    page = html_of(response)
    assert page.startswith("<!doctype html>")
    assert "<h1>Deployment and efficiency</h1>" in page
    assert '<p class="topic-coverage">Your coverage:' in page
    assert "<strong>2 of 5</strong> · 40%" in page
    assert '<select id="level-filter" name="level">' in page
    assert row_positions(response) == [10, 11, 27, 28, 46]
    assert f'href="{in_topic("cnn-27", "deployment")}"' in page
    assert 'All questions <span class="count">(5 of 5)</span>' in page
    assert "What is model distillation in CNNs" in page
    assert "Vary" in response and "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_topic_detail_rows_show_my_confidence_and_notes(logged_in_client, deployment_marks):
    rows = re.findall(
        r'<li class="row">.*?</li>',
        html_of(logged_in_client.get(topic_url("deployment"))),
        re.DOTALL,
    )
    badges = [re.search(r"</span>([^<]+)</span>", row).group(1) for row in rows]
    assert badges == ["Not yet", "Okay", "Mastered", "Not rated", "Not rated"]
    assert ["note-badge" in row for row in rows] == [False, False, False, True, False]


@pytest.mark.django_db
def test_topic_detail_htmx_returns_only_the_question_list(
    logged_in_client, deployment_marks, htmx_headers
):
    response = logged_in_client.get(
        topic_url("deployment"), {"level": "covered"}, headers=htmx_headers
    )

    assert response.status_code == 200
    page = html_of(response).strip()
    assert page.startswith('<section id="question-list"')
    # The count is announced through the page's persistent status region.
    assert page.endswith(
        '<p id="filter-status" hx-swap-oob="innerHTML">Covered (Okay or better): 2 questions.</p>'
    )
    assert "<html" not in page
    assert "<h1>" not in page and "level-filter" not in page
    assert row_positions(response) == [11, 27]
    assert 'Covered (Okay or better) <span class="count">(2 of 5)</span>' in page
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "level, positions, heading",
    [
        ("", [10, 11, 27, 28, 46], "All questions"),
        ("unrated", [28, 46], "Not rated yet"),
        ("1", [10], "1 · Not yet"),
        ("3", [11], "3 · Okay"),
        ("5", [27], "5 · Mastered"),
        ("covered", [11, 27], "Covered (Okay or better)"),
        ("not-covered", [10, 28, 46], "Not covered yet"),
        ("garbage", [10, 11, 27, 28, 46], "All questions"),
        ("7", [10, 11, 27, 28, 46], "All questions"),
    ],
)
def test_topic_detail_level_filter(logged_in_client, deployment_marks, level, positions, heading):
    response = logged_in_client.get(topic_url("deployment"), {"level": level})
    assert response.status_code == 200
    assert row_positions(response) == positions
    assert f'{heading} <span class="count">({len(positions)} of 5)</span>' in html_of(response)
    # The chosen filter is selected in the form; an unknown one falls back to "All".
    selected = re.findall(r'<option value="([^"]*)" selected>', html_of(response))
    assert selected == [level if heading != "All questions" else ""]


@pytest.mark.django_db
def test_topic_detail_filter_without_matches(logged_in_client, deployment_marks, htmx_headers):
    response = logged_in_client.get(topic_url("deployment"), {"level": "2"}, headers=htmx_headers)
    assert row_positions(response) == []
    assert "No questions in this topic match “2 · Shaky”." in html_of(response)


# --- Question page -------------------------------------------------------------------


@pytest.mark.django_db
def test_question_page_shows_question_and_answers(logged_in_client, seed_bank):
    response = logged_in_client.get(in_topic("cnn-05", "detection"))

    assert response.status_code == 200
    page = html_of(response)
    question = Question.objects.get(key="cnn-05")
    assert f'<h1 class="question-text">{escape(question.text)}</h1>' in page
    assert question.text.startswith("How do CNNs approach the task of object detection")
    assert "Question 5 · 1 of 4 in Object detection" in page
    assert '<span class="when-closed">Show answer</span>' in page
    assert f"<p>{escape(question.concise_answer.text)}</p>" in page
    long = question.long_answer
    assert "Long answer" in page
    for paragraph in long.text.split("\n\n"):
        assert escape(paragraph) in page
    assert page.index("to extract hierarchical") < page.index("The source text ends here")
    assert "<strong>The source text ends here</strong>, mid-sentence" in page


@pytest.mark.django_db
@pytest.mark.parametrize("key, has_long", [("cnn-01", True), ("cnn-06", False)])
def test_complete_or_missing_long_answer_has_no_notice(logged_in_client, seed_bank, key, has_long):
    page = html_of(logged_in_client.get(question_url(key)))
    assert ("Long answer" in page) is has_long
    assert "The source text ends here" not in page
    assert "Show answer" in page


@pytest.mark.django_db
def test_question_page_has_five_labelled_confidence_buttons(logged_in_client, seed_bank, user):
    question = Question.objects.get(key="cnn-05")
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False):
        mark(user, question, 4)
    # Four days on, each button says when the question would come back if rated so now:
    # what the scheduler makes of the learner's mark (tests/progress/test_scheduling.py
    # checks that a rating then schedules exactly that).
    with time_machine.travel("2026-03-06 09:00:00+00:00", tick=False):
        page = html_of(logged_in_client.get(question_url("cnn-05")))
        stored = ConfidenceMark.objects.get(user=user, question=question)
        waits = [b.comes_back for b in rating_buttons(stored, timezone.now())]
    buttons = re.findall(
        r'<button type="submit" id="level-(\d)" name="level" value="(\d)"[^>]*'
        r'aria-pressed="(true|false)">.*?<span class="level-label">([^<]+)'
        r'<span class="visually-hidden">,</span></span>'
        r'<span class="level-when"><span class="visually-hidden">back in </span>([^<]+)</span>',
        page,
        re.DOTALL,
    )
    assert buttons == [
        ("1", "1", "false", "Not yet", "10 min"),
        ("2", "2", "false", "Shaky", waits[1]),
        ("3", "3", "false", "Okay", waits[2]),
        ("4", "4", "true", "Confident", waits[3]),
        ("5", "5", "false", "Mastered", waits[4]),
    ]
    assert waits[1].endswith("days") and waits[4].endswith("days")
    assert waits[1] != waits[4]


@pytest.mark.django_db
def test_question_page_lists_related_questions(logged_in_client, seed_bank):
    related = section(
        html_of(logged_in_client.get(question_url("cnn-03"))),
        "related-heading",
        attr="aria-labelledby",
    )
    links = re.findall(r'<a href="([^"]+)"><span class="qnum">Q(\d+)</span>', related)
    assert sorted(links) == [(question_url("cnn-18"), "18"), (question_url("cnn-48"), "48")]
    assert Question.objects.get(key="cnn-48").text in related

    unrelated = section(
        html_of(logged_in_client.get(question_url("cnn-01"))),
        "related-heading",
        attr="aria-labelledby",
    )
    assert '<p class="muted">None.</p>' in unrelated


def pager(response) -> dict[str, str]:
    """The previous/next links: {"prev": in_topic("cnn-05", "detection"), …}."""
    return dict(re.findall(r'rel="(prev|next)"[^>]*href="([^"]+)"', html_of(response)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key, params, expected",
    [
        # Question 19 is in detection (5, 19, 23, 24) and robustness (15, 19, 32, 33, 39, 42).
        (
            "cnn-19",
            {"topic": "detection"},
            {"prev": ("cnn-05", "detection"), "next": ("cnn-23", "detection")},
        ),
        (
            "cnn-19",
            {"topic": "robustness"},
            {"prev": ("cnn-15", "robustness"), "next": ("cnn-32", "robustness")},
        ),
        # Without a topic (or with one the question is not in) its first topic is used.
        ("cnn-19", {}, {"prev": ("cnn-05", "detection"), "next": ("cnn-23", "detection")}),
        (
            "cnn-19",
            {"topic": "ocr"},
            {"prev": ("cnn-05", "detection"), "next": ("cnn-23", "detection")},
        ),
        # First and last of a topic.
        ("cnn-10", {"topic": "deployment"}, {"next": ("cnn-11", "deployment")}),
        ("cnn-46", {"topic": "deployment"}, {"prev": ("cnn-28", "deployment")}),
    ],
)
def test_question_page_previous_and_next_within_topic(
    logged_in_client, seed_bank, key, params, expected
):
    response = logged_in_client.get(question_url(key), params)
    assert response.status_code == 200
    assert pager(response) == {rel: in_topic(*target) for rel, target in expected.items()}


@pytest.mark.django_db
def test_question_page_position_within_topic(logged_in_client, seed_bank):
    page = html_of(logged_in_client.get(in_topic("cnn-19", "robustness")))
    assert "Question 19 · 2 of 6 in Robustness" in page
    assert f'<li><a href="{topic_url("robustness")}">Robustness</a></li>' in page


@pytest.mark.django_db
def test_question_page_coverage_panel_is_mine(logged_in_client, seed_bank, user):
    mark(user, Question.objects.get(key="cnn-19"), 3)
    someone = make_user()
    for question in Question.objects.all():
        mark(someone, question, 5)
    panel = section(html_of(logged_in_client.get(question_url("cnn-19"))), "coverage-panel")
    assert re.findall(r'<a href="([^"]+)">', panel) == [
        topic_url("detection"),
        topic_url("robustness"),
    ]
    assert "<strong>1 of 4</strong> · 25%" in panel
    assert "<strong>1 of 6</strong> · 16%" in panel


@pytest.mark.django_db
def test_question_page_shows_my_note_and_never_anothers(logged_in_client, seed_bank, user):
    question = Question.objects.get(key="cnn-07")
    note(make_user(), question, "SECRET of someone else")
    page = html_of(logged_in_client.get(question_url("cnn-07")))
    assert "SECRET" not in page
    assert "No note yet." in page and "Write a note" in page

    note(user, question, "Mine: **U-Net** skips")
    page = html_of(logged_in_client.get(question_url("cnn-07")))
    assert "<strong>U-Net</strong> skips" in page
    assert "SECRET" not in page and "Edit note" in page


@pytest.mark.django_db
def test_question_page_with_htmx_header_is_the_full_page(logged_in_client, seed_bank, htmx_headers):
    # htmx may ask for the question page itself (a history restore): it gets the full page.
    response = logged_in_client.get(in_topic("cnn-05", "detection"), headers=htmx_headers)
    assert response.status_code == 200
    page = html_of(response)
    assert "<html" in page and '<section id="note"' in page
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_question_text_is_escaped(logged_in_client):
    topic = make_topic(slug="html")
    make_question(
        key="html-q", text="Is <b>this</b> & that safe?", topics=[topic], concise="<i>x</i>"
    )
    page = html_of(logged_in_client.get(question_url("html-q")))
    assert "Is &lt;b&gt;this&lt;/b&gt; &amp; that safe?" in page
    assert "<b>this</b>" not in page and "<i>x</i>" not in page
    listing = html_of(logged_in_client.get(topic_url("html")))
    assert "Is &lt;b&gt;this&lt;/b&gt; &amp; that safe?" in listing


# --- Query counts --------------------------------------------------------------------

SIZES = {"small": (5, 1), "large": (50, 20)}  # questions in the topic, other users


@pytest.fixture(params=list(SIZES))
def crowd(request, user):
    """A topic with 5 or 50 questions, and 1 or 20 other users with marks and notes.

    The page's question (the topic's first) is in every topic and related to the
    rest of its topic; `user` has a mark and a note on it and marks elsewhere.
    """
    n_questions, n_others = SIZES[request.param]
    if n_questions == 5:
        topics = make_bank(topics=1, questions_per_topic=5)
    else:
        topics = make_bank(topics=5, questions_per_topic=10)
        topics[0].questions.add(*Question.objects.all())
    topic = topics[0]
    questions = list(topic.questions.all())
    assert len(questions) == n_questions
    target = questions[0]
    target.topics.set(topics)
    target.related.set(questions[1:])

    mark(user, target, 3)
    mark(user, questions[1], 1)
    note(user, target, "My *note*")
    now = timezone.now()
    for _ in range(n_others):
        other = make_user(password=None)
        mark(other, target, 5)
        note(other, target, "Another's note")
        ConfidenceMark.objects.bulk_create(
            ConfidenceMark(user=other, question=q, level=4, updated_at=now) for q in questions[1:]
        )
        Note.objects.bulk_create(Note(user=other, question=q, text="n") for q in questions[1:])
    assert ConfidenceMark.objects.exclude(user=user).count() == n_others * n_questions
    return {"topic": topic, "question": target, "next": questions[1]}


@pytest.mark.django_db
def test_topic_list_query_count(logged_in_client, crowd, django_assert_num_queries):
    with django_assert_num_queries(QUERIES["topic_list"]):
        response = logged_in_client.get(TOPICS)
    assert response.status_code == 200
    topic = crowd["topic"]
    n = topic.questions.count()
    assert f'<a href="{topic_url(topic.slug)}">' in html_of(response)
    assert f"<strong>1 of {n}</strong>" in html_of(response)


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_topic_detail_query_count(logged_in_client, crowd, htmx, django_assert_num_queries):
    topic = crowd["topic"]
    headers = HTMX if htmx else {}
    with django_assert_num_queries(QUERIES["topic_detail_htmx" if htmx else "topic_detail"]):
        response = logged_in_client.get(topic.get_absolute_url(), headers=headers)
    assert response.status_code == 200
    n = topic.questions.count()
    assert len(row_positions(response)) == n
    assert html_of(response).count("note-badge") == 1
    assert ("<html" in html_of(response)) is not htmx


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_question_detail_query_count(logged_in_client, crowd, htmx, django_assert_num_queries):
    topic, question = crowd["topic"], crowd["question"]
    headers = HTMX if htmx else {}
    url = f"{question.get_absolute_url()}?topic={topic.slug}"
    with django_assert_num_queries(QUERIES["question_detail"]):
        response = logged_in_client.get(url, headers=headers)
    assert response.status_code == 200
    page = html_of(response)
    n = topic.questions.count()
    related = section(html_of(response), "related-heading", attr="aria-labelledby")
    assert related.count("<li>") == n - 1
    assert "<em>note</em>" in page and "Another&#x27;s note" not in page
    assert "Your confidence: <strong>Okay</strong>" in page
    assert pager(response) == {"next": in_topic(crowd["next"].key, topic.slug)}
