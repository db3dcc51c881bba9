"""Team workflows: creating, inviting, joining, members, renaming, deleting, leaving,
topic sets and assignments (accounts/views.py, progress/team_views.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from progress.models import ConfidenceEvent, ConfidenceMark, Note
from questions.models import Question, Topic
from teams.models import Assignment, Membership, Team, TopicSet
from tests.factories import PASSWORD, make_bank, make_question, make_user, mark, note
from tests.pages import field_errors, html_of, squash, table_rows
from tests.teams.factories import (
    DUE_FUTURE,
    DUE_PAST,
    INSTRUCTOR,
    LEARNER,
    TODAY,
    add_member,
    build_world,
    make_assignment,
    make_team,
    make_topic_set,
    membership,
)


def messages_of(response) -> list[str]:
    return [
        squash(m)
        for m in re.findall(r'<p class="message message-\w+">(.*?)</p>', html_of(response), re.S)
    ]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def progress_counts() -> tuple[int, int, int]:
    return ConfidenceMark.objects.count(), ConfidenceEvent.objects.count(), Note.objects.count()


def team_url(name: str, team: Team, *args) -> str:
    return reverse(f"teams:{name}", args=[team.pk, *args])


def dashboard_url() -> str:
    return reverse("progress:dashboard")


@pytest.fixture
def instructor(db):
    return make_user(username="ines", display_name="Ines Instructor")


@pytest.fixture
def learner(db):
    return make_user(username="lena", display_name="Lena Learner")


@pytest.fixture
def team(instructor, learner):
    return make_team("CV prep", instructor=instructor, learners=[learner])


# --- Creating a team and the Teams menu ------------------------------------------


def test_any_signed_in_user_creates_a_team_and_becomes_its_instructor(user):
    client = client_for(user)
    response = client.post(reverse("teams:team_create"), {"name": "  Spring   cohort "})
    team = Team.objects.get()
    assert response.status_code == 302
    assert response["Location"] == team.get_absolute_url()
    assert team.name == "Spring cohort"
    assert list(team.memberships.values_list("user__username", "role")) == [
        ("learner", "instructor")
    ]
    page = client.get(response["Location"])
    assert "You are an instructor in this team." in squash(html_of(page))
    assert messages_of(page) == ["Team “Spring cohort” created. Share its invite link below."]


def test_a_team_needs_a_name(user):
    response = client_for(user).post(reverse("teams:team_create"), {"name": "   "})
    assert response.status_code == 422
    assert field_errors(html_of(response), "name") == ["This field is required."]
    assert not Team.objects.exists()


def test_signed_out_visitors_cannot_create_a_team(db, client):
    response = client.post(reverse("teams:team_create"), {"name": "Sneaky"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Team.objects.exists()


def test_team_list_shows_each_of_my_teams_with_my_role(instructor, learner, team):
    make_team("Another cohort", instructor=learner)
    make_team("Not mine")
    rows = table_rows(html_of(client_for(learner).get(reverse("teams:team_list"))), "data-table")
    assert [row[:2] for row in rows] == [
        ["Team", "Your role"],
        ["Another cohort", "Instructor"],
        ["CV prep", "Learner"],
    ]


def test_team_list_counts_every_member(instructor, learner, team):
    add_member(team, make_user())
    rows = table_rows(html_of(client_for(learner).get(reverse("teams:team_list"))), "data-table")
    assert rows[1] == ["CV prep", "Learner", "3"]


def test_the_teams_menu_lists_every_team_i_am_in(learner, team):
    second = make_team("Detection club", instructor=learner)
    make_team("Someone else's team")
    html = html_of(client_for(learner).get(reverse("progress:dashboard")))
    menu = re.search(r'<details class="nav-menu"[^>]*>.*?</details>', html, re.S).group(0)
    links = re.findall(r'<a href="([^"]*)">([^<]*)</a>', menu)
    assert links == [
        (team.get_absolute_url(), "CV prep"),
        (second.get_absolute_url(), "Detection club"),
        (reverse("teams:team_list"), "All teams"),
    ]


def test_names_people_type_are_shown_as_text_not_markup(instructor):
    team = make_team("<b>Bold</b> & co", instructor=instructor)
    client = client_for(instructor)
    for url in (reverse("teams:team_list"), team.get_absolute_url(), dashboard_url()):
        html = html_of(client.get(url))
        assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html
        assert "<b>Bold</b>" not in html


# --- Invite link and code ---------------------------------------------------------


def test_instructors_see_the_invite_link_and_code_learners_do_not(instructor, learner, team):
    html = html_of(client_for(instructor).get(team.get_absolute_url()))
    join_url = reverse("teams:team_join", args=[team.invite_code])
    assert f"<code>http://testserver{join_url}</code>" in html
    assert f'<span class="invite-code">{team.invite_code}</span>' in html
    learner_html = html_of(client_for(learner).get(team.get_absolute_url()))
    assert team.invite_code not in learner_html
    assert 'id="invite"' not in learner_html


def test_renewing_the_invite_makes_the_old_link_a_clear_404(instructor, team, other_user):
    old = team.invite_code
    response = client_for(instructor).post(team_url("rotate_invite", team))
    assert response.status_code == 302
    assert response["Location"] == team.get_absolute_url() + "#invite"
    team.refresh_from_db()
    assert team.invite_code != old
    assert len(team.invite_code) == 8

    visitor = client_for(other_user)
    stale = visitor.get(reverse("teams:team_join", args=[old]))
    assert stale.status_code == 404
    text = squash(html_of(stale))
    assert "This invite is not valid" in text
    assert "may have been renewed by an instructor" in text
    assert f'href="{reverse("teams:join_with_code")}"' in html_of(stale)
    assert visitor.post(reverse("teams:team_join", args=[old])).status_code == 404
    assert not team.memberships.filter(user=other_user).exists()

    typed = visitor.post(reverse("teams:join_with_code"), {"code": old})
    assert typed.status_code == 422
    assert field_errors(html_of(typed), "code") == [
        "No team has this invite code. Check it with your instructor; codes change when an "
        "instructor renews the invite link."
    ]
    assert visitor.get(reverse("teams:team_join", args=[team.invite_code])).status_code == 200


def test_a_typed_code_finds_the_team_whatever_its_case_and_spacing(team, other_user):
    code = team.invite_code
    typed = f" {code[:4].lower()} {code[4:]} "
    response = client_for(other_user).post(reverse("teams:join_with_code"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == reverse("teams:team_join", args=[code])
    assert not team.memberships.filter(user=other_user).exists()  # joining is a second step


def test_the_invite_link_shows_a_join_page_whose_post_joins_as_learner(team, other_user):
    client = client_for(other_user)
    url = reverse("teams:team_join", args=[team.invite_code.lower()])
    page = client.get(url)
    assert page.status_code == 200
    text = squash(html_of(page))
    assert "Join “CV prep”" in text
    assert "You will join as a learner" in text
    assert "never your notes" in text
    assert not team.memberships.filter(user=other_user).exists()

    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == team.get_absolute_url()
    assert membership(team, other_user).role == LEARNER
    team_page = client.get(response["Location"])
    assert messages_of(team_page) == ["You joined “CV prep”."]
    assert "You are a learner in this team." in squash(html_of(team_page))


def test_following_the_link_again_changes_nothing(instructor, team):
    client = client_for(instructor)
    url = reverse("teams:team_join", args=[team.invite_code])
    assert "You are already a member of this team." in squash(html_of(client.get(url)))
    response = client.post(url)
    assert response.status_code == 302
    assert list(team.memberships.filter(user=instructor).values_list("role", flat=True)) == [
        INSTRUCTOR
    ]
    assert messages_of(client.get(response["Location"])) == []


def test_signed_out_invitees_log_in_or_sign_up_and_land_on_the_join_page(client, team):
    join_url = reverse("teams:team_join", args=[team.invite_code])
    signup, login = reverse("accounts:signup"), reverse("accounts:login")
    members = team.memberships.count()
    invite = client.get(join_url)
    assert invite.status_code == 200
    text = squash(html_of(invite))
    assert "Join “CV prep”" in text
    assert "You have been invited to study with “CV prep”" in text
    # Both ways in come back here: the page's own buttons and the header's.
    assert html_of(invite).count(f'href="{signup}?next={join_url}"') == 2
    assert html_of(invite).count(f'href="{login}?next={join_url}"') == 2
    # Joining itself needs an account.
    refused = client.post(join_url)
    assert refused.status_code == 302
    assert refused["Location"] == f"{login}?next={join_url}"
    assert team.memberships.count() == members

    login_page = client.get(f"{login}?next={join_url}")
    # The form's own link and the header's "Sign up" both keep the invitation.
    assert html_of(login_page).count(f'href="{signup}?next={join_url}"') == 2

    signup_page = client.get(f"{signup}?next={join_url}")
    assert f'<input type="hidden" name="next" value="{join_url}">' in html_of(signup_page)

    signed_up = client.post(
        signup,
        {
            "username": "newbie",
            "display_name": "New Bie",
            "email": "newbie@example.com",
            "password1": "an-unusual-passphrase-93",
            "password2": "an-unusual-passphrase-93",
            "next": join_url,
        },
    )
    assert signed_up.status_code == 302
    assert signed_up["Location"] == join_url
    join_page = client.get(join_url)
    assert "Join “CV prep”" in squash(html_of(join_page))
    assert not team.memberships.filter(user__username="newbie").exists()
    client.post(join_url)
    assert team.memberships.get(user__username="newbie").role == LEARNER


def test_logging_in_from_the_invite_link_returns_to_the_join_page(client, team, other_user):
    join_url = reverse("teams:team_join", args=[team.invite_code])
    response = client.post(
        reverse("accounts:login"),
        {"username": other_user.username, "password": PASSWORD, "next": join_url},
    )
    assert response.status_code == 302
    assert response["Location"] == join_url


def test_sign_up_ignores_a_next_that_leaves_the_site(db, client):
    response = client.post(
        reverse("accounts:signup") + "?next=https://evil.example.com/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "an-unusual-passphrase-93",
            "password2": "an-unusual-passphrase-93",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == dashboard_url()


# --- Members: promote, remove, leave ---------------------------------------------


def test_instructor_promotes_a_learner(instructor, learner, team):
    client = client_for(instructor)
    response = client.post(team_url("promote_member", team, membership(team, learner).pk))
    assert response.status_code == 302
    assert response["Location"] == team.get_absolute_url() + "#members"
    assert membership(team, learner).role == INSTRUCTOR
    assert messages_of(client.get(team.get_absolute_url())) == [
        "Lena Learner is now an instructor."
    ]


def test_instructor_removes_a_member_whose_progress_stays(instructor, learner, team):
    question = make_bank(topics=1, questions_per_topic=1)[0].questions.get()
    mark(learner, question, 4)
    note(learner, question, "Lena's own words")
    client = client_for(instructor)
    response = client.post(team_url("remove_member", team, membership(team, learner).pk))
    assert response.status_code == 302
    assert not team.memberships.filter(user=learner).exists()
    assert progress_counts() == (1, 1, 1)
    assert messages_of(client.get(team.get_absolute_url())) == [
        "Lena Learner was removed from the team."
    ]
    assert client_for(learner).get(team.get_absolute_url()).status_code == 404


def test_the_last_instructor_cannot_be_removed(instructor, team):
    client = client_for(instructor)
    response = client.post(team_url("remove_member", team, membership(team, instructor).pk))
    assert response.status_code == 302
    assert membership(team, instructor).role == INSTRUCTOR
    assert messages_of(client.get(team.get_absolute_url())) == [
        "The last instructor cannot be removed. Make another member an instructor first, "
        "or delete the team."
    ]


def test_an_instructor_can_remove_another_instructor(instructor, team):
    second = make_user(display_name="Second Instructor")
    add_member(team, second, INSTRUCTOR)
    response = client_for(instructor).post(
        team_url("remove_member", team, membership(team, second).pk)
    )
    assert response.status_code == 302
    assert not team.memberships.filter(user=second).exists()


def test_a_learner_leaves_and_keeps_their_progress(learner, team):
    question = make_bank(topics=1, questions_per_topic=1)[0].questions.get()
    mark(learner, question, 2)
    note(learner, question, "mine")
    client = client_for(learner)
    response = client.post(team_url("leave", team), follow=True)
    assert response.redirect_chain == [(reverse("teams:team_list"), 302)]
    assert messages_of(response) == ["You left “CV prep”."]
    assert not team.memberships.filter(user=learner).exists()
    assert progress_counts() == (1, 1, 1)


def test_the_last_instructor_cannot_leave_until_handing_over(instructor, learner, team):
    client = client_for(instructor)
    response = client.post(team_url("leave", team), follow=True)
    assert response.redirect_chain == [(team.get_absolute_url(), 302)]
    assert messages_of(response) == [
        "The last instructor cannot leave. Make another member an instructor first, "
        "or delete the team."
    ]
    assert membership(team, instructor).role == INSTRUCTOR

    client.post(team_url("promote_member", team, membership(team, learner).pk))
    response = client.post(team_url("leave", team))
    assert response["Location"] == reverse("teams:team_list")
    assert list(team.memberships.values_list("user__username", "role")) == [("lena", INSTRUCTOR)]


def test_only_instructors_get_member_controls(instructor, learner, team):
    promote = team_url("promote_member", team, membership(team, learner).pk)
    assert promote in html_of(client_for(instructor).get(team.get_absolute_url()))
    learner_html = html_of(client_for(learner).get(team.get_absolute_url()))
    for member in team.memberships.all():
        assert team_url("promote_member", team, member.pk) not in learner_html
        assert team_url("remove_member", team, member.pk) not in learner_html
    assert team_url("leave", team) in learner_html
    members = table_rows(learner_html, "data-table")
    assert sorted(members[1:]) == [
        ["Ines Instructor", "Instructor"],
        ["Lena Learner (you)", "Learner"],
    ]


# --- Renaming and deleting ----------------------------------------------------------


def test_instructor_renames_the_team(instructor, team):
    client = client_for(instructor)
    response = client.post(team_url("team_settings", team), {"name": " Autumn  cohort "})
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "Autumn cohort"
    assert messages_of(client.get(response["Location"])) == ["Team renamed."]

    blank = client.post(team_url("team_settings", team), {"name": ""})
    assert blank.status_code == 422
    assert field_errors(html_of(blank), "name") == ["This field is required."]
    team.refresh_from_db()
    assert team.name == "Autumn cohort"


def test_deleting_asks_first_and_keeps_everyones_progress(instructor, learner, team):
    question = make_bank(topics=1, questions_per_topic=2)[0].questions.first()
    assert question is not None
    for person in (instructor, learner):
        mark(person, question, 3)
        note(person, question, f"{person.username}'s note")
    make_assignment(team, topics=[question.topics.get()])
    before = progress_counts()
    client = client_for(instructor)

    confirm = client.get(team_url("team_delete", team))
    assert confirm.status_code == 200
    assert "Delete “CV prep”?" in squash(html_of(confirm))
    assert f'action="{team_url("team_delete", team)}"' in html_of(confirm)
    assert Team.objects.filter(pk=team.pk).exists()

    response = client.post(team_url("team_delete", team), follow=True)
    assert response.redirect_chain == [(reverse("teams:team_list"), 302)]
    assert messages_of(response) == ["Team “CV prep” and its team bank deleted."]
    assert not Team.objects.exists()
    assert not Membership.objects.exists()
    assert (TopicSet.objects.count(), Assignment.objects.count()) == (0, 0)
    assert progress_counts() == before == (2, 2, 2)


def test_deleting_says_the_team_bank_goes_with_the_team(instructor, learner, team):
    own = make_question(bank=team.bank)
    mark(learner, own, 3)
    confirm = squash(html_of(client_for(instructor).get(team_url("team_delete", team))))
    assert "Its team bank goes too: 1 question only this team sees" in confirm
    client_for(instructor).post(team_url("team_delete", team))
    assert not Question.objects.filter(pk=own.pk).exists()
    assert not learner.confidence_marks.exists()


# --- Topic sets ------------------------------------------------------------------------


def set_size_text(response) -> str:
    """The count: a full page's status line, or the htmx fragment (its text alone)."""
    html = html_of(response)
    match = re.search(r'<p id="set-size"[^>]*>(.*?)</p>', html, re.S)
    return squash(match.group(1) if match else html)


def test_the_set_size_counts_a_question_in_two_chosen_topics_once(seed_bank, instructor, team):
    client = client_for(instructor)
    ids = dict(Topic.objects.values_list("slug", "pk"))
    q = dict(Question.objects.values_list("position", "pk"))
    url = team_url("topic_set_size", team)

    # Detection holds Q5 19 23 24, robustness Q15 19 32 33 39 42: Q19 is in both.
    both = {"topics": [ids["detection"], ids["robustness"]]}
    response = client.get(url, both)
    assert response.status_code == 200
    html = html_of(response)
    # Only the text: htmx puts it into the page's live region, which stays in place.
    assert html.strip().startswith("This set holds <strong>")
    assert "<html" not in html
    assert set_size_text(response) == "This set holds 9 questions."
    # A single question already in a chosen topic adds nothing; another adds one.
    assert set_size_text(client.get(url, {**both, "questions": [q[24]]})) == (
        "This set holds 9 questions."
    )
    assert set_size_text(client.get(url, {**both, "questions": [q[24], q[1]]})) == (
        "This set holds 10 questions."
    )
    assert set_size_text(client.get(url, {"questions": [q[1]]})) == "This set holds 1 question."
    assert set_size_text(client.get(url)) == "This set holds 0 questions."


def test_instructor_builds_a_topic_set(seed_bank, instructor, team):
    client = client_for(instructor)
    ids = dict(Topic.objects.values_list("slug", "pk"))
    q1 = Question.objects.get(position=1)
    response = client.post(
        team_url("topic_set_create", team),
        {
            "name": " Week 3:  deployment and robustness ",
            "description": "Getting models into production.",
            "topics": [ids["deployment"], ids["robustness"]],
            "questions": [q1.pk],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == team_url("topic_set_list", team)
    topic_set = TopicSet.objects.get()
    assert (topic_set.team, topic_set.name, topic_set.created_by) == (
        team,
        "Week 3: deployment and robustness",
        instructor,
    )
    assert set(topic_set.topics.values_list("slug", flat=True)) == {"deployment", "robustness"}
    assert list(topic_set.questions.all()) == [q1]

    rows = table_rows(html_of(client.get(response["Location"])), "data-table")
    # Deployment has 5 questions, robustness 6, none shared; plus Q1.
    assert rows[1][0].startswith("Week 3: deployment and robustness")
    assert rows[1][1:3] == [
        "Deployment and efficiency, Robustness",
        "12",
    ]

    edit = client.get(team_url("topic_set_edit", team, topic_set.pk))
    assert set_size_text(edit) == "This set holds 12 questions."


def test_a_topic_set_needs_a_topic_or_a_question_and_keeps_what_was_typed(instructor, team):
    response = client_for(instructor).post(
        team_url("topic_set_create", team), {"name": "Empty week", "description": "Nothing yet"}
    )
    assert response.status_code == 422
    html = html_of(response)
    assert "Choose at least one topic or question." in html
    assert 'value="Empty week"' in html
    assert "Nothing yet</textarea>" in html
    assert not TopicSet.objects.exists()


def test_editing_a_topic_set(instructor, team):
    alpha, beta = make_bank(topics=2, questions_per_topic=2)
    topic_set = make_topic_set(team, name="Old", topics=[alpha])
    client = client_for(instructor)
    response = client.post(
        team_url("topic_set_edit", team, topic_set.pk), {"name": "New", "topics": [beta.pk]}
    )
    assert response.status_code == 302
    topic_set.refresh_from_db()
    assert topic_set.name == "New"
    assert list(topic_set.topics.all()) == [beta]
    assert topic_set.team == team


def test_an_assigned_topic_set_is_not_deleted(instructor, team):
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    assigned = make_assignment(team, name="Assigned", topics=[topic]).topic_set
    spare = make_topic_set(team, name="Spare", topics=[topic])
    client = client_for(instructor)

    response = client.post(team_url("topic_set_delete", team, assigned.pk), follow=True)
    assert messages_of(response) == ["This topic set is assigned; withdraw its assignments first."]
    assert TopicSet.objects.filter(pk=assigned.pk).exists()

    response = client.post(team_url("topic_set_delete", team, spare.pk), follow=True)
    assert messages_of(response) == ["Topic set “Spare” deleted."]
    assert list(TopicSet.objects.all()) == [assigned]


# --- Assignments -------------------------------------------------------------------------


def test_assigning_needs_a_topic_set_first(instructor, team):
    response = client_for(instructor).get(team_url("assignment_create", team), follow=True)
    assert response.redirect_chain == [(team_url("topic_set_create", team), 302)]
    assert messages_of(response) == ["Build a topic set first; then you can assign it."]


@time_machine.travel(datetime(2026, 4, 1, 9, 0, tzinfo=UTC), tick=False)
def test_instructor_assigns_edits_and_withdraws(instructor, learner, team):
    (topic,) = make_bank(topics=1, questions_per_topic=2)
    question = topic.questions.first()
    assert question is not None
    mark(learner, question, 4)
    topic_set = make_topic_set(team, name="Week 1", topics=[topic])
    client = client_for(instructor)

    response = client.post(
        team_url("assignment_create", team), {"topic_set": topic_set.pk, "due_date": "2026-04-30"}
    )
    assert response.status_code == 302
    assert response["Location"] == team.get_absolute_url()
    assignment = Assignment.objects.get()
    assert (assignment.team, assignment.topic_set, str(assignment.due_date)) == (
        team,
        topic_set,
        "2026-04-30",
    )
    assert assignment.created_by == instructor
    team_page = client.get(team.get_absolute_url())
    assert messages_of(team_page) == ["“Week 1” is assigned to CV prep."]
    rows = table_rows(html_of(team_page), "data-table")
    assert rows[1][:2] == ["Week 1", "30 Apr 2026"]

    edit = client.post(
        team_url("assignment_edit", team, assignment.pk),
        {"topic_set": topic_set.pk, "due_date": ""},
    )
    assert edit.status_code == 302
    assignment.refresh_from_db()
    assert assignment.due_date is None
    assert table_rows(html_of(client.get(team.get_absolute_url())), "data-table")[1][:2] == [
        "Week 1",
        "No due date",
    ]

    bad = client.post(
        team_url("assignment_edit", team, assignment.pk),
        {"topic_set": topic_set.pk, "due_date": "next friday"},
    )
    assert bad.status_code == 422
    assert field_errors(html_of(bad), "due_date") == ["Enter a valid date."]
    assert 'value="next friday"' in html_of(bad)

    withdrawn = client.post(team_url("assignment_withdraw", team, assignment.pk), follow=True)
    assert withdrawn.redirect_chain == [(team.get_absolute_url(), 302)]
    assert messages_of(withdrawn) == ["“Week 1” withdrawn. Nobody's progress was changed."]
    assert not Assignment.objects.exists()
    assert TopicSet.objects.filter(pk=topic_set.pk).exists()
    assert progress_counts() == (1, 1, 0)
    assert "Nothing assigned yet." in html_of(withdrawn)


def test_only_this_teams_topic_sets_can_be_assigned(instructor, team):
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    make_topic_set(team, name="Ours", topics=[topic])
    theirs = make_topic_set(make_team("Theirs"), name="Theirs", topics=[topic])
    client = client_for(instructor)
    form = html_of(client.get(team_url("assignment_create", team)))
    assert ">Ours</option>" in form
    assert "Theirs" not in form
    response = client.post(team_url("assignment_create", team), {"topic_set": theirs.pk})
    assert response.status_code == 422
    assert not Assignment.objects.exists()


@pytest.fixture
def world(db):
    return build_world()


def assignment_rows(response) -> list[list[str]]:
    return table_rows(html_of(response), "data-table")[1:]


def test_learners_see_assignments_on_their_dashboard(world, time_machine):
    time_machine.move_to(TODAY)
    ada = assignment_rows(client_for(world.ada).get(dashboard_url()))
    assert ada == [
        ["Vision group", "Week 1: alpha", "1 Mar 2026", "3 of 3 · 100%", "Complete ✓"],
        ["Vision group", "Gamma and Q4", "20 Mar 2026", "1 of 2 · 50%", "In progress"],
    ]
    dee = assignment_rows(client_for(world.dee).get(dashboard_url()))
    assert [row[3:] for row in dee] == [
        ["2 of 3 · 66%", "Overdue"],
        ["1 of 2 · 50%", "In progress"],
    ]
    cy = assignment_rows(client_for(world.cy).get(dashboard_url()))
    assert [row[3:] for row in cy] == [["0 of 3 · 0%", "Overdue"], ["0 of 2 · 0%", "Not started"]]
    # Someone in no team sees no assignments at all.
    assert "assignments-heading" not in html_of(client_for(make_user()).get(dashboard_url()))


def test_learners_see_assignments_on_the_team_page(world, time_machine):
    time_machine.move_to(TODAY)
    rows = assignment_rows(client_for(world.dee).get(world.team.get_absolute_url()))
    assert rows[:2] == [
        ["Week 1: alpha", "1 Mar 2026", "2 of 3 · 66%", "Overdue"],
        ["Gamma and Q4", "20 Mar 2026", "1 of 2 · 50%", "In progress"],
    ]


def test_an_assignment_is_overdue_only_after_its_due_date(world, time_machine):
    time_machine.move_to(DUE_PAST)
    assert assignment_rows(client_for(world.dee).get(dashboard_url()))[0][4] == "In progress"
    time_machine.move_to(DUE_PAST + timedelta(days=1))
    assert assignment_rows(client_for(world.dee).get(dashboard_url()))[0][4] == "Overdue"
    time_machine.move_to(DUE_FUTURE + timedelta(days=1))
    assert [row[4] for row in assignment_rows(client_for(world.dee).get(dashboard_url()))] == [
        "Overdue",
        "Overdue",
    ]


def test_covering_the_last_question_completes_an_overdue_assignment(world, time_machine):
    time_machine.move_to(TODAY)
    client = client_for(world.dee)
    client.post(reverse("progress:mark_confidence", args=[world.q[3].key]), {"level": 3})
    rows = assignment_rows(client.get(dashboard_url()))
    assert rows[0][3:] == ["3 of 3 · 100%", "Complete ✓"]


def test_the_assignment_page_lists_its_questions_with_my_confidence(world, time_machine):
    time_machine.move_to(TODAY)
    url = team_url("assignment_detail", world.team, world.mixed.pk)
    note(world.dee, world.q[5], "dee's note")
    html = html_of(client_for(world.dee).get(url))
    items = [squash(item) for item in re.findall(r'<li class="row">(.*?)</li>', html, re.S)]
    assert items == [
        "Q4 World question 4? Your confidence: Not yet",
        "Q5 World question 5? Your confidence: Confident Note",
    ]
    text = squash(html)
    assert "Your progress: 1 of 2 · 50%" in text
    assert "Due 20 Mar 2026" in text
    assert "Overdue" not in text
    assert "Download the team's status" not in text  # learners get no CSV link
    assert "The team's progress on it" not in text
    # Instructors get the way to the team's progress on it as well.
    mine = html_of(client_for(world.instructor).get(url))
    dashboard = team_url("team_dashboard", world.team) + f"?assignment={world.mixed.pk}"
    assert f'<a href="{dashboard}">The team\'s progress on it</a>' in mine

    week1 = html_of(
        client_for(world.dee).get(team_url("assignment_detail", world.team, world.week1.pk))
    )
    assert "Overdue" in squash(week1)
    assert [squash(n) for n in re.findall(r'<span class="qnum">(Q\d+)</span>', week1)] == [
        "Q1",
        "Q2",
        "Q3",
    ]


@time_machine.travel(datetime(2026, 4, 10, 9, 0, tzinfo=UTC), tick=False)
def test_a_due_date_in_the_past_is_refused_but_a_passed_one_may_stay(instructor, team):
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    topic_set = make_topic_set(team, name="Week 1", topics=[topic])
    client = client_for(instructor)

    refused = client.post(
        team_url("assignment_create", team), {"topic_set": topic_set.pk, "due_date": "2026-04-09"}
    )
    assert refused.status_code == 422
    assert field_errors(html_of(refused), "due_date") == [
        "Choose today or a later date: a due date in the past would show as overdue to "
        "every learner at once."
    ]
    assert 'value="2026-04-09"' in html_of(refused)
    assert not Assignment.objects.exists()

    today = {"topic_set": topic_set.pk, "due_date": "2026-04-10"}
    assert client.post(team_url("assignment_create", team), today).status_code == 302
    assignment = Assignment.objects.get()

    # Days later the date has passed; the assignment can still be edited with it...
    with time_machine.travel(datetime(2026, 4, 14, 9, 0, tzinfo=UTC), tick=False):
        kept = client.post(team_url("assignment_edit", team, assignment.pk), today)
        assert kept.status_code == 302
        # ...but not moved to another day in the past.
        moved = client.post(
            team_url("assignment_edit", team, assignment.pk),
            {"topic_set": topic_set.pk, "due_date": "2026-04-12"},
        )
        assert moved.status_code == 422
    assignment.refresh_from_db()
    assert str(assignment.due_date) == "2026-04-10"


def test_the_dashboard_leads_instructors_to_the_teams_they_teach(instructor, learner, team):
    other = make_team("Evening group", learners=[instructor])  # where she only learns
    page = html_of(client_for(instructor).get(dashboard_url()))
    section = re.search(
        r'<section[^>]*aria-labelledby="teaching-heading">.*?</section>', page, re.S
    )
    assert section, "no 'Teams you teach' section"
    links = re.findall(r'<a href="([^"]+)">([^<]+)', section.group(0))
    assert links == [
        (team.get_absolute_url(), "CV prep"),
        (team_url("team_dashboard", team), "Team dashboard"),
    ]
    assert other.name in page  # in the Teams menu, as before, but not as taught

    assert "teaching-heading" not in html_of(client_for(learner).get(dashboard_url()))
