"""Bad input anywhere gets a 4xx with a clear message, never a 500.

Oversized posts, too many fields, NUL bytes, invalid levels and unknown ids by hand;
then hypothesis throws arbitrary values at every form.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import unescape
from typing import Literal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from progress.models import ConfidenceEvent, Note
from teams.models import Team
from tests.factories import make_bank, make_user
from tests.pages import HTMX, html_of
from tests.teams.factories import add_member, make_assignment, make_team, make_topic_set


@pytest.fixture
def question(db):
    return make_bank(topics=1, questions_per_topic=2)[0].questions.first()


# --- Too large, too many ------------------------------------------------------------


def test_an_oversized_post_is_a_friendly_400(logged_in_client, user, question):
    response = logged_in_client.post(
        reverse("progress:edit_note", args=[question.key]), {"text": "x" * 600_000}
    )

    assert response.status_code == 400
    html = html_of(response)
    assert "<h1>Bad request</h1>" in html
    assert "What you sent is larger than StudyHub accepts (512 KB at most; " in html
    assert "a note holds up to 20,000 characters). Nothing was saved." in html
    assert "Go back with your browser: what you typed is still in the form." in html
    assert "Hello" not in html or user.display_name in html  # the page knows who is signed in
    assert not Note.objects.exists()


def test_an_oversized_htmx_post_gets_the_message_for_the_error_region(logged_in_client, question):
    response = logged_in_client.post(
        reverse("progress:edit_note", args=[question.key]),
        {"text": "x" * 600_000, "autosave": "1"},
        headers=HTMX,
    )

    assert response.status_code == 400
    html = html_of(response).strip()
    assert html.startswith('<div id="server-error-message"')
    assert "<html" not in html
    assert "larger than StudyHub accepts" in html
    assert "What you typed is still on the page." in html
    assert response["HX-Retarget"] == "#server-error"
    assert not Note.objects.exists()


def test_too_many_fields_is_a_friendly_400(logged_in_client, question):
    fields = {f"field{i}": "x" for i in range(250)}
    response = logged_in_client.post(
        reverse("progress:mark_confidence", args=[question.key]), fields
    )

    assert response.status_code == 400
    assert "more fields than StudyHub accepts (200 at most)" in html_of(response)
    assert not ConfidenceEvent.objects.exists()


def test_too_many_query_parameters_is_a_friendly_400(logged_in_client, question):
    query = "&".join(f"p{i}=1" for i in range(250))
    topic = question.topics.get()
    response = logged_in_client.get(
        f"{reverse('progress:topic_detail', args=[topic.slug])}?{query}"
    )

    assert response.status_code == 400
    assert "more fields than StudyHub accepts" in html_of(response)


# --- NUL bytes ------------------------------------------------------------------------


def test_nul_bytes_in_names_are_refused_with_a_message(logged_in_client, user):
    team = make_team("Team", instructor=user)
    for path, field in [
        (reverse("accounts:profile"), "display_name"),
        (reverse("teams:team_create"), "name"),
        (reverse("teams:team_settings", args=[team.pk]), "name"),
    ]:
        data = {"display_name": "Lee", "email": "lee@example.com", "name": "Team"}
        data[field] = "Evil\x00name"
        response = logged_in_client.post(path, data)
        assert response.status_code == 422, path
        assert "Null characters are not allowed." in html_of(response), path
    user.refresh_from_db()
    assert user.display_name == "Lee Learner"
    assert list(Team.objects.values_list("name", flat=True)) == ["Team"]


def test_nul_bytes_in_log_in_and_sign_up_are_form_errors(db):
    client = Client()
    login = client.post(reverse("accounts:login"), {"username": "lee\x00", "password": "x\x00"})
    assert login.status_code == 200
    assert "Null characters are not allowed." in html_of(login)
    signup = client.post(
        reverse("accounts:signup"),
        {
            "username": "nul\x00",
            "display_name": "N\x00",
            "email": "n@example.com",
            "password1": "a-long-enough-passphrase-7",
            "password2": "a-long-enough-passphrase-7",
        },
    )
    assert signup.status_code == 422
    assert "Null characters are not allowed." in html_of(signup)


def test_nul_bytes_in_addresses_are_404_and_in_queries_harmless(logged_in_client, question):
    """No column takes a NUL (PostgreSQL refuses it outright), so no object has one."""
    assert logged_in_client.get("/questions/%00/").status_code == 404
    assert logged_in_client.get("/teams/join/AB%00CD/").status_code == 404
    topic = question.topics.get()
    topic_page = reverse("progress:topic_detail", args=[topic.slug])
    question_page = reverse("progress:question_detail", args=[question.key])
    assert logged_in_client.get(f"{topic_page}?level=%00").status_code == 200
    assert logged_in_client.get(f"{question_page}?topic=%00x").status_code == 200
    assert logged_in_client.get(f"{reverse('progress:question_list')}?q=%00").status_code == 200


# --- Invalid levels and unknown ids --------------------------------------------------------


@pytest.mark.parametrize(
    "level", ["0", "6", "-1", "3.5", "1e0", "٣", " 3", "three", "9" * 40, "3\x00"]
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_invalid_levels_are_422_with_the_rule(logged_in_client, question, level, headers):
    response = logged_in_client.post(
        reverse("progress:mark_confidence", args=[question.key]), {"level": level}, headers=headers
    )

    assert response.status_code == 422
    assert "Choose a confidence level from 1 (Not yet) to 5 (Mastered)." in html_of(response)
    assert not ConfidenceEvent.objects.exists()


HUGE = "9" * 30  # beyond any integer column


@pytest.mark.parametrize(
    ("name", "arg"),
    [
        ("progress:note_detail", "999999"),
        ("progress:note_detail", HUGE),
        ("teams:team_detail", HUGE),
        ("teams:team_dashboard", HUGE),
        ("progress:question_detail", "no-such-question"),
        ("progress:edit_note", "no-such-question"),
        ("progress:topic_detail", "no-such-topic"),
        ("teams:team_join", "NOSUCHCODE"),
    ],
)
def test_unknown_ids_are_404(logged_in_client, question, name, arg):
    # Addresses the URLconf matches, so the 404 is the view finding no such object.
    assert logged_in_client.get(reverse(name, args=[arg])).status_code == 404


def test_unknown_ids_in_the_team_are_404(logged_in_client, user, question):
    team = make_team("Team", instructor=user)
    for path in (
        reverse("teams:topic_set_edit", args=[team.pk, HUGE]),
        reverse("teams:assignment_detail", args=[team.pk, HUGE]),
        reverse("teams:assignment_edit", args=[team.pk, 999999]),
    ):
        assert logged_in_client.get(path).status_code == 404, path
    response = logged_in_client.post(reverse("teams:promote_member", args=[team.pk, HUGE]))
    assert response.status_code == 404


def test_unknown_ids_in_forms_are_form_errors(logged_in_client, user, question):
    team = make_team("Team", instructor=user)
    for value, message in [
        ("999999", "Select a valid choice. 999999 is not one of the available choices."),
        ("x", "“x” is not a valid value."),
    ]:
        response = logged_in_client.post(
            reverse("teams:topic_set_create", args=[team.pk]),
            {"name": "Week 1", "questions": [value]},
        )
        assert response.status_code == 422
        assert message in unescape(html_of(response))
    make_topic_set(team, topics=[question.topics.get()])  # else there is nothing to assign
    assignment = logged_in_client.post(
        reverse("teams:assignment_create", args=[team.pk]),
        {"topic_set": HUGE, "due_date": "2026-02-30"},
    )
    assert assignment.status_code == 422
    assert "Select a valid choice." in html_of(assignment)
    assert "Enter a valid date." in html_of(assignment)


@pytest.mark.parametrize("digit", ["²", "٣"])  # digits to str.isdigit(), not to int()
def test_digits_that_are_not_numbers_are_ignored_or_404(logged_in_client, user, question, digit):
    team = make_team("Team", instructor=user)
    topic = question.topics.get()
    size = logged_in_client.get(
        reverse("teams:topic_set_size", args=[team.pk]),
        {"topics": [digit, topic.pk]},
        headers=HTMX,
    )
    assert size.status_code == 200
    held = topic.questions.count()
    assert f"This set holds <strong>{held}</strong> question" in html_of(size)
    study = logged_in_client.post(
        reverse("teams:study_start"), {"source": "assignment", "assignment": digit}
    )
    assert study.status_code == 404


def test_ids_beyond_any_column_in_forms_are_refused_saying_why(logged_in_client, user, question):
    team = make_team("Team", instructor=user)
    response = logged_in_client.post(
        reverse("teams:topic_set_create", args=[team.pk]), {"name": "Week 1", "questions": [HUGE]}
    )
    # PostgreSQL compares the number and finds nothing (a form error); SQLite cannot
    # even take it as a parameter (a bad request). Either way, saying so.
    expected = {
        422: "is not one of the available choices.",
        400: "Something in what you sent cannot be stored: a number out of range, say.",
    }
    assert response.status_code in expected
    assert expected[response.status_code] in html_of(response)
    assert not team.topic_sets.exists()


# --- Fuzzing every form ------------------------------------------------------------------------

#: Anything a browser can send: any text but lone surrogates (not encodable in a form).
SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
TEXT = st.text(alphabet=st.characters(exclude_categories=SURROGATES), max_size=200)
VALUE = st.one_of(
    TEXT,
    # "²" and "٣" are digits to str.isdigit() but not to int().
    st.sampled_from(["", "0", "1", "5", "6", "-1", "\x00", "1" * 25, "2026-01-01", "on", "²", "٣"]),
)
#: Every status a well-behaved answer to bad input may have.
FINE = {200, 302, 400, 403, 404, 405, 409, 422, 429}


@dataclass
class World:
    learner: object
    instructor: object
    team: Team
    question_key: str
    topic_slug: str
    set_id: int
    assignment_id: int

    @property
    def team_id(self) -> int:
        return self.team.pk


@pytest.fixture
def world(db) -> World:
    (topic,) = make_bank(topics=1, questions_per_topic=2)
    question = topic.questions.first()
    learner, instructor = make_user(username="fuzz-learner"), make_user(username="fuzz-instructor")
    team = make_team("Fuzz", instructor=instructor)
    add_member(team, learner)
    topic_set = make_topic_set(team, topics=[topic])
    return World(
        learner,
        instructor,
        team,
        question.key,
        topic.slug,
        topic_set.pk,
        make_assignment(team, topic_set).pk,
    )


#: name -> (who, method, URL name, the World fields that fill in its address, the form's
#: own fields)
FORMS = {
    "confidence": (
        "learner",
        "POST",
        "progress:mark_confidence",
        ["question_key"],
        ["level", "topic"],
    ),
    "note": (
        "learner",
        "POST",
        "progress:edit_note",
        ["question_key"],
        ["text", "version", "autosave", "resolve", "topic"],
    ),
    "question page": ("learner", "GET", "progress:question_detail", ["question_key"], ["topic"]),
    "topic filter": ("learner", "GET", "progress:topic_detail", ["topic_slug"], ["level"]),
    "profile": ("learner", "POST", "accounts:profile", [], ["display_name", "email"]),
    "password change": (
        "learner",
        "POST",
        "accounts:password_change",
        [],
        ["old_password", "new_password1", "new_password2"],
    ),
    "join with code": ("learner", "POST", "teams:join_with_code", [], ["code"]),
    "new team": ("learner", "POST", "teams:team_create", [], ["name"]),
    "team settings": ("instructor", "POST", "teams:team_settings", ["team_id"], ["name"]),
    "topic set": (
        "instructor",
        "POST",
        "teams:topic_set_edit",
        ["team_id", "set_id"],
        ["name", "description", "topics", "questions"],
    ),
    "assignment": (
        "instructor",
        "POST",
        "teams:assignment_edit",
        ["team_id", "assignment_id"],
        ["topic_set", "due_date"],
    ),
    "team dashboard": (
        "instructor",
        "GET",
        "teams:team_dashboard",
        ["team_id"],
        ["sort", "assignment"],
    ),
    "sign up": (
        None,
        "POST",
        "accounts:signup",
        [],
        ["username", "display_name", "email", "password1", "password2", "next"],
    ),
    "log in": (None, "POST", "accounts:login", [], ["username", "password", "next"]),
    "password reset": (None, "POST", "accounts:password_reset", [], ["email"]),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_fuzzed_forms_never_fail_on_the_server(world, form):
    who, method, url_name, address, fields = FORMS[form]
    path = reverse(url_name, args=[getattr(world, name) for name in address])
    user = getattr(world, who) if who else None

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        values=st.fixed_dictionaries(
            {}, optional={name: st.one_of(VALUE, st.lists(VALUE, max_size=3)) for name in fields}
        ),
        extra=st.dictionaries(TEXT.filter(bool), VALUE, max_size=3),
        htmx=st.booleans(),
    )
    def send(values, extra, htmx):
        data = {**extra, **values}
        headers = HTMX if htmx else {}
        # Each example starts from the same data: its writes are rolled back.
        with transaction.atomic():
            client = Client()
            if user is not None:
                client.force_login(user)
            if method == "GET":
                response = client.get(path, data, headers=headers)
            else:
                response = client.post(path, data, headers=headers)
            transaction.set_rollback(True)
        assert response.status_code in FINE, (data, response.status_code)

    send()
