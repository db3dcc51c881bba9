"""Study sessions: starting from each source, rating, moving, finishing, resuming."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from progress.models import ConfidenceEvent, ConfidenceMark, StudySession
from tests.factories import make_bank, make_question, make_user, mark
from tests.pages import HTMX
from tests.teams.factories import add_member, make_assignment, make_team, make_topic_set


@pytest.fixture
def bank(db):
    return make_bank(topics=2, questions_per_topic=3)


@pytest.fixture
def learner(db):
    return make_user(username="studier")


@pytest.fixture
def client_of(learner):
    client = Client()
    client.force_login(learner)
    return client


def start(client, **data):
    return client.post(reverse("progress:study_start"), data)


def latest(user) -> StudySession:
    return user.study_sessions.get()


def test_a_topic_session_holds_the_topics_questions_in_order(bank, learner, client_of):
    response = start(client_of, source="topic", topic=bank[0].slug)
    session = latest(learner)
    assert response.status_code == 302
    assert response["Location"] == reverse("progress:study_session", args=[session.pk])
    assert session.question_ids == list(
        bank[0].questions.order_by("position").values_list("pk", flat=True)
    )
    assert session.label == bank[0].name


def test_the_session_page_shows_progress_answer_and_levels(bank, learner, client_of):
    start(client_of, source="topic", topic=bank[0].slug)
    session = latest(learner)
    html = client_of.get(session.get_absolute_url()).content.decode()
    first = bank[0].questions.order_by("position").first()
    assert f"Question 1 of 3 · {bank[0].name}" in html
    assert first.text in html
    assert "Show answer" in html and first.concise_answer.text in html
    for name in ["Not yet", "Shaky", "Okay", "Confident", "Mastered"]:
        assert name in html
    assert 'aria-keyshortcuts="4"' in html
    assert "js/keys.js" in html


def test_rating_records_confidence_and_moves_on_with_htmx(bank, learner, client_of):
    start(client_of, source="topic", topic=bank[0].slug)
    session = latest(learner)
    first, second = list(bank[0].questions.order_by("position"))[:2]
    url = reverse("progress:study_rate", args=[session.pk])

    response = client_of.post(url, {"level": "4"}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="study-card"')
    assert "<html" not in html
    assert "Question 2 of 3" in html and second.text in html
    assert ConfidenceMark.objects.get(user=learner, question=first).level == 4
    session.refresh_from_db()
    assert (session.position, session.ratings) == (1, {str(first.pk): 4})


def test_rating_without_htmx_redirects_back_to_the_session(bank, learner, client_of):
    start(client_of, source="topic", topic=bank[0].slug)
    session = latest(learner)
    response = client_of.post(reverse("progress:study_rate", args=[session.pk]), {"level": "2"})
    assert response.status_code == 302
    assert response["Location"] == session.get_absolute_url()
    assert ConfidenceEvent.objects.filter(user=learner).count() == 1


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_an_invalid_rating_is_refused_and_nothing_moves(bank, learner, client_of, headers):
    start(client_of, source="topic", topic=bank[0].slug)
    session = latest(learner)
    response = client_of.post(
        reverse("progress:study_rate", args=[session.pk]), {"level": "9"}, headers=headers
    )
    assert response.status_code == 422
    assert (
        "Choose a confidence level from 1 (Not yet) to 5 (Mastered)." in response.content.decode()
    )
    session.refresh_from_db()
    assert session.position == 0
    assert not ConfidenceEvent.objects.exists()


def test_previous_shows_what_was_rated_and_next_skips(bank, learner, client_of):
    start(client_of, source="topic", topic=bank[0].slug)
    session = latest(learner)
    client_of.post(reverse("progress:study_rate", args=[session.pk]), {"level": "3"})
    move = reverse("progress:study_move", args=[session.pk])

    html = client_of.post(move, {"direction": "previous"}, headers=HTMX).content.decode()
    assert "Question 1 of 3" in html
    assert re.search(r'id="rate-3"[^>]*aria-pressed="true"', html, re.S)
    assert len(re.findall(r'aria-pressed="true"', html)) == 1
    html = client_of.post(move, {"direction": "next"}, headers=HTMX).content.decode()
    html = client_of.post(move, {"direction": "next"}, headers=HTMX).content.decode()
    assert "Question 3 of 3" in html and "Finish" in html
    assert client_of.post(move, {"direction": "sideways"}).status_code == 400


def test_finishing_shows_a_summary_of_levels_and_topics(bank, learner, client_of):
    start(client_of, source="topic", topic=bank[0].slug)
    session = latest(learner)
    url = reverse("progress:study_rate", args=[session.pk])
    # The second question, Shaky while new, comes back at the end and is then rated Okay.
    for level in ["5", "2", "5", "3"]:
        response = client_of.post(url, {"level": level}, headers=HTMX)
    html = response.content.decode()
    assert "Session complete" in html
    assert "you rated 3 of 3 questions" in html
    assert "1 question came back for another try; 1 of them ended Okay or better." in html
    assert '<th scope="row">5 · Mastered</th><td>2</td>' in html
    assert '<th scope="row">3 · Okay</th><td>1</td>' in html
    assert '<th scope="row">2 · Shaky</th><td>0</td>' in html
    assert bank[0].name in html and bank[1].name not in html
    session.refresh_from_db()
    assert session.is_finished


def test_leaving_and_coming_back_resumes_where_the_learner_was(bank, learner, client_of):
    start(client_of, source="topic", topic=bank[1].slug)
    session = latest(learner)
    client_of.post(reverse("progress:study_rate", args=[session.pk]), {"level": "4"})
    # Later: the dashboard and the study page offer to resume, and the session is at Q2.
    dashboard = client_of.get(reverse("progress:dashboard")).content.decode()
    assert f"{bank[1].name}, question 2 of 3" in dashboard
    assert session.get_absolute_url() in dashboard
    home = client_of.get(reverse("progress:study_home")).content.decode()
    assert "Resume session" in home
    page = client_of.get(session.get_absolute_url()).content.decode()
    assert "Question 2 of 3" in page


def test_the_question_list_is_fixed_when_the_session_starts(bank, learner, client_of):
    start(client_of, source="topic", topic=bank[0].slug)
    session = latest(learner)
    make_question(topics=[bank[0]])  # the topic grows afterwards
    session.refresh_from_db()
    assert session.size == 3


def test_due_session_holds_what_is_due_most_overdue_first(bank, learner, client_of):
    questions = list(bank[0].questions.order_by("position"))
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False):
        mark(learner, questions[0], 5)  # due much later
        mark(learner, questions[1], 1)  # due next day
        mark(learner, questions[2], 2)
    with time_machine.travel("2026-03-05 09:00:00+00:00", tick=False):
        start(client_of, source="due")
    session = latest(learner)
    assert session.question_ids == [questions[1].pk, questions[2].pk]


def test_nothing_due_says_so_and_starts_nothing(bank, learner, client_of):
    response = start(client_of, source="due")
    assert response.status_code == 302 and response["Location"] == reverse("progress:study_home")
    assert not StudySession.objects.exists()
    page = client_of.get(reverse("progress:study_home")).content.decode()
    assert "Nothing is due for review right now" in page


def test_weakest_first_puts_unrated_and_low_confidence_first(bank, learner, client_of):
    questions = [q for t in bank for q in t.questions.order_by("position")]
    mark(learner, questions[0], 5)  # mastered: left out
    mark(learner, questions[1], 2)
    mark(learner, questions[2], 4)
    start(client_of, source="weakest")
    ids = latest(learner).question_ids
    assert questions[0].pk not in ids
    assert ids[:3] == [q.pk for q in questions[3:6]]  # unrated first, in order
    assert ids[3:] == [questions[1].pk, questions[2].pk]


def test_another_learners_session_is_not_found(bank, learner, client_of):
    start(client_of, source="topic", topic=bank[0].slug)
    session = latest(learner)
    other = Client()
    other.force_login(make_user())
    assert other.get(session.get_absolute_url()).status_code == 404
    rate = reverse("progress:study_rate", args=[session.pk])
    assert other.post(rate, {"level": "3"}).status_code == 404
    assert not ConfidenceEvent.objects.exists()


def test_an_unknown_source_sends_back_with_a_message(bank, client_of):
    response = start(client_of, source="everything")
    assert response["Location"] == reverse("progress:study_home")
    assert "Choose what to study" in client_of.get(response["Location"]).content.decode()


#: Pinned: session, user, the study session, the question, its answers, topics and
#: related questions, the learner's note (the card opens it), and the navigation's teams.
#: The learner's mark, which the rating buttons preview, comes with the question.
SESSION_PAGE_QUERIES = 9


@pytest.mark.parametrize("size", [5, 50])
def test_session_page_queries_do_not_grow(db, django_assert_num_queries, size):
    (topic,) = make_bank(topics=1, questions_per_topic=size)
    learner = make_user()
    others = [make_user() for _ in range(1 if size == 5 else 20)]
    for other in others:
        for question in topic.questions.all()[:5]:
            mark(other, question, 3)
    client = Client()
    client.force_login(learner)
    start(client, source="topic", topic=topic.slug)
    session = latest(learner)
    assert session.size == size
    with django_assert_num_queries(SESSION_PAGE_QUERIES):
        response = client.get(session.get_absolute_url())
    assert f"Question 1 of {size}" in response.content.decode()


#: Pinned: session, user, open session, topics, assignments, topic sets, due count, and
#: the navigation's teams.
STUDY_HOME_QUERIES = 8


@pytest.mark.parametrize("scale", [1, 4])
def test_study_home_queries_do_not_grow(db, django_assert_num_queries, scale):
    learner = make_user()
    bank = make_bank(topics=scale, questions_per_topic=3)
    for n in range(scale if scale == 1 else 3):
        instructor = make_user()
        team = make_team(f"Team {n}", instructor=instructor)
        add_member(team, learner)
        make_assignment(team, make_topic_set(team, topics=bank[:1]))
    question = bank[0].questions.first()
    assert question is not None
    for _ in range(1 if scale == 1 else 20):
        other = make_user()
        mark(other, question, 2)
    mark(learner, question, 1)
    client = Client()
    client.force_login(learner)
    with django_assert_num_queries(STUDY_HOME_QUERIES):
        html = client.get(reverse("progress:study_home")).content.decode()
    assert html.count("<option") == scale + (1 if scale == 1 else 3)  # topics + assignments
    assert "0 questions due for review." in html  # rated just now: due tomorrow
