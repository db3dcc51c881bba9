"""Writing a question and editing one: the forms, what they offer, what they save."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from authoring.models import QuestionRevision
from authoring.services import QuestionContent, edit_question, retire_question
from progress.models import ConfidenceEvent, ConfidenceMark, Note
from questions.importing.document import ANSWER_MAX_CHARS
from questions.models import Question
from tests.authoring.conftest import Banks, question_url, second_instructor
from tests.factories import mark, note
from tests.pages import HTMX, field_errors, html_of, section, squash

CREATE = reverse("authoring:question_create")
PREVIEW = reverse("authoring:answer_preview")


def edit_url(question: Question) -> str:
    return reverse("authoring:question_edit", kwargs={"key": question.key})


def checkbox_values(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="checkbox" name="{name}" value="([^"]*)"', html)


def checked_values(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="checkbox" name="{name}" value="([^"]*)"[^>]*checked', html)


def select_options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, f"no <select name={name}>"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no <textarea name={name}>"
    return unescape(match.group(1)).removeprefix("\n").replace("\r\n", "\n")


def new_question(banks: Banks, **overrides) -> dict:
    data = {
        "bank": str(banks.team.bank_id),
        "text": "  What   is a   stride? ",
        "concise": "The step of the filter.\r\n\r\n- one\r\n- two",
        "long": "",
        "topics": [banks.team_topic.slug, banks.library_topic.slug],
        "related": [banks.team_question.key],
    }
    data.update(overrides)
    return data


# --- Writing ---------------------------------------------------------------------------


def test_an_instructor_writes_into_their_team_bank_only(banks, instructor_client):
    page = html_of(instructor_client.get(CREATE))
    assert select_options(page, "bank") == [(str(banks.team.bank_id), "Team bank: Vision group")]
    # The topics and related questions of the library and that bank, nothing of another's.
    assert checkbox_values(page, "topics") == [banks.library_topic.slug, banks.team_topic.slug]
    assert checkbox_values(page, "related") == [
        banks.library_question.key,
        banks.team_question.key,
    ]
    assert "OTHER-TEAM-SECRET" not in page and "Other secret topic" not in page


def test_staff_write_into_the_library_first(banks, staff_client):
    page = html_of(staff_client.get(CREATE))
    assert select_options(page, "bank") == [("library", "Library")]
    assert checkbox_values(page, "topics") == [banks.library_topic.slug]
    assert checkbox_values(page, "related") == [banks.library_question.key]


def test_the_bank_in_the_address_chooses_the_scope(banks, staff_client):
    """Staff who also teach a team choose between the library and that bank."""
    from tests.teams.factories import INSTRUCTOR, add_member

    add_member(banks.team, banks.staff, INSTRUCTOR)
    page = html_of(staff_client.get(CREATE, {"bank": banks.team.bank_id}))
    assert select_options(page, "bank") == [
        ("library", "Library"),
        (str(banks.team.bank_id), "Team bank: Vision group"),
    ]
    assert re.search(rf'<option value="{banks.team.bank_id}" selected>', page)
    assert banks.team_topic.slug in checkbox_values(page, "topics")


@pytest.mark.parametrize(
    ("role", "status"),
    [("learner", 403), ("other_learner", 403), ("instructor", 404), ("staff", 403)],
)
def test_another_teams_bank_in_the_address(banks, role, status):
    """An instructor asking for another team's bank is told it does not exist; staff see
    every bank but write into none they do not teach; learners write nowhere."""
    response = banks.client(role).get(CREATE, {"bank": banks.other_team.bank_id})
    assert response.status_code == status


def test_changing_the_bank_brings_its_topics_keeping_the_ticked_ones(banks, staff_client):
    from tests.teams.factories import INSTRUCTOR, add_member

    add_member(banks.team, banks.staff, INSTRUCTOR)
    query = {"bank": "library", "topics": [banks.library_topic.slug, banks.team_topic.slug]}
    response = staff_client.get(CREATE, query, headers=HTMX)
    fragment = html_of(response)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div id="scoped-fields"')
    assert "<html" not in fragment and 'name="text"' not in fragment
    assert checkbox_values(fragment, "topics") == [banks.library_topic.slug]
    assert checked_values(fragment, "topics") == [banks.library_topic.slug]
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_writing_saves_the_question_with_its_first_revision(banks, instructor_client):
    response = instructor_client.post(CREATE, new_question(banks))
    question = Question.objects.get(text="What is a stride?")
    assert response.status_code == 302
    assert response["Location"] == question_url(question)
    assert question.bank_id == banks.team.bank_id
    assert question.created_by == banks.instructor
    assert question.concise_answer is not None
    assert question.concise_answer.text == "The step of the filter.\n\n- one\n- two"
    assert question.long_answer is None
    assert sorted(t.slug for t in question.topics.all()) == [
        banks.library_topic.slug,
        banks.team_topic.slug,
    ]
    assert [q.key for q in question.related.all()] == [banks.team_question.key]
    (revision,) = question.revisions.all()
    assert (revision.number, revision.action, revision.author) == (1, "Written", banks.instructor)
    page = html_of(instructor_client.get(question_url(question)))
    assert "written into the team bank of Vision group" in page
    # The team's learner sees it; another team's learner is told it does not exist.
    assert banks.client("learner").get(question_url(question)).status_code == 200
    assert banks.client("other_learner").get(question_url(question)).status_code == 404


def test_an_empty_form_comes_back_with_messages(banks, instructor_client):
    response = instructor_client.post(CREATE, {"bank": str(banks.team.bank_id)})
    page = html_of(response)
    assert response.status_code == 422
    assert field_errors(page, "text") == ["Write the question."]
    assert field_errors(page, "concise") == ["Write a concise answer."]
    assert field_errors(page, "topics") == ["Choose at least one topic."]
    assert not Question.objects.filter(created_by=banks.instructor).exists()


def test_another_banks_topic_is_refused_keeping_the_text(banks, instructor_client):
    data = new_question(banks, topics=[banks.other_topic.slug])
    response = instructor_client.post(CREATE, data)
    page = html_of(response)
    assert response.status_code == 422
    assert field_errors(page, "topics") == [
        "“other-secret” is not a topic of the library or of this bank."
    ]
    assert textarea(page, "concise") == "The step of the filter.\n\n- one\n- two"
    assert "Other secret topic" not in page


def test_writing_into_a_bank_one_does_not_teach_is_refused(banks, instructor_client):
    for bank in ("library", str(banks.other_team.bank_id), "nonsense"):
        response = instructor_client.post(CREATE, new_question(banks, bank=bank))
        assert response.status_code == 422
        assert field_errors(html_of(response), "bank") == ["Choose a bank you may write into."]
    assert not Question.objects.filter(created_by=banks.instructor).exists()


def test_too_long_an_answer_is_refused_and_kept_whole(banks, instructor_client):
    long = "x" * (ANSWER_MAX_CHARS + 1)
    response = instructor_client.post(CREATE, new_question(banks, long=long))
    page = html_of(response)
    assert response.status_code == 422
    assert field_errors(page, "long") == [
        f"The long answer is {ANSWER_MAX_CHARS + 1:,} characters long; the limit is "
        f"{ANSWER_MAX_CHARS:,}. Shorten it and save again: your text is still here."
    ]
    assert textarea(page, "long") == long
    # No maxlength: a browser would cut pasted text there without a word.
    assert "maxlength" not in page


def test_too_many_topics_are_refused(banks, staff_client):
    from tests.factories import make_topic

    slugs = [make_topic().slug for _ in range(21)]
    response = staff_client.post(CREATE, new_question(banks, bank="library", topics=slugs))
    assert response.status_code == 422
    assert field_errors(html_of(response), "topics") == [
        "Choose at most 20 topics (21 are chosen)."
    ]


# --- Editing -----------------------------------------------------------------------------


def test_the_editor_opens_prefilled_on_the_latest_revision(banks, instructor_client):
    question = banks.team_question
    page = html_of(instructor_client.get(edit_url(question)))
    assert textarea(page, "text") == question.text
    assert textarea(page, "concise") == "The input area a unit sees."
    assert sorted(checked_values(page, "topics")) == [
        banks.library_topic.slug,
        banks.team_topic.slug,
    ]
    # Never edited yet: revision 0.
    assert '<input type="hidden" name="revision" value="0"' in page
    # It is not offered as related to itself.
    assert question.key not in checkbox_values(page, "related")


def edit_data(question: Question, revision: int = 0, **changes) -> dict:
    content = QuestionContent.of(question)
    data = {
        "text": content.text,
        "concise": content.concise,
        "long": content.long,
        "topics": list(content.topics),
        "related": list(content.related),
        "key_points": "\n".join(content.key_points),
        "revision": str(revision),
    }
    data.update(changes)
    return data


def test_editing_keeps_the_question_its_marks_notes_and_history(banks, instructor_client):
    question = banks.team_question
    learner = banks.learner
    mark(learner, question, 4)
    note(learner, question, "My own words")
    data = edit_data(question, text="What is a receptive field, exactly?", long="More *detail*.")
    response = instructor_client.post(edit_url(question), data)
    assert response.status_code == 302
    assert response["Location"] == question.get_absolute_url()
    edited = Question.objects.get(pk=question.pk)
    assert (edited.key, edited.position) == (question.key, question.position)
    assert edited.text == "What is a receptive field, exactly?"
    assert edited.long_answer is not None and edited.long_answer.text == "More *detail*."
    assert ConfidenceMark.objects.get(user=learner, question=edited).level == 4
    assert ConfidenceEvent.objects.filter(user=learner, question=edited).count() == 1
    assert Note.objects.get(user=learner, question=edited).text == "My own words"
    # The history starts with how it was, then the edit.
    revisions = list(edited.revisions.order_by("number").values_list("number", "action"))
    assert revisions == [(1, "As it was before editing"), (2, "Edited")]
    assert edited.revisions.get(number=1).data["text"] == "What is a receptive field?"
    page = html_of(instructor_client.get(question.get_absolute_url()))
    assert f"Question {question.position} saved." in page


def test_saving_without_a_change_writes_no_revision(banks, instructor_client):
    question = banks.team_question
    response = instructor_client.post(edit_url(question), edit_data(question), follow=True)
    assert "Nothing changed: the question already says that." in html_of(response)
    assert not question.revisions.exists()


def test_a_save_made_meanwhile_is_not_overwritten(banks):
    question = banks.team_question
    ivan = second_instructor(banks)
    # Both open the editor on the same revision.
    iris_client, ivan_client = banks.client("instructor"), Client()
    ivan_client.force_login(ivan)
    for client in (iris_client, ivan_client):
        assert 'name="revision" value="0"' in html_of(client.get(edit_url(question)))
    ivan_saves = edit_data(question, concise="Ivan's answer.")
    assert ivan_client.post(edit_url(question), ivan_saves).status_code == 302
    # Iris saves what she typed, on the revision she opened: refused, kept, explained.
    iris_saves = edit_data(question, concise="Iris's *answer*.")
    response = iris_client.post(edit_url(question), iris_saves)
    page = html_of(response)
    assert response.status_code == 422
    conflict = section(page, "conflict-heading", attr="aria-labelledby")
    said = squash(conflict)
    assert "Not saved: this question was changed after you opened it" in said
    assert "Ivan Instructor saved it at" in said and "(revision 2: Edited)" in said
    # How the saved version differs from hers, word by word.
    assert "<dt>Concise answer</dt>" in conflict
    assert "<del>Ivan&#x27;s</del><ins>Iris&#x27;s</ins> <del>answer.</del>" in conflict
    assert textarea(page, "concise") == "Iris's *answer*."
    assert 'name="revision" value="2"' in page
    assert Question.objects.get(pk=question.pk).concise_answer.text == "Ivan's answer."
    # Having seen it, she saves again: now hers replaces his.
    assert iris_client.post(edit_url(question), {**iris_saves, "revision": "2"}).status_code == 302
    assert Question.objects.get(pk=question.pk).concise_answer.text == "Iris's *answer*."
    assert list(question.revisions.values_list("number", flat=True).order_by("number")) == [
        1,
        2,
        3,
    ]


def test_a_retire_meanwhile_is_no_conflict(banks, instructor_client):
    """Nothing the editor shows changed, so the save goes through."""
    question = banks.team_question
    edit_question(question=question, author=banks.instructor, content=_changed(question))
    retire_question(question=question, by=banks.staff)
    response = instructor_client.post(
        edit_url(question), edit_data(question, revision=2, concise="Newer.")
    )
    assert response.status_code == 302
    assert Question.objects.get(pk=question.pk).concise_answer.text == "Newer."


def _changed(question: Question) -> QuestionContent:
    content = QuestionContent.of(question)
    return QuestionContent(
        text=content.text,
        concise="Changed.",
        long=content.long,
        topics=content.topics,
        related=content.related,
    )


def test_a_forged_revision_number_is_a_conflict_not_an_overwrite(banks, instructor_client):
    question = banks.team_question
    edit_question(question=question, author=banks.instructor, content=_changed(question))
    response = instructor_client.post(
        edit_url(question), edit_data(question, revision=99, concise="Mine.")
    )
    assert response.status_code == 422
    assert Question.objects.get(pk=question.pk).concise_answer.text == "Changed."


def test_a_retired_question_can_still_be_edited(banks, instructor_client):
    question = banks.team_question
    retire_question(question=question, by=banks.instructor)
    response = instructor_client.post(edit_url(question), edit_data(question, revision=2, long="L"))
    assert response.status_code == 302
    edited = Question.objects.get(pk=question.pk)
    assert edited.is_retired
    assert edited.long_answer is not None and edited.long_answer.text == "L"
    assert edited.revisions.order_by("-number").first().action == "Edited"


def test_the_editor_offers_only_its_banks_topics(banks, instructor_client):
    data = edit_data(banks.team_question, topics=[banks.other_topic.slug])
    response = instructor_client.post(edit_url(banks.team_question), data)
    assert response.status_code == 422
    assert field_errors(html_of(response), "topics") == [
        "“other-secret” is not a topic of the library or of this bank."
    ]


# --- Preview ---------------------------------------------------------------------------


def test_the_preview_renders_markdown_safely(banks, instructor_client):
    data = {"concise": "**Bold** <script>alert(1)</script>", "long": "[x](javascript:alert(1))"}
    response = instructor_client.post(PREVIEW, data, headers=HTMX)
    fragment = html_of(response)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<section id="answer-preview"')
    assert "<strong>Bold</strong>" in fragment
    assert "<script" not in fragment and "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment
    assert "javascript:" not in fragment


def test_too_long_a_preview_is_refused_with_a_message(banks, instructor_client):
    response = instructor_client.post(
        PREVIEW, {"concise": "x" * (ANSWER_MAX_CHARS + 1)}, headers=HTMX
    )
    assert response.status_code == 422
    assert "The concise answer is 20,001 characters long" in html_of(response)


@pytest.mark.parametrize(("role", "status"), [("learner", 403), ("other_learner", 403)])
def test_the_preview_is_for_editors(banks, role, status):
    response = banks.client(role).post(PREVIEW, {"concise": "x"}, headers=HTMX)
    assert response.status_code == status


def test_the_preview_without_javascript_comes_back_in_the_form(banks, instructor_client):
    data = new_question(banks, concise="A *preview*", preview="1")
    response = instructor_client.post(CREATE, data)
    page = html_of(response)
    assert response.status_code == 200
    preview = section(page, "answer-preview")
    assert "<em>preview</em>" in preview
    assert textarea(page, "concise") == "A *preview*"
    assert textarea(page, "text").strip() == "What   is a   stride?"  # as typed, unsaved
    assert not Question.objects.filter(created_by=banks.instructor).exists()
    assert QuestionRevision.objects.count() == 0
