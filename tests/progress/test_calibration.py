"""Calibration: a learner's confidence against what their typed answers recalled
(progress.calibration, the calibration page, and "Study these" from it)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from progress.calibration import (
    CALIBRATION_MARGIN,
    OVERCONFIDENT_SHOWN,
    calibration_chart,
    learner_calibration,
    most_overconfident,
    rounded_average,
    signed,
    verdict,
)
from progress.models import ConfidenceMark, StudySession
from progress.recall import record_check
from questions.models import Question
from tests.factories import make_question, make_topic, make_user, mark
from tests.pages import html_of, section
from tests.teams.factories import make_team

CALIBRATION = reverse("progress:calibration")
STUDY_THESE = reverse("progress:study_these")
LOGIN = reverse("accounts:login")

#: Session, user, the navigation's teams; the marks counted by level and half recalled,
#: the topics' promise and recall, the most over-confident questions.
CALIBRATION_QUERIES = 3 + 3
#: With nothing checked the topics and questions are not asked for.
EMPTY_CALIBRATION_QUERIES = 3 + 1


def checked(user, question, level: int, recall: int, *, half: bool | None = None):
    """Rate `question` at `level` and give the mark a check that recalled `recall`
    (made half of the key points when `half`, by default when recall ≥ 50)."""
    mark(user, question, level)
    ConfidenceMark.objects.filter(user=user, question=question).update(
        recall=recall,
        recalled_half=recall >= 50 if half is None else half,
        recall_at=timezone.now() + timedelta(seconds=1),
    )


def words(html: str) -> str:
    """The page's text with tags dropped and white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def table_rows(html: str, caption: str) -> list[list[str]]:
    """The body rows of the table with `caption`, each as its cells' words."""
    table = re.search(
        rf"<table[^>]*>\s*<caption[^>]*>{re.escape(caption)}</caption>.*?</table>", html, re.S
    )
    assert table, f"no table {caption!r}"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(0), re.S)
    assert body
    return [
        [words(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


@pytest.fixture
def learner(db):
    return make_user(username="cal", display_name="Cal Learner")


@pytest.fixture
def client_of(learner):
    client = Client()
    client.force_login(learner)
    return client


class SmallWorld:
    """Three topics and eight questions; the numbers below are worked out by hand.

    | question | topics | level      | recall | half | promise | gap |
    | q1       | A      | Mastered   | 20     | no   | 90      | 70  |
    | q2       | A      | Confident  | 40     | no   | 70      | 30  |
    | q3       | A, B   | Confident  | 80     | yes  | 70      | -10 |
    | q4       | B, C   | Shaky      | 60     | yes  | 30      | -30 |
    | q5       | B      | Not yet    | 0      | no   | 10      | 10  |
    | q6       | B      | Okay       | 40     | no   | 50      | 10  |
    | q7       | A      | Confident  | (no check)                    |
    | q8       | B      | (not rated)                                 |

    Besides: a retired question and one of a team the learner has left, both rated
    Mastered with a recall of 0 (counted nowhere), and another learner's checks.
    """

    def __init__(self, learner) -> None:
        self.a = make_topic(name="Alpha")
        self.b = make_topic(name="Beta")
        self.c = make_topic(name="Gamma")
        a, b, c = self.a, self.b, self.c
        self.q = {
            n: make_question(topics=topics)
            for n, topics in {
                1: [a],
                2: [a],
                3: [a, b],
                4: [b, c],
                5: [b],
                6: [b],
                7: [a],
                8: [b],
            }.items()
        }
        checked(learner, self.q[1], 5, 20)
        checked(learner, self.q[2], 4, 40)
        checked(learner, self.q[3], 4, 80)
        checked(learner, self.q[4], 2, 60)
        checked(learner, self.q[5], 1, 0)
        checked(learner, self.q[6], 3, 40)
        mark(learner, self.q[7], 4)

        self.retired = make_question(topics=[a], text="A retired question?")
        checked(learner, self.retired, 5, 0)
        Question.objects.filter(pk=self.retired.pk).update(retired_at=timezone.now())
        team = make_team(learners=[learner])
        self.hidden = make_question(topics=[a], bank=team.bank, text="A team question?")
        checked(learner, self.hidden, 5, 0)
        team.memberships.filter(user=learner).delete()

        other = make_user(username="other-learner")
        for question in self.q.values():
            checked(other, question, 5, 0)


@pytest.fixture
def small(learner) -> SmallWorld:
    return SmallWorld(learner)


# --- The figures --------------------------------------------------------------------


def test_levels_words_and_averages_are_worked_out_by_hand(learner, small):
    report = learner_calibration(learner)
    assert [
        (row.label, row.checked, row.average_recall, row.promised) for row in report.levels
    ] == [
        ("Not yet", 1, 0, 10),
        ("Shaky", 1, 60, 30),
        ("Okay", 1, 40, 50),
        ("Confident", 2, 60, 70),
        ("Mastered", 1, 20, 90),
    ]
    assert report.checked == 6
    # (90 + 70 + 70 + 30 + 10 + 50) / 6 = 53.3 and (20 + 40 + 80 + 60 + 0 + 40) / 6 = 40.
    assert (report.average_promised, report.average_recall, report.gap) == (53, 40, 13)
    assert report.verdict == "over-confident"
    assert (report.high_checked, report.high_under_half, report.low_over_half) == (3, 2, 1)


def test_topics_compare_average_promise_with_average_recall(learner, small):
    rows = learner_calibration(learner).topics
    # Alpha: (90 + 70 + 70) / 3 = 76.7 against (20 + 40 + 80) / 3 = 46.7;
    # Beta: (70 + 30 + 10 + 50) / 4 = 40 against (80 + 60 + 0 + 40) / 4 = 45;
    # Gamma: q4 alone. The most over-confident first.
    assert [(r.topic.name, r.checked, r.promised, r.recall, r.gap, r.verdict) for r in rows] == [
        ("Alpha", 3, 77, 47, 30, "over-confident"),
        ("Beta", 4, 40, 45, -5, "about right"),
        ("Gamma", 1, 30, 60, -30, "under-confident"),
    ]


def test_the_most_overconfident_questions_leave_out_gaps_within_the_margin(learner, small):
    marks = most_overconfident(learner)
    # q5 (Not yet, 0) and q6 (Okay, 40) are 10 points over: within the margin.
    assert [(m.question.pk, m.promised, m.recall, m.gap) for m in marks] == [
        (small.q[1].pk, 90, 20, 70),
        (small.q[2].pk, 70, 40, 30),
    ]


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        (CALIBRATION_MARGIN + 1, "over-confident"),
        (CALIBRATION_MARGIN, "about right"),
        (0, "about right"),
        (-CALIBRATION_MARGIN, "about right"),
        (-CALIBRATION_MARGIN - 1, "under-confident"),
    ],
)
def test_verdict_thresholds(gap, expected):
    assert verdict(gap) == expected


def test_averages_round_halves_up_and_gaps_are_signed():
    assert [rounded_average(t, n) for t, n in [(1, 2), (5, 3), (4, 3), (0, 0), (199, 2)]] == [
        1,
        2,
        1,
        0,
        100,
    ]
    assert [signed(g) for g in (25, 0, -10)] == ["+25", "0", "\N{MINUS SIGN}10"]


def test_the_topic_verdict_follows_the_rounded_figures(learner):
    """59.5 shows as 60 against a promise of 70: a gap of 10, about right, as the page
    says, although the exact gap is 10.5."""
    topic = make_topic()
    first, second = make_question(topics=[topic]), make_question(topics=[topic])
    checked(learner, first, 4, 59)
    checked(learner, second, 4, 60)
    (row,) = learner_calibration(learner).topics
    assert (row.promised, row.recall, row.gap, row.verdict) == (70, 60, 10, "about right")


def test_most_overconfident_order_and_limit(learner):
    topic = make_topic()
    questions = [make_question(topics=[topic]) for _ in range(14)]
    # Mastered with recalls 0, 5, …, 45: gaps 90 down to 45; then Confident at 25 and
    # Mastered at 45 tie on a gap of 45 (the higher rating first), and a tie at the
    # same level goes by bank order.
    for index, question in enumerate(questions[:10]):
        checked(learner, question, 5, 5 * index)
    checked(learner, questions[10], 4, 25)
    checked(learner, questions[11], 5, 80)  # gap 10: not listed
    checked(learner, questions[12], 5, 0)
    checked(learner, questions[13], 5, 0)
    marks = most_overconfident(learner)
    assert len(marks) == OVERCONFIDENT_SHOWN
    assert [m.gap for m in marks] == [90, 90, 90, 85, 80, 75, 70, 65, 60, 55]
    assert [m.question.pk for m in marks[:3]] == [
        questions[0].pk,
        questions[12].pk,
        questions[13].pk,
    ]
    everything = most_overconfident(learner, limit=100)
    assert [(m.question.pk, m.level) for m in everything][-2:] == [
        (questions[9].pk, 5),
        (questions[10].pk, 4),
    ]
    assert questions[11].pk not in {m.question.pk for m in everything}


def test_a_real_check_is_what_calibration_counts(learner):
    """Through progress.recall: the latest check on a question is its recall."""
    topic = make_topic()
    question = make_question(
        topics=[topic],
        key_points=["Pooling shrinks the feature map", "Max pooling keeps the strongest value"],
    )
    mark(learner, question, 5)
    record_check(user=learner, question=question, text="")
    report = learner_calibration(learner)
    assert [row.checked for row in report.levels] == [0, 0, 0, 0, 1]
    assert report.levels[-1].average_recall == 0
    assert [m.question.pk for m in most_overconfident(learner)] == [question.pk]
    good = record_check(
        user=learner,
        question=question,
        text="Pooling shrinks the feature map. Max pooling keeps the strongest value.",
    )
    assert good.score > 50
    assert learner_calibration(learner).levels[-1].average_recall == good.score


def test_nothing_checked_gives_an_empty_calibration(learner):
    topic = make_topic()
    mark(learner, make_question(topics=[topic]), 5)
    report = learner_calibration(learner)
    assert report.checked == 0
    assert report.topics == [] and report.overconfident == []
    assert calibration_chart(report.levels).summary == (
        "Average recall by confidence: no checked answers yet"
    )


# --- The page -----------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(CALIBRATION)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={CALIBRATION}"


def test_the_page_is_read_only(client_of):
    assert client_of.post(CALIBRATION).status_code == 405


def test_the_page_says_it_in_words(client_of, small):
    page = html_of(client_of.get(CALIBRATION))
    text = words(section(page, "in-words-heading", attr="aria-labelledby"))
    assert "You have checked your answers to 6 questions." in text
    assert "promise an average recall of 53; your answers recalled 40 on average." in text
    assert "On the whole you rate yourself higher than your answers bear out." in text
    assert (
        "You rate Confident or higher on 2 questions where you recalled under half of the "
        "key points. They are worth another look" in text
    )
    assert (
        "You rate Shaky or lower on 1 question where you recalled at least half of the key "
        "points: you may know more than you think." in text
    )


def test_the_words_are_singular_for_one_and_say_when_all_is_well(learner, client_of):
    topic = make_topic()
    checked(learner, make_question(topics=[topic]), 4, 20)
    text = words(html_of(client_of.get(CALIBRATION)))
    assert "You have checked your answers to 1 question. Your ratings of it promise" in text
    assert "on 1 question where you recalled under half of the key points. It is worth" in text
    assert "Shaky or lower" not in text

    ConfidenceMark.objects.filter(user=learner).update(recall=90, recalled_half=True)
    text = words(html_of(client_of.get(CALIBRATION)))
    assert (
        "On every question you rate Confident or higher, your answer recalled at least half "
        "of the key points." in text
    )
    assert "On the whole your answers recall more than your ratings promise." in text
    assert "No question is rated more than 10 points above what your latest answer" in text


def test_the_page_shows_the_chart_and_the_same_numbers_in_a_table(client_of, small):
    page = html_of(client_of.get(CALIBRATION))
    chart = re.search(
        r'<svg class="calibration-chart"[^>]*aria-label="([^"]*)".*?</svg>', page, re.S
    )
    assert chart
    assert unescape(chart.group(1)) == (
        "Average recall by confidence: Not yet, 0 against a promised 10 (1 question); "
        "Shaky, 60 against a promised 30 (1 question); Okay, 40 against a promised 50 "
        "(1 question); Confident, 60 against a promised 70 (2 questions); Mastered, 20 "
        "against a promised 90 (1 question)"
    )
    # A bar for each level with checks, a promise mark for every level.
    assert chart.group(0).count('class="calibration-bar"') == 5
    assert chart.group(0).count('class="calibration-promise"') == 5
    assert table_rows(page, "Average recall by confidence level") == [
        ["Not yet", "1", "0", "10"],
        ["Shaky", "1", "60", "30"],
        ["Okay", "1", "40", "50"],
        ["Confident", "2", "60", "70"],
        ["Mastered", "1", "20", "90"],
    ]
    assert table_rows(page, "Confidence against recall by topic") == [
        ["Alpha", "3", "77", "47", "+30", "Over-confident"],
        ["Beta", "4", "40", "45", "\N{MINUS SIGN}5", "About right"],
        ["Gamma", "1", "30", "60", "\N{MINUS SIGN}30", "Under-confident"],
    ]


def test_a_level_without_checks_has_no_bar_and_says_so(learner, client_of):
    topic = make_topic()
    checked(learner, make_question(topics=[topic]), 3, 50)
    page = html_of(client_of.get(CALIBRATION))
    assert page.count('<rect class="calibration-bar" x=') == 1
    rows = table_rows(page, "Average recall by confidence level")
    assert rows[0] == ["Not yet", "0", "–none checked", "10"]
    assert rows[2] == ["Okay", "1", "50", "50"]
    assert "Nothing checked at Not yet, Shaky, Confident and Mastered" in unescape(page)


def test_the_overconfident_list_links_each_question(client_of, small):
    page = html_of(client_of.get(CALIBRATION))
    listed = section(page, "overconfident-heading", attr="aria-labelledby")
    links = re.findall(r'<a class="row-link" href="([^"]+)">', listed)
    assert links == [small.q[1].get_absolute_url(), small.q[2].get_absolute_url()]
    assert "promises 90, recalled 20" in listed and "promises 70, recalled 40" in listed
    assert "Study these 2" in listed


def test_only_the_learners_own_visible_questions_count(client_of, small):
    page = html_of(client_of.get(CALIBRATION))
    assert small.retired.text not in page and small.hidden.text not in page
    # The other learner rated everything Mastered with a recall of 0: none of it shows.
    rows = table_rows(page, "Average recall by confidence level")
    assert rows[-1] == ["Mastered", "1", "20", "90"]


def test_nothing_checked_shows_how_to_start(learner, client_of):
    topic = make_topic()
    mark(learner, make_question(topics=[topic]), 4)
    page = html_of(client_of.get(CALIBRATION))
    empty = section(page, "start-checking-heading", attr="aria-labelledby")
    assert "type your answer before you show the model answer" in words(empty)
    assert f'<a href="{reverse("accounts:profile")}">' in empty
    assert "Type my answer first" in unescape(empty)
    assert "calibration-chart" not in page and "Study these" not in page


def test_the_page_is_linked_from_the_dashboard_history_and_menu(client_of):
    for name in ("progress:dashboard", "progress:history"):
        page = html_of(client_of.get(reverse(name)))
        main = page[page.index("<main") :]
        assert f'<a href="{CALIBRATION}">See your calibration</a>' in main
    page = html_of(client_of.get(CALIBRATION))
    assert f'<a href="{CALIBRATION}" aria-current="page">Calibration</a>' in page


# --- Study these ------------------------------------------------------------------


def test_study_these_starts_a_session_of_exactly_that_list(learner, client_of, small):
    response = client_of.post(STUDY_THESE, {"from": "calibration", "next": CALIBRATION})
    session = learner.study_sessions.get()
    assert response.status_code == 302
    assert response["Location"] == session.get_absolute_url()
    assert session.source == StudySession.Source.CALIBRATION
    assert session.label == "Rated above recall"
    assert session.question_ids == [small.q[1].pk, small.q[2].pk]


def test_study_these_takes_the_list_the_page_shows(learner, client_of):
    topic = make_topic()
    for index in range(OVERCONFIDENT_SHOWN + 3):
        checked(learner, make_question(topics=[topic]), 5, index)
    page = html_of(client_of.get(CALIBRATION))
    listed = section(page, "overconfident-heading", attr="aria-labelledby")
    shown = [
        Question.objects.get(key=key).pk
        for key in re.findall(r'<a class="row-link" href="/questions/([^/]+)/">', listed)
    ]
    form = re.search(r'<form method="post" action="' + STUDY_THESE + r'".*?</form>', listed, re.S)
    assert form
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
    fields.pop("csrfmiddlewaretoken")
    assert fields == {"from": "calibration", "next": CALIBRATION}
    client_of.post(STUDY_THESE, fields)
    assert len(shown) == OVERCONFIDENT_SHOWN
    assert learner.study_sessions.get().question_ids == shown


def test_study_these_with_nothing_overconfident_goes_back_with_a_message(learner, client_of):
    topic = make_topic()
    checked(learner, make_question(topics=[topic]), 3, 90)
    response = client_of.post(
        STUDY_THESE, {"from": "calibration", "next": CALIBRATION}, follow=True
    )
    assert response.redirect_chain == [(CALIBRATION, 302)]
    assert "No question is rated above what your answers recalled." in html_of(response)
    assert not learner.study_sessions.exists()


def test_study_these_reads_only_the_posters_own_marks(learner, client_of, small):
    """Another learner's over-confident questions (all of q1…q8) are not the poster's."""
    someone = make_user()
    client = Client()
    client.force_login(someone)
    client.post(STUDY_THESE, {"from": "calibration"})
    assert not someone.study_sessions.exists()
    client_of.post(STUDY_THESE, {"from": "calibration"})
    assert learner.study_sessions.get().question_ids == [small.q[1].pk, small.q[2].pk]


def test_study_these_needs_a_csrf_token(learner, small):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert client.post(STUDY_THESE, {"from": "calibration"}).status_code == 403
    assert not learner.study_sessions.exists()


# --- Query counts -----------------------------------------------------------------


def grow(learner, *, topics: int, questions: int, others: int) -> None:
    """Many topics and questions, all checked by the learner and by other learners."""
    made = [make_topic() for _ in range(topics)]
    users = [learner, *(make_user() for _ in range(others))]
    for index in range(questions):
        question = make_question(topics=[made[index % topics], made[(index + 1) % topics]])
        for user in users:
            checked(user, question, 1 + (index + user.pk) % 5, (index * 7) % 101)


def test_query_count_stays_flat(learner, client_of, small, django_assert_num_queries):
    with django_assert_num_queries(CALIBRATION_QUERIES):
        page = html_of(client_of.get(CALIBRATION))
    assert len(table_rows(page, "Confidence against recall by topic")) == 3
    grow(learner, topics=12, questions=40, others=3)
    with django_assert_num_queries(CALIBRATION_QUERIES):
        page = html_of(client_of.get(CALIBRATION))
    assert len(table_rows(page, "Confidence against recall by topic")) == 15
    assert "You have checked your answers to 46 questions." in words(page)
    listed = section(page, "overconfident-heading", attr="aria-labelledby")
    assert listed.count('class="row-link"') == OVERCONFIDENT_SHOWN


def test_empty_query_count(learner, client_of, django_assert_num_queries):
    with django_assert_num_queries(EMPTY_CALIBRATION_QUERIES):
        client_of.get(CALIBRATION)
    topic = make_topic()
    for _ in range(20):
        mark(learner, make_question(topics=[topic]), 4)
    with django_assert_num_queries(EMPTY_CALIBRATION_QUERIES):
        page = html_of(client_of.get(CALIBRATION))
    assert "Nothing checked yet" in page
