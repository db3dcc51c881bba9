""" "Study these": a session over exactly the list a page shows."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from progress.models import StudySession
from tests.factories import make_bank, make_question, make_topic, make_user, mark, note
from tests.pages import html_of
from tests.teams.factories import add_member, make_team

STUDY_THESE = reverse("progress:study_these")


@pytest.fixture
def learner(db):
    return make_user(username="these")


@pytest.fixture
def client_of(learner):
    client = Client()
    client.force_login(learner)
    return client


def the_form(html: str) -> dict[str, str]:
    """The fields of the page's "Study these" form."""
    form = re.search(
        r'<form method="post" action="' + STUDY_THESE + r'"[^>]*>(.*?)</form>', html, re.S
    )
    assert form is not None, "no Study these form"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def started(learner) -> StudySession:
    return learner.study_sessions.get()


def test_a_filtered_topic_page_studies_exactly_what_it_shows(learner, client_of):
    (topic,) = make_bank(topics=1, questions_per_topic=5)
    questions = list(topic.questions.order_by("position"))
    mark(learner, questions[1], 4)
    mark(learner, questions[3], 5)
    url = reverse("progress:topic_detail", args=[topic.slug]) + "?level=not-covered"
    page = html_of(client_of.get(url))
    assert "Study these 3" in page
    fields = the_form(page)
    assert fields["from"] == "topic" and fields["level"] == "not-covered"
    response = client_of.post(STUDY_THESE, fields)
    session = started(learner)
    assert response["Location"] == session.get_absolute_url()
    assert session.question_ids == [questions[0].pk, questions[2].pk, questions[4].pk]
    assert session.label == f"{topic.name}: Not covered yet"


def test_the_notes_list_studies_the_questions_with_notes(learner, client_of):
    (topic,) = make_bank(topics=1, questions_per_topic=4)
    questions = list(topic.questions.order_by("position"))
    note(learner, questions[2], "third")
    note(learner, questions[0], "first")
    note(make_user(), questions[1], "someone else's")
    page = html_of(client_of.get(reverse("progress:note_list")))
    assert "Study these 2" in page
    client_of.post(STUDY_THESE, the_form(page))
    assert started(learner).question_ids == [questions[0].pk, questions[2].pk]


def test_search_results_study_the_matches_best_first(learner, client_of):
    topic = make_topic(name="Pooling")
    weak = make_question(
        text="Where do networks downsample?", topics=[topic], concise="By pooling."
    )
    strong = make_question(text="What does pooling do?", topics=[topic])
    make_question(text="Unrelated question", topics=[topic])
    response = client_of.post(STUDY_THESE, {"from": "search", "q": "pooling"})
    session = started(learner)
    assert response["Location"] == session.get_absolute_url()
    assert session.question_ids == [strong.pk, weak.pk]
    assert session.label == "Search: “pooling”"


def test_search_filters_are_kept(learner, client_of):
    topic = make_topic(name="Pooling")
    a = make_question(text="Max pooling?", topics=[topic])
    b = make_question(text="Average pooling?", topics=[topic])
    mark(learner, a, 5)
    client_of.post(STUDY_THESE, {"from": "search", "q": "pooling", "level": "unrated"})
    assert started(learner).question_ids == [b.pk]


def test_another_teams_questions_never_join(learner, client_of):
    topic = make_topic(name="Pooling")
    mine = make_question(text="Pooling in the library", topics=[topic])
    team = make_team(name="Others")
    add_member(team, make_user())
    make_question(text="Pooling in another bank", bank=team.bank)
    client_of.post(STUDY_THESE, {"from": "search", "q": "pooling"})
    assert started(learner).question_ids == [mine.pk]
    other_topic = make_topic(name="Hidden", bank=team.bank)
    response = client_of.post(STUDY_THESE, {"from": "topic", "topic": other_topic.slug})
    assert response.status_code == 404


def test_an_empty_list_goes_back_with_a_message(learner, client_of):
    make_bank(topics=1, questions_per_topic=2)
    back = reverse("progress:question_list") + "?q=nothingmatches"
    response = client_of.post(
        STUDY_THESE, {"from": "search", "q": "nothingmatches", "next": back}, follow=True
    )
    assert response.redirect_chain[-1][0] == back
    assert "has no questions to study" in html_of(response)
    assert not StudySession.objects.exists()


def test_going_back_never_leaves_the_site(learner, client_of):
    response = client_of.post(STUDY_THESE, {"from": "notes", "next": "https://evil.example/"})
    assert response["Location"] == reverse("progress:study_home")


def test_an_unknown_source_is_a_bad_request(client_of):
    assert client_of.post(STUDY_THESE, {"from": "everything"}).status_code == 400


def test_a_huge_search_list_is_capped(learner, client_of, monkeypatch):
    from progress import study

    topic = make_topic(name="Many")
    for n in range(7):
        make_question(text=f"Pooling case {n}", topics=[topic])
    monkeypatch.setattr(study, "SESSION_MAX_QUESTIONS", 5)
    page = html_of(client_of.get(reverse("progress:question_list"), {"q": "pooling"}))
    assert "Study the first 5 of these" in page
    client_of.post(STUDY_THESE, {"from": "search", "q": "pooling"})
    assert len(started(learner).question_ids) == 5


def test_the_search_page_carries_its_filters_to_study_these(learner, client_of):
    topic = make_topic(name="Pooling")
    a = make_question(text="Max pooling?", topics=[topic])
    make_question(text="Average pooling?", topics=[topic])
    mark(learner, a, 2)
    url = reverse("progress:question_list") + f"?q=pooling&topic={topic.slug}&level=2&note=&due="
    page = html_of(client_of.get(url))
    fields = the_form(page)
    assert fields == {
        "from": "search",
        "next": url.replace("&", "&amp;"),
        "topic": topic.slug,
        "level": "2",
        "q": "pooling",
    }
    assert "Study this question" in page
    fields["next"] = url
    client_of.post(STUDY_THESE, fields)
    session = started(learner)
    assert session.question_ids == [a.pk]
    assert session.label == "Search: “pooling”, Pooling, 2 · Shaky"
