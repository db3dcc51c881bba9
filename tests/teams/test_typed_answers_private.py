"""A typed answer is private like a note: a learner types one containing a unique phrase,
and then the team's instructor, and another learner of the team, request every page,
fragment and download of the project (GET, with and without htmx, with the filters and
views that change what a page shows, and POST) and never meet the phrase.

The URLs come from walking the whole URL configuration (tests/teams/test_permissions.py
walk_urls): a route added later fails test_every_url_is_walked_for_typed_answers until it
is given its parameters here, so no new page is forgotten. The author, by contrast, sees
the phrase on their own question page and in their own data: the phrase is really there
to be found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.models import User
from authoring.proposals import propose
from progress.models import RecallCheck, StudySession
from progress.recall import record_check
from questions.importing.anki import read_anki_package
from questions.models import ImportRecord
from tests.factories import mark, note
from tests.pages import HTMX, html_of
from tests.sessions import Sessions
from tests.teams.factories import checked, membership
from tests.teams.test_permissions import Url, walk_urls

PHRASE = "ZEBRA-QUOKKA-7731"
TYPED = f"Pooling downsamples the feature maps; I remember it as {PHRASE} from class."

#: Every URL name outside the admin → the query strings it is requested with (each also
#: with the htmx header). A value "<name>" is an object of the world (see `values`).
#: An empty list: the default request only.
QUERIES: dict[str, list[dict[str, str]]] = {
    "healthz": [],
    "favicon": [],
    # Learner pages: the viewer's own; Ada's check id must never show her answer.
    "progress:dashboard": [],
    "progress:topic_list": [],
    "progress:topic_detail": [{"sort": "confidence"}],
    # Searches for parts of the phrase (the whole would be echoed back): a typed answer
    # found would show all of it.
    "progress:question_list": [{"q": "QUOKKA"}, {"q": "remember class"}],
    "progress:question_detail": [{"check": "<check>"}, {"topic": "<slug>", "check": "<check>"}],
    "progress:mark_confidence": [],
    "progress:edit_note": [],
    "progress:note_list": [{"q": "QUOKKA"}],
    "progress:note_detail": [],
    "progress:history": [],
    "progress:calibration": [],
    "progress:study_home": [],
    "progress:study_start": [],
    "progress:study_these": [],
    "progress:study_session": [{"check": "<check>"}],
    "progress:study_rate": [],
    "progress:study_move": [],
    "progress:check_answer": [],
    "progress:correct_point": [],
    "progress:delete_check": [],
    "progress:delete_all_checks": [],
    "progress:typing_preference": [],
    # The API: the viewer's own marks, notes, coverage and calibration, the bank, and
    # for the instructor the team's progress; the phrase is in none but the author's.
    "api:openapi-json": [],
    "api:openapi-view": [],
    "api:api-root": [],
    "api:list_topics": [],
    "api:list_questions": [{"page": "1"}],
    "api:get_question": [],
    "api:me": [],
    "api:list_marks": [],
    "api:get_mark": [],
    "api:put_mark": [],
    "api:list_notes": [],
    "api:get_note": [],
    "api:put_note": [],
    "api:delete_note": [],
    "api:coverage": [],
    "api:calibration": [],
    "api:list_teams": [],
    "api:team_progress": [],
    "api:team_assignments": [],
    "api:assignment_learners": [],
    "accounts:api_tokens": [],
    "accounts:revoke_api_token": [],
    "progress:download_my_data": [],
    "progress:anki_bank": [{"notes": "1"}],
    "progress:anki_topic": [{"notes": "1"}],
    "progress:anki_due": [{"notes": "1"}],
    # The bank and authoring.
    "questions:bank": [],
    "questions:export_bank_json": [],
    "questions:export_bank_csv": [],
    "questions:import_upload": [],
    "questions:import_preview": [],
    "authoring:question_create": [],
    "authoring:answer_preview": [],
    "authoring:question_edit": [],
    "authoring:question_history": [],
    "authoring:revision_restore": [],
    "authoring:question_retire": [],
    "authoring:question_unretire": [],
    "authoring:question_promote": [],
    "authoring:team_bank": [],
    "authoring:library": [],
    "authoring:import_undo": [],
    "authoring:proposal_create": [],
    "authoring:proposal_duplicates": [{"text": "QUOKKA pooling"}],
    "authoring:my_proposals": [],
    "authoring:review_queue": [],
    "authoring:proposal_review": [],
    # Accounts.
    "accounts:signup": [],
    "accounts:login": [],
    "accounts:logout": [],
    "accounts:profile": [],
    "accounts:password_change": [],
    "accounts:password_change_done": [],
    "accounts:password_reset": [],
    "accounts:password_reset_done": [],
    "accounts:password_reset_confirm": [],
    "reminders:unsubscribe": [],
    "openid_connect_login": [],
    "openid_connect_callback": [],
    "account_login": [],
    "account_signup": [],
    "account_inactive": [],
    "socialaccount_login_cancelled": [],
    "socialaccount_signup": [],
    "socialaccount_connections": [],
    "accounts:password_reset_complete": [],
    # Teams: every view of the dashboard and its CSV, the reports and their filters.
    "teams:team_list": [],
    "teams:study_start": [],
    "teams:team_create": [],
    "teams:join_with_code": [],
    "teams:team_join": [],
    "teams:team_detail": [],
    "teams:team_settings": [],
    "teams:team_delete": [],
    "teams:rotate_invite": [],
    "teams:leave": [],
    "teams:promote_member": [],
    "teams:remove_member": [],
    "teams:topic_set_list": [],
    "teams:topic_set_create": [],
    "teams:topic_set_size": [{"topics": "<topic_id>"}],
    "teams:topic_set_edit": [],
    "teams:topic_set_delete": [],
    "teams:assignment_create": [],
    "teams:assignment_detail": [],
    "teams:assignment_edit": [],
    "teams:assignment_withdraw": [],
    "teams:assignment_status_csv": [],
    "teams:assignment_anki": [{"notes": "1"}],
    "teams:topic_set_anki": [{"notes": "1"}],
    "teams:team_dashboard": [
        {"cells": "levels"},
        {"assignment": "<assignment>", "sort": "-overall"},
        {"assignment": "<assignment>", "others": "1", "cells": "levels", "sort": "-status"},
    ],
    "teams:team_matrix_csv": [
        {"sort": "-overall"},
        {"assignment": "<assignment>", "others": "1"},
    ],
    "teams:team_topic": [],
    "teams:member_detail": [],
    "teams:hard_questions": [
        {"topic": "<slug>", "sort": "-change"},
        {"assignment": "<assignment>"},
    ],
    "teams:hard_questions_csv": [{"topic": "<slug>"}, {"assignment": "<assignment>"}],
    "teams:calibration": [],
    "teams:calibration_csv": [],
    "teams:team_progress": [],
    "teams:share_progress": [],
    "teams:team_visibility": [],
}


@dataclass
class Typed:
    """The world (tests/teams/factories.World) after Ada typed the phrase on Q1 and rated
    it, and the objects the URLs point into."""

    world: object
    check: RecallCheck
    objects: dict[str, Callable[[User], object]]


@pytest.fixture
def typed(world) -> Typed:
    w = world
    check = record_check(user=w.ada, question=w.q[1], text=TYPED)
    mark(w.ada, w.q[1], 4)
    # Ada's mark carries the check; a check on a question she has not rated yet too.
    record_check(user=w.ada, question=w.q[5], text=f"No idea, {PHRASE}")
    assert RecallCheck.objects.filter(text__contains=PHRASE).count() == 2
    # Other learners' checks make the figures real.
    checked(w.bo, w.q[2], 70)
    note(w.bo, w.q[1], "Bo's own note")
    note(w.instructor, w.q[1], "Iris's own note")
    sessions = {
        user.pk: StudySession.objects.create(
            user=user, source="topic", label="Alpha", question_ids=[w.q[1].pk, w.q[2].pk]
        )
        for user in (w.ada, w.bo, w.instructor)
    }
    notes = {user.pk: user.notes.get(question=w.q[1]) for user in (w.bo, w.instructor)}
    import_record = ImportRecord.objects.create(
        user=w.instructor,
        file_name="questions.md",
        format="auto",
        text="## What is a stride?\nThe step of the filter.\n",
        topics=[w.alpha.slug],
        bank=w.team.bank,
    )
    proposal = propose(bank_id=w.team.bank_id, author=w.ada, text="Why pool?", answer="To shrink.")
    ada_membership = membership(w.team, w.ada)
    objects: dict[str, Callable[[User], object]] = {
        "team_id": lambda viewer: w.team.pk,
        "membership_id": lambda viewer: ada_membership.pk,
        "set_id": lambda viewer: w.week1.topic_set_id,
        "assignment_id": lambda viewer: w.week1.pk,
        "key": lambda viewer: w.q[1].key,
        "slug": lambda viewer: w.alpha.slug,
        "pk": lambda viewer: notes[viewer.pk].pk,
        "session_id": lambda viewer: sessions[viewer.pk].pk,
        "import_id": lambda viewer: import_record.pk,
        "number": lambda viewer: 1,
        "proposal_id": lambda viewer: proposal.pk,
        "code": lambda viewer: w.team.invite_code,
        "uidb64": lambda viewer: "MQ",
        "token": lambda viewer: "not-a-real-token",
        "provider_id": lambda viewer: "not-configured",
        "check_id": lambda viewer: check.pk,
        "index": lambda viewer: 0,
        "token_id": lambda viewer: 999_999,  # nobody's
        # In query strings.
        "<check>": lambda viewer: check.pk,
        "<slug>": lambda viewer: w.alpha.slug,
        "<assignment>": lambda viewer: w.mixed.pk,
        "<topic_id>": lambda viewer: w.alpha.pk,
    }
    return Typed(w, check, objects)


def urls_to_walk() -> dict[str, Url]:
    """Every named URL outside the admin (which sends anyone but staff to its log-in)."""
    named = {}
    for url in walk_urls():
        if url.name and url.namespace != "admin":
            named[url.name] = url
    return dict(sorted(named.items()))


def path_for(name: str, url: Url, typed: Typed, viewer: User) -> str:
    kwargs = {}
    for param in url.params:
        assert param in typed.objects, f"no value for URL parameter {param!r} of {name}"
        kwargs[param] = typed.objects[param](viewer)
    return reverse(name, kwargs=kwargs)


def query_for(params: dict[str, str], typed: Typed, viewer: User) -> dict[str, object]:
    return {
        key: typed.objects[value](viewer) if value in typed.objects else value
        for key, value in params.items()
    }


def requested_as(
    sessions: Sessions, viewer: User, method: str, path: str, query=None, headers=None
):
    """One request in a savepoint that is rolled back, so each starts from the same data,
    as the viewer's session of this test."""
    client = sessions.client(viewer)
    with transaction.atomic():
        if method == "GET":
            response = client.get(path, query or {}, headers=headers or {})
        else:
            response = client.post(path, query or {}, headers=headers or {})
        transaction.set_rollback(True)
    return response


def body_of(response) -> str:
    if response.get("Content-Type") == "application/apkg":
        # An Anki package is compressed: what counts is what its notes hold.
        package = b"".join(response.streaming_content)
        notes = read_anki_package(package, source="download").notes
        return "\n".join(" ".join([*note.fields, *note.tags]) for note in notes)
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


# --- Tests --------------------------------------------------------------------------


def test_every_url_is_walked_for_typed_answers():
    names = set(urls_to_walk())
    missing = sorted(names - set(QUERIES))
    assert missing == [], f"routes this test does not request yet (add them to QUERIES): {missing}"
    stale = sorted(set(QUERIES) - names)
    assert stale == [], f"QUERIES names routes that no longer exist: {stale}"


def test_the_author_sees_the_phrase(typed):
    """The phrase is there to be found: on the author's own question page (with the check
    on show) and in their own data."""
    w = typed.world
    client = Client()
    client.force_login(w.ada)
    page = client.get(
        reverse("progress:question_detail", args=[w.q[1].key]), {"check": typed.check.pk}
    )
    assert PHRASE in html_of(page)
    export = client.get(reverse("progress:download_my_data"))
    assert PHRASE in body_of(export)


@pytest.mark.parametrize("who", ["instructor", "bo"])
def test_nobody_else_meets_the_phrase_anywhere(typed, who, sessions):
    viewer = getattr(typed.world, who)
    seen, requested = [], 0
    for name, url in urls_to_walk().items():
        path = path_for(name, url, typed, viewer)
        for params in [{}, *QUERIES[name]]:
            query = query_for(params, typed, viewer)
            for method, headers in (("GET", {}), ("GET", HTMX), ("POST", {}), ("POST", HTMX)):
                response = requested_as(sessions, viewer, method, path, query, headers)
                requested += 1
                if PHRASE in body_of(response) or PHRASE in response.get("Location", ""):
                    seen.append(f"{method} {path} {query} {headers}: {response.status_code}")
    assert seen == []
    assert requested >= 4 * len(QUERIES)


def test_the_instructors_pages_show_ada_at_all(typed):
    """The pages above are the real ones: the instructor's dashboard names Ada, her page
    shows her scores (one checked answer, on Q1: the check on Q5 has no mark), and the
    team's calibration counts it and Bo's."""
    w = typed.world
    client = Client()
    client.force_login(w.instructor)
    dashboard = html_of(client.get(reverse("teams:team_dashboard", args=[w.team.pk])))
    assert "Ada Lovelace" in dashboard
    ada = membership(w.team, w.ada)
    member = html_of(client.get(reverse("teams:member_detail", args=[w.team.pk, ada.pk])))
    assert "1 checked answer:" in member
    calibration = html_of(client.get(reverse("teams:calibration", args=[w.team.pk])))
    assert "<strong>2</strong> from 2 of 4 learners" in calibration
