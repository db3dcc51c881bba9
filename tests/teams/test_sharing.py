"""Opt-in team progress (teams/sharing.py, teams/sharing_views.py): the instructors'
switch, each learner's own choice, and the team progress page, which reads, counts and
names only the learners who share; never the others, never instructors, never notes."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from questions.models import Question
from teams.models import Membership, Team
from tests.factories import make_bank, make_question, make_topic, make_user, mark, note
from tests.pages import html_of, section, squash
from tests.teams.factories import (
    INSTRUCTOR,
    NOTE_TEXT,
    SCALE_SIZES,
    add_member,
    bulk_learners,
    make_team,
    membership,
)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def progress_url(team: Team) -> str:
    return reverse("teams:team_progress", args=[team.pk])


def share_url(team: Team) -> str:
    return reverse("teams:share_progress", args=[team.pk])


def visibility_url(team: Team) -> str:
    return reverse("teams:team_visibility", args=[team.pk])


def main_of(response) -> str:
    """The page's <main>: everything but the header (which names the viewer) and footer."""
    match = re.search(r"<main\b.*?</main>", html_of(response), re.S)
    assert match, "no <main>"
    return match.group(0)


def text_of(html: str) -> str:
    return squash(re.sub(r"<[^>]+>", " ", html))


def messages_of(response) -> list[str]:
    return [
        squash(m)
        for m in re.findall(r'<p class="message message-\w+">(.*?)</p>', html_of(response), re.S)
    ]


def progress_rows(response) -> dict[str, tuple[int, str]]:
    """The topics table: topic name -> (average %, the "Covered by" text)."""
    table = re.search(
        r'<table class="data-table team-progress">.*?</table>', main_of(response), re.S
    )
    assert table, "no team progress table"
    rows = re.findall(
        r'<th scope="row"><a href="[^"]*">([^<]*)</a>.*?<strong>(\d+)%</strong>.*?'
        r'<td class="covered-by">(.*?)</td>',
        table.group(0),
        re.S,
    )
    return {name: (int(p), text_of(covered)) for name, p, covered in rows}


def switch_on(team: Team) -> Team:
    team.show_progress_to_members(True)
    return team


def share(team: Team, *users) -> None:
    for user in users:
        membership(team, user).share_progress(True)


# --- The page, switched on ----------------------------------------------------------


def test_the_page_counts_and_names_only_the_learners_who_share(world):
    switch_on(world.team)
    share(world.team, world.ada, world.dee)

    response = client_for(world.bo).get(progress_url(world.team))

    assert response.status_code == 200
    assert "2 members share their progress." in text_of(main_of(response))
    # Ada: Alpha 3/3, Beta 2/2, Gamma 0/1; Dee: Alpha 2/3, Beta 0/2, Gamma 1/1.
    assert progress_rows(response) == {
        "Alpha": (83, "Ada Lovelace"),  # 5 of 6
        "Beta": (50, "Ada Lovelace"),  # 2 of 4
        "Gamma": (50, "Dee Evans"),  # 1 of 2
    }


def test_the_viewers_own_progress_counts_only_once_they_share(world):
    switch_on(world.team)
    share(world.team, world.ada, world.dee)
    bo = client_for(world.bo)
    assert "You do not share your progress, so you are not counted here." in text_of(
        main_of(bo.get(progress_url(world.team)))
    )

    bo.post(share_url(world.team), {"share": "true"})

    response = bo.get(progress_url(world.team))
    assert "3 members share their progress." in text_of(main_of(response))
    assert "You share your progress, so you are counted here." in text_of(main_of(response))
    # Bo adds Alpha 1/3, Beta 1/2, Gamma 0/1; he has covered no topic in full.
    assert progress_rows(response) == {
        "Alpha": (66, "Ada Lovelace"),  # 6 of 9
        "Beta": (50, "Ada Lovelace"),  # 3 of 6
        "Gamma": (33, "Dee Evans"),  # 1 of 3
    }


def test_covered_by_lists_names_in_alphabetical_order_whoever_covered_first(db):
    topic = make_topic(name="Solo")
    question = make_question(topics=[topic])
    team = switch_on(make_team())
    people = [make_user(display_name=name) for name in ("zoë Zed", "Anna Ant", "mia Moss")]
    for person in people:
        add_member(team, person)
        mark(person, question, 4)
    share(team, *people)

    response = client_for(people[0]).get(progress_url(team))

    assert progress_rows(response)["Solo"] == (100, "Anna Ant, mia Moss, zoë Zed")


def test_instructors_and_other_teams_are_never_counted(world):
    switch_on(world.team)
    share(world.team, world.dee)
    # Eve shares in her own team; Bo shared and was then made an instructor.
    switch_on(world.other_team)
    share(world.other_team, world.eve)
    share(world.team, world.bo)
    Membership.objects.filter(team=world.team, user=world.bo).update(role=INSTRUCTOR)
    # Iris (the instructor) has covered Gamma in full, as has Eve.

    response = client_for(world.ada).get(progress_url(world.team))

    assert "1 member shares their progress." in text_of(main_of(response))
    assert progress_rows(response) == {
        "Alpha": (66, "No one yet"),
        "Beta": (0, "No one yet"),
        "Gamma": (100, "Dee Evans"),
    }
    page = text_of(main_of(response))
    for name in ("Iris Instructor", "Eve Outsider", "Bo Chen"):
        assert name not in page


def test_notes_are_never_shown(world):
    switch_on(world.team)
    share(world.team, world.ada, world.bo, world.cy, world.dee)
    note(world.dee, world.q[5], "DEE-PRIVATE-NOTE")
    for viewer in (world.ada, world.bo, world.instructor):
        html = html_of(client_for(viewer).get(progress_url(world.team)))
        assert NOTE_TEXT not in html
        assert "DEE-PRIVATE-NOTE" not in html


def test_only_the_teams_own_questions_count(world):
    """The library and the team's bank, not retired: another team's question in a
    library topic and a retired question are not part of the topic."""
    switch_on(world.team)
    share(world.team, world.dee)
    other = make_question(topics=[world.gamma], bank=world.other_team.bank)
    mark(world.dee, other, 1)
    retired = make_question(topics=[world.gamma])
    Question.objects.filter(pk=retired.pk).update(retired_at=timezone.now())
    own = make_question(topics=[world.gamma], bank=world.team.bank)

    response = client_for(world.ada).get(progress_url(world.team))
    assert progress_rows(response)["Gamma"] == (50, "No one yet")  # q5 covered, `own` not

    mark(world.dee, own, 3)
    assert progress_rows(client_for(world.ada).get(progress_url(world.team)))["Gamma"] == (
        100,
        "Dee Evans",
    )


def test_with_nobody_sharing_the_page_says_so(world):
    switch_on(world.team)

    for viewer in (world.ada, world.instructor):
        page = text_of(main_of(client_for(viewer).get(progress_url(world.team))))
        assert "No member shares their progress yet." in page
        assert "Average coverage" not in page


# --- The page, switched off -----------------------------------------------------------


def test_off_by_default_the_page_says_so_and_shows_nobody(world):
    share(world.team, world.ada, world.dee)
    assert not world.team.members_see_progress

    learner = text_of(main_of(client_for(world.bo).get(progress_url(world.team))))
    assert "The instructors of Vision group have not turned team progress on." in learner
    instructor = text_of(main_of(client_for(world.instructor).get(progress_url(world.team))))
    assert "Turn it on in the team settings" in instructor
    for page in (learner, instructor):
        assert "Ada Lovelace" not in page
        assert "share their progress." not in page
        assert not re.search(r"\d", page), page  # no count, no figure


# --- Privacy: a learner who does not share never appears -----------------------------

SECRET_NAME = "Quentin Quietude"
SECRET_USERNAME = "quietquentin"


def _unshared_team(*, other_learners: int, sharing: bool):
    """A team with one learner who does not share (and has covered everything) and
    `other_learners` who all share or all do not."""
    topic = make_topic(name="Privacy topic")
    question = make_question(topics=[topic])
    instructor = make_user(display_name="Ivy Instructor")
    team = make_team("Privacy team", instructor=instructor)
    quiet = make_user(username=SECRET_USERNAME, display_name=SECRET_NAME)
    add_member(team, quiet)
    mark(quiet, question, 5)
    others = [make_user(display_name=f"Open Learner {n}") for n in range(other_learners)]
    for other in others:
        add_member(team, other)
        if sharing:
            membership(team, other).share_progress(True)
    return team, instructor, quiet, others


def _assert_quiet_learner_absent(response, team: Team, *, sharers: int) -> None:
    main = main_of(response)
    page = text_of(main)
    assert SECRET_NAME not in main
    assert SECRET_USERNAME not in main.casefold()
    members = team.memberships.learners().count()
    counts = {int(n) for n in re.findall(r"(\d+) members?\b", page)}
    assert counts <= {sharers}, page
    # Nor any figure that mixes the quiet learner in: their 100% would show.
    assert "100%" not in page
    if members != sharers:
        assert f"{sharers} of {members}" not in page
        assert f"of {members}" not in page


@pytest.mark.parametrize("switched_on", [True, False], ids=["on", "off"])
@pytest.mark.parametrize(
    ("others", "sharing"),
    [(3, True), (3, False), (0, False)],
    ids=["the-only-one-not-sharing", "nobody-shares", "the-only-learner"],
)
def test_a_learner_who_does_not_share_never_appears(db, switched_on, others, sharing):
    team, instructor, quiet, open_learners = _unshared_team(other_learners=others, sharing=sharing)
    team.show_progress_to_members(switched_on)
    sharers = others if sharing else 0
    # Every viewer: the other learners, the instructor, and the quiet learner themself
    # (whose own name is in the header, so only <main> is checked).
    for viewer in [*open_learners, instructor, quiet]:
        response = client_for(viewer).get(progress_url(team))
        assert response.status_code == 200
        _assert_quiet_learner_absent(response, team, sharers=sharers)


def test_a_learner_who_stops_sharing_disappears_at_once(world):
    switch_on(world.team)
    share(world.team, world.ada, world.dee)
    ada = client_for(world.ada)

    ada.post(share_url(world.team), {"share": "false"})

    response = client_for(world.bo).get(progress_url(world.team))
    assert "Ada Lovelace" not in main_of(response)
    assert "1 member shares their progress." in text_of(main_of(response))
    assert progress_rows(response)["Alpha"] == (66, "No one yet")  # Dee alone: 2 of 3


# --- A learner's own choice ------------------------------------------------------------


def test_a_learner_turns_sharing_on_and_off_from_the_team_page(world):
    ada = client_for(world.ada)
    card = section(html_of(ada.get(world.team.get_absolute_url())), "my-progress")
    assert "Your progress in this team" in card
    assert "You do not share your progress with Vision group." in text_of(card)
    assert (
        "members of Vision group will see your name under each topic you have covered in full, "
        "and your coverage will count in the team's average for each topic (with few members "
        "sharing, that average comes close to your own). They never see your notes."
    ) in text_of(card)
    assert "The instructors have not turned team progress on" in text_of(card)

    response = ada.post(share_url(world.team), {"share": "true"})

    assert response.status_code == 302
    assert response["Location"] == world.team.get_absolute_url() + "#my-progress"
    assert membership(world.team, world.ada).shares_progress
    page = ada.get(world.team.get_absolute_url())
    assert messages_of(page) == [
        "You now share your progress with Vision group. Members will see it once the "
        "instructors turn team progress on."
    ]
    card = section(html_of(page), "my-progress")
    assert "You share your progress with Vision group." in text_of(card)
    assert "Stop sharing my progress" in card

    ada.post(share_url(world.team), {"share": "false"})

    assert not membership(world.team, world.ada).shares_progress
    assert messages_of(ada.get(world.team.get_absolute_url())) == [
        "You no longer share your progress with Vision group."
    ]


@pytest.mark.parametrize(
    "posted",
    [{}, {"share": ""}, {"share": "false"}, {"share": "0"}, {"share": "on"}, {"share": "TRUE"}],
)
def test_anything_but_true_means_not_sharing(world, posted):
    share(world.team, world.ada)
    ada = client_for(world.ada)

    assert ada.post(share_url(world.team), posted).status_code == 302

    assert not membership(world.team, world.ada).shares_progress
    ada.post(share_url(world.team), {"share": "true"})
    assert membership(world.team, world.ada).shares_progress


def test_a_learner_sets_only_their_own_choice(world):
    ada = client_for(world.ada)
    ada_membership = membership(world.team, world.ada)
    dee_membership = membership(world.team, world.dee)

    # Naming someone else's membership or user in the form changes nothing of theirs.
    ada.post(
        share_url(world.team),
        {"share": "true", "membership": dee_membership.pk, "user": world.dee.pk},
    )
    assert set(Membership.objects.filter(shares_progress=True)) == {ada_membership}

    # Another team's choice: a 404, and nothing changes.
    response = ada.post(share_url(world.other_team), {"share": "true"})
    assert response.status_code == 404
    assert set(Membership.objects.filter(shares_progress=True)) == {ada_membership}


def test_an_instructor_cannot_share_and_is_told_why(world):
    response = client_for(world.instructor).post(share_url(world.team), {"share": "true"})
    assert response.status_code == 403
    assert not Membership.objects.filter(shares_progress=True).exists()
    # Instructors get no "Your progress" card.
    page = html_of(client_for(world.instructor).get(world.team.get_absolute_url()))
    assert 'id="my-progress"' not in page
    assert "Share my progress" not in page


def test_a_learners_choice_outlives_the_switch(world):
    share(world.team, world.ada)
    iris = client_for(world.instructor)
    iris.post(visibility_url(world.team), {"members_see_progress": "true"})
    iris.post(visibility_url(world.team), {"members_see_progress": "false"})
    iris.post(visibility_url(world.team), {"members_see_progress": "true"})
    assert membership(world.team, world.ada).shares_progress
    assert progress_rows(client_for(world.bo).get(progress_url(world.team)))["Alpha"] == (
        100,
        "Ada Lovelace",
    )


# --- The instructors' switch -----------------------------------------------------------


def test_an_instructor_turns_team_progress_on_and_off_in_the_settings(world):
    iris = client_for(world.instructor)
    settings_url = reverse("teams:team_settings", args=[world.team.pk])
    card = section(html_of(iris.get(settings_url)), "team-progress")
    assert "Off: members do not see each other's progress." in text_of(card)
    assert "Let members see the team's progress" in card

    response = iris.post(visibility_url(world.team), {"members_see_progress": "true"})

    assert response.status_code == 302
    assert response["Location"] == settings_url + "#team-progress"
    world.team.refresh_from_db()
    assert world.team.members_see_progress
    page = iris.get(settings_url)
    assert messages_of(page) == [
        "Team progress is on: members now see the coverage of the learners who share "
        "their progress."
    ]
    assert "Turn team progress off" in section(html_of(page), "team-progress")
    # The rename form is untouched and still renames.
    assert iris.post(settings_url, {"name": "Renamed group"}).status_code == 302
    assert messages_of(iris.get(world.team.get_absolute_url())) == ["Team renamed."]
    world.team.refresh_from_db()
    assert (world.team.name, world.team.members_see_progress) == ("Renamed group", True)

    iris.post(visibility_url(world.team), {"members_see_progress": "false"})

    world.team.refresh_from_db()
    assert not world.team.members_see_progress
    assert messages_of(iris.get(settings_url)) == [
        "Team progress is off: members no longer see it. Each learner's choice to share is kept."
    ]


def test_learners_cannot_flip_the_switch(world):
    for value in ("true", "false"):
        world.team.show_progress_to_members(value == "false")
        response = client_for(world.ada).post(
            visibility_url(world.team), {"members_see_progress": value}
        )
        assert response.status_code == 403
        world.team.refresh_from_db()
        assert world.team.members_see_progress is (value == "false")
    # Another team's instructor: the team does not exist for them.
    outsider = world.other_team.memberships.instructors().get().user
    response = client_for(outsider).post(visibility_url(world.team), {"members_see_progress": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["teams:share_progress", "teams:team_visibility"])
def test_the_posts_refuse_get(world, name):
    response = client_for(world.instructor).get(reverse(name, args=[world.team.pk]))
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("who", "url", "data"),
    [
        ("ada", share_url, {"share": "true"}),
        ("instructor", visibility_url, {"members_see_progress": "true"}),
    ],
)
def test_the_posts_need_the_csrf_token(world, who, url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(getattr(world, who))
    team_page = html_of(client.get(world.team.get_absolute_url()))
    settings_page = html_of(client.get(reverse("teams:team_settings", args=[world.team.pk])))

    assert client.post(url(world.team), data).status_code == 403
    assert (
        client.post(url(world.team), {**data, "csrfmiddlewaretoken": "x" * 64}).status_code == 403
    )
    world.team.refresh_from_db()
    assert not world.team.members_see_progress
    assert not Membership.objects.filter(shares_progress=True).exists()

    # The token in the page's own form works.
    form_page = team_page if who == "ada" else settings_page
    action = re.escape(url(world.team))
    form = re.search(rf'<form method="post" action="{action}">.*?</form>', form_page, re.S)
    assert form, "no form posting there"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    assert token
    response = client.post(url(world.team), {**data, "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302


# --- The team page ----------------------------------------------------------------------


def test_the_team_page_links_to_team_progress_for_everyone_once_it_is_on(world):
    link = f'href="{progress_url(world.team)}"'
    for viewer in (world.ada, world.instructor):
        assert link not in html_of(client_for(viewer).get(world.team.get_absolute_url()))
    switch_on(world.team)
    for viewer in (world.ada, world.instructor):
        page = html_of(client_for(viewer).get(world.team.get_absolute_url()))
        assert re.search(rf"<a [^>]*{re.escape(link)}>Team progress</a>", page)


def test_instructors_see_learners_names_as_links_to_their_page(world):
    def member_url(user) -> str:
        return reverse("teams:member_detail", args=[world.team.pk, membership(world.team, user).pk])

    members = section(
        html_of(client_for(world.instructor).get(world.team.get_absolute_url())), "members"
    )
    for learner in world.learners:
        assert f'<a href="{member_url(learner)}">{learner.shown_name}</a>' in members
    assert '<th scope="row">Iris Instructor <span class="muted">(you)</span>' in members
    assert member_url(world.instructor) + '"' not in members

    seen_by_learner = section(
        html_of(client_for(world.ada).get(world.team.get_absolute_url())), "members"
    )
    for learner in world.learners:
        assert f'<th scope="row">{learner.shown_name}' in seen_by_learner
        assert member_url(learner) + '"' not in seen_by_learner


# --- Query counts -------------------------------------------------------------------------

TEAM_PROGRESS_QUERIES = 7
TEAM_PROGRESS_OFF_QUERIES = 4

SIZES = SCALE_SIZES


@pytest.fixture(params=SIZES, ids=[f"{m}sharers-{t}topics" for m, t in SIZES])
def sized_team(request, db):
    sharers, topic_count = request.param
    topics = make_bank(topics=topic_count, questions_per_topic=1)
    questions = [q for t in topics for q in t.questions.all()]
    instructor = make_user()
    team = make_team("Sized", instructor=instructor)
    learners = bulk_learners(team, sharers, questions=questions)
    Membership.objects.filter(team=team, user__in=learners).update(shares_progress=True)
    quiet = make_user(username=SECRET_USERNAME, display_name=SECRET_NAME)
    add_member(team, quiet)
    for question in questions[:3]:
        mark(quiet, question, 5)
    return team, instructor, learners, topic_count


def test_team_progress_queries_stay_flat(sized_team, django_assert_num_queries):
    team, instructor, learners, topic_count = sized_team
    client = client_for(learners[0])
    with django_assert_num_queries(TEAM_PROGRESS_OFF_QUERIES):
        response = client.get(progress_url(team))
    assert "have not turned team progress on" in text_of(main_of(response))

    switch_on(team)
    for viewer in (client, client_for(instructor)):
        with django_assert_num_queries(TEAM_PROGRESS_QUERIES):
            response = viewer.get(progress_url(team))
        rows = progress_rows(response)
        assert len(rows) == topic_count
        assert all(p == 100 for p, _ in rows.values())
        assert {covered.count(", ") + 1 for _, covered in rows.values()} == {len(learners)}
        assert f"{len(learners)} members share their progress." in text_of(main_of(response))
        assert SECRET_NAME not in main_of(response)


def test_only_instructors_see_the_names_as_links_to_each_learners_page(db):
    topic = make_topic(name="Solo")
    question = make_question(topics=[topic])
    teacher = make_user()
    team = switch_on(make_team(instructor=teacher))
    ann = make_user(display_name="Ann Ant")
    add_member(team, ann)
    mark(ann, question, 4)
    share(team, ann)
    page_url = reverse("teams:member_detail", args=[team.pk, membership(team, ann).pk])

    as_instructor = html_of(client_for(teacher).get(progress_url(team)))
    as_learner = html_of(client_for(ann).get(progress_url(team)))

    assert f'<a href="{page_url}">Ann Ant</a>' in as_instructor
    assert "Ann Ant" in as_learner
    assert page_url not in as_learner
