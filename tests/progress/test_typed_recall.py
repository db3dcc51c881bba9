"""Typed recall on the question page and the study card (progress.recall_views): a typed
answer checked and shown to its author only, corrected ("I did say that"), deleted one by
one or all at once, the "Type my answer first" preference, the suggested level and the
rating buttons' times after a check, with and without htmx, and the pages' query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from progress.models import ConfidenceMark, RecallCheck, StudySession
from progress.recall import EXPECTED_RECALL, record_check, suggested_level
from progress.scheduling import rating_buttons, review
from progress.study import start_questions
from tests.factories import make_bank, make_question, make_user, mark
from tests.pages import HTMX, html_of, section, squash
from tests.progress.test_study import SESSION_PAGE_QUERIES
from tests.progress.test_topic_views import QUERIES
from tests.teams.factories import INSTRUCTOR, add_member, make_team

pytestmark = pytest.mark.django_db

T0 = "2026-03-02 09:00:00+00:00"
POINTS = [
    "Pooling downsamples feature maps by summarising local regions.",
    "Max pooling keeps the largest value of each region.",
    "It adds some invariance to small shifts.",
    "Anchor boxes are priors of several scales and aspect ratios.",
]
#: Makes the first two points and neither of the others (tests/progress/test_recall.py).
HALF = (
    "Pooling downsamples feature maps by summarising regions; max pooling keeps the largest value."
)
#: A phrase no page may show anyone but the learner who typed it.
SECRET = "zebra-quokka-7781 pooling downsamples feature maps"

#: The question page with a typed answer on show: the layout's 3, the 8 of the page
#: (tests/progress/test_topic_views.py), and one for the learner's typed answers to the
#: question, which holds the one on show. The count of them comes with the question.
QUESTION_PAGE_WITH_CHECK = QUERIES["question_detail"] + 1
#: The study card with a check on show: one more, the check (whether it is fresh comes
#: in the same query).
CARD_WITH_CHECK = SESSION_PAGE_QUERIES + 1


@pytest.fixture
def topic():
    (topic,) = make_bank(topics=1, questions_per_topic=3)
    for question in topic.questions.all():
        question.key_points = POINTS
        question.save(update_fields=["key_points"])
    return topic


@pytest.fixture
def question(topic):
    return topic.questions.order_by("position").first()


@pytest.fixture
def learner():
    return make_user(username="typist", type_answers=True)


@pytest.fixture
def client_of(learner):
    client = Client()
    client.force_login(learner)
    return client


def page_url(question, topic=None) -> str:
    url = reverse("progress:question_detail", args=[question.key])
    return url + (f"?topic={topic.slug}" if topic else "")


def check_url(question) -> str:
    return reverse("progress:check_answer", args=[question.key])


def correct_url(check: RecallCheck, index: int) -> str:
    return reverse("progress:correct_point", args=[check.pk, index])


def delete_url(check: RecallCheck) -> str:
    return reverse("progress:delete_check", args=[check.pk])


DELETE_ALL = reverse("progress:delete_all_checks")
TYPING = reverse("progress:typing_preference")
PROFILE = reverse("accounts:profile")


def key_points(html: str) -> list[tuple[str, str]]:
    """The key points on show: (Mentioned or Missed, the point's text)."""
    return [
        (status, unescape_text(text))
        for status, text in re.findall(
            r'<span class="point-status">.*?(Mentioned|Missed).*?</span>\s*'
            r'<span class="point-text"[^>]*>(.*?)</span>',
            html,
            re.S,
        )
    ]


def unescape_text(html: str) -> str:
    return squash(html)


def suggested_ids(html: str) -> list[str]:
    return re.findall(r'<button type="submit" id="([a-z]+-\d)"[^>]*class="[^"]*is-suggested', html)


def comes_back(html: str, prefix: str = "level-") -> dict[int, str]:
    """Each rating button's "back in …" time."""
    return {
        int(value): when
        for value, when in re.findall(
            rf'id="{prefix}(\d)".*?<span class="visually-hidden">back in </span>([^<]+)</span>',
            html,
            re.S,
        )
    }


# --- The typing form and the preference ----------------------------------------------


def test_with_the_preference_on_the_typing_form_comes_first(client_of, question):
    page = html_of(client_of.get(page_url(question)))
    recall = section(page, "recall")
    assert '<label for="recall-text">Your answer</label>' in recall
    assert 'maxlength="5000"' in recall
    assert "Check my answer" in recall
    # The answer can still just be shown, and it comes after the typing form.
    assert page.index('id="recall"') < page.index('id="answer"')
    assert '<details class="card answer" id="answer">' in page  # closed


def test_with_the_preference_off_a_small_control_offers_it(question):
    client = Client()
    client.force_login(make_user(type_answers=False))
    page = html_of(client.get(page_url(question)))
    assert 'id="recall-text"' not in page
    offer = re.search(r'<form[^>]*class="recall-offer".*?</form>', page, re.S)
    assert offer and "Type my answer first" in offer.group(0)
    assert 'name="type_answers" value="1"' in offer.group(0)


def test_the_preference_is_remembered(question, topic):
    user = make_user(type_answers=False)
    client = Client()
    client.force_login(user)
    back = page_url(question, topic)
    response = client.post(
        TYPING, {"type_answers": "1", "question": question.key, "next": back, "topic": topic.slug}
    )
    assert response.status_code == 302 and response["Location"] == back + "#recall"
    user.refresh_from_db()
    assert user.type_answers is True
    # Every question now asks first, in a later request too.
    other = topic.questions.order_by("position").last()
    assert 'id="recall-text"' in html_of(client.get(page_url(other)))
    client.post(TYPING, {"type_answers": "0", "next": back})
    user.refresh_from_db()
    assert user.type_answers is False


def test_the_preference_never_sends_anyone_to_another_site(client_of, learner):
    response = client_of.post(TYPING, {"type_answers": "0", "next": "https://evil.example/"})
    assert response["Location"] == PROFILE
    response = client_of.post(TYPING, {"type_answers": "maybe"})
    assert response.status_code == 400
    learner.refresh_from_db()
    assert learner.type_answers is False  # the first post turned it off, the second did nothing


def test_the_preference_with_htmx_redraws_the_region(question, topic):
    user = make_user(type_answers=False)
    client = Client()
    client.force_login(user)
    data = {"type_answers": "1", "question": question.key, "topic": topic.slug}
    response = client.post(TYPING, data, headers=HTMX)
    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="recall-flow"')
    assert 'id="recall-text"' in html and "data-focus-after-swap" in html
    assert '<p id="recall-status" hx-swap-oob="innerHTML">Type my answer first: on.</p>' in html


def test_the_profile_form_has_the_preference(learner):
    client = Client()
    client.force_login(learner)
    page = html_of(client.get(PROFILE))
    assert re.search(r'<input type="checkbox" name="type_answers"[^>]*checked', page)
    assert "Type my answer first" in page
    client.post(PROFILE, {"display_name": "T", "email": "t@example.com", "time_zone": ""})
    learner.refresh_from_db()
    assert learner.type_answers is False  # unticked
    data = {"display_name": "T", "email": "t@example.com", "time_zone": "", "type_answers": "on"}
    client.post(PROFILE, data)
    learner.refresh_from_db()
    assert learner.type_answers is True


# --- Checking a typed answer -----------------------------------------------------------


def test_a_check_is_kept_and_shown_to_its_author(client_of, learner, question, topic):
    response = client_of.post(check_url(question), {"text": HALF, "topic": topic.slug})
    check = learner.recall_checks.get()
    assert check.text == HALF and check.question == question
    # Post, redirect, get: back to the page, which shows the check.
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(question, topic)}&check={check.pk}#recall"
    page = html_of(client_of.get(response["Location"]))
    recall = section(page, "recall")
    assert f"You made 2 of 4 key points · recall {check.score}" in recall
    assert key_points(recall) == [
        ("Mentioned", POINTS[0]),
        ("Mentioned", POINTS[1]),
        ("Missed", POINTS[2]),
        ("Missed", POINTS[3]),
    ]
    assert recall.count("I did say that") == 2
    assert HALF in recall
    # The answer shows beside it, and the rating keeps the check on show.
    assert '<details class="card answer" id="answer" open>' in page
    assert f'<input type="hidden" name="check" value="{check.pk}">' in page


def test_nothing_typed_is_refused_with_a_message(client_of, learner, question):
    for text in ("", "   \n  "):
        response = client_of.post(check_url(question), {"text": text})
        assert response.status_code == 422
        page = html_of(response)
        assert "Type your answer first (or just show the answer)" in page
        assert 'aria-invalid="true"' in page
        # The page's other forms still come back to the page, not to this post's address.
        assert f'<input type="hidden" name="next" value="{page_url(question)}?topic=' in page
    assert not learner.recall_checks.exists()


def test_too_long_an_answer_is_refused_and_kept(client_of, learner, question):
    text = "pooling " * 700  # 5,600 characters
    response = client_of.post(check_url(question), {"text": text})
    assert response.status_code == 422
    page = html_of(response)
    assert "Your answer is 5,600 characters long; the limit is 5,000." in page
    assert "your text is still here" in page
    typed = re.search(r'<textarea id="recall-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert typed and typed.group(1) == text
    assert not learner.recall_checks.exists()


def test_a_refused_answer_with_htmx_redraws_the_form_with_it(client_of, question):
    response = client_of.post(check_url(question), {"text": "x" * 5_001}, headers=HTMX)
    assert response.status_code == 422
    html = html_of(response)
    assert "<html" not in html and 'id="recall-flow"' in html
    assert "x" * 5_001 in html and "the limit is 5,000" in html


def test_a_check_with_htmx_redraws_the_region(client_of, learner, question, topic):
    data = {"text": HALF, "topic": topic.slug}
    response = client_of.post(check_url(question), data, headers=HTMX)
    check = learner.recall_checks.get()
    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html
    assert "You made 2 of 4 key points" in html and HALF in html
    assert 'id="answer" open' in html
    # The list of typed answers and the status line come along out of band.
    assert '<div id="typed-answers-region" hx-swap-oob="true">' in html
    assert "Your typed answers to this question (1)" in html
    status = f"Checked: you made 2 of 4 key points, recall {check.score}."
    assert f'<p id="recall-status" hx-swap-oob="innerHTML">{status}</p>' in html
    # A reload shows the same.
    assert response["HX-Replace-Url"] == f"{page_url(question, topic)}&check={check.pk}"


def test_a_retired_or_unseen_question_cannot_be_checked(client_of, learner, question):
    question.retired_at = timezone.now()
    question.save(update_fields=["retired_at"])
    assert client_of.post(check_url(question), {"text": HALF}).status_code == 404
    team_question = make_question(bank=make_team().bank, key="team-only")
    assert client_of.post(check_url(team_question), {"text": HALF}).status_code == 404
    assert not learner.recall_checks.exists()


def test_a_retired_question_offers_no_typing(client_of, question):
    question.retired_at = timezone.now()
    question.save(update_fields=["retired_at"])
    page = html_of(client_of.get(page_url(question)))
    assert 'id="recall"' not in page and "Type my answer first" not in page


def test_a_question_without_key_points_says_it_cannot_check(client_of, question):
    question.key_points = []
    question.save(update_fields=["key_points"])
    page = html_of(client_of.get(page_url(question)))
    assert "a typed answer cannot be checked" in page
    assert 'id="recall-text"' not in page


# --- Only the author ----------------------------------------------------------------


def test_another_learners_check_is_never_shown(client_of, question):
    other = make_user()
    theirs = record_check(user=other, question=question, text=SECRET)
    page = html_of(client_of.get(f"{page_url(question)}?check={theirs.pk}"))
    assert SECRET not in page
    assert 'id="recall-heading" tabindex="-1">You made' not in page
    assert 'id="recall-text"' in page  # the page as if no check were asked for


def test_a_check_of_another_question_is_ignored(client_of, learner, topic, question):
    other_question = topic.questions.order_by("position").last()
    mine = record_check(user=learner, question=other_question, text=HALF)
    page = html_of(client_of.get(f"{page_url(question)}?check={mine.pk}"))
    assert "You made" not in page
    assert "Your typed answers" not in page


@pytest.mark.parametrize("junk", ["abc", "-1", "9" * 40, "1e3", "²"])
def test_a_bad_check_id_is_ignored(client_of, question, junk):
    response = client_of.get(page_url(question), {"check": junk})
    assert response.status_code == 200 and "You made" not in html_of(response)


def test_another_learners_check_cannot_be_corrected_or_deleted(client_of, question):
    other = make_user()
    theirs = record_check(user=other, question=question, text=SECRET)
    missed = next(i for i, p in enumerate(theirs.points) if not p["mentioned"])
    assert client_of.post(correct_url(theirs, missed)).status_code == 404
    assert client_of.post(correct_url(theirs, missed), headers=HTMX).status_code == 404
    assert client_of.post(delete_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.corrections == 0
    client_of.post(DELETE_ALL)
    assert RecallCheck.objects.filter(pk=theirs.pk).exists()


def test_instructors_never_see_a_learners_typed_answer(learner, question):
    instructor = make_user(username="teacher")
    team = make_team(instructor=instructor, learners=[learner])
    add_member(team, make_user(), INSTRUCTOR)
    check = record_check(user=learner, question=question, text=SECRET)
    mark(learner, question, 4)
    client = Client()
    client.force_login(instructor)
    for url in (
        f"{page_url(question)}?check={check.pk}",
        reverse("teams:team_dashboard", args=[team.pk]),
        reverse("teams:team_matrix_csv", args=[team.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert SECRET not in response.content.decode(), url
    assert client.post(correct_url(check, 2)).status_code == 404
    assert client.post(delete_url(check)).status_code == 404
    assert RecallCheck.objects.filter(pk=check.pk, corrections=0).exists()


# --- Correcting ----------------------------------------------------------------------


def test_i_did_say_that_counts_the_point_and_works_out_the_score_again(
    client_of, learner, question, topic
):
    mark(learner, question, 2)  # rated before: the check's score goes on the mark
    check = record_check(user=learner, question=question, text=HALF)
    before = check.score
    response = client_of.post(correct_url(check, 2), {"topic": topic.slug})
    assert response["Location"] == f"{page_url(question, topic)}&check={check.pk}#recall"
    check.refresh_from_db()
    assert check.corrections == 1 and check.points[2]["corrected"] and check.points[2]["mentioned"]
    assert check.score > before and check.checked_score == before
    assert ConfidenceMark.objects.get(user=learner, question=question).recall == check.score
    page = html_of(client_of.get(response["Location"]))
    recall = section(page, "recall")
    assert f"You made 3 of 4 key points · recall {check.score}" in recall
    assert "corrected by you" in recall
    assert recall.count("I did say that") == 1
    assert f"the check itself gave {before}" in recall
    # Correcting it again changes nothing.
    client_of.post(correct_url(check, 2))
    check.refresh_from_db()
    assert check.corrections == 1


def test_correcting_with_htmx_redraws_the_region(client_of, learner, question):
    check = record_check(user=learner, question=question, text=HALF)
    response = client_of.post(correct_url(check, 3), headers=HTMX)
    assert response.status_code == 200
    html = html_of(response)
    check.refresh_from_db()
    assert "<html" not in html and "corrected by you" in html
    assert f"Corrected: you made 3 of 4 key points, recall {check.score}." in html


def test_a_point_that_is_not_there_is_not_found(client_of, learner, question):
    check = record_check(user=learner, question=question, text=HALF)
    assert client_of.post(correct_url(check, 4)).status_code == 404
    assert client_of.post(correct_url(check, 99_999)).status_code == 404


# --- Deleting -------------------------------------------------------------------------


def test_the_question_page_lists_the_learners_typed_answers(client_of, learner, question):
    first = record_check(user=learner, question=question, text="first try at pooling")
    second = record_check(user=learner, question=question, text=HALF)
    record_check(user=make_user(), question=question, text=SECRET)
    page = html_of(client_of.get(page_url(question)))
    typed = section(page, "typed-answers")
    assert "Your typed answers to this question (2)" in typed
    assert typed.index(HALF) < typed.index("first try at pooling")  # newest first
    assert f"recall {second.score}" in typed and f"recall {first.score}" in typed
    assert typed.count("Yes, delete it") == 2
    assert SECRET not in page


def test_deleting_one_typed_answer(client_of, learner, question, topic):
    older = record_check(user=learner, question=question, text="first try at pooling")
    mark(learner, question, 4)
    newer = record_check(user=learner, question=question, text=HALF)
    response = client_of.post(delete_url(newer), {"next": page_url(question, topic)})
    assert response["Location"] == page_url(question, topic) + "#typed-answers"
    assert list(learner.recall_checks.all()) == [older]
    # The mark takes the latest check left; the rating stays.
    current = ConfidenceMark.objects.get(user=learner, question=question)
    assert current.level == 4 and current.recall == older.score
    page = html_of(client_of.get(response["Location"]))
    assert "Typed answer deleted." in page
    assert "Your typed answers to this question (1)" in page


def test_deleting_goes_back_only_to_this_site(client_of, learner, question):
    check = record_check(user=learner, question=question, text=HALF)
    response = client_of.post(delete_url(check), {"next": "//evil.example/x"})
    assert response["Location"] == page_url(question) + "#typed-answers"


def test_deleting_all_typed_answers_from_the_profile(client_of, learner, topic):
    questions = list(topic.questions.all())
    for q in questions:
        record_check(user=learner, question=q, text=HALF)
    theirs = record_check(user=make_user(), question=questions[0], text=SECRET)
    page = html_of(client_of.get(PROFILE))
    assert "Delete all my typed answers (3)" in page
    response = client_of.post(DELETE_ALL)
    assert response["Location"] == PROFILE
    assert not learner.recall_checks.exists()
    assert RecallCheck.objects.filter(pk=theirs.pk).exists()
    page = html_of(client_of.get(PROFILE))
    assert "Deleted 3 typed answers." in page
    assert "Delete all my typed answers" not in page and "You have no typed answers" in page


# --- CSRF and methods -------------------------------------------------------------------


def test_every_recall_post_needs_the_csrf_token(learner, question):
    check = record_check(user=learner, question=question, text=HALF)
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    posts = [
        (check_url(question), {"text": HALF}),
        (correct_url(check, 2), {}),
        (delete_url(check), {}),
        (DELETE_ALL, {}),
        (TYPING, {"type_answers": "0"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
        assert client.get(url).status_code == 405, url
    check.refresh_from_db()
    assert check.corrections == 0 and learner.recall_checks.count() == 1
    learner.refresh_from_db()
    assert learner.type_answers is True


def test_signed_out_visitors_are_sent_to_log_in(question):
    response = Client().post(check_url(question), {"text": HALF})
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )
    assert not RecallCheck.objects.exists()


# --- The suggestion and the rating ---------------------------------------------------


@time_machine.travel(T0, tick=False)
def test_the_suggested_level_and_the_buttons_follow_the_check(client_of, learner, question):
    mark(learner, question, 4, at=timezone.now() - timedelta(days=3))
    check = record_check(user=learner, question=question, text=HALF)
    page = html_of(client_of.get(f"{page_url(question)}?check={check.pk}"))
    level = suggested_level(check.score)
    assert suggested_ids(page) == [f"level-{level}"]
    assert "Suggested from your answer" in page
    label = dict(enumerate(["", "Not yet", "Shaky", "Okay", "Confident", "Mastered"]))[level]
    assert f"Suggested from your answer: <strong>{label}</strong>" in page
    current = ConfidenceMark.objects.get(user=learner, question=question)
    expected = rating_buttons(current, timezone.now(), recall=check.score)
    assert comes_back(page) == {b.value: b.comes_back for b in expected}
    assert comes_back(page) != {
        b.value: b.comes_back for b in rating_buttons(current, timezone.now())
    }


def test_each_score_suggests_the_level_that_promises_it():
    for level, promised in EXPECTED_RECALL.items():
        assert suggested_level(promised) == level


@time_machine.travel(T0, tick=False)
def test_after_rating_the_check_is_no_longer_fresh(client_of, learner, question):
    check = record_check(user=learner, question=question, text=HALF)
    response = client_of.post(
        reverse("progress:mark_confidence", args=[question.key]),
        {"level": "5", "check": str(check.pk)},
    )
    # Without JavaScript the check stays on show beside the rating.
    assert response["Location"] == f"{page_url(question)}?check={check.pk}#confidence"
    current = ConfidenceMark.objects.get(user=learner, question=question)
    assert current.recall == check.score and not current.has_fresh_check
    page = html_of(client_of.get(f"{page_url(question)}?check={check.pk}"))
    assert comes_back(page) == {
        b.value: b.comes_back for b in rating_buttons(current, timezone.now())
    }
    assert "the suggestion comes from your answer" not in page


# --- The study card ----------------------------------------------------------------------


def start_session(learner, topic) -> StudySession:
    ids = list(topic.questions.order_by("position").values_list("pk", flat=True))
    return start_questions(user=learner, source="topic", label=topic.name, question_ids=ids)


def test_the_card_asks_for_a_typed_answer_first(client_of, learner, topic):
    session = start_session(learner, topic)
    page = html_of(client_of.get(session.get_absolute_url()))
    recall = section(page, "recall")
    assert 'id="recall-text"' in recall
    assert f'<input type="hidden" name="session" value="{session.pk}">' in recall
    assert page.index('id="study-card"') < page.index('id="recall"')
    assert page.index('id="recall"') < page.index('id="study-answer"')


@time_machine.travel(T0, tick=False)
def test_a_check_on_the_card(client_of, learner, topic):
    session = start_session(learner, topic)
    question = topic.questions.order_by("position").first()
    response = client_of.post(check_url(question), {"text": HALF, "session": session.pk})
    check = learner.recall_checks.get()
    assert response["Location"] == f"{session.get_absolute_url()}?check={check.pk}#recall"
    page = html_of(client_of.get(response["Location"]))
    assert f"You made 2 of 4 key points · recall {check.score}" in page
    assert '<details class="card answer study-answer" id="study-answer" open>' in page
    assert suggested_ids(page) == [f"rate-{suggested_level(check.score)}"]
    expected = rating_buttons(None, timezone.now(), recall=check.score)
    assert comes_back(page, "rate-") == {b.value: b.comes_back for b in expected}
    # Rated Mastered, the recall of a half brings it back sooner than Mastered alone.
    client_of.post(
        reverse("progress:study_rate", args=[session.pk]),
        {"level": "5", "card": f"0-{question.pk}"},
    )
    current = ConfidenceMark.objects.get(user=learner, question=question)
    assert current.level == 5 and current.recall == check.score
    capped, _ = review(None, 5, timezone.now(), recall=check.score)
    alone, _ = review(None, 5, timezone.now())
    assert current.due == capped.due < alone.due


@time_machine.travel(T0, tick=False)
def test_the_card_previews_a_fresh_check_made_on_the_question_page(client_of, learner, topic):
    question = topic.questions.order_by("position").first()
    mark(learner, question, 5, at=timezone.now() - timedelta(days=3))
    session = start_session(learner, topic)
    plain = comes_back(html_of(client_of.get(session.get_absolute_url())), "rate-")
    check = record_check(user=learner, question=question, text=HALF)
    # No ?check= on the card: the buttons still say what a rating now will do.
    page = html_of(client_of.get(session.get_absolute_url()))
    current = ConfidenceMark.objects.get(user=learner, question=question)
    assert current.has_fresh_check
    expected = rating_buttons(current, timezone.now(), recall=check.score)
    assert comes_back(page, "rate-") == {b.value: b.comes_back for b in expected} != plain
    client_of.post(
        reverse("progress:study_rate", args=[session.pk]),
        {"level": "5", "card": f"0-{question.pk}"},
    )
    rated = ConfidenceMark.objects.get(user=learner, question=question)
    assert rated.due == review(current, 5, timezone.now(), recall=check.score)[0].due


def test_a_correction_on_the_card_comes_back_to_the_card(client_of, learner, topic):
    session = start_session(learner, topic)
    question = topic.questions.order_by("position").first()
    check = record_check(user=learner, question=question, text=HALF)
    response = client_of.post(correct_url(check, 3), {"session": session.pk})
    assert response["Location"] == f"{session.get_absolute_url()}?check={check.pk}#recall"
    response = client_of.post(correct_url(check, 2), {"session": session.pk}, headers=HTMX)
    html = html_of(response)
    assert html.lstrip().startswith('<section id="study-card"')
    assert "You made 4 of 4 key points" in html


def test_a_check_on_the_card_with_htmx_redraws_the_card(client_of, learner, topic):
    session = start_session(learner, topic)
    question = topic.questions.order_by("position").first()
    response = client_of.post(
        check_url(question), {"text": HALF, "session": session.pk}, headers=HTMX
    )
    check = learner.recall_checks.get()
    html = html_of(response)
    assert "<html" not in html and html.lstrip().startswith('<section id="study-card"')
    assert "data-focus-after-swap" in html and "You made 2 of 4 key points" in html
    assert response["HX-Replace-Url"] == f"{session.get_absolute_url()}?check={check.pk}"


def test_a_check_from_a_card_moved_on_shows_on_the_question_page(client_of, learner, topic):
    session = start_session(learner, topic)
    second = topic.questions.order_by("position")[1]
    # The session shows the first question; the form was for another one.
    response = client_of.post(check_url(second), {"text": HALF, "session": session.pk})
    check = learner.recall_checks.get()
    assert response["Location"] == f"{page_url(second)}?check={check.pk}#recall"


def test_another_learners_session_is_not_used(client_of, learner, topic):
    other = make_user()
    theirs = start_session(other, topic)
    question = topic.questions.order_by("position").first()
    response = client_of.post(check_url(question), {"text": HALF, "session": theirs.pk})
    assert response["Location"].startswith(page_url(question))


def test_the_card_ignores_a_check_of_another_question(client_of, learner, topic):
    session = start_session(learner, topic)
    second = topic.questions.order_by("position")[1]
    check = record_check(user=learner, question=second, text=HALF)
    page = html_of(client_of.get(f"{session.get_absolute_url()}?check={check.pk}"))
    assert "You made" not in page and 'id="recall-text"' in page


# --- Query counts -------------------------------------------------------------------------


@pytest.fixture(params=[1, 12], ids=["few", "many"])
def crowded(request, learner, topic, question):
    """The learner's checks on the question and other learners' checks everywhere."""
    n = request.param
    for _ in range(n):
        other = make_user()
        for q in topic.questions.all():
            record_check(user=other, question=q, text=SECRET)
    for _ in range(n):
        record_check(user=learner, question=question, text=HALF)
    mark(learner, question, 3)
    return n


def test_the_question_page_without_checks_keeps_its_count(
    client_of, learner, topic, question, crowded, django_assert_num_queries
):
    other_question = topic.questions.order_by("position").last()
    with django_assert_num_queries(QUERIES["question_detail"]):
        response = client_of.get(page_url(other_question, topic))
    assert 'id="recall-text"' in html_of(response)
    assert "Your typed answers" not in html_of(response)


def test_the_question_page_with_a_check_query_count(
    client_of, learner, topic, question, crowded, django_assert_num_queries
):
    check = learner.recall_checks.filter(question=question).first()
    with django_assert_num_queries(QUESTION_PAGE_WITH_CHECK):
        response = client_of.get(f"{page_url(question, topic)}&check={check.pk}")
    page = html_of(response)
    assert f"Your typed answers to this question ({crowded})" in page
    assert "You made 2 of 4 key points" in page and SECRET not in page


def test_the_study_card_query_counts(
    client_of, learner, topic, question, crowded, django_assert_num_queries
):
    session = start_session(learner, topic)
    with django_assert_num_queries(SESSION_PAGE_QUERIES):
        client_of.get(session.get_absolute_url())
    check = learner.recall_checks.filter(question=question).first()
    with django_assert_num_queries(CARD_WITH_CHECK):
        response = client_of.get(f"{session.get_absolute_url()}?check={check.pk}")
    assert "You made 2 of 4 key points" in html_of(response)


#: Checking without JavaScript: session, user, the question with its answers, topics and
#: related questions (3 prefetches), the check and the mark's copy of it (in a savepoint),
#: and whether the topic of the way back is the question's.
CHECK_POST = 11
#: With htmx the region comes back instead: the count of the learner's typed answers
#: again (the question's was made before the check), the note, the mark, the typed
#: answers, the coverage of the question's topics and the pager's keys, as the page has
#: them (the note and the coverage are in the context the page and its fragments share).
CHECK_POST_HTMX = 17


@pytest.mark.parametrize("htmx", [False, True], ids=["redirect", "htmx"])
def test_checking_query_count(
    client_of, learner, topic, question, crowded, htmx, django_assert_num_queries
):
    data = {"text": HALF, "topic": topic.slug}
    with django_assert_num_queries(CHECK_POST_HTMX if htmx else CHECK_POST):
        response = client_of.post(check_url(question), data, headers=HTMX if htmx else {})
    assert response.status_code == (200 if htmx else 302)
    assert learner.recall_checks.filter(question=question).count() == crowded + 1
