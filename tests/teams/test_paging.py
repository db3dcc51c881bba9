"""Pages of the teams app's lists that grow with the team or the bank (issue 18): each
shows 50 rows a page in a stable order, with exact counts, plain links that keep the
filters, and an htmx fragment where the page swaps one; the queries stay the same
whether the team has 5 learners or 120."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from progress.models import ConfidenceMark
from questions.models import Question, Topic
from teams.models import Assignment, Membership, Team
from tests.factories import make_bank, make_user
from tests.pages import HTMX, html_of, matrix_names
from tests.teams.factories import LEARNER, make_assignment, make_team

PER_PAGE = 50
SIZES = [5, 120]
AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@dataclass
class BigTeam:
    """A team of `size` learners over one topic of four questions: learner i has
    covered i % 5 of them (so sorting by coverage has many ties), two learners share a
    name (ties broken by their membership), one has no display name."""

    team: Team
    instructor: User
    learners: list[User]
    topic: Topic
    questions: list[Question]
    assignment: Assignment
    client: Client

    def covered(self, user: User) -> int:
        return self.learners.index(user) % 5

    def get(self, name: str, *args, params=None, **kwargs):
        url = reverse(f"teams:{name}", args=[self.team.pk, *args])
        return self.client.get(url, params or {}, **kwargs)


def big_team(size: int) -> BigTeam:
    topic = make_bank(topics=1, questions_per_topic=4)[0]
    questions = list(topic.questions.order_by("position"))
    instructor = make_user()
    team = make_team("Big", instructor=instructor)
    prefix = f"big{size}-"
    names = [f"Learner {i:04d}" for i in range(size)]
    names[1] = names[0]  # a tie on the name
    names[2] = ""  # no display name: the username shows
    User.objects.bulk_create(
        [
            User(username=f"{prefix}{i:04d}", display_name=name, password="!")
            for i, name in enumerate(names)
        ]
    )
    learners = list(User.objects.filter(username__startswith=prefix).order_by("username"))
    Membership.objects.bulk_create([Membership(team=team, user=u, role=LEARNER) for u in learners])
    ConfidenceMark.objects.bulk_create(
        [
            ConfidenceMark(user=u, question=q, level=4, updated_at=AT)
            for i, u in enumerate(learners)
            for q in questions[: i % 5]
        ]
    )
    assignment = make_assignment(team, topics=[topic])
    client = Client()
    client.force_login(instructor)
    return BigTeam(team, instructor, learners, topic, questions, assignment, client)


@pytest.fixture(params=SIZES, ids=[f"{n}learners" for n in SIZES])
def sized(request, db) -> BigTeam:
    return big_team(request.param)


@pytest.fixture
def big(db) -> BigTeam:
    return big_team(120)


def next_url(html: str) -> str | None:
    """The pager's plain "Next" link, as a browser without JavaScript follows it."""
    match = re.search(r'<a class="button" href="([^"]+)" rel="next"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def status(html: str) -> str:
    return " ".join(re.search(r'class="muted pager-status">([^<]*)<', html).group(1).split())


def walk(client: Client, url: str) -> list[str]:
    """Every page's HTML, following the Next links from `url`."""
    pages: list[str] = []
    following: str | None = url
    while following:
        response = client.get(following)
        assert response.status_code == 200
        pages.append(html_of(response))
        following = next_url(pages[-1])
    return pages


def by_name(team: BigTeam) -> list[str]:
    """The learners' shown names in the order every list of names uses: the name without
    case, then the membership."""
    memberships = Membership.objects.filter(team=team.team, role=LEARNER).select_related("user")
    ordered = sorted(memberships, key=lambda m: (m.user.shown_name.lower(), m.pk))
    return [m.user.shown_name for m in ordered]


# --- The team dashboard's grid -----------------------------------------------------------


def dashboard(team: BigTeam, **params) -> str:
    url = reverse("teams:team_dashboard", args=[team.team.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_the_grid_shows_each_learner_on_exactly_one_page_in_name_order(big):
    pages = walk(big.client, dashboard(big))
    assert len(pages) == 3
    assert [status(html) for html in pages] == [
        "1–50 of 120 learners · page 1 of 3",
        "51–100 of 120 learners · page 2 of 3",
        "101–120 of 120 learners · page 3 of 3",
    ]
    names = [name for html in pages for name in matrix_names(html)]
    assert names == by_name(big)
    assert [len(matrix_names(html)) for html in pages] == [50, 50, 20]


def test_sorting_by_coverage_pages_through_one_stable_order(big):
    pages = walk(big.client, dashboard(big, sort="-overall"))
    names = [name for html in pages for name in matrix_names(html)]
    memberships = Membership.objects.filter(team=big.team, role=LEARNER).select_related("user")
    expected = sorted(
        memberships, key=lambda m: (-big.covered(m.user), m.user.shown_name.lower(), m.pk)
    )
    assert names == [m.user.shown_name for m in expected]
    # Each page's rows are the ones the whole order puts there, and say so.
    first = pages[0]
    covered = [int(re.match(r"(\d+)", row).group(1)) for row in overall_cells(first)]
    assert covered == sorted(covered, reverse=True)


def overall_cells(html: str) -> list[str]:
    return re.findall(r'<td class="overall">([^<]*)', html)


def test_the_assignment_filter_and_levels_view_survive_paging(big):
    url = dashboard(big, assignment=big.assignment.pk, cells="levels", sort="-status")
    pages = walk(big.client, url)
    assert len(pages) == 3
    for html in pages:
        assert '<th scope="col"' in html and ">Status</a>" in html
        assert "matrix-levels" in html
    assert f"assignment={big.assignment.pk}" in (next_url(pages[0]) or "")
    names = [name for html in pages for name in matrix_names(html)]
    assert sorted(names) == sorted(by_name(big))
    assert len(set(zip(names, range(len(names)), strict=True))) == 120


@pytest.mark.parametrize(("page", "shown"), [("3", 3), ("99", 3), ("x", 1), ("", 1), ("2.5", 1)])
def test_a_page_past_the_end_shows_the_last_and_a_bad_one_the_first(big, page, shown):
    html = html_of(big.client.get(dashboard(big), {"page": page}))
    assert f"page {shown} of 3" in status(html)


def test_htmx_gets_the_grid_alone_with_links_that_swap_it(big):
    response = big.client.get(dashboard(big, sort="name", page=2), headers=HTMX)
    html = html_of(response)
    assert html.lstrip().startswith('<section id="matrix">')
    assert "<html" not in html
    assert status(html) == "51–100 of 120 learners · page 2 of 3"
    assert 'hx-get="/teams/' in html and 'hx-target="#matrix"' in html
    assert (next_url(html) or "").endswith("sort=name&page=3")
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_the_status_lists_name_ten_and_link_to_the_rest(big):
    html = html_of(big.client.get(dashboard(big)))
    # 24 learners have covered all of the topic (i % 5 == 4): the grid shows the rest.
    assert "Complete: 24" in html
    assert "and 14 more" in html
    assert f"?assignment={big.assignment.pk}&amp;sort=-status#matrix" in html


def test_the_csv_still_has_every_learner(big):
    response = big.get("team_matrix_csv")
    rows = response.content.decode().splitlines()
    assert len(rows) == 1 + 120


#: With the session and user look-ups; the same at 5 learners as at 120.
DASHBOARD_PAGE = 17
DASHBOARD_FRAGMENT = 10


@pytest.mark.parametrize("params", [{}, {"sort": "-overall"}, {"sort": "last", "page": "3"}])
def test_the_grids_queries_stay_flat(sized, django_assert_num_queries, params):
    url = dashboard(sized)
    with django_assert_num_queries(DASHBOARD_PAGE):
        html = html_of(sized.client.get(url, params))
    learners = len(sized.learners)
    last_page = learners - PER_PAGE * ((learners - 1) // PER_PAGE)
    expected = last_page if "page" in params else min(learners, PER_PAGE)
    assert len(matrix_names(html)) == expected
    filtered = {**params, "assignment": sized.assignment.pk, "sort": "-status"}
    with django_assert_num_queries(DASHBOARD_FRAGMENT + 1):  # the assignment's questions
        sized.client.get(url, filtered, headers=HTMX)


# --- The team page's members -------------------------------------------------------------


def member_names(html: str) -> list[str]:
    section = html[html.index('id="members"') :]
    return [
        re.sub(r"<[^>]+>", "", cell).split(" (you)")[0]
        for cell in re.findall(r'<th scope="row">(.*?)</th>', section)
    ]


def test_the_members_list_pages_instructors_then_learners_by_name(big):
    pages = walk(big.client, big.team.get_absolute_url())
    assert [status(html) for html in pages] == [
        "1–50 of 121 members · page 1 of 3",
        "51–100 of 121 members · page 2 of 3",
        "101–121 of 121 members · page 3 of 3",
    ]
    assert "Members (121)" in pages[2]
    names = [name for html in pages for name in member_names(html)]
    assert names == [big.instructor.shown_name, *by_name(big)]


def test_the_members_list_swaps_alone_for_htmx(big):
    url = big.team.get_absolute_url() + "?page=3"
    html = html_of(big.client.get(url, headers=HTMX))
    assert html.lstrip().startswith('<section class="card" id="members"')
    assert "<html" not in html and 'id="invite"' not in html
    assert len(member_names(html)) == 21
    assert 'hx-target="#members"' in html
    # Its actions still post with the page's token.
    assert "csrfmiddlewaretoken" in html


#: The same for 6 members as for 121.
TEAM_DETAIL = 10


def test_the_team_pages_queries_stay_flat(sized, django_assert_num_queries):
    url = sized.team.get_absolute_url()
    with django_assert_num_queries(TEAM_DETAIL):
        html = html_of(sized.client.get(url, {"page": "2"}))
    members = len(sized.learners) + 1
    # Page 2 of 121 members; of 6, page 2 is past the end, so the last (and only) page.
    assert len(member_names(html)) == (PER_PAGE if members > 2 * PER_PAGE else members)
    learner = Client()
    learner.force_login(sized.learners[-1])
    with django_assert_num_queries(TEAM_DETAIL):
        learner.get(url)


# --- The hard-questions report -----------------------------------------------------------


def more_questions(team: BigTeam, count: int) -> None:
    """`count` more questions of the big team's topic, half of them rated by learner 3."""
    made = Question.objects.bulk_create(
        [
            Question(key=f"many-{n:04d}", position=1000 + n // 2, text=f"Question {n}")
            for n in range(count)
        ]
    )
    team.topic.questions.add(*made)
    ConfidenceMark.objects.bulk_create(
        [
            ConfidenceMark(user=team.learners[3], question=q, level=1 + n % 5, updated_at=AT)
            for n, q in enumerate(made[::2])
        ]
    )


def question_texts(html: str) -> list[str]:
    return re.findall(r'<span class="qnum">Q\d+</span> ([^<]*)</a></th>', html)


@pytest.mark.parametrize("sort", ["-struggling", "rated", "-average", "-change", "-number"])
def test_the_hard_questions_page_through_one_order_sorted_by_the_database(big, sort):
    more_questions(big, 116)
    url = reverse("teams:hard_questions", args=[big.team.pk], query={"sort": sort})
    pages = walk(big.client, url)
    assert [status(html).split(" · ")[0] for html in pages] == [
        "1–50 of 120 questions",
        "51–100 of 120 questions",
        "101–120 of 120 questions",
    ]
    texts = [text for html in pages for text in question_texts(html)]
    assert sorted(texts) == sorted(Question.objects.values_list("text", flat=True))
    # The CSV (every row, Python never sorted them) agrees with the pages.
    csv = big.client.get(reverse("teams:hard_questions_csv", args=[big.team.pk]), {"sort": sort})
    rows = [line.split(",", 2)[1] for line in csv.content.decode().splitlines()[1:]]
    assert [text.split(" ", 1)[-1] for text in texts] == [r.split(" ", 1)[-1] for r in rows]


#: The same for a bank of 4 questions as for 120.
HARD_QUESTIONS_PAGE = 11  # the page's questions are loaded after the sort


@pytest.mark.parametrize("sort", ["-struggling", "-change"])
def test_the_hard_questions_queries_stay_flat(sized, django_assert_num_queries, sort):
    if len(sized.learners) > 100:
        more_questions(sized, 116)
    url = reverse("teams:hard_questions", args=[sized.team.pk])
    with django_assert_num_queries(HARD_QUESTIONS_PAGE):
        html = html_of(sized.client.get(url, {"sort": sort, "page": "2"}))
    assert len(question_texts(html)) == (50 if len(sized.learners) > 100 else 4)


# --- Who has covered a topic -------------------------------------------------------------


def topic_names(html: str) -> list[str]:
    groups = html[html.index('class="status-groups"') : html.index("weakest-q-heading")]
    return re.findall(r'<li><a href="[^"]+">([^<]*)</a>', groups)


def test_the_topic_page_pages_learners_most_advanced_first(big):
    url = reverse("teams:team_topic", args=[big.team.pk, big.topic.slug])
    pages = walk(big.client, url)
    assert len(pages) == 3
    for html in pages:  # every page says how many are in each state, in all
        assert "Complete (24)" in html and "In progress (72)" in html
        assert "Not started (24)" in html
        assert "120 learners" in html
    names = [name for html in pages for name in topic_names(html)]
    memberships = Membership.objects.filter(team=big.team, role=LEARNER).select_related("user")
    expected = sorted(
        memberships, key=lambda m: (-big.covered(m.user), m.user.shown_name.lower(), m.pk)
    )
    assert names == [m.user.shown_name for m in expected]
    assert "On other pages." in pages[2]  # the complete ones were on the first


TEAM_TOPIC = 10  # learners: their counts, in name order, a page; the 5 weakest


def test_the_topic_pages_queries_stay_flat(sized, django_assert_num_queries):
    url = reverse("teams:team_topic", args=[sized.team.pk, sized.topic.slug])
    with django_assert_num_queries(TEAM_TOPIC):
        html = html_of(sized.client.get(url, {"page": "2"}))
    assert len(topic_names(html)) == (PER_PAGE if len(sized.learners) > 100 else 5)


# --- The topic set editor ----------------------------------------------------------------


def question_boxes(html: str) -> dict[str, bool]:
    """The single-question checkboxes shown: value → checked."""
    boxes = re.findall(r'<input type="checkbox" name="questions" value="(\d+)"([^>]*)>', html)
    return {value: "checked" in rest for value, rest in boxes}


def test_the_editor_lists_chosen_questions_and_one_topic_on_demand(big):
    more_questions(big, 116)  # 120 in the topic
    other = make_bank(topics=1, questions_per_topic=3)[0]
    url = reverse("teams:topic_set_create", args=[big.team.pk])
    assert question_boxes(html_of(big.client.get(url))) == {}
    shown = question_boxes(html_of(big.client.get(url, {"browse": other.pk})))
    assert set(shown) == {str(q.pk) for q in other.questions.all()}
    assert not any(shown.values())

    # Without JavaScript: tick one, show another topic's, the tick and the typing stay.
    chosen = other.questions.order_by("position").first()
    response = big.client.post(
        url,
        {"name": "Week 9", "questions": [chosen.pk], "browse": big.topic.pk, "action": "browse"},
    )
    assert response.status_code == 200
    html = html_of(response)
    assert 'value="Week 9"' in html and "errorlist" not in html
    boxes = question_boxes(html)
    assert len(boxes) == 121 and boxes[str(chosen.pk)] is True
    assert sum(boxes.values()) == 1
    assert "This set holds <strong>1</strong> question." in html
    assert not big.team.topic_sets.filter(name="Week 9").exists()

    # Saving takes any question of the scope, shown or not.
    hidden = big.questions[0]
    response = big.client.post(url, {"name": "Week 9", "questions": [chosen.pk, hidden.pk]})
    assert response.status_code == 302
    saved = big.team.topic_sets.get(name="Week 9")
    assert set(saved.questions.all()) == {chosen, hidden}
    edit = reverse("teams:topic_set_edit", args=[big.team.pk, saved.pk])
    assert question_boxes(html_of(big.client.get(edit))) == {
        str(chosen.pk): True,
        str(hidden.pk): True,
    }


#: The new form lists no single question until a topic is browsed: no query for them.
EDITOR = 6


def test_the_editors_queries_and_size_stay_flat_as_the_bank_grows(sized, django_assert_num_queries):
    if len(sized.learners) > 100:
        more_questions(sized, 1000)
    url = reverse("teams:topic_set_create", args=[sized.team.pk])
    with django_assert_num_queries(EDITOR):
        html = html_of(sized.client.get(url))
    assert question_boxes(html) == {}
    assert len(html) < 20_000


@pytest.mark.django_db
def test_an_assignments_questions_come_in_pages(client):
    """An assignment of a whole big topic lists its questions 50 a page, in bank order,
    and "Study these" counts all of them."""
    from teams.models import TopicSet
    from tests.factories import make_topic

    learner = make_user(username="paged-learner")
    team = make_team("Paged", learners=[learner])
    topic = make_topic()
    questions = Question.objects.bulk_create(
        Question(key=f"as-{n}", position=n, text=f"Assigned {n}?") for n in range(1, 108)
    )
    topic.questions.add(*questions)
    topic_set = TopicSet.objects.create(team=team, name="Everything")
    topic_set.topics.add(topic)
    assignment = Assignment.objects.create(team=team, topic_set=topic_set)
    client.force_login(learner)
    url = reverse("teams:assignment_detail", args=[team.pk, assignment.pk])

    pages = [html_of(client.get(url, {"page": n})) for n in (1, 2, 3)]
    shown = [[int(n) for n in re.findall(r'<span class="qnum">Q(\d+)</span>', p)] for p in pages]
    assert [n for page in shown for n in page] == list(range(1, 108))
    assert [len(page) for page in shown] == [50, 50, 7]
    assert "51–100 of 107 questions · page 2 of 3" in pages[1]
    assert "Study these 107" in pages[2]
