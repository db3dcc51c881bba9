"""A learner's own data as JSON, from their profile page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from progress import exporters
from progress.recall import correct_point, record_check
from tests.factories import make_bank, make_user, mark, note
from tests.teams.factories import make_team

URL = reverse("progress:download_my_data")
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def download(client) -> dict:
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.getvalue())


def test_profile_page_links_to_the_download(logged_in_client):
    page = logged_in_client.get(reverse("accounts:profile")).content.decode()
    assert f'<a href="{URL}" download>Download my data (JSON)</a>' in page


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={URL}"


def test_download_holds_my_confidence_history_notes_and_teams(logged_in_client, user):
    (topic,) = make_bank(topics=1, questions_per_topic=2)
    first, second = topic.questions.order_by("position")
    mark(user, first, 2, at=T0)
    mark(user, first, 4, at=T0 + timedelta(days=1))
    mark(user, second, 3, at=T0 + timedelta(days=2))
    note(user, second, "Remember *stride*")
    team = make_team("Study group")
    team.memberships.create(user=user)
    user.time_zone = "Pacific/Auckland"
    user.save(update_fields=["time_zone"])

    response = logged_in_client.get(URL)
    assert response["Content-Disposition"] == 'attachment; filename="studyhub-learner-data.json"'
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    data = json.loads(response.getvalue())

    assert (data["format"], data["version"]) == ("studyhub-learner-data", 2)
    assert data["user"]["username"] == "learner"
    assert data["user"]["display_name"] == "Lee Learner"
    assert data["user"]["time_zone"] == "Pacific/Auckland"
    assert [(c["question"], c["level"], c["label"]) for c in data["confidence"]] == [
        (first.key, 4, "Confident"),
        (second.key, 3, "Okay"),
    ]
    assert data["confidence"][0]["updated_at"] == "2025-03-02T09:30:00+00:00"
    assert [(h["question"], h["level"], h["at"]) for h in data["history"]] == [
        (first.key, 2, "2025-03-01T09:30:00+00:00"),
        (first.key, 4, "2025-03-02T09:30:00+00:00"),
        (second.key, 3, "2025-03-03T09:30:00+00:00"),
    ]
    assert [(n["question"], n["text"], n["version"]) for n in data["notes"]] == [
        (second.key, "Remember *stride*", 1)
    ]
    assert [(t["name"], t["role"]) for t in data["teams"]] == [("Study group", "learner")]
    # Whether they show their progress to the team is theirs too (off unless they chose).
    assert data["teams"][0]["shares_progress"] is False


def test_nobody_elses_data_is_ever_in_it(logged_in_client, user):
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    question = topic.questions.get()
    someone = make_user(username="someone")
    mark(someone, question, 5)
    note(someone, question, "Someone else's private note")
    # An instructor of the user's team downloads only their own data too.
    data = download(logged_in_client)
    assert data["confidence"] == data["history"] == data["notes"] == []
    assert "Someone else's private note" not in json.dumps(data)

    instructor = make_user(username="teacher")
    team = make_team(instructor=instructor)
    team.memberships.create(user=user)
    mark(user, question, 3)
    note(user, question, "Mine, private")
    logged_in_client.force_login(instructor)
    data = download(logged_in_client)
    assert data["user"]["username"] == "teacher"
    assert data["notes"] == [] and "Mine, private" not in json.dumps(data)


@pytest.mark.parametrize("rows", [2, 15])
def test_download_queries_do_not_grow(logged_in_client, user, rows, django_assert_num_queries):
    (topic,) = make_bank(topics=1, questions_per_topic=rows)
    for question in topic.questions.all():
        mark(user, question, 3)
        mark(user, question, 4)
        note(user, question, "n")
        record_check(user=user, question=question, text="an answer")
    # session, user, marks, events, notes, typed answers, teams
    with django_assert_num_queries(7):
        data = download(logged_in_client)
    assert (
        len(data["confidence"]),
        len(data["history"]),
        len(data["notes"]),
        len(data["typed_answers"]),
    ) == (rows, 2 * rows, rows, rows)


def test_typed_answers_and_their_checks_are_in_it(logged_in_client, user):
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    question = topic.questions.get()
    question.key_points = ["Pooling downsamples feature maps.", "It adds invariance to shifts."]
    question.save(update_fields=["key_points"])
    mark(user, question, 4, at=T0)
    check = record_check(
        user=user, question=question, text="Pooling downsamples the maps.", at=T0 + timedelta(1)
    )
    correct_point(check, 1)
    someone = make_user(username="someone")
    record_check(user=someone, question=question, text="SOMEONE-ELSES-ANSWER")

    data = download(logged_in_client)
    [typed] = data["typed_answers"]
    assert typed["question"] == question.key
    assert typed["text"] == "Pooling downsamples the maps."
    assert [(p["mentioned"], p["corrected_by_you"]) for p in typed["key_points"]] == [
        (True, False),
        (True, True),
    ]
    assert typed["corrections"] == 1
    assert typed["recall"] == 100 and typed["recall_as_checked"] < 100
    assert typed["checked_at"] == "2025-03-02T09:30:00+00:00"
    # The mark carries the latest check: covered, and both points made, so verified.
    assert (data["confidence"][0]["recall"], data["confidence"][0]["verified"]) == (100, True)
    assert "SOMEONE-ELSES-ANSWER" not in json.dumps(data)


def test_the_download_streams_a_long_history_whole(logged_in_client, user, monkeypatch):
    """More rows than the stream fetches at a time: every row arrives, in order, and the
    file reads back as learner_data builds it in memory."""
    monkeypatch.setattr(exporters, "EXPORT_CHUNK", 3)
    (topic,) = make_bank(topics=1, questions_per_topic=4)
    questions = list(topic.questions.order_by("position"))
    for day in range(10):
        mark(user, questions[day % 4], 1 + day % 5, at=T0 + timedelta(days=day))
    note(user, questions[0], "First")
    note(user, questions[3], "Last")

    response = logged_in_client.get(URL)
    assert response.streaming
    data = json.loads(response.getvalue())
    assert len(data["history"]) == 10
    assert [row["level"] for row in data["history"]] == [1 + day % 5 for day in range(10)]
    assert len(data["confidence"]) == 4
    expected = json.loads(json.dumps(exporters.learner_data(user)))
    del data["exported_at"], expected["exported_at"]
    assert data == expected
