"""The study card: questions not known yet come back in the session, the buttons say
when each rating brings a question back, and the learner's note is on the card."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from progress.models import ConfidenceMark, Note, StudySession
from progress.scheduling import rating_buttons
from progress.study import (
    COME_BACK_AFTER,
    MAX_RETURNS,
    current_question,
    move,
    rate,
    start_questions,
    summarise,
)
from questions.models import Question
from tests.factories import make_bank, make_user, mark, note
from tests.pages import HTMX, html_of

T0 = "2026-03-02 09:00:00+00:00"


@pytest.fixture
def learner(db):
    return make_user(username="carder")


@pytest.fixture
def client_of(learner):
    client = Client()
    client.force_login(learner)
    return client


def session_of(learner, size: int) -> StudySession:
    (topic,) = make_bank(topics=1, questions_per_topic=size)
    ids = list(topic.questions.order_by("position").values_list("pk", flat=True))
    return start_questions(user=learner, source="topic", label=topic.name, question_ids=ids)


def card(session: StudySession) -> Question:
    question = current_question(session)
    assert question is not None
    return question


def shown(session: StudySession) -> int:
    return card(session).pk


def work_through(session: StudySession, levels: list[int]) -> list[int]:
    """Rate the cards in turn with `levels`; the questions shown, in order."""
    seen = []
    for level in levels:
        seen.append(shown(session))
        rate(session=session, level=level)
    return seen


def test_not_yet_comes_back_a_few_cards_later(learner):
    session = session_of(learner, 10)
    first = session.question_ids[0]
    seen = work_through(session, [1] + [4] * COME_BACK_AFTER + [3])
    # After the other five, the first question again; rated Okay, it is done with.
    assert seen[COME_BACK_AFTER + 1] == first
    assert seen.count(first) == 2
    assert session.returns == {str(first): 1}
    assert session.ratings[str(first)] == 3
    assert first not in session.question_ids[session.position :]
    assert not session.is_finished and session.size == 11


def test_on_the_last_card_it_comes_back_straight_after(learner):
    session = session_of(learner, 2)
    a, b = session.question_ids
    assert work_through(session, [4, 1, 2, 3]) == [a, b, b, b]  # Not yet, Shaky, then Okay
    assert session.is_finished
    assert session.returns == {str(b): 2}


def test_shaky_comes_back_whether_the_question_is_new_or_in_review(learner):
    session = session_of(learner, 3)
    known, new, last = session.question_ids
    with time_machine.travel(T0, tick=False):
        mark(learner, Question.objects.get(pk=known), 4)
    with time_machine.travel("2026-03-10 09:00:00+00:00", tick=False):
        work_through(session, [2, 2, 4])
    # FSRS schedules the known one days ahead, yet the session brings both back now.
    assert session.question_ids == [known, new, last, known, new]
    stored = ConfidenceMark.objects.get(user=learner, question_id=known)
    assert stored.due is not None and stored.last_review is not None
    assert stored.due - stored.last_review >= timedelta(days=1)


def test_rated_okay_after_going_back_it_no_longer_comes_back(learner):
    session = session_of(learner, 4)
    a = session.question_ids[0]
    rate(session=session, level=1)
    assert session.question_ids.count(a) == 2
    move(session=session, step=-1)
    rate(session=session, level=4)
    assert session.question_ids.count(a) == 1
    work_through(session, [4, 4, 4])
    assert session.is_finished
    assert session.returns == {}
    assert summarise(session).came_back == 0


def test_a_return_skipped_is_not_counted(learner):
    session = session_of(learner, 1)
    rate(session=session, level=1)
    move(session=session, step=1)  # the return, skipped
    assert session.is_finished
    assert session.returns == {}


def test_a_rating_sent_twice_rates_only_the_card_seen(learner, client_of):
    session = session_of(learner, 3)
    first, second, _ = session.question_ids
    page = html_of(client_of.get(session.get_absolute_url()))
    card = re.search(r'name="card" value="([^"]+)"', page).group(1)
    url = reverse("progress:study_rate", args=[session.pk])
    assert client_of.post(url, {"level": "5", "card": card}).status_code == 302
    again = client_of.post(url, {"level": "5", "card": card}, headers=HTMX)
    assert again.status_code == 409
    assert "That card was already answered" in html_of(again)
    assert ConfidenceMark.objects.filter(user=learner).count() == 1
    assert ConfidenceMark.objects.get(user=learner).question_id == first
    # The same for moving on: a stale Skip moves nothing.
    move_url = reverse("progress:study_move", args=[session.pk])
    stale = client_of.post(move_url, {"direction": "next", "card": card})
    assert stale.status_code == 302
    session.refresh_from_db()
    assert session.current_question_id == second


def test_a_question_already_ahead_is_not_added_again(learner):
    session = session_of(learner, 4)
    a = session.question_ids[0]
    rate(session=session, level=1)
    assert session.question_ids.count(a) == 2
    # Back to it and Not yet again: it is still ahead, once.
    session.position = 0
    session.save()
    rate(session=session, level=1)
    assert session.question_ids.count(a) == 2


def test_a_question_comes_back_at_most_max_returns_times(learner):
    session = session_of(learner, 1)
    (only,) = session.question_ids
    work_through(session, [1] * (MAX_RETURNS + 1))
    assert session.returns == {str(only): MAX_RETURNS}
    assert session.is_finished


def test_the_card_of_a_returning_question_says_so(learner, client_of):
    session = session_of(learner, 1)
    response = client_of.post(
        reverse("progress:study_rate", args=[session.pk]), {"level": "1"}, headers=HTMX
    )
    html = html_of(response)
    assert "Back again:" in html and "you rated it Not yet earlier in this session" in html
    assert "Question 2 of 2" in html


def test_the_buttons_preview_the_learners_own_schedule(learner, client_of):
    session = session_of(learner, 2)
    question = card(session)
    with time_machine.travel(T0, tick=False):
        mark(learner, question, 4)
    later = datetime.fromisoformat("2026-03-20 09:00:00+00:00")
    with time_machine.travel(later, tick=False):
        html = html_of(client_of.get(session.get_absolute_url()))
    stored = ConfidenceMark.objects.get(user=learner, question=question)
    labels = re.findall(r'<span class="visually-hidden">back in </span>([^<]+)</span>', html)
    assert labels == [b.comes_back for b in rating_buttons(stored, later)]
    assert labels[0] == "10 min" and labels[4].endswith(("days", "months"))
    # Not what a new question would show: the learner's own schedule counts.
    assert labels != [b.comes_back for b in rating_buttons(None, later)]


def test_the_rating_form_is_inside_the_answer(learner, client_of):
    """Without JavaScript the buttons show only once the answer is open."""
    session = session_of(learner, 2)
    html = html_of(client_of.get(session.get_absolute_url()))
    details = re.search(r'<details [^>]*id="study-answer">(.*?)</details>', html, re.DOTALL)
    assert details is not None
    assert 'id="rate-1"' in details.group(1) and 'id="rate-5"' in details.group(1)
    assert html.count('name="level"') == 5


def test_the_note_opens_and_saves_from_the_card_without_javascript(learner, client_of):
    session = session_of(learner, 2)
    question = card(session)
    note(learner, question, "First thoughts")
    page = html_of(client_of.get(session.get_absolute_url()))
    assert "First thoughts" in page
    edit = re.search(r'href="([^"]*/note/\?return=[^"]+)"', page)
    assert edit is not None
    editor = html_of(client_of.get(edit.group(1).replace("&amp;", "&")))
    assert f'name="return" value="{session.get_absolute_url()}"' in editor
    version = re.search(r'name="version" value="([^"]*)"', editor).group(1)
    response = client_of.post(
        reverse("progress:edit_note", args=[question.key]),
        {"text": "Better thoughts", "version": version, "return": session.get_absolute_url()},
    )
    assert response.status_code == 302
    assert response["Location"] == session.get_absolute_url() + "#note"
    assert Note.objects.get(user=learner, question=question).text == "Better thoughts"
    # A fragment already on the address is replaced, not doubled.
    again = client_of.post(
        reverse("progress:edit_note", args=[question.key]),
        {"text": "Best thoughts", "return": session.get_absolute_url() + "#study-card"},
    )
    assert again["Location"] == session.get_absolute_url() + "#note"
    assert Note.objects.get(user=learner, question=question).text == "Best thoughts"


def test_a_note_save_never_returns_to_another_site(learner, client_of):
    session = session_of(learner, 1)
    question = card(session)
    response = client_of.post(
        reverse("progress:edit_note", args=[question.key]),
        {"text": "x", "return": "https://evil.example/"},
    )
    assert response["Location"].startswith(reverse("progress:question_detail", args=[question.key]))


#: Pinned: session, user, the study session; the rating (the question in view, the
#: learner's mark locked, their latest typed-answer check (a first mark carries it), the
#: event, the mark written, the session saved); then the next
#: card as the session page reads it (question with the mark, answers, topics, related
#: questions, note) and the navigation's teams. The buttons' previews cost nothing.
RATE_HTMX_QUERIES = 16


@pytest.mark.parametrize("size", [3, 60])
def test_rating_on_the_card_costs_the_same_whatever_the_session(
    learner, client_of, django_assert_num_queries, size
):
    session = session_of(learner, size)
    url = reverse("progress:study_rate", args=[session.pk])
    client_of.post(url, {"level": "1"}, headers=HTMX)  # a return queued: the list grew
    with django_assert_num_queries(RATE_HTMX_QUERIES):
        response = client_of.post(url, {"level": "2"}, headers=HTMX)
    assert "Question 3 of" in html_of(response)
