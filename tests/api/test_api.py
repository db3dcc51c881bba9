"""The API (/api/v1/): tokens and sessions, what each person may read and write, the
same rules and conflict protection as the pages, rate limits, and its schema."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AccessToken, RateCounter
from accounts.tokens import create_token
from api import auth as api_auth
from progress.models import ConfidenceEvent, ConfidenceMark, Note
from progress.services import note_revision
from tests.factories import make_question, make_topic, make_user, mark, note
from tests.teams.factories import add_member, make_assignment, make_team

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world():
    topic = make_topic(slug="deployment", name="Deployment")
    learner = make_user(username="lena")
    team = make_team(name="Cohort", learners=[learner])
    library = make_question(topics=[topic], key="lib-1", concise="An *answer*.", long="Long.")
    own = make_question(topics=[topic], key="team-1", bank=team.bank)
    foreign = make_question(topics=[topic], key="other-1", bank=make_team().bank)
    retired = make_question(topics=[topic], key="old-1", retired_at=timezone.now())
    return {
        "topic": topic,
        "learner": learner,
        "team": team,
        "instructor": team.memberships.get(role="instructor").user,
        "library": library,
        "own": own,
        "foreign": foreign,
        "retired": retired,
    }


def token_client(user, scope: str = "write", **fields) -> tuple[Client, AccessToken]:
    token, plain = create_token(user=user, name="script", scope=scope, **fields)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}"), token


def put(client: Client, path: str, body: dict, **extra):
    return client.put(API + path, data=json.dumps(body), content_type="application/json", **extra)


# --- Who is asking ------------------------------------------------------------------------


def test_a_token_is_stored_hashed_and_answers_as_its_owner(world):
    client, token = token_client(world["learner"])
    response = client.get(f"{API}/me")
    assert response.status_code == 200
    assert response.json() == {
        "username": "lena",
        "display_name": world["learner"].shown_name,
        "token": {"name": "script", "scope": "write", "expires_at": None},
    }
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert len(token.token_hash) == 64 and token.prefix.startswith("shp_")
    assert not AccessToken.objects.filter(token_hash__startswith="shp_").exists()


@pytest.mark.parametrize("how", ["none", "wrong", "revoked", "expired", "inactive", "not-bearer"])
def test_without_a_usable_token_or_session_the_answer_is_401(world, how):
    client, token = token_client(world["learner"])
    if how == "none":
        client = Client()
    elif how == "wrong":
        client = Client(HTTP_AUTHORIZATION="Bearer shp_" + "x" * 43)
    elif how == "revoked":
        AccessToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    elif how == "expired":
        AccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    elif how == "inactive":
        world["learner"].is_active = False
        world["learner"].save()
    else:
        client = Client(HTTP_AUTHORIZATION=f"Token {token.token_hash}")
    response = client.get(f"{API}/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_a_read_only_token_reads_but_cannot_write(world):
    client, _ = token_client(world["learner"], scope="read")
    assert client.get(f"{API}/me/marks").status_code == 200
    response = put(client, "/me/marks/lib-1", {"level": 4})
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert not ConfidenceMark.objects.exists()


def test_the_browser_session_needs_the_csrf_token_to_write(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["learner"])
    assert client.get(f"{API}/me").json()["token"] is None
    assert put(client, "/me/marks/lib-1", {"level": 4}).status_code == 403
    client.get("/accounts/profile/")  # sets the CSRF cookie, as a page does
    csrf = client.cookies["csrftoken"].value
    assert put(client, "/me/marks/lib-1", {"level": 4}, HTTP_X_CSRFTOKEN=csrf).status_code == 200


def test_too_many_requests_get_429_with_retry_after(world, monkeypatch):
    monkeypatch.setattr(api_auth, "PER_MINUTE", 3)
    client, _ = token_client(world["learner"])
    statuses = [client.get(f"{API}/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get(f"{API}/me")
    assert refused.json() == {"detail": "Too many requests."}
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another person has their own allowance.
    other, _ = token_client(world["instructor"])
    assert other.get(f"{API}/me").status_code == 200
    RateCounter.objects.update(resets_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"{API}/me").status_code == 200


# --- The bank -----------------------------------------------------------------------------


def test_the_bank_is_what_the_learner_sees_on_the_site(world):
    client, _ = token_client(world["learner"])
    listed = client.get(f"{API}/questions").json()
    assert [q["key"] for q in listed["items"]] == ["lib-1", "team-1"]
    assert (listed["count"], listed["page"], listed["pages"]) == (2, 1, 1)
    topics = client.get(f"{API}/topics").json()
    assert topics == [
        {"slug": "deployment", "name": "Deployment", "description": "", "question_count": 2}
    ]
    detail = client.get(f"{API}/questions/lib-1").json()
    assert detail["answer"] == {
        "markdown": "An *answer*.",
        "html": "<p>An <em>answer</em>.</p>",
        "ends_abruptly": False,
    }
    assert detail["topics"] == ["deployment"]
    for key in ("other-1", "old-1", "nope"):
        assert client.get(f"{API}/questions/{key}").status_code == 404
    assert client.get(f"{API}/questions", {"topic": "nope"}).status_code == 404
    assert client.get(f"{API}/questions", {"page": 0}).status_code == 422


@pytest.mark.parametrize("size", [3, 30])
def test_listing_questions_takes_the_same_queries_however_many(
    world, size, django_assert_num_queries
):
    for _ in range(size):
        make_question(topics=[world["topic"]])
    client, _ = token_client(world["learner"])
    client.get(f"{API}/me")  # the last use is written once a minute, not on every request
    # The token and its user; the rate counter (delete, insert, update, in a savepoint
    # here and a transaction in production); the count; the page of questions; their topics.
    with django_assert_num_queries(9):
        response = client.get(f"{API}/questions")
    assert response.json()["count"] == size + 2


# --- Marks and notes ----------------------------------------------------------------------


def test_marks_are_written_as_the_rating_buttons_write_them(world):
    client, _ = token_client(world["learner"])
    response = put(client, "/me/marks/lib-1", {"level": 4})
    assert response.status_code == 200
    assert response.json()["level_label"] == "Confident"
    saved = ConfidenceMark.objects.get(user=world["learner"], question=world["library"])
    assert saved.level == 4 and saved.due is not None
    assert ConfidenceEvent.objects.filter(user=world["learner"]).count() == 1
    assert client.get(f"{API}/me/marks/lib-1").json()["level"] == 4
    assert client.get(f"{API}/me/marks").json()["count"] == 1
    assert put(client, "/me/marks/lib-1", {"level": 6}).status_code == 422
    assert put(client, "/me/marks/other-1", {"level": 3}).status_code == 404
    assert put(client, "/me/marks/old-1", {"level": 3}).status_code == 404
    assert client.get(f"{API}/me/marks/team-1").status_code == 404


def test_notes_refuse_a_stale_revision_as_the_editor_does(world):
    client, _ = token_client(world["learner"])
    created = put(client, "/me/notes/lib-1", {"text": "First", "revision": ""})
    assert created.status_code == 200
    first = created.json()["revision"]
    # Another tab saves meanwhile.
    note(world["learner"], world["library"], "From the other tab")
    stale = put(client, "/me/notes/lib-1", {"text": "Second", "revision": first})
    assert stale.status_code == 409
    assert stale.json()["note"]["text"] == "From the other tab"
    current = stale.json()["note"]["revision"]
    saved = put(client, "/me/notes/lib-1", {"text": "Merged **text**", "revision": current})
    assert saved.json()["html"] == "<p>Merged <strong>text</strong></p>"
    revision = saved.json()["revision"]
    assert client.delete(f"{API}/me/notes/lib-1?revision={first}").status_code == 409
    assert client.delete(f"{API}/me/notes/lib-1?revision={revision}").status_code == 204
    assert not Note.objects.exists()
    too_long = put(client, "/me/notes/lib-1", {"text": "x" * 20_001, "revision": ""})
    assert too_long.status_code == 422


def test_notes_are_only_ever_their_owners(world):
    note(world["instructor"], world["library"], "The instructor's own")
    theirs = Note.objects.get()
    client, _ = token_client(world["learner"])
    assert client.get(f"{API}/me/notes").json()["count"] == 0
    assert client.get(f"{API}/me/notes/lib-1").status_code == 404
    put(client, "/me/notes/lib-1", {"text": "Mine", "revision": ""})
    theirs.refresh_from_db()
    assert theirs.text == "The instructor's own"
    assert note_revision(theirs)


def test_coverage_and_calibration_are_the_learners_own(world):
    mark(world["learner"], world["library"], 4)
    client, _ = token_client(world["learner"])
    assert client.get(f"{API}/me/coverage").json() == [
        {
            "slug": "deployment",
            "name": "Deployment",
            "question_count": 2,
            "covered_count": 1,
            "verified_count": 0,
        }
    ]
    calibration = client.get(f"{API}/me/calibration").json()
    assert calibration["checked"] == 0 and len(calibration["levels"]) == 5


# --- Teams ----------------------------------------------------------------------------------


def test_instructors_read_their_teams_progress_and_nothing_private(world):
    learner = world["learner"]
    mark(learner, world["library"], 4)
    note(learner, world["library"], "PRIVATE NOTE")
    make_assignment(world["team"], topics=[world["topic"]])
    client, _ = token_client(world["instructor"])
    team = world["team"]
    progress = client.get(f"{API}/teams/{team.pk}/progress")
    assert progress.status_code == 200
    (row,) = progress.json()["learners"]
    assert (row["username"], row["covered"], row["total"]) == ("lena", 1, 2)
    assert row["topics"] == [{"topic": "deployment", "covered": 1, "total": 2}]
    assignments = client.get(f"{API}/teams/{team.pk}/assignments")
    (assignment,) = assignments.json()
    assert (assignment["question_count"], assignment["in_progress"]) == (2, 1)
    assert (assignment["complete"], assignment["not_started"]) == (0, 0)
    learners = client.get(f"{API}/teams/{team.pk}/assignments/{assignment['id']}/learners")
    (status,) = learners.json()["learners"]
    assert (status["username"], status["state"], status["covered"]) == ("lena", "in progress", 1)
    bodies = progress.content + assignments.content + learners.content
    assert b"PRIVATE NOTE" not in bodies
    other = make_assignment(make_team(), topics=[world["topic"]])
    wrong = client.get(f"{API}/teams/{team.pk}/assignments/{other.pk}/learners")
    assert wrong.status_code == 404


def test_a_big_teams_progress_comes_in_pages_with_exact_counts(world):
    team = world["team"]
    for n in range(60):
        add_member(team, make_user(username=f"learner-{n:02d}"))
    make_assignment(team, topics=[world["topic"]])
    client, _ = token_client(world["instructor"])
    first = client.get(f"{API}/teams/{team.pk}/progress").json()
    second = client.get(f"{API}/teams/{team.pk}/progress", {"page": 2}).json()
    assert (first["count"], first["pages"], len(first["learners"])) == (61, 2, 50)
    assert len(second["learners"]) == 11
    names = [r["username"] for r in first["learners"] + second["learners"]]
    assert len(set(names)) == 61
    assignment = team.assignments.get()
    path = f"{API}/teams/{team.pk}/assignments/{assignment.pk}/learners"
    pages = [client.get(path, {"page": n}).json() for n in (1, 2)]
    assert [len(p["learners"]) for p in pages] == [50, 11]
    assert pages[0]["learners"][0]["username"] == "lena"  # the most covered first
    assert len({s["username"] for p in pages for s in p["learners"]}) == 61


def test_team_progress_is_403_to_learners_and_404_to_outsiders(world):
    team = world["team"]
    learner_client, _ = token_client(world["learner"])
    assert learner_client.get(f"{API}/teams").json() == [
        {"id": team.pk, "name": "Cohort", "role": "learner"}
    ]
    assert learner_client.get(f"{API}/teams/{team.pk}/progress").status_code == 403
    outsider = make_user()
    add_member(make_team(), outsider)
    outsider_client, _ = token_client(outsider)
    for path in ("progress", "assignments"):
        assert outsider_client.get(f"{API}/teams/{team.pk}/{path}").status_code == 404


# --- The schema and the docs ----------------------------------------------------------------


def test_the_schema_documents_every_operation_and_how_to_authenticate(client):
    schema = client.get(f"{API}/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}
    operations = {
        (method.upper(), path) for path, item in schema["paths"].items() for method in item
    }
    assert ("PUT", "/api/v1/me/notes/{key}") in operations
    assert len(operations) == 17
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert {"401", "422", "429"} <= set(operation["responses"]), (method, path)


def test_the_docs_are_served_from_our_own_static_files(client):
    page = client.get(f"{API}/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    assert "<script>" not in page  # no inline script: the strict CSP holds
