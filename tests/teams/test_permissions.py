"""Who may open what: every URL of the project, requested as each of six roles.

The test walks the whole URL configuration, so a URL added without a line in
EXPECTATIONS fails here until someone decides who may open it.

Roles: anonymous; a learner and the instructor of "the team" (whose ids are used in
the URLs); a learner and the instructor of another team; staff (a superuser who is
in no team). Team pages are 404 for everyone outside the team (staff included),
403 for the team's learners on instructor pages, and a redirect to the login page
for anonymous visitors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from accounts.models import User
from authoring.models import Proposal, QuestionRevision
from authoring.proposals import propose
from authoring.services import QuestionContent, edit_question, write_question
from progress.models import ConfidenceEvent, ConfidenceMark, Note, RecallCheck, StudySession
from progress.recall import record_check
from questions.models import ImportRecord, Question, Topic
from reminders.tasks import send_reminders_task
from teams import urls as team_urls
from teams.models import Assignment, Membership, Team, TopicSet
from tests.factories import make_bank, make_user, mark, note
from tests.sessions import Sessions
from tests.teams.factories import add_member, make_assignment, make_team, make_topic_set

ROLES = ("anonymous", "learner", "other_learner", "instructor", "other_instructor", "staff")

# Rows give the status for each role, in the order of ROLES:
#       anonymous, learner, other team's learner, instructor, other team's instructor, staff
EVERYONE_200 = (200, 200, 200, 200, 200, 200)
SIGNED_IN_200 = (302, 200, 200, 200, 200, 200)
SIGNED_OUT_ONLY = (200, 302, 302, 302, 302, 302)
MEMBERS_200 = (302, 200, 404, 200, 404, 404)
INSTRUCTORS_200 = (302, 403, 404, 200, 404, 404)
INSTRUCTORS_302 = (302, 403, 404, 302, 404, 404)
POST_ONLY = (405,) * 6
#: Who sees a library question but may not change it gets a 403; staff change it.
STAFF_200 = (302, 403, 403, 403, 403, 200)
STAFF_302 = (302, 403, 403, 403, 403, 302)
#: The API: 401 without a token or session, then as the pages.
API_200 = (401, 200, 200, 200, 200, 200)
API_OWN = (401, 200, 404, 404, 404, 404)
#: What the walk's PUT and DELETE requests to the API send.
API_BODIES = {"PUT": {"level": 3, "text": "From the walk", "revision": ""}, "DELETE": {}}

#: Every URL name -> {method: statuses by role}. GET is always requested; POST too
#: when listed (it must be for POST-only views). POSTs carry no data.
EXPECTATIONS: dict[str, dict[str, tuple[int, ...]]] = {
    # For load balancers: no log-in, no session; the database answered.
    "healthz": {"GET": EVERYONE_200},
    "favicon": {"GET": (301,) * 6},  # to the static icon, for pages that name none
    # Learner pages
    "progress:dashboard": {"GET": EVERYONE_200},  # anonymous visitors get the welcome page
    "progress:mark_confidence": {"GET": POST_ONLY, "POST": (302, 422, 422, 422, 422, 422)},
    "progress:edit_note": {"GET": SIGNED_IN_200},
    # Typed answers: an empty answer is a 422; a check is its author's alone (404 to others).
    "progress:check_answer": {"GET": POST_ONLY, "POST": (302, 422, 422, 422, 422, 422)},
    "progress:correct_point": {"GET": POST_ONLY, "POST": (302, 302, 404, 404, 404, 404)},
    "progress:delete_check": {"GET": POST_ONLY, "POST": (302, 302, 404, 404, 404, 404)},
    "progress:delete_all_checks": {"GET": POST_ONLY, "POST": (302,) * 6},
    "progress:typing_preference": {"GET": POST_ONLY, "POST": (302,) + (400,) * 5},
    "progress:calibration": {"GET": SIGNED_IN_200},
    "progress:note_list": {"GET": SIGNED_IN_200},
    # The note is the team learner's: nobody else may read it, their instructor included.
    "progress:note_detail": {"GET": (302, 200, 404, 404, 404, 404)},
    "progress:history": {"GET": SIGNED_IN_200},
    # Anki packages of what the user sees (the walk's topic is the library's).
    "progress:anki_bank": {"GET": SIGNED_IN_200},
    "progress:anki_topic": {"GET": SIGNED_IN_200},
    # Nothing is due for anyone in the walk: the study page says so (the download is
    # tested in tests/progress/test_anki_export.py).
    "progress:anki_due": {"GET": (302,) * 6},
    "progress:study_home": {"GET": SIGNED_IN_200},
    # No source chosen: everyone signed in is sent back to the study page with a message.
    "progress:study_start": {"GET": POST_ONLY, "POST": (302,) * 6},
    "teams:study_start": {"GET": POST_ONLY, "POST": (302,) * 6},
    # No list named: a bad request for everyone signed in.
    "progress:study_these": {"GET": POST_ONLY, "POST": (302,) + (400,) * 5},
    # A study session is its learner's alone.
    "progress:study_session": {"GET": (302, 200, 404, 404, 404, 404)},
    "progress:study_rate": {"GET": POST_ONLY, "POST": (302, 422, 404, 404, 404, 404)},
    "progress:study_move": {"GET": POST_ONLY, "POST": (302, 400, 404, 404, 404, 404)},
    "progress:topic_list": {"GET": SIGNED_IN_200},
    "progress:topic_detail": {"GET": SIGNED_IN_200},
    "progress:question_list": {"GET": SIGNED_IN_200},
    "progress:question_detail": {"GET": SIGNED_IN_200},
    # The bank is shared and readable by everyone signed in, so are its downloads.
    "questions:bank": {"GET": SIGNED_IN_200},
    "questions:export_bank_json": {"GET": SIGNED_IN_200},
    "questions:export_bank_csv": {"GET": SIGNED_IN_200},
    # Importing is for staff and instructors of any team; an empty upload is refused.
    "questions:import_upload": {
        "GET": (302, 403, 403, 200, 200, 200),
        "POST": (302, 403, 403, 422, 422, 422),
    },
    # The pending import is the team instructor's: nobody else's, staff included.
    "questions:import_preview": {
        "GET": (302, 403, 403, 200, 404, 404),
        "POST": (302, 403, 403, 302, 404, 404),
    },
    # Writing and changing questions: a library question (the walk's) is staff's to change.
    "authoring:question_create": {
        "GET": (302, 403, 403, 200, 200, 200),
        "POST": (302, 403, 403, 422, 422, 422),
    },
    "authoring:answer_preview": {"GET": POST_ONLY, "POST": (302, 403, 403, 200, 200, 200)},
    "authoring:question_edit": {"GET": STAFF_200, "POST": (302, 403, 403, 403, 403, 422)},
    "authoring:question_history": {"GET": STAFF_200},
    "authoring:revision_restore": {"GET": POST_ONLY, "POST": STAFF_302},
    "authoring:question_retire": {"GET": POST_ONLY, "POST": STAFF_302},
    "authoring:question_unretire": {"GET": POST_ONLY, "POST": STAFF_302},
    # Already in the library: staff are told so.
    "authoring:question_promote": {"GET": POST_ONLY, "POST": STAFF_302},
    "authoring:team_bank": {"GET": INSTRUCTORS_200},
    "authoring:library": {"GET": STAFF_200},
    # The walk's import is the team instructor's, into the team bank, not yet confirmed.
    "authoring:import_undo": {"GET": POST_ONLY, "POST": (302, 403, 404, 302, 404, 403)},
    # Proposals: members propose; the team's instructors review.
    "authoring:proposal_create": {"GET": MEMBERS_200, "POST": (302, 422, 404, 422, 404, 404)},
    "authoring:proposal_duplicates": {"GET": MEMBERS_200, "POST": MEMBERS_200},
    "authoring:my_proposals": {"GET": SIGNED_IN_200},
    "authoring:review_queue": {"GET": INSTRUCTORS_200},
    "authoring:proposal_review": {"GET": INSTRUCTORS_200, "POST": (302, 403, 404, 422, 404, 404)},
    # Accounts
    "accounts:signup": {"GET": SIGNED_OUT_ONLY},
    "accounts:login": {"GET": SIGNED_OUT_ONLY},
    "accounts:logout": {"GET": POST_ONLY, "POST": (302,) * 6},
    "accounts:profile": {"GET": SIGNED_IN_200},
    "accounts:api_tokens": {"GET": SIGNED_IN_200, "POST": (302, 422, 422, 422, 422, 422)},
    # Only one's own tokens: the walk's id is nobody's token, so nothing is revoked.
    "accounts:revoke_api_token": {"GET": POST_ONLY, "POST": (302,) * 6},
    # The API (docs/api.md): 401, not a log-in page, for no token or session; the same
    # rules as the pages. PUT and DELETE carry a valid body (API_BODIES).
    "api:openapi-json": {"GET": EVERYONE_200},
    "api:openapi-view": {"GET": EVERYONE_200},
    "api:api-root": {"GET": (404,) * 6},
    "api:list_topics": {"GET": API_200},
    "api:list_questions": {"GET": API_200},
    "api:get_question": {"GET": API_200},  # the walk's question is the library's
    "api:me": {"GET": API_200},
    "api:list_marks": {"GET": API_200},
    "api:list_notes": {"GET": API_200},
    "api:coverage": {"GET": API_200},
    "api:calibration": {"GET": API_200},
    "api:list_teams": {"GET": API_200},
    # Only the team's learner has rated the question and written a note on it.
    "api:get_mark": {"GET": API_OWN},
    "api:put_mark": {"GET": API_OWN, "PUT": API_200},
    "api:get_note": {"GET": API_OWN},
    # From no revision: a new note for everyone but the learner, whose note conflicts.
    "api:put_note": {"GET": API_OWN, "PUT": (401, 409, 200, 200, 200, 200)},
    "api:delete_note": {"GET": API_OWN, "DELETE": (401, 409, 204, 204, 204, 204)},
    "api:team_progress": {"GET": (401, 403, 404, 200, 404, 404)},
    "api:team_assignments": {"GET": (401, 403, 404, 200, 404, 404)},
    "api:assignment_learners": {"GET": (401, 403, 404, 200, 404, 404)},
    "progress:download_my_data": {"GET": SIGNED_IN_200},  # only ever the user's own
    "accounts:password_change": {"GET": SIGNED_IN_200},
    "accounts:password_change_done": {"GET": SIGNED_IN_200},
    "accounts:password_reset": {"GET": EVERYONE_200},
    "accounts:password_reset_done": {"GET": EVERYONE_200},
    "accounts:password_reset_confirm": {"GET": EVERYONE_200},  # a dummy token: "invalid link"
    "accounts:password_reset_complete": {"GET": EVERYONE_200},
    # Single sign-on (accounts/sso.py): the walk's provider id is not configured.
    "openid_connect_login": {"GET": (404,) * 6, "POST": (404,) * 6},
    "openid_connect_callback": {"GET": (404,) * 6},
    # Names allauth reverses, each sent to StudyHub's own page.
    "account_login": {"GET": (302,) * 6},
    "account_signup": {"GET": (302,) * 6},
    "account_inactive": {"GET": (302,) * 6},
    "socialaccount_login_cancelled": {"GET": (302,) * 6},
    "socialaccount_signup": {"GET": (302,) * 6},
    "socialaccount_connections": {"GET": (302,) * 6},
    # A reminder e-mail's signed link works without logging in; the walk's token is
    # nobody's, so it is refused (tests/reminders covers real ones).
    "reminders:unsubscribe": {"GET": (404,) * 6, "POST": (404,) * 6},
    # Teams anyone signed in may use
    "teams:team_list": {"GET": SIGNED_IN_200},
    "teams:team_create": {"GET": SIGNED_IN_200},
    "teams:join_with_code": {"GET": SIGNED_IN_200},
    # Anyone with the link sees which team it is for; joining needs an account.
    "teams:team_join": {"GET": EVERYONE_200, "POST": (302,) * 6},
    # Pages of one team
    "teams:team_detail": {"GET": MEMBERS_200},
    "teams:leave": {"GET": POST_ONLY, "POST": (302, 302, 404, 302, 404, 404)},
    "teams:assignment_detail": {"GET": MEMBERS_200},
    "teams:team_settings": {"GET": INSTRUCTORS_200},
    "teams:team_delete": {"GET": INSTRUCTORS_200, "POST": INSTRUCTORS_302},
    "teams:rotate_invite": {"GET": POST_ONLY, "POST": INSTRUCTORS_302},
    "teams:promote_member": {"GET": POST_ONLY, "POST": INSTRUCTORS_302},
    "teams:remove_member": {"GET": POST_ONLY, "POST": INSTRUCTORS_302},
    "teams:topic_set_list": {"GET": INSTRUCTORS_200},
    "teams:topic_set_create": {"GET": INSTRUCTORS_200},
    "teams:topic_set_size": {"GET": INSTRUCTORS_200},
    "teams:topic_set_edit": {"GET": INSTRUCTORS_200},
    "teams:topic_set_delete": {"GET": POST_ONLY, "POST": INSTRUCTORS_302},
    "teams:assignment_create": {"GET": INSTRUCTORS_200},
    "teams:assignment_edit": {"GET": INSTRUCTORS_200},
    "teams:assignment_withdraw": {"GET": POST_ONLY, "POST": INSTRUCTORS_302},
    "teams:assignment_status_csv": {"GET": INSTRUCTORS_200},
    "teams:assignment_anki": {"GET": MEMBERS_200},
    "teams:topic_set_anki": {"GET": INSTRUCTORS_200},
    "teams:team_dashboard": {"GET": INSTRUCTORS_200},
    "teams:team_matrix_csv": {"GET": INSTRUCTORS_200},
    "teams:team_topic": {"GET": INSTRUCTORS_200},
    # One learner in full and the questions the team finds hard: the team's instructors.
    "teams:member_detail": {"GET": INSTRUCTORS_200},
    "teams:hard_questions": {"GET": INSTRUCTORS_200},
    "teams:hard_questions_csv": {"GET": INSTRUCTORS_200},
    # Confidence against recall, by learner: scores only, never what anyone typed.
    "teams:calibration": {"GET": INSTRUCTORS_200},
    "teams:calibration_csv": {"GET": INSTRUCTORS_200},
    # Team progress is for every member; each learner decides for themselves whether
    # they are shown, and only the instructors turn the page on.
    "teams:team_progress": {"GET": MEMBERS_200},
    "teams:share_progress": {"GET": POST_ONLY, "POST": (302, 302, 404, 403, 404, 404)},
    "teams:team_visibility": {"GET": POST_ONLY, "POST": INSTRUCTORS_302},
    # Admin pages that differ from the admin rule below
    "admin:login": {"GET": (200, 200, 200, 200, 200, 302)},
    # Logging out sends everyone to LOGOUT_REDIRECT_URL; only staff reach the view itself.
    "admin:logout": {"GET": (302, 302, 302, 302, 302, 405), "POST": (302,) * 6},
    "admin:autocomplete": {"GET": (302,) * 5 + (403,)},  # no model/field asked for
    "admin:view_on_site": {"GET": (302,) * 6},  # staff are sent on to the team page
    # Tasks (the daily reminders) are read-only in the admin: staff may look, not add.
    "admin:django_tasks_database_dbtaskresult_add": {"GET": (302,) * 5 + (403,)},
    "admin:django_tasks_database_dbtaskresult_delete": {"GET": (302,) * 5 + (403,)},
}

#: Prefix rules for URL names not listed above: every other admin page sends anyone
#: who is not staff to the admin login, and shows itself to staff.
RULES: dict[str, dict[str, tuple[int, ...]]] = {
    "admin:": {"GET": (302, 302, 302, 302, 302, 200)},
}


def expectation_for(name: str) -> dict[str, tuple[int, ...]] | None:
    if name in EXPECTATIONS:
        return EXPECTATIONS[name]
    return next((rule for prefix, rule in RULES.items() if name.startswith(prefix)), None)


@dataclass(frozen=True)
class Url:
    name: str | None  # "namespace:name"; None for an unnamed pattern
    params: frozenset[str]
    namespace: str


def walk_urls(resolver=None, namespace: str = "", params: frozenset[str] = frozenset()):
    """Every pattern of the URL configuration with its full name and its parameters."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        own = params | frozenset(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk_urls(pattern, inner, own)
        else:
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield Url(name, own, namespace.rstrip(":"))


def named_urls() -> dict[str, Url]:
    return {url.name: url for url in walk_urls() if url.name}


# --- The world the URLs point into ----------------------------------------------


@dataclass
class Objects:
    users: dict[str, User | None]
    team: Team
    other_team: Team
    learner_membership: Membership
    topic_set: TopicSet
    assignment: Assignment
    other_membership: Membership
    other_set: TopicSet
    other_assignment: Assignment
    question: Question
    topic: Topic
    note: Note
    group: Group
    study_session: StudySession
    import_record: ImportRecord
    revision: QuestionRevision
    team_content: TeamContent
    recall_check: RecallCheck

    @property
    def other_proposal(self) -> Proposal:
        return self.team_content.other_proposal


@pytest.fixture
def objects(db) -> Objects:
    send_reminders_task.enqueue()  # a queued task: the admin's read-only task pages show it
    (topic,) = make_bank(topics=1, questions_per_topic=2)
    question = topic.questions.first()
    assert question is not None
    learner = make_user(username="team-learner")
    # A provider account linked to the learner: the admin's single sign-on pages show it.
    SocialAccount.objects.create(user=learner, provider="acme", uid="team-learner")
    instructor = make_user(username="team-instructor")
    other_learner = make_user(username="other-learner")
    other_instructor = make_user(username="other-instructor")
    staff = User.objects.create_superuser("staff", "staff@example.com", "x", display_name="S")
    team = make_team("The team", instructor=instructor)
    learner_membership = add_member(team, learner)
    other_team = make_team("Another team", instructor=other_instructor)
    other_membership = add_member(other_team, other_learner)
    topic_set = make_topic_set(team, topics=[topic])
    other_set = make_topic_set(other_team, topics=[topic])
    mark(learner, question, 3)
    return Objects(
        users={
            "anonymous": None,
            "learner": learner,
            "other_learner": other_learner,
            "instructor": instructor,
            "other_instructor": other_instructor,
            "staff": staff,
        },
        team=team,
        other_team=other_team,
        learner_membership=learner_membership,
        topic_set=topic_set,
        assignment=make_assignment(team, topic_set),
        other_membership=other_membership,
        other_set=other_set,
        other_assignment=make_assignment(other_team, other_set),
        question=question,
        topic=topic,
        note=note(learner, question, "The learner's private note"),
        group=Group.objects.create(name="Editors"),
        study_session=StudySession.objects.create(
            user=learner, source="topic", label=topic.name, question_ids=[question.pk]
        ),
        import_record=ImportRecord.objects.create(
            user=instructor,
            file_name="questions.md",
            format="auto",
            text="## What is a stride?\nThe step of the filter.\n",
            topics=[topic.slug],
            bank=team.bank,
        ),
        revision=edited(question, staff, "What is a stride, really?"),
        team_content=_team_content(team, other_team, instructor, learner, other_learner, topic),
        recall_check=record_check(user=learner, question=question, text="pooling"),
    )


def edited(question: Question, author: User, text: str) -> QuestionRevision:
    """The revision an edit of the question's text makes."""
    content = replace(QuestionContent.of(question), text=text)
    revision = edit_question(question=question, author=author, content=content)
    assert revision is not None
    return revision


@dataclass
class TeamContent:
    """What the team's bank holds, and another team's: the second walk's objects."""

    question: Question
    revision: QuestionRevision
    proposal: Proposal
    done_import: ImportRecord
    other_question: Question
    other_proposal: Proposal


def _team_content(team, other_team, instructor, learner, other_learner, topic) -> TeamContent:
    def team_question(bank, author, text):
        return write_question(
            bank=bank,
            author=author,
            content=QuestionContent(text=text, concise="An answer.", topics=(topic.slug,)),
        )

    question = team_question(team.bank, instructor, "What is the team's own question?")
    revision = edited(question, instructor, "What is the team's question now?")
    done_import = ImportRecord.objects.create(
        user=instructor,
        file_name="done.md",
        format="auto",
        text="x",
        status=ImportRecord.Status.DONE,
        bank=team.bank,
    )
    Question.objects.filter(pk=question.pk).update(import_record=done_import)
    other_instructor = other_team.memberships.instructors().get().user
    return TeamContent(
        question=question,
        revision=revision,
        proposal=propose(
            bank_id=team.bank_id, author=learner, text="Why pool?", answer="To downsample."
        ),
        done_import=done_import,
        other_question=team_question(other_team.bank, other_instructor, "What is theirs?"),
        other_proposal=propose(
            bank_id=other_team.bank_id, author=other_learner, text="Why?", answer="Because."
        ),
    )


def admin_object_id(name: str) -> int:
    """The pk of an object of the model an admin URL name is about."""
    for model in admin.site._registry:
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model._default_manager.order_by("pk").values_list("pk", flat=True)[0]
    raise AssertionError(f"no registered admin model for {name}")


def kwargs_for(url: Url, objects: Objects) -> dict[str, object]:
    if url.name == "admin:view_on_site":
        return {
            "content_type_id": ContentType.objects.get_for_model(Team).pk,
            "object_id": objects.team.pk,
        }
    values = {
        "team_id": objects.team.pk,
        "membership_id": objects.learner_membership.pk,
        "set_id": objects.topic_set.pk,
        "assignment_id": objects.assignment.pk,
        "key": objects.question.key,
        "slug": objects.topic.slug,
        "pk": objects.note.pk,
        "session_id": objects.study_session.pk,
        "import_id": objects.import_record.pk,
        "number": objects.revision.number,
        "proposal_id": objects.team_content.proposal.pk,
        "code": objects.team.invite_code,
        "uidb64": "MQ",
        "token": "not-a-real-token",
        "app_label": "accounts",
        "id": objects.users["learner"].pk,
        "check_id": objects.recall_check.pk,
        "token_id": 999_999,  # nobody's: revoking it changes nothing
        "provider_id": "not-configured",
        "index": 0,
    }
    kwargs: dict[str, object] = {}
    for param in url.params:
        if param == "object_id":
            assert url.name is not None  # every admin URL is named
            kwargs[param] = admin_object_id(url.name)
        else:
            assert param in values, f"no value for URL parameter {param!r} of {url.name}"
            kwargs[param] = values[param]
    return kwargs


def request_as(user: User | None, method: str, path: str, sessions: Sessions | None = None):
    """One request in a savepoint that is rolled back, so each starts from the same data;
    with `sessions`, as the user's session of this test (logged in once, before)."""
    client = sessions.client(user) if sessions is not None else None
    with transaction.atomic():
        if client is None:
            client = Client()
            if user is not None:
                client.force_login(user)
        if method == "GET":
            response = client.get(path)
        elif method == "POST":
            response = client.post(path)
        elif method == "DELETE":
            response = client.delete(f"{path}?revision=")
        else:
            body = json.dumps(API_BODIES[method])
            response = client.generic(method, path, body, content_type="application/json")
        transaction.set_rollback(True)
    return response


def is_login_redirect(response) -> bool:
    location = response.get("Location", "")
    return location.startswith((reverse("accounts:login"), reverse("admin:index")))


# --- Tests ------------------------------------------------------------------------


def test_every_url_name_has_an_expectation():
    urls = list(walk_urls())
    names = {url.name for url in urls if url.name}
    missing = sorted(name for name in names if expectation_for(name) is None)
    assert missing == [], f"URL names without an entry in EXPECTATIONS: {missing}"
    stale = sorted(set(EXPECTATIONS) - names)
    assert stale == [], f"EXPECTATIONS lists URL names that no longer exist: {stale}"
    unnamed = sorted({url.namespace or "(root)" for url in urls if not url.name} - {"admin"})
    assert unnamed == [], f"unnamed URL patterns outside the admin: {unnamed}"


def test_post_only_views_are_also_requested_with_post():
    without_post = sorted(
        name
        for name, rows in EXPECTATIONS.items()
        if all(status == 405 for status in rows["GET"]) and "POST" not in rows
    )
    assert without_post == []
    assert all(len(row) == len(ROLES) for rows in EXPECTATIONS.values() for row in rows.values())


def test_the_walk_finds_every_kind_of_url():
    names = set(named_urls())
    for expected in ("progress:dashboard", "accounts:login", "admin:index", "admin:app_list"):
        assert expected in names
    assert {f"teams:{p.name}" for p in team_urls.urlpatterns} <= names
    assert {f"admin:{p.name}" for p in admin.site.urls[0] if getattr(p, "name", None)} <= names


@pytest.mark.parametrize("role", ROLES)
def test_every_url_gives_the_expected_status(objects, role, sessions):
    user = objects.users[role]
    index = ROLES.index(role)
    mismatches, requested = [], 0
    for name, url in sorted(named_urls().items()):
        rows = expectation_for(name)
        if rows is None:
            mismatches.append(f"{name}: no expectation")
            continue
        path = reverse(name, kwargs=kwargs_for(url, objects))
        for method, row in rows.items():
            response = request_as(user, method, path, sessions)
            requested += 1
            if response.status_code != row[index]:
                mismatches.append(
                    f"{method} {name} ({path}): {response.status_code} != {row[index]}"
                )
            elif role == "anonymous" and row[index] == 302 and not is_login_redirect(response):
                mismatches.append(f"{method} {name}: redirects to {response['Location']}")
    assert mismatches == []
    assert requested >= len(EXPECTATIONS)


def test_anonymous_visitors_are_sent_to_log_in_and_come_back(objects):
    path = reverse("teams:team_dashboard", kwargs={"team_id": objects.team.pk})
    response = request_as(None, "GET", path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={path}"


def test_staff_are_not_let_into_teams_they_are_not_in(objects):
    """Even a superuser gets the plain 404 page, as if the team did not exist."""
    response = request_as(objects.users["staff"], "GET", objects.team.get_absolute_url())
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert objects.team.name not in response.content.decode()


def test_learners_are_told_they_may_not(objects):
    path = reverse("teams:team_dashboard", kwargs={"team_id": objects.team.pk})
    response = request_as(objects.users["learner"], "GET", path)
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


# Another team's object under my own team's id is as good as missing.
CROSS_TEAM = [
    ("teams:topic_set_edit", "GET", {"set_id": "other_set"}),
    ("teams:topic_set_delete", "POST", {"set_id": "other_set"}),
    ("teams:assignment_detail", "GET", {"assignment_id": "other_assignment"}),
    ("teams:assignment_edit", "GET", {"assignment_id": "other_assignment"}),
    ("teams:assignment_withdraw", "POST", {"assignment_id": "other_assignment"}),
    ("teams:assignment_status_csv", "GET", {"assignment_id": "other_assignment"}),
    ("teams:assignment_anki", "GET", {"assignment_id": "other_assignment"}),
    ("teams:topic_set_anki", "GET", {"set_id": "other_set"}),
    ("api:assignment_learners", "GET", {"assignment_id": "other_assignment"}),
    ("teams:promote_member", "POST", {"membership_id": "other_membership"}),
    ("teams:remove_member", "POST", {"membership_id": "other_membership"}),
    ("teams:member_detail", "GET", {"membership_id": "other_membership"}),
    ("authoring:proposal_review", "GET", {"proposal_id": "other_proposal"}),
    ("authoring:proposal_review", "POST", {"proposal_id": "other_proposal"}),
]


@pytest.mark.parametrize(("name", "method", "foreign"), CROSS_TEAM)
def test_another_teams_objects_are_404_under_my_team(objects, name, method, foreign):
    ((param, attr),) = foreign.items()
    kwargs = {"team_id": objects.team.pk, param: getattr(objects, attr).pk}
    response = request_as(objects.users["instructor"], method, reverse(name, kwargs=kwargs))
    assert response.status_code == 404
    # Nothing of the other team changed.
    assert TopicSet.objects.filter(pk=objects.other_set.pk).exists()
    assert Assignment.objects.filter(pk=objects.other_assignment.pk).exists()
    objects.other_membership.refresh_from_db()
    assert objects.other_membership.role == Membership.Role.LEARNER


def test_a_learner_cannot_change_the_team_by_posting(objects):
    learner = objects.users["learner"]
    team = objects.team
    client = Client()
    client.force_login(learner)
    instructor_membership = Membership.objects.get(team=team, role=Membership.Role.INSTRUCTOR)
    posts = [
        reverse("teams:team_settings", kwargs={"team_id": team.pk}),
        reverse("teams:team_delete", kwargs={"team_id": team.pk}),
        reverse("teams:rotate_invite", kwargs={"team_id": team.pk}),
        reverse("teams:promote_member", args=[team.pk, objects.learner_membership.pk]),
        reverse("teams:remove_member", args=[team.pk, instructor_membership.pk]),
        reverse("teams:topic_set_delete", args=[team.pk, objects.topic_set.pk]),
        reverse("teams:assignment_withdraw", args=[team.pk, objects.assignment.pk]),
        reverse("teams:assignment_create", args=[team.pk]),
        reverse("teams:team_visibility", args=[team.pk]),
    ]
    code = team.invite_code
    for path in posts:
        response = client.post(path, {"name": "Hijacked", "topic_set": objects.topic_set.pk})
        assert response.status_code == 403, path
    team.refresh_from_db()
    assert (team.name, team.invite_code) == ("The team", code)
    assert not team.members_see_progress
    assert sorted(team.memberships.values_list("role", flat=True)) == ["instructor", "learner"]
    assert (TopicSet.objects.filter(team=team).count(), team.assignments.count()) == (1, 1)
    assert ConfidenceMark.objects.count() == ConfidenceEvent.objects.count() == 1


# --- The team's own content -------------------------------------------------------
#
# The same walk over every URL that names a question, a revision, a proposal or an import,
# now with the team bank's: its members see its question (staff too, to moderate), its
# instructors change it; everyone outside the team gets a 404 for every one of its ids.

SEES_TEAM_QUESTION = (302, 200, 404, 200, 404, 200)
TEAM_EDITORS_200 = (302, 403, 404, 200, 404, 403)
TEAM_EDITORS_302 = (302, 403, 404, 302, 404, 403)
TEAM_CONTENT: dict[str, dict[str, tuple[int, ...]]] = {
    "progress:question_detail": {"GET": SEES_TEAM_QUESTION},
    "progress:mark_confidence": {"POST": (302, 422, 404, 422, 404, 422)},
    "progress:check_answer": {"POST": (302, 422, 404, 422, 404, 422)},
    "progress:edit_note": {"GET": SEES_TEAM_QUESTION},
    "authoring:question_edit": {"GET": TEAM_EDITORS_200, "POST": (302, 403, 404, 422, 404, 403)},
    "authoring:question_history": {"GET": TEAM_EDITORS_200},
    "authoring:revision_restore": {"POST": TEAM_EDITORS_302},
    "authoring:question_retire": {"POST": TEAM_EDITORS_302},
    "authoring:question_unretire": {"POST": TEAM_EDITORS_302},
    # Only staff bring a team's question into the library.
    "authoring:question_promote": {"POST": (302, 403, 404, 403, 404, 302)},
    # The import is the team instructor's and done: its page is theirs alone.
    "questions:import_preview": {"GET": (302, 403, 403, 200, 404, 404)},
    "authoring:import_undo": {"POST": TEAM_EDITORS_302},
    "authoring:proposal_review": {"GET": INSTRUCTORS_200, "POST": (302, 403, 404, 422, 404, 404)},
    # The API: the same members see, rate and note the team's question; nobody has yet.
    "api:get_question": {"GET": (401, 200, 404, 200, 404, 200)},
    "api:get_mark": {"GET": (401, 404, 404, 404, 404, 404)},
    "api:put_mark": {"PUT": (401, 200, 404, 200, 404, 200)},
    "api:get_note": {"GET": (401, 404, 404, 404, 404, 404)},
    "api:put_note": {"PUT": (401, 200, 404, 200, 404, 200)},
    "api:delete_note": {"DELETE": (401, 204, 404, 204, 404, 204)},
}
TEAM_CONTENT_PARAMS = frozenset({"key", "number", "proposal_id", "import_id"})


def test_every_url_of_team_content_is_in_the_team_content_walk():
    names = {name for name, url in named_urls().items() if url.params & TEAM_CONTENT_PARAMS}
    assert names == set(TEAM_CONTENT)


def team_kwargs(url: Url, objects: Objects) -> dict[str, object]:
    content = objects.team_content
    values = {
        "key": content.question.key,
        "number": content.revision.number,
        "proposal_id": content.proposal.pk,
        "import_id": content.done_import.pk,
        "team_id": objects.team.pk,
    }
    return {param: values[param] for param in url.params}


@pytest.mark.parametrize("role", ROLES)
def test_the_teams_content_gives_the_expected_status(objects, role, sessions):
    user = objects.users[role]
    index = ROLES.index(role)
    urls = named_urls()
    mismatches = []
    for name, rows in sorted(TEAM_CONTENT.items()):
        path = reverse(name, kwargs=team_kwargs(urls[name], objects))
        for method, row in rows.items():
            response = request_as(user, method, path, sessions)
            if response.status_code != row[index]:
                mismatches.append(
                    f"{method} {name} ({path}): {response.status_code} != {row[index]}"
                )
    assert mismatches == []
    # Nothing a request did outlived it (each ran in a rolled-back savepoint).
    content = objects.team_content
    assert Question.objects.filter(
        pk=content.question.pk, retired_at__isnull=True, bank=objects.team.bank
    ).exists()


def test_another_teams_question_is_a_404_on_every_page_that_names_it(objects, sessions):
    """The team's members, its instructor included, never reach the other team's
    question, whatever page they try."""
    key = objects.team_content.other_question.key
    urls = named_urls()
    for role in ("learner", "instructor"):
        for name in sorted(TEAM_CONTENT):
            url = urls[name]
            if url.params != {"key"}:
                continue
            for method in TEAM_CONTENT[name]:
                response = request_as(
                    objects.users[role], method, reverse(name, kwargs={"key": key}), sessions
                )
                assert response.status_code == 404, (role, method, name)
