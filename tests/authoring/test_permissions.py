"""Who may open and post what, for every view of the editor, as each of the six roles
of the permission walk: anonymous, a learner and the instructor of the team, a learner
and the instructor of another team, and staff (a superuser in no team)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import reverse

from authoring.models import QuestionRevision
from authoring.services import QuestionContent, edit_question
from questions.models import ImportRecord, Question
from tests.authoring.conftest import ROLES, Banks

#: Statuses by role, in the order of ROLES.
ALL_BUT_ANONYMOUS_403 = (302, 403, 403, 403, 403, 403)


@dataclass(frozen=True)
class Case:
    name: str  # URL name
    method: str
    target: str  # what the URL points at: see kwargs_for
    statuses: tuple[int, ...]


CASES = [
    # Writing: staff and instructors of any team.
    Case("question_create", "GET", "", (302, 403, 403, 200, 200, 200)),
    Case("question_create", "POST", "", (302, 403, 403, 422, 422, 422)),
    Case("answer_preview", "POST", "", (302, 403, 403, 200, 200, 200)),
    Case("answer_preview", "GET", "", (405,) * 6),
    # A team question: its instructors change it; its learners may not (403); everyone
    # outside the team is told it does not exist; staff see every bank but change none.
    Case("question_edit", "GET", "team", (302, 403, 404, 200, 404, 403)),
    Case("question_edit", "POST", "team", (302, 403, 404, 422, 404, 403)),
    Case("question_history", "GET", "team", (302, 403, 404, 200, 404, 403)),
    Case("revision_restore", "POST", "team", (302, 403, 404, 302, 404, 403)),
    Case("revision_restore", "GET", "team", (405,) * 6),
    Case("question_retire", "POST", "team", (302, 403, 404, 302, 404, 403)),
    Case("question_retire", "GET", "team", (405,) * 6),
    Case("question_unretire", "POST", "team", (302, 403, 404, 302, 404, 403)),
    # Promoting is for staff alone.
    Case("question_promote", "POST", "team", (302, 403, 404, 403, 404, 302)),
    Case("question_promote", "GET", "team", (405,) * 6),
    # A library question: staff change it; everyone else signed in sees it, so 403.
    Case("question_edit", "GET", "library", (302, 403, 403, 403, 403, 200)),
    Case("question_history", "GET", "library", (302, 403, 403, 403, 403, 200)),
    Case("revision_restore", "POST", "library", (302, 403, 403, 403, 403, 302)),
    Case("question_retire", "POST", "library", (302, 403, 403, 403, 403, 302)),
    Case("question_unretire", "POST", "library", (302, 403, 403, 403, 403, 302)),
    # Already in the library: staff are told so.
    Case("question_promote", "POST", "library", (302, 403, 403, 403, 403, 302)),
    # Bank pages.
    Case("team_bank", "GET", "team", (302, 403, 404, 200, 404, 404)),
    Case("library", "GET", "", (302, 403, 403, 403, 403, 200)),
    # Undoing an import: whoever may change its bank.
    Case("import_undo", "POST", "team", (302, 403, 404, 302, 404, 403)),
    Case("import_undo", "POST", "library", (302, 403, 403, 403, 403, 302)),
    Case("import_undo", "GET", "team", (405,) * 6),
]


@pytest.fixture
def targets(banks: Banks) -> dict[str, dict[str, object]]:
    """URL arguments for each target: a question with a revision 1, an import."""
    for question in (banks.team_question, banks.library_question, banks.other_question):
        content = QuestionContent.of(question)
        edit_question(
            question=question,
            author=banks.staff,
            content=QuestionContent(
                text=content.text + " (edited)",
                concise=content.concise,
                topics=content.topics,
            ),
        )
    team_import = _done_import(banks, bank=banks.team.bank)
    library_import = _done_import(banks, bank=None)
    return {
        "": {},
        "team": {
            "key": banks.team_question.key,
            "number": 1,
            "team_id": banks.team.pk,
            "import_id": team_import.pk,
        },
        "library": {
            "key": banks.library_question.key,
            "number": 1,
            "import_id": library_import.pk,
        },
    }


def _done_import(banks: Banks, *, bank) -> ImportRecord:
    return ImportRecord.objects.create(
        user=banks.instructor,
        file_name="questions.md",
        format="auto",
        text="## What is a stride?\nThe step.\n",
        status=ImportRecord.Status.DONE,
        bank=bank,
    )


#: Each URL's arguments.
PARAMS = {
    "question_create": (),
    "answer_preview": (),
    "question_edit": ("key",),
    "question_history": ("key",),
    "revision_restore": ("key", "number"),
    "question_retire": ("key",),
    "question_unretire": ("key",),
    "question_promote": ("key",),
    "team_bank": ("team_id",),
    "library": (),
    "import_undo": ("import_id",),
}


def _url(case: Case, targets: dict[str, dict[str, object]]) -> str:
    kwargs = targets[case.target]
    return reverse(f"authoring:{case.name}", kwargs={p: kwargs[p] for p in PARAMS[case.name]})


def _request(banks: Banks, role: str, method: str, path: str):
    """In a savepoint rolled back afterwards, so each request meets the same data."""
    with transaction.atomic():
        client = banks.client(role)
        response = client.get(path) if method == "GET" else client.post(path)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method}-{c.name}-{c.target or 'none'}")
def test_every_role_gets_the_expected_status(banks, targets, case):
    path = _url(case, targets)
    got = tuple(_request(banks, role, case.method, path).status_code for role in ROLES)
    assert got == case.statuses
    if case.statuses[0] == 302:
        response = _request(banks, "anonymous", case.method, path)
        assert response["Location"].startswith(reverse("accounts:login"))


def test_every_editor_url_is_covered():
    from authoring import editor_urls

    names = {p.name for p in editor_urls.urlpatterns}
    assert names == {case.name for case in CASES} == set(PARAMS)


# --- Another team's objects -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("question_edit", "GET"),
        ("question_edit", "POST"),
        ("question_history", "GET"),
        ("question_retire", "POST"),
        ("question_unretire", "POST"),
        ("revision_restore", "POST"),
    ],
)
def test_another_teams_question_is_not_found(banks, targets, name, method):
    kwargs: dict[str, object] = {"key": banks.other_question.key}
    if name == "revision_restore":
        kwargs["number"] = 2
    path = reverse(f"authoring:{name}", kwargs=kwargs)
    for role in ("instructor", "learner"):
        response = _request(banks, role, method, path)
        assert response.status_code == 404
        assert "OTHER-TEAM-SECRET" not in response.content.decode()
    other = Question.objects.get(pk=banks.other_question.pk)
    assert other.retired_at is None and other.text.endswith("(edited)")


def test_another_questions_revision_number_is_not_found(banks, targets, instructor_client):
    """Revision 3 exists only for another team's question: mine has 1 and 2."""
    other = banks.other_question
    edit_question(
        question=other,
        author=banks.users["other_instructor"],
        content=QuestionContent(text="Changed again?", concise="x", topics=("other-secret",)),
    )
    assert QuestionRevision.objects.filter(question=other, number=3).exists()
    path = reverse(
        "authoring:revision_restore", kwargs={"key": banks.team_question.key, "number": 3}
    )
    assert instructor_client.post(path).status_code == 404


def test_another_teams_bank_page_and_import_are_not_found(banks, targets):
    other_import = _done_import(banks, bank=banks.other_team.bank)
    instructor = banks.client("instructor")
    bank_page = reverse("authoring:team_bank", kwargs={"team_id": banks.other_team.pk})
    assert instructor.get(bank_page).status_code == 404
    undo = reverse("authoring:import_undo", kwargs={"import_id": other_import.pk})
    assert instructor.post(undo).status_code == 404
    other_import.refresh_from_db()
    assert other_import.undone_at is None


def test_the_importer_may_undo_only_while_they_may_change_the_bank(banks, targets):
    from teams.models import Membership

    path = reverse("authoring:import_undo", kwargs={"import_id": targets["team"]["import_id"]})
    Membership.objects.filter(team=banks.team, user=banks.instructor).update(role="learner")
    assert banks.client("instructor").post(path).status_code == 403
    Membership.objects.filter(team=banks.team, user=banks.instructor).delete()
    assert banks.client("instructor").post(path).status_code == 404
    assert ImportRecord.objects.get(pk=targets["team"]["import_id"]).undone_at is None


HUGE = "9" * 30  # beyond any integer column


@pytest.mark.parametrize(
    ("name", "method", "kwargs"),
    [
        ("team_bank", "GET", {"team_id": HUGE}),
        ("import_undo", "POST", {"import_id": HUGE}),
        ("revision_restore", "POST", {"key": "team-q", "number": HUGE}),
    ],
)
def test_ids_beyond_any_integer_are_not_found(banks, name, method, kwargs):
    path = reverse(f"authoring:{name}", kwargs=kwargs)
    for role in ("instructor", "staff"):
        assert _request(banks, role, method, path).status_code == 404


def test_a_huge_bank_or_revision_in_a_form_is_not_an_error_page(banks, instructor_client):
    create = reverse("authoring:question_create")
    assert instructor_client.get(create, {"bank": HUGE}).status_code == 404
    assert instructor_client.post(create, {"bank": HUGE}).status_code == 422
    edit = reverse("authoring:question_edit", kwargs={"key": banks.team_question.key})
    assert instructor_client.post(edit, {"revision": HUGE}).status_code == 422
