"""The team's calibration (teams/insight.py team_calibration, teams/insight_views.calibration
and calibration_csv) and one learner's on the member page: confidence, as the recall its
levels promise, against the recall of the learners' checked answers, per topic; numbers
worked out by hand on the small world; sorting; only the team's learners count; who may
open it; and pinned query counts at two sizes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from progress.models import ConfidenceMark
from questions.models import Question
from teams.insight import team_calibration
from tests.factories import make_bank, make_question, make_topic, make_user, mark
from tests.pages import csv_rows, html_of, section, squash, table_rows
from tests.teams.factories import (
    INSTRUCTOR,
    SCALE_SIZES,
    add_member,
    bulk_checks,
    bulk_learners,
    checked,
    make_team,
    membership,
)

# The world's checks (tests/teams/factories.World has the marks), with the recall each
# level promises (Not yet 10, Shaky 30, Okay 50, Confident 70, Mastered 90):
#
# | learner | question (topics)   | level → promise | recall | made half |
# |---------|---------------------|-----------------|--------|-----------|
# | Ada     | q1 (Alpha)          | 5 → 90          | 40     | no        |
# | Ada     | q2 (Alpha)          | 4 → 70          | 80     | yes       |
# | Ada     | q3 (Alpha, Beta)    | 3 → 50          | 50     | yes       |
# | Bo      | q3 (Alpha, Beta)    | 2 → 30          | 60     | yes       |
# | Bo      | q4 (Beta)           | 3 → 50          | 20     | no        |
# | Dee     | q1 (Alpha)          | 3 → 50          | 50     | yes       |
# | Dee     | q4 (Beta)           | 1 → 10          | 70     | yes       |
# | Dee     | q5 (Gamma)          | 4 → 70          | 10     | no        |
#
# Alpha: 5 checks by 3 learners, promise 290/5 = 58, recall 280/5 = 56, gap +2: about
#   right; Mastered with under half: Ada q1 (1); verified: Ada q2, Ada q3, Dee q1 (3).
# Beta: 4 checks by 3 learners, promise 140/4 = 35, recall 200/4 = 50, gap −15:
#   under-confident; none sure but short; verified: Ada q3 (1).
# Gamma: 1 check, promise 70, recall 10, gap +60: over-confident; Dee q5 is sure but short.
# Overall (each mark once): 8 checks by 3 learners, promise 420/8 = 52.5 → 53, recall
#   380/8 = 47.5 → 48, gap +5: about right; sure but short 2; verified 3.
# Iris (the instructor) and Eve (another team's learner) have checks that never count.


def give_checks(world) -> None:
    q = world.q
    for user, n, recall, half in [
        (world.ada, 1, 40, False),
        (world.ada, 2, 80, True),
        (world.ada, 3, 50, True),
        (world.bo, 3, 60, True),
        (world.bo, 4, 20, False),
        (world.dee, 1, 50, True),
        (world.dee, 4, 70, True),
        (world.dee, 5, 10, False),
        (world.instructor, 3, 0, False),
        (world.eve, 1, 0, False),
        (world.eve, 5, 100, True),
    ]:
        checked(user, q[n], recall, half=half)


@pytest.fixture
def checks(world):
    give_checks(world)
    return world


def calibration_url(team) -> str:
    return reverse("teams:calibration", args=[team.pk])


def csv_url(team) -> str:
    return reverse("teams:calibration_csv", args=[team.pk])


def page(client, team) -> str:
    response = client.get(calibration_url(team))
    assert response.status_code == 200
    return html_of(response)


def figures(row) -> tuple:
    r = row.recall
    return (row.topic.slug, r.checks, row.learners, r.promised, r.recalled, r.gap, r.verdict)


# --- The figures ----------------------------------------------------------------------


def test_per_topic_figures_worked_out_by_hand(checks):
    report = team_calibration(checks.team)
    assert [figures(row) for row in report.topics] == [
        ("gamma", 1, 1, 70, 10, 60, "over-confident"),
        ("alpha", 5, 3, 58, 56, 2, "about right"),
        ("beta", 4, 3, 35, 50, -15, "under-confident"),
    ]
    alpha, beta = report.topics[1].recall, report.topics[2].recall
    assert (alpha.sure_but_short, alpha.verified) == (1, 3)
    assert (beta.sure_but_short, beta.verified) == (0, 1)
    assert [row.topic.slug for row in report.overconfident] == ["gamma"]
    assert report.learner_count == 4


def test_overall_counts_each_checked_mark_once(checks):
    report = team_calibration(checks.team)
    overall = report.overall
    assert (overall.checks, overall.promised, overall.recalled, overall.gap) == (8, 53, 48, 5)
    assert overall.verdict == "about right"
    assert (overall.sure_but_short, overall.verified) == (2, 3)
    assert report.learners_checked == 3
    assert overall.gap_text == "+5"


def test_topics_nobody_checked_come_last_in_topic_order(world):
    checked(world.dee, world.q[5], 10, half=False)
    report = team_calibration(world.team)
    assert [(row.topic.slug, row.recall.checks) for row in report.topics] == [
        ("gamma", 1),
        ("alpha", 0),
        ("beta", 0),
    ]
    assert report.topics[1].recall.gap is None
    assert report.topics[1].recall.verdict is None


def test_ties_keep_topic_order_and_the_most_overconfident_come_first(world):
    # Alpha and Beta both +20 (q2 Confident → 70, recall 50); Gamma +40.
    checked(world.ada, world.q[2], 50)
    checked(world.ada, world.q[4], 50)
    checked(world.dee, world.q[5], 30, half=False)
    report = team_calibration(world.team)
    assert [(row.topic.slug, row.recall.gap) for row in report.topics] == [
        ("gamma", 40),
        ("alpha", 20),
        ("beta", 20),
    ]
    assert [row.topic.slug for row in report.overconfident] == ["gamma", "alpha", "beta"]


def test_only_the_teams_learners_and_its_scope_count(checks):
    before = [figures(row) for row in team_calibration(checks.team).topics]
    # A question of another team's bank in Alpha, checked by Ada (who joins that team),
    # and a retired question of the library: neither counts.
    other_bank_question = make_question(
        key="theirs", topics=[checks.alpha], bank=checks.other_team.bank
    )
    add_member(checks.other_team, checks.ada)
    checked(checks.ada, other_bank_question, 0, level=5, half=False)
    retired = make_question(key="gone", topics=[checks.alpha])
    checked(checks.bo, retired, 0, level=5, half=False)
    Question.objects.filter(pk=retired.pk).update(retired_at=timezone.now())
    # A second instructor's check does not count either.
    teacher = make_user(username="teacher")
    add_member(checks.team, teacher, INSTRUCTOR)
    checked(teacher, checks.q[2], 0, level=5, half=False)
    assert [figures(row) for row in team_calibration(checks.team).topics] == before
    # A learner who leaves takes their checks along.
    membership(checks.team, checks.dee).delete()
    report = team_calibration(checks.team)
    assert [figures(row) for row in report.topics] == [
        ("alpha", 4, 2, 60, 58, 2, "about right"),
        ("beta", 3, 2, 43, 43, 0, "about right"),
        ("gamma", 0, 0, None, None, None, None),
    ]


def test_marks_without_a_check_do_not_count(world):
    report = team_calibration(world.team)
    assert report.overall.checks == 0
    assert report.overall.promised is None
    assert [row.recall.checks for row in report.topics] == [0, 0, 0]
    assert report.overconfident == []


# --- The page -------------------------------------------------------------------------


def test_the_page_shows_the_table_most_overconfident_first(checks, instructor_client):
    html = page(instructor_client, checks.team)
    assert "<title>Confidence and recall · Vision group · StudyHub</title>" in html
    crumbs = squash(section(html, "calibration-topics-heading", attr="aria-labelledby"))
    assert crumbs.startswith("By topic Download CSV")
    rows = table_rows(html, "calibration-table")
    assert rows[0] == [
        "Topic",
        "Gap",
        "Confidence",
        "Recall",
        "Checks",
        "Confidence and recall on a scale of 0 to 100 0–100",
        "Confident+, under half",
    ]
    assert rows[1:] == [
        ["Gamma", "+60 over-confident", "70", "10", "1 by 1 learner", "", "1"],
        ["Alpha", "+2 about right", "58", "56", "5 by 3 learners", "", "1"],
        ["Beta", "−15 under-confident", "35", "50", "4 by 3 learners", "", "0"],
    ]
    topic_link = reverse("teams:team_topic", args=[checks.team.pk, "gamma"])
    assert f'<a href="{topic_link}">Gamma</a>' in html


def test_the_page_sums_up_the_team_in_words(checks, instructor_client):
    overall = squash(
        section(
            page(instructor_client, checks.team),
            "calibration-overall-heading",
            attr="aria-labelledby",
        )
    )
    assert "Checked answers 8 from 3 of 4 learners" in overall
    assert "Confidence, as promised recall 53 on average" in overall
    assert "Recall 48 on average" in overall
    assert "Gap +5 points: about right" in overall
    assert (
        "Rated Confident or higher on 2 questions where the typed answer recalled under half "
        "of the key points." in overall
    )
    assert "Most over-confident in: Gamma (+60 points)." in overall


def test_the_scale_places_both_figures(checks, instructor_client):
    html = page(instructor_client, checks.team)
    # Gamma: promise 70, recall 10, drawn 4 units in from the left.
    gamma = html[html.index('id="topic-gamma"') :]
    gamma = gamma[: gamma.index("</tr>")]
    assert 'class="gap-dot recalled" cx="14"' in gamma
    assert 'class="gap-dot promised" cx="74"' in gamma
    assert 'class="gap-line gap-over-confident" x1="74" x2="14"' in gamma


def test_without_checks_the_page_says_how_they_come(world, instructor_client):
    html = page(instructor_client, world.team)
    assert "No learner has checked an answer yet." in squash(html)
    rows = table_rows(html, "calibration-table")[1:]
    assert [row[0] for row in rows] == ["Alpha", "Beta", "Gamma"]
    assert {row[1] for row in rows} == {"Not checked yet"}


def test_the_dashboard_links_to_it_beside_the_hard_questions(world, instructor_client):
    html = html_of(instructor_client.get(reverse("teams:team_dashboard", args=[world.team.pk])))
    actions = html[html.index('<p class="matrix-actions">') :]
    actions = actions[: actions.index("</p>")]
    assert "Questions the team finds hard</a>" in actions
    assert f'<a href="{calibration_url(world.team)}">Confidence against recall' in actions


def test_the_page_names_no_learner(checks, instructor_client):
    text = squash(page(instructor_client, checks.team))
    for user in checks.learners:
        assert user.display_name not in text
        assert user.username not in text.split()


# --- The CSV --------------------------------------------------------------------------

CSV_HEADER = [
    "Topic",
    "Questions",
    "Checks",
    "Learners checked",
    "Confidence (promised recall)",
    "Recall",
    "Gap (points)",
    "Verdict",
    "Confident or higher, under half recalled",
    "Verified",
]


def test_the_csv_has_the_pages_rows_in_its_order(checks, instructor_client):
    response = instructor_client.get(csv_url(checks.team))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="vision-group-calibration.csv"'
    )
    assert csv_rows(response) == [
        CSV_HEADER,
        ["Gamma", "1", "1", "1", "70", "10", "60", "over-confident", "1", "0"],
        ["Alpha", "3", "5", "3", "58", "56", "2", "about right", "1", "3"],
        ["Beta", "2", "4", "3", "35", "50", "-15", "under-confident", "0", "1"],
    ]


def test_the_csv_link_is_on_the_page(checks, instructor_client):
    assert f'href="{csv_url(checks.team)}"' in page(instructor_client, checks.team)


def test_a_topic_name_that_looks_like_a_formula_is_neutralised(checks, instructor_client):
    checks.gamma.name = "=cmd|' /C calc'!A0"
    checks.gamma.save()
    rows = csv_rows(instructor_client.get(csv_url(checks.team)))
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[1][6] == "60"


def test_an_empty_team_exports_its_topics_unchecked(world, instructor_client):
    rows = csv_rows(instructor_client.get(csv_url(world.team)))
    assert rows[1:] == [
        ["Alpha", "3", "0", "0", "", "", "", "", "0", "0"],
        ["Beta", "2", "0", "0", "", "", "", "", "0", "0"],
        ["Gamma", "1", "0", "0", "", "", "", "", "0", "0"],
    ]


# --- One learner, on the member page ----------------------------------------------------


def member_page(client, world, user) -> str:
    url = reverse("teams:member_detail", args=[world.team.pk, membership(world.team, user).pk])
    response = client.get(url)
    assert response.status_code == 200
    return html_of(response)


def test_the_member_page_shows_the_learners_own_figures(checks, instructor_client):
    html = member_page(instructor_client, checks, checks.ada)
    card = section(html, "calibration-heading", attr="aria-labelledby")
    # Ada: q1 90/40, q2 70/80, q3 50/50: promise 70, recall 170/3 → 57, gap +13.
    assert (
        "3 checked answers: the ratings promise a recall of 70 on average, the typed "
        "answers recalled 57, a gap of +13 points: over-confident. Rated Confident or higher "
        "on 1 question where the answer recalled under half of the key points."
    ) in squash(card).replace(" ,", ",")
    rows = table_rows(card, "calibration-table")
    assert rows[1:] == [
        ["Alpha", "+13 over-confident", "70", "57", "3", "", "1"],
        ["Beta", "0 about right", "50", "50", "1", "", "0"],
    ]


def test_the_member_page_of_a_learner_without_checks(checks, instructor_client):
    card = section(
        member_page(instructor_client, checks, checks.cy),
        "calibration-heading",
        attr="aria-labelledby",
    )
    assert "No checked answers yet: Cy Diaz has not typed an answer" in squash(card)
    assert "calibration-table" not in card


def test_the_member_page_counts_only_the_teams_scope(checks, instructor_client):
    other_bank_question = make_question(
        key="theirs", topics=[checks.alpha], bank=checks.other_team.bank
    )
    add_member(checks.other_team, checks.bo)
    checked(checks.bo, other_bank_question, 0, level=5, half=False)
    card = section(
        member_page(instructor_client, checks, checks.bo),
        "calibration-heading",
        attr="aria-labelledby",
    )
    # Bo: q3 30/60 and q4 50/20 only.
    assert table_rows(card, "calibration-table")[1:] == [
        ["Beta", "0 about right", "40", "40", "2", "", "0"],
        ["Alpha", "−30 under-confident", "30", "60", "1", "", "0"],
    ]


# --- Who may open it ----------------------------------------------------------------------


@pytest.mark.parametrize("url_of", [calibration_url, csv_url], ids=["page", "csv"])
def test_learners_get_403_outsiders_404_visitors_log_in(checks, url_of):
    url = url_of(checks.team)
    for user, status in [(checks.ada, 403), (checks.eve, 404), (make_user(), 404)]:
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == status
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("url_of", [calibration_url, csv_url], ids=["page", "csv"])
def test_only_get(checks, instructor_client, url_of):
    assert instructor_client.post(url_of(checks.team)).status_code == 405


def test_another_teams_instructor_sees_their_own_team_only(checks):
    other_instructor = checks.other_team.memberships.instructors().get().user
    client = Client()
    client.force_login(other_instructor)
    assert client.get(calibration_url(checks.team)).status_code == 404
    html = page(client, checks.other_team)
    # Eve's two checks: q1 (Mastered → 90, recall 0) and q5 (90, recall 100).
    rows = table_rows(html, "calibration-table")[1:]
    assert rows[0][:5] == ["Alpha", "+90 over-confident", "90", "0", "1 by 1 learner"]


# --- Query counts ---------------------------------------------------------------------

#: Session, user, membership; the topics, the per-topic sums, the overall sums, the
#: learner count; the navigation's teams.
CALIBRATION_QUERIES = 8
#: The same without the navigation.
CALIBRATION_CSV_QUERIES = 7


class Scaled:
    """A team of `members` learners over `topics` topics of two questions each, every
    learner with a checked mark on every question; and noise: another team with its own
    learners and checked marks."""

    def __init__(self, members: int, topics: int) -> None:
        self.topics = [
            make_topic(slug=f"t{i}", name=f"Topic {i}", position=i) for i in range(topics)
        ]
        self.questions = [
            make_question(key=f"s-{i}-{j}", position=2 * i + j + 1, topics=[topic])
            for i, topic in enumerate(self.topics)
            for j in range(2)
        ]
        self.instructor = make_user()
        self.team = make_team("Scaled", instructor=self.instructor)
        self.learners = bulk_learners(self.team, members, questions=self.questions, level=4)
        bulk_checks(self.learners, self.questions, recall=40, half=False)
        other = make_team("Other")
        noise = bulk_learners(other, 5, questions=self.questions, level=1)
        bulk_checks(noise, self.questions, recall=100, half=True)

    def client(self) -> Client:
        client = Client()
        client.force_login(self.instructor)
        return client


@pytest.fixture(params=SCALE_SIZES, ids=[f"{m}learners-{t}topics" for m, t in SCALE_SIZES])
def scaled(request, db) -> Scaled:
    return Scaled(*request.param)


def test_the_report_reads_four_queries(scaled, django_assert_num_queries):
    with django_assert_num_queries(4):
        report = team_calibration(scaled.team)
    assert len(report.topics) == len(scaled.topics)
    # Confident (70) against 40 everywhere: every topic +30.
    assert {(row.recall.checks, row.recall.gap) for row in report.topics} == {
        (2 * len(scaled.learners), 30)
    }


def test_calibration_page_queries(scaled, django_assert_num_queries):
    client = scaled.client()
    with django_assert_num_queries(CALIBRATION_QUERIES):
        response = client.get(calibration_url(scaled.team))
    rows = table_rows(html_of(response), "calibration-table")[1:]
    assert len(rows) == len(scaled.topics)
    assert {row[1] for row in rows} == {"+30 over-confident"}


def test_calibration_csv_queries(scaled, django_assert_num_queries):
    client = scaled.client()
    with django_assert_num_queries(CALIBRATION_CSV_QUERIES):
        response = client.get(csv_url(scaled.team))
    rows = csv_rows(response)
    assert len(rows) == 1 + len(scaled.topics)
    assert {row[2] for row in rows[1:]} == {str(2 * len(scaled.learners))}


def test_checks_do_not_add_queries_to_the_member_page(db):
    """The member page's calibration comes from its coverage queries: a learner with
    checks costs what one without does."""
    (topic,) = make_bank(topics=1, questions_per_topic=3)
    instructor = make_user()
    plain, checker = make_user(), make_user()
    team = make_team("Pair", instructor=instructor, learners=[plain, checker])
    for question in topic.questions.all():
        mark(plain, question, 4)
        checked(checker, question, 30, level=4)
    client = Client()
    client.force_login(instructor)
    counts = []
    for user in (plain, checker):
        url = reverse("teams:member_detail", args=[team.pk, membership(team, user).pk])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert ConfidenceMark.objects.filter(user=checker, recall=30).count() == 3
