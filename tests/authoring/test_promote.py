"""Promoting a team question into the library: staff only, same row, marks and notes
kept, library topics kept and team topics left."""

from __future__ import annotations

from django.urls import reverse

from progress.models import ConfidenceMark, Note
from questions.models import Question
from tests.authoring.conftest import Banks, question_url
from tests.factories import make_question, mark, note
from tests.pages import field_errors, html_of


def promote_url(question: Question) -> str:
    return reverse("authoring:question_promote", kwargs={"key": question.key})


def test_staff_promote_a_team_question_keeping_its_marks_and_notes(banks, staff_client):
    question = banks.team_question
    sibling = make_question(key="team-sibling", bank=banks.team.bank, topics=[banks.team_topic])
    question.related.add(sibling, banks.library_question)
    mark(banks.learner, question, 5)
    note(banks.learner, question, "Mine, still")
    response = staff_client.post(promote_url(question), follow=True)
    assert "promoted from the team bank of Vision group to the library" in html_of(response)
    promoted = Question.objects.get(pk=question.pk)
    assert promoted.bank_id is None and promoted.key == question.key
    # Its library topic stays; the team topic and the team's related question are left.
    assert [t.slug for t in promoted.topics.all()] == [banks.library_topic.slug]
    assert [q.key for q in promoted.related.all()] == [banks.library_question.key]
    assert ConfidenceMark.objects.get(user=banks.learner, question=promoted).level == 5
    assert Note.objects.get(user=banks.learner, question=promoted).text == "Mine, still"
    latest = promoted.revisions.first()
    assert latest is not None
    assert (latest.action, latest.author) == ("Promoted to the library", banks.staff)
    assert latest.data["topics"] == [banks.library_topic.slug]
    # Everyone sees it now, another team's learner included.
    assert banks.client("other_learner").get(question_url(promoted)).status_code == 200


def test_a_question_with_no_library_topic_is_asked_for_one(banks: Banks, staff_client):
    question = make_question(key="team-only", bank=banks.team.bank, topics=[banks.team_topic])
    response = staff_client.post(promote_url(question))
    page = html_of(response)
    assert response.status_code == 422
    assert field_errors(page, "topics") == ["Choose at least one library topic for the question."]
    assert f'value="{banks.library_topic.slug}"' in page
    assert banks.team_topic.slug not in page.split("<form")[-1]  # only library topics offered
    assert Question.objects.get(pk=question.pk).bank_id == banks.team.bank_id
    response = staff_client.post(promote_url(question), {"topics": [banks.library_topic.slug]})
    assert response.status_code == 302
    promoted = Question.objects.get(pk=question.pk)
    assert promoted.bank_id is None
    assert [t.slug for t in promoted.topics.all()] == [banks.library_topic.slug]


def test_a_team_topic_is_not_a_library_topic(banks, staff_client):
    question = make_question(key="team-only", bank=banks.team.bank, topics=[banks.team_topic])
    response = staff_client.post(promote_url(question), {"topics": [banks.team_topic.slug]})
    assert response.status_code == 422
    assert field_errors(html_of(response), "topics") == [
        f"“{banks.team_topic.slug}” is not a library topic."
    ]
    assert Question.objects.get(pk=question.pk).bank_id == banks.team.bank_id


def test_a_library_question_is_there_already(banks, staff_client):
    response = staff_client.post(promote_url(banks.library_question), follow=True)
    assert "is in the library already." in html_of(response)
    assert not banks.library_question.revisions.exists()


def test_instructors_cannot_promote(banks, instructor_client):
    assert instructor_client.post(promote_url(banks.team_question)).status_code == 403
    assert Question.objects.get(pk=banks.team_question.pk).bank_id == banks.team.bank_id
