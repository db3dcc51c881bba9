from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from progress.models import ConfidenceEvent, ConfidenceMark, Note
from tests.factories import make_bank, make_question, make_topic, mark, note
from tests.pages import (
    HTMX,
    body_csrf_token,
    coverage_figures,
    html_of,
    pressed_levels,
    section,
    title,
    topic_rows,
)

LEVEL_ERROR = "Choose a confidence level from 1 (Not yet) to 5 (Mastered)."
DASHBOARD = reverse("progress:dashboard")
NOTES = reverse("progress:note_list")
LOGIN = reverse("accounts:login")


@pytest.fixture
def bank(db):
    """Two topics of five questions each: ten questions."""
    return make_bank(topics=2, questions_per_topic=5)


@pytest.fixture
def question(bank):
    return bank[0].questions.first()


def confidence_url(question) -> str:
    return reverse("progress:mark_confidence", args=[question.key])


def question_url(question) -> str:
    return reverse("progress:question_detail", args=[question.key])


def nothing_written() -> bool:
    return not ConfidenceEvent.objects.exists() and not ConfidenceMark.objects.exists()


# --- dashboard ----------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_anonymous_visitor_sees_the_welcome_page(client, db, headers):
    response = client.get(DASHBOARD, headers=headers)

    html = html_of(response)
    assert response.status_code == 200
    assert title(html) == "Welcome · StudyHub"
    signup = reverse("accounts:signup")
    assert f'<a class="button primary" href="{signup}">Sign up</a>' in html
    assert f'<a href="{LOGIN}">Log in</a>' in html
    assert "Overall coverage" not in html
    assert "HX-Request" in response["Vary"]


def test_dashboard_without_progress_shows_zeroes(logged_in_client, bank):
    html = html_of(logged_in_client.get(DASHBOARD))

    assert title(html) == "Dashboard · StudyHub"
    assert "<h1>Hello, Lee Learner</h1>" in html
    overall = section(html, "overall-heading", attr="aria-labelledby")
    assert coverage_figures(overall) == [(0, 10, 0)]
    assert topic_rows(html) == {bank[0].name: (0, 5, 0), bank[1].name: (0, 5, 0)}
    assert "0 questions rated so far" in html
    assert "Nothing yet." in section(html, "recent-heading", attr="aria-labelledby")
    notes = section(html, "notes-heading", attr="aria-labelledby")
    assert f'<a href="{NOTES}">0<span class="visually-hidden">' in notes


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_dashboard_numbers_change_after_marks_and_notes(logged_in_client, user, bank, headers):
    first, second = (list(topic.questions.all()) for topic in bank)
    before = html_of(logged_in_client.get(DASHBOARD, headers=headers))
    assert coverage_figures(section(before, "overall-heading", attr="aria-labelledby")) == [
        (0, 10, 0)
    ]

    mark(user, first[0], 3)
    mark(user, first[1], 4)
    mark(user, first[2], 5)
    mark(user, second[0], 2)  # rated, not covered
    mark(user, second[1], 5)
    mark(user, second[1], 1)  # the latest mark counts: no longer covered
    note(user, first[0], "one")
    note(user, second[3], "two")
    after = html_of(logged_in_client.get(DASHBOARD, headers=headers))

    overall = section(after, "overall-heading", attr="aria-labelledby")
    assert '<p class="stat-number">30%</p>' in overall
    assert coverage_figures(overall) == [(3, 10, 30)]
    assert topic_rows(after) == {bank[0].name: (3, 5, 60), bank[1].name: (0, 5, 0)}
    assert "5 questions rated so far" in after
    notes = section(after, "notes-heading", attr="aria-labelledby")
    assert f'<a href="{NOTES}">2<span class="visually-hidden">' in notes


def test_dashboard_ignores_other_users_marks(logged_in_client, other_user, bank):
    for question in bank[0].questions.all():
        mark(other_user, question, 5)
    note(other_user, bank[0].questions.first(), "theirs")

    html = html_of(logged_in_client.get(DASHBOARD))

    assert topic_rows(html) == {bank[0].name: (0, 5, 0), bank[1].name: (0, 5, 0)}
    assert "0 questions rated so far" in html
    assert f'<a href="{NOTES}">0<span' in html


def test_weakest_topics_are_the_three_least_covered_unfinished_ones(logged_in_client, user):
    topics = make_bank(topics=6, questions_per_topic=5)
    covered_per_topic = [5, 3, 1, 0, 2, 0]  # 100%, 60%, 20%, 0%, 40%, 0%
    for topic, covered in zip(topics, covered_per_topic, strict=True):
        for question in list(topic.questions.all())[:covered]:
            mark(user, question, 4)
    # The fourth was tried and not known; the sixth never touched: not weak, not started.
    mark(user, topics[3].questions.all()[0], 1)

    html = html_of(logged_in_client.get(DASHBOARD))

    weakest = section(html, "weakest-heading", attr="aria-labelledby")
    shown = [name for name in (t.name for t in topics) if f">{name}</a>" in weakest]
    order = sorted(shown, key=weakest.index)
    assert order == [topics[3].name, topics[2].name, topics[4].name]
    assert "0 of 5 · 0%" in weakest
    assert "1 of 5 · 20%" in weakest
    assert "2 of 5 · 40%" in weakest
    assert topics[5].name not in weakest
    covered_topics = section(html, "topics-covered-heading", attr="aria-labelledby")
    assert '1 <span class="stat-of">of 6</span>' in covered_topics


def test_a_new_learner_is_shown_where_to_start(logged_in_client, user):
    topics = make_bank(topics=3, questions_per_topic=2)
    html = html_of(logged_in_client.get(DASHBOARD))
    start = section(html, "start-heading", attr="aria-labelledby")
    assert f"Start with {topics[0].name}" in start
    assert f'name="topic" value="{topics[0].slug}"' in start
    weakest = section(html, "weakest-heading", attr="aria-labelledby")
    assert "None yet" in weakest and topics[0].name not in weakest
    assert "so you most likely still remember them" in html  # "fresh", in words
    # The button starts that topic's session.
    response = logged_in_client.post(
        reverse("progress:study_start"), {"source": "topic", "topic": topics[0].slug}
    )
    assert response["Location"] == user.study_sessions.get().get_absolute_url()
    # Once anything is rated, the dashboard stops saying where to start.
    mark(user, topics[1].questions.all()[0], 2)
    assert 'id="start-heading"' not in html_of(logged_in_client.get(DASHBOARD))


def test_everything_covered_is_celebrated(logged_in_client, user, bank):
    for topic in bank:
        for question in topic.questions.all():
            mark(user, question, 3)

    html = html_of(logged_in_client.get(DASHBOARD))

    assert "Every topic you have started is covered. Well done!" in html
    assert coverage_figures(section(html, "overall-heading", attr="aria-labelledby")) == [
        (10, 10, 100)
    ]
    assert '2 <span class="stat-of">of 2</span>' in html


def test_recently_studied_lists_the_six_latest_marks_newest_first(logged_in_client, user, bank):
    questions = [q for topic in bank for q in topic.questions.all()][:8]
    now = timezone.now()
    for age, question in enumerate(questions):
        mark(user, question, 1 + age % 5, at=now - timedelta(hours=age))

    html = html_of(logged_in_client.get(DASHBOARD))

    recent = section(html, "recent-heading", attr="aria-labelledby")
    shown = [q for q in questions if f"{q.text}</a>" in recent]
    assert shown == questions[:6]
    assert sorted(shown, key=lambda q: recent.index(f"{q.text}</a>")) == questions[:6]
    assert '<span class="badge level-1">Not yet</span>' in recent


# --- mark_confidence ------------------------------------------------------------


def test_htmx_mark_returns_the_confidence_fragment_and_oob_coverage(
    logged_in_client, user, question
):
    response = logged_in_client.post(confidence_url(question), {"level": "4"}, headers=HTMX)

    html = html_of(response)
    assert response.status_code == 200
    assert "<html" not in html
    # The buttons are swapped; the status line keeps its element (a live region) and
    # gets new text out of band, so screen readers announce it.
    assert html.lstrip().startswith('<div id="confidence-levels"')
    assert pressed_levels(html) == [4]
    assert (
        '<p id="confidence-status" hx-swap-oob="innerHTML">'
        "Your confidence: <strong>Confident</strong> — covered.</p>"
    ) in html
    panel = section(html, "coverage-panel")
    assert 'hx-swap-oob="true"' in panel
    assert coverage_figures(panel) == [(1, 5, 20)]
    assert ConfidenceMark.objects.get(user=user, question=question).level == 4
    assert ConfidenceEvent.objects.filter(user=user, question=question).count() == 1


def test_htmx_mark_again_updates_the_fragment_and_keeps_both_events(
    logged_in_client, user, question
):
    logged_in_client.post(confidence_url(question), {"level": "4"}, headers=HTMX)
    response = logged_in_client.post(confidence_url(question), {"level": "2"}, headers=HTMX)

    html = html_of(response)
    assert pressed_levels(html) == [2]
    assert "<strong>Shaky</strong> — not covered yet." in html
    assert coverage_figures(section(html, "coverage-panel")) == [(0, 5, 0)]
    assert list(ConfidenceMark.objects.values_list("level", flat=True)) == [2]
    assert sorted(ConfidenceEvent.objects.values_list("level", flat=True)) == [2, 4]


@pytest.mark.parametrize(("before", "after"), [(3, 5), (5, 3), (1, 2), (2, 1)])
def test_htmx_mark_that_keeps_coverage_leaves_the_panel_alone(
    logged_in_client, user, question, before, after
):
    logged_in_client.post(confidence_url(question), {"level": str(before)}, headers=HTMX)
    response = logged_in_client.post(confidence_url(question), {"level": str(after)}, headers=HTMX)

    html = html_of(response)
    assert pressed_levels(html) == [after]
    assert "coverage-panel" not in html  # the page's panel already shows these counts
    assert ConfidenceMark.objects.get(user=user, question=question).level == after


@pytest.mark.parametrize(("before", "after", "covered"), [(2, 3, 1), (3, 2, 0), (5, 1, 0)])
def test_htmx_mark_that_crosses_the_line_updates_the_panel(
    logged_in_client, user, question, before, after, covered
):
    logged_in_client.post(confidence_url(question), {"level": str(before)}, headers=HTMX)
    response = logged_in_client.post(confidence_url(question), {"level": str(after)}, headers=HTMX)

    panel = section(html_of(response), "coverage-panel")
    assert 'hx-swap-oob="true"' in panel
    assert coverage_figures(panel) == [(covered, 5, covered * 20)]


def test_htmx_mark_shows_coverage_of_every_topic_of_the_question(logged_in_client, user, bank):
    shared = make_question(topics=bank)
    mark(user, bank[1].questions.exclude(pk=shared.pk).first(), 5)

    response = logged_in_client.post(confidence_url(shared), {"level": "3"}, headers=HTMX)

    assert coverage_figures(section(html_of(response), "coverage-panel")) == [
        (1, 6, 16),
        (2, 6, 33),
    ]


def test_plain_mark_redirects_back_to_the_question(logged_in_client, user, question):
    response = logged_in_client.post(confidence_url(question), {"level": "5"})

    assert response.status_code == 302
    assert response["Location"] == f"{question_url(question)}#confidence"
    assert ConfidenceMark.objects.get(user=user, question=question).level == 5

    page = html_of(logged_in_client.get(response["Location"]))
    assert "Marked “Mastered”." in page
    assert pressed_levels(section(page, "confidence")) == [5]


def test_plain_mark_keeps_the_topic_in_the_redirect(logged_in_client, bank, question):
    response = logged_in_client.post(
        confidence_url(question), {"level": "3", "topic": bank[0].slug}
    )
    assert response["Location"] == f"{question_url(question)}?topic={bank[0].slug}#confidence"


def test_plain_mark_drops_a_topic_the_question_is_not_in(logged_in_client, bank, question):
    response = logged_in_client.post(
        confidence_url(question), {"level": "3", "topic": bank[1].slug}
    )
    assert response["Location"] == f"{question_url(question)}#confidence"


@pytest.mark.parametrize("level", ["0", "6", "three", "3.5"])
def test_htmx_invalid_level_is_422_with_a_message_and_writes_nothing(
    logged_in_client, question, level
):
    response = logged_in_client.post(confidence_url(question), {"level": level}, headers=HTMX)

    html = html_of(response)
    assert response.status_code == 422
    assert "<html" not in html
    assert (
        f'<p id="confidence-status" hx-swap-oob="innerHTML"><span class="error">{LEVEL_ERROR}'
    ) in html
    assert "coverage-panel" not in html
    assert pressed_levels(html) == []
    assert nothing_written()


@pytest.mark.parametrize("level", ["0", "6", "three", "3.5"])
def test_plain_invalid_level_is_422_with_a_message_and_writes_nothing(
    logged_in_client, question, level
):
    response = logged_in_client.post(confidence_url(question), {"level": level})

    html = html_of(response)
    assert response.status_code == 422
    assert title(html).startswith(f"Q{question.position}.")
    assert f'<span class="error">{LEVEL_ERROR}</span>' in section(html, "confidence")
    assert nothing_written()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_missing_level_is_422_and_keeps_the_current_mark(logged_in_client, user, question, headers):
    mark(user, question, 4)

    response = logged_in_client.post(confidence_url(question), {}, headers=headers)

    assert response.status_code == 422
    assert '<span class="error">This field is required.</span>' in html_of(response)
    assert list(ConfidenceMark.objects.values_list("level", flat=True)) == [4]
    assert ConfidenceEvent.objects.count() == 1


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_get_on_mark_confidence_is_405(logged_in_client, question, headers):
    response = logged_in_client.get(confidence_url(question), headers=headers)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_anonymous_mark_redirects_to_login_and_writes_nothing(client, question, headers):
    response = client.post(confidence_url(question), {"level": "3"}, headers=headers)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={confidence_url(question)}"
    assert nothing_written()


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_mark_on_an_unknown_question_is_404(logged_in_client, bank, headers):
    response = logged_in_client.post(
        reverse("progress:mark_confidence", args=["no-such-question"]),
        {"level": "3"},
        headers=headers,
    )
    assert response.status_code == 404
    assert nothing_written()


# --- CSRF -------------------------------------------------------------------------


@pytest.fixture
def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_htmx_post_without_a_csrf_token_is_refused(csrf_client, question):
    response = csrf_client.post(confidence_url(question), {"level": "3"}, headers=HTMX)

    assert response.status_code == 403
    assert "This form has expired" in html_of(response)
    assert nothing_written()


def test_htmx_post_with_a_wrong_csrf_token_is_refused(csrf_client, question):
    csrf_client.get(question.get_absolute_url())
    response = csrf_client.post(
        confidence_url(question), {"level": "3"}, headers={**HTMX, "X-CSRFToken": "x" * 64}
    )
    assert response.status_code == 403
    assert nothing_written()


def test_htmx_post_with_the_token_from_hx_headers_succeeds(csrf_client, user, question):
    page = html_of(csrf_client.get(question.get_absolute_url()))
    token = body_csrf_token(page)

    response = csrf_client.post(
        confidence_url(question), {"level": "3"}, headers={**HTMX, "X-CSRFToken": token}
    )

    assert response.status_code == 200
    assert pressed_levels(html_of(response)) == [3]
    assert ConfidenceMark.objects.get(user=user, question=question).level == 3


def test_htmx_note_post_needs_the_csrf_token_too(csrf_client, user, question):
    url = reverse("progress:edit_note", args=[question.key])
    refused = csrf_client.post(url, {"text": "hello"}, headers=HTMX)
    assert refused.status_code == 403
    assert not Note.objects.exists()

    token = body_csrf_token(html_of(csrf_client.get(question.get_absolute_url())))
    saved = csrf_client.post(url, {"text": "hello"}, headers={**HTMX, "X-CSRFToken": token})
    assert saved.status_code == 200
    assert Note.objects.get(user=user, question=question).text == "hello"


def test_topic_with_no_questions_does_not_break_the_dashboard(logged_in_client, bank):
    make_topic(name="Empty topic")
    html = html_of(logged_in_client.get(DASHBOARD))
    assert topic_rows(html)["Empty topic"] == (0, 0, 0)
    assert "Empty topic" not in section(html, "weakest-heading", attr="aria-labelledby")


def test_a_refused_htmx_post_brings_a_message_for_the_alert_region(csrf_client, question):
    response = csrf_client.post(confidence_url(question), {"level": "3"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 403
    assert '<div id="server-error-message" class="server-error-message" role="alert">' in html
    assert "Nothing was saved. Reload the page and try again" in html


def test_a_forbidden_htmx_post_brings_a_message_for_the_alert_region(user):
    from tests.teams.factories import make_team

    team = make_team(learners=[user])
    client = Client()
    client.force_login(user)
    response = client.post(reverse("teams:rotate_invite", args=[team.pk]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 403
    assert '<div id="server-error-message" class="server-error-message" role="alert">' in html
    assert "You do not have permission to do that. Nothing was saved." in html
