"""Sessions: a new key at log-in, gone at log-out, other sessions ended by a password
change; private pages are never stored by a browser or a proxy."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_bank, note
from tests.pages import HTMX

NEW_PASSWORD = "a-brand-new-passphrase-71"


def logged_in(client: Client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 200


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def log_in(client: Client, password: str = PASSWORD) -> None:
    response = client.post(reverse("accounts:login"), {"username": "learner", "password": password})
    assert response.status_code == 302, response.content.decode()


def test_log_in_gives_a_new_session_key(client, user):
    # A visitor's session from before logging in (as a fixation attack would plant)...
    session = client.session
    session["planted"] = "yes"
    session.save()
    before = session_key(client)

    log_in(client)

    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()[SESSION_KEY] == str(user.pk)


def test_log_out_ends_the_session_everywhere_its_cookie_is(client, user):
    log_in(client)
    stolen = Client()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = session_key(client)
    assert logged_in(stolen)

    assert client.post(reverse("accounts:logout")).status_code == 302

    assert not Session.objects.filter(session_key=stolen.cookies["sessionid"].value).exists()
    assert not logged_in(client)
    assert not logged_in(stolen)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(user):
    laptop, phone = Client(), Client()
    log_in(laptop)
    log_in(phone)
    assert logged_in(laptop) and logged_in(phone)

    response = laptop.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert logged_in(laptop)
    assert not logged_in(phone)
    # Logging in again on the phone takes the new password.
    log_in(phone, NEW_PASSWORD)
    assert logged_in(phone)


@pytest.fixture
def question(db):
    return make_bank(topics=1, questions_per_topic=1)[0].questions.first()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_private_pages_are_not_stored(logged_in_client, user, question, headers):
    note(user, question, "Private thoughts")
    paths = [
        reverse("progress:dashboard"),
        reverse("progress:note_list"),
        reverse("progress:question_detail", args=[question.key]),
        reverse("progress:edit_note", args=[question.key]),
        reverse("progress:topic_list"),
        reverse("accounts:profile"),
    ]
    for path in paths:
        response = logged_in_client.get(path, headers=headers)
        assert response.status_code == 200, path
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives, (path, response["Cache-Control"])


def test_a_private_post_answer_is_not_stored_either(logged_in_client, question):
    response = logged_in_client.post(
        reverse("progress:mark_confidence", args=[question.key]), {"level": "4"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_public_pages_for_visitors_stay_cacheable(client):
    """Only private pages are marked: the welcome page of a visitor without a session."""
    response = client.get(reverse("progress:dashboard"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
