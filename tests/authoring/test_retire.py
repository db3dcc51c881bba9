"""Retiring a question hides it from every list, search, session and coverage figure,
keeping marks and notes; bringing it back restores it all. Checked on the real pages."""

from __future__ import annotations

import re

from django.urls import reverse

from progress.models import ConfidenceMark, Note, StudySession
from questions.models import Question
from tests.authoring.conftest import Banks
from tests.factories import mark, note
from tests.pages import html_of, squash, topic_rows


def retire(banks: Banks, question: Question, role: str = "instructor", **data):
    url = reverse("authoring:question_retire", kwargs={"key": question.key})
    return banks.client(role).post(url, data)


def bring_back(banks: Banks, question: Question, role: str = "instructor", **data):
    url = reverse("authoring:question_unretire", kwargs={"key": question.key})
    return banks.client(role).post(url, data)


def what_the_learner_sees(banks: Banks) -> dict[str, object]:
    """Where the team question shows for the team's learner, page by page."""
    client = banks.client("learner")
    question = banks.team_question
    topic = html_of(
        client.get(reverse("progress:topic_detail", kwargs={"slug": banks.library_topic.slug}))
    )
    listing = html_of(client.get(reverse("progress:question_list")))
    search = html_of(client.get(reverse("progress:question_list"), {"q": "receptive"}))
    client.post(
        reverse("progress:study_start"), {"source": "topic", "topic": banks.library_topic.slug}
    )
    session = StudySession.objects.filter(user=banks.learner).latest("pk")
    dashboard = html_of(client.get(reverse("progress:dashboard")))
    return {
        "topic page": question.text in topic,
        "question list": question.text in listing,
        # The matched words are marked in the result, so its link stands for it.
        "search": reverse("progress:question_detail", args=[question.key]) in search,
        "study session": question.pk in session.question_ids,
        "coverage": topic_rows(dashboard)["CNN basics"],
    }


def test_retiring_hides_it_everywhere_and_bringing_it_back_restores_it(banks):
    question = banks.team_question
    mark(banks.learner, question, 4)
    note(banks.learner, question, "Kept through it all")
    before = what_the_learner_sees(banks)
    assert before == {
        "topic page": True,
        "question list": True,
        "search": True,
        "study session": True,
        "coverage": (1, 2, 50),
    }

    response = retire(banks, question)
    assert response.status_code == 302
    assert response["Location"] == question.get_absolute_url()
    retired = Question.objects.get(pk=question.pk)
    assert retired.is_retired and retired.retired_by == banks.instructor
    assert what_the_learner_sees(banks) == {
        "topic page": False,
        "question list": False,
        "search": False,
        "study session": False,
        "coverage": (0, 1, 0),
    }
    # Nothing of the learner's is lost.
    assert ConfidenceMark.objects.get(user=banks.learner, question=question).level == 4
    assert Note.objects.get(user=banks.learner, question=question).text == "Kept through it all"

    assert bring_back(banks, question).status_code == 302
    assert what_the_learner_sees(banks) == before
    back = Question.objects.get(pk=question.pk)
    assert back.retired_at is None and back.retired_by is None
    actions = list(back.revisions.order_by("number").values_list("action", flat=True))
    assert actions == ["As it was before editing", "Retired", "Brought back"]


def test_the_question_page_says_retired_and_has_no_confidence_control(banks):
    question = banks.team_question
    retire(banks, question)
    page = html_of(banks.client("learner").get(question.get_absolute_url()))
    notice = re.search(r'<p class="retired-notice".*?</p>', page, re.S)
    assert notice is not None
    assert squash(notice.group(0)).startswith("Retired : this question is hidden from topics")
    assert 'id="confidence"' not in page and "How confident are you?" not in page
    assert 'id="note"' in page  # the note stays, readable and editable
    # Rating it is refused.
    rate = reverse("progress:mark_confidence", kwargs={"key": question.key})
    assert banks.client("learner").post(rate, {"level": 3}).status_code == 404


def test_the_note_list_and_page_mark_notes_on_retired_questions(banks):
    question = banks.team_question
    kept = note(banks.learner, question, "Retired but mine")
    other = note(banks.learner, banks.library_question, "Still live")
    retire(banks, question)
    client = banks.client("learner")
    notes = html_of(client.get(reverse("progress:note_list")))
    cards = re.findall(r'<li class="card">(.*?)</li>', notes, re.S)
    assert len(cards) == 2
    marked = {("Retired but mine" in c, "retired-badge" in c) for c in cards}
    assert marked == {(True, True), (False, False)}
    detail = html_of(client.get(reverse("progress:note_detail", kwargs={"pk": kept.pk})))
    assert '<span class="badge retired-badge">retired</span>' in detail
    assert "Your note is kept." in detail
    live = html_of(client.get(reverse("progress:note_detail", kwargs={"pk": other.pk})))
    assert "retired" not in live.lower().replace("retired-notice", "")


def test_retiring_twice_or_bringing_back_a_live_question_says_so(banks):
    question = banks.team_question
    retire(banks, question)
    response = banks.client("instructor").post(
        reverse("authoring:question_retire", kwargs={"key": question.key}), follow=True
    )
    assert f"Question {question.position} was retired already." in html_of(response)
    assert question.revisions.filter(action="Retired").count() == 1
    bring_back(banks, question)
    response = banks.client("instructor").post(
        reverse("authoring:question_unretire", kwargs={"key": question.key}), follow=True
    )
    assert f"Question {question.position} was not retired." in html_of(response)


def test_retiring_from_a_list_comes_back_to_it_but_never_off_site(banks):
    question = banks.team_question
    bank_page = reverse("authoring:team_bank", kwargs={"team_id": banks.team.pk})
    assert retire(banks, question, next=bank_page)["Location"] == bank_page
    response = bring_back(banks, question, next="https://evil.example/")
    assert response["Location"] == question.get_absolute_url()


def test_editors_see_the_editing_links_on_the_question_page(banks):
    question = banks.team_question
    edit = reverse("authoring:question_edit", kwargs={"key": question.key})
    history = reverse("authoring:question_history", kwargs={"key": question.key})
    promote = reverse("authoring:question_promote", kwargs={"key": question.key})
    pages = {
        role: html_of(banks.client(role).get(question.get_absolute_url()))
        for role in ("learner", "instructor", "staff")
    }
    assert edit in pages["instructor"] and history in pages["instructor"]
    assert "Retire<span" in pages["instructor"] and promote not in pages["instructor"]
    assert edit not in pages["learner"] and "Retire<span" not in pages["learner"]
    # Staff do not teach the team: they may only promote its question.
    assert edit not in pages["staff"] and promote in pages["staff"]
    for page in pages.values():
        assert '<span class="bank-label">Team bank: Vision group</span>' in page
    retire(banks, question)
    again = html_of(banks.client("instructor").get(question.get_absolute_url()))
    assert "Bring back<span" in again and "and you can bring it back" in again


def test_the_library_question_page_says_library(banks):
    page = html_of(banks.client("learner").get(banks.library_question.get_absolute_url()))
    assert '<span class="bank-label">Library</span>' in page
