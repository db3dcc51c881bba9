import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import User
from progress.models import ConfidenceEvent, ConfidenceMark, Note, RecallCheck
from progress.services import save_note
from questions.models import Question
from teams.demo import DEMO_PASSWORD, DEMO_PEOPLE, load_demo_data
from teams.models import Assignment, Membership, Team, TopicSet
from tests.factories import make_user

USERNAMES = ["ines", "lena", "marco", "priya"]


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "events": ConfidenceEvent.objects.count(),
        "marks": ConfidenceMark.objects.count(),
        "notes": Note.objects.count(),
        "typed answers": RecallCheck.objects.count(),
        "teams": Team.objects.count(),
        "memberships": Membership.objects.count(),
        "topic sets": TopicSet.objects.count(),
        "assignments": Assignment.objects.count(),
    }


def test_creates_the_demo_people_with_the_demo_password(seed_bank):
    load_demo_data()

    people = {u.username: u for u in User.objects.filter(username__in=USERNAMES)}
    assert sorted(people) == USERNAMES
    assert DEMO_PASSWORD == "studyhub-demo"
    assert all(u.check_password("studyhub-demo") for u in people.values())
    assert people["lena"].display_name == "Lena Park"
    assert people["ines"].email == "ines@example.com"


def test_learners_have_marks_and_some_have_notes(seed_bank):
    load_demo_data()

    rated = {name: ConfidenceMark.objects.filter(user__username=name).count() for name in USERNAMES}
    assert rated == {"ines": 0, "lena": 40, "marco": 22, "priya": 8}
    for name in ("lena", "marco", "priya"):
        events = ConfidenceEvent.objects.filter(user__username=name).count()
        assert events >= rated[name]
    notes = {name: Note.objects.filter(user__username=name).count() for name in USERNAMES}
    assert notes == {"ines": 0, "lena": 3, "marco": 3, "priya": 0}
    assert Note.objects.filter(question__key="cnn-10", text__contains="Distillation").count() == 2


def test_learners_have_covered_and_uncovered_questions(seed_bank):
    load_demo_data()

    lena = ConfidenceMark.objects.filter(user__username="lena")
    assert lena.filter(level__gte=3).exists()
    assert set(ConfidenceMark.objects.values_list("level", flat=True)) <= {1, 2, 3, 4, 5}
    assert ConfidenceMark.objects.filter(user__username="priya", level__lt=3).exists()


def test_learners_typed_some_answers_and_some_high_ratings_miss(seed_bank):
    load_demo_data()
    for username in ("lena", "marco", "priya"):
        user = User.objects.get(username=username)
        checks = RecallCheck.objects.filter(user=user)
        assert checks.exists(), username
        # Each was typed before its question's first rating, which carries it.
        for check in checks:
            mark = ConfidenceMark.objects.get(user=user, question=check.question)
            assert mark.recall_at == check.created_at
    checked = ConfidenceMark.objects.filter(recall__isnull=False)
    assert checked.filter(level__gte=4, recall__lt=50).exists()  # overconfident somewhere
    assert checked.filter(recalled_half=True, level__gte=3).exists()  # and verified
    assert not RecallCheck.objects.filter(user__username="ines").exists()


def test_a_second_run_creates_nothing_new(seed_bank):
    load_demo_data()
    first = counts()

    load_demo_data()

    assert counts() == first
    assert first["users"] == 4


def test_a_second_run_keeps_changed_passwords(seed_bank):
    load_demo_data()
    lena = User.objects.get(username="lena")
    lena.set_password("lenas-own-secret-1")
    lena.save()

    load_demo_data()

    assert User.objects.get(username="lena").check_password("lenas-own-secret-1")


def test_a_demo_person_can_log_in(client, seed_bank):
    load_demo_data()
    assert client.login(request=HttpRequest(), username="marco", password="studyhub-demo")
    assert "Hello, Marco Rossi" in client.get(reverse("progress:dashboard")).content.decode()


def test_command_prints_the_logins(seed_bank, capsys):
    call_command("load_demo_data")

    out = capsys.readouterr().out
    assert "Demo logins (password for all: studyhub-demo):" in out
    for person in DEMO_PEOPLE:
        line = next(line for line in out.splitlines() if line.split()[:1] == [person.username])
        assert person.display_name in line
        assert line.split()[-1] == person.role


def test_command_is_safe_to_run_twice(seed_bank, capsys):
    call_command("load_demo_data")
    first = counts()
    call_command("load_demo_data")
    assert counts() == first


def test_command_without_a_question_bank_fails_clearly(db):
    with pytest.raises(CommandError, match="Load the question bank first"):
        call_command("load_demo_data")
    assert set(counts().values()) == {0}


def test_load_demo_data_without_a_question_bank_raises(db):
    with pytest.raises(RuntimeError, match="load_question_bank"):
        load_demo_data()
    assert not User.objects.exists()


def test_a_real_account_with_a_demo_username_is_never_written_to(seed_bank, capsys):
    # Someone really called lena, with her own note, on a database the demo loads into.
    lena = make_user(username="lena", display_name="Lena Real", email="lena@real.test")
    save_note(user=lena, question=Question.objects.get(key="cnn-10"), text="My own words")

    call_command("load_demo_data")

    lena.refresh_from_db()
    assert (lena.display_name, lena.email) == ("Lena Real", "lena@real.test")
    assert not lena.check_password(DEMO_PASSWORD)
    assert list(Note.objects.filter(user=lena).values_list("text", flat=True)) == ["My own words"]
    assert not ConfidenceEvent.objects.filter(user=lena).exists()
    assert not Membership.objects.filter(user=lena).exists()
    # The other demo people are loaded as usual, in the demo team.
    team = Team.objects.get(name="CV interview prep")
    members = set(team.memberships.values_list("user__username", flat=True))
    assert members == {"ines", "marco", "priya"}
    out = capsys.readouterr().out
    assert (
        "lena     left alone: this username belongs to an account that is not (or no longer) "
        "a demo account" in out
    )
    assert not any(line.split()[:1] == ["lena"] and "learner" in line for line in out.splitlines())


def test_a_real_instructor_username_gets_no_demo_team(seed_bank):
    make_user(username="ines", email="ines@school.test")

    people = load_demo_data()

    assert [p.username for p in people] == ["lena", "marco", "priya"]
    assert not Team.objects.exists()
    assert not Membership.objects.exists()


def test_a_real_account_with_a_demo_looking_address_is_left_alone_too(seed_bank):
    # Signed up as "lena" with a made-up example.com address, and her own password.
    lena = make_user(username="lena", email="lena@example.com", password="her-own-secret-5")
    save_note(user=lena, question=Question.objects.get(key="cnn-10"), text="My own words")

    people = load_demo_data()

    assert "lena" not in [p.username for p in people]
    assert list(Note.objects.filter(user=lena).values_list("text", flat=True)) == ["My own words"]
    assert not ConfidenceEvent.objects.filter(user=lena).exists()
    assert not Membership.objects.filter(user=lena).exists()


def test_the_demo_team_has_questions_of_its_own_that_only_its_members_see(seed_bank, client):
    load_demo_data()
    team = Team.objects.get(name="CV interview prep")
    own = set(team.bank.questions.values_list("key", flat=True))
    mark = f"-t{team.bank_id}"  # a team bank's keys are its own
    assert own == {f"cv-prep-latency-budget{mark}", f"cv-prep-night-shift{mark}"}
    assert team.bank.topics.get().questions.count() == 1
    # The learners' history is over the library: they never rated the team's questions.
    assert not ConfidenceMark.objects.filter(question__bank=team.bank).exists()
    client.force_login(User.objects.get(username="lena"))
    assert (
        client.get(
            reverse("progress:question_detail", args=[f"cv-prep-night-shift{mark}"])
        ).status_code
        == 200
    )
    client.force_login(make_user())
    assert (
        client.get(
            reverse("progress:question_detail", args=[f"cv-prep-night-shift{mark}"])
        ).status_code
        == 404
    )


def test_the_demo_team_shows_team_progress_with_two_of_three_learners_sharing(seed_bank):
    load_demo_data()

    team = Team.objects.get(name="CV interview prep")
    assert team.members_see_progress
    sharing = dict(team.memberships.values_list("user__username", "shares_progress"))
    assert sharing == {"ines": False, "lena": True, "marco": True, "priya": False}
    assert sorted(team.memberships.sharing().values_list("user__username", flat=True)) == [
        "lena",
        "marco",
    ]


def test_a_second_run_keeps_the_choices_people_made_since(seed_bank):
    load_demo_data()
    team = Team.objects.get(name="CV interview prep")
    team.show_progress_to_members(False)
    Membership.objects.get(team=team, user__username="lena").share_progress(False)

    load_demo_data()

    team.refresh_from_db()
    assert not team.members_see_progress
    assert list(team.memberships.sharing().values_list("user__username", flat=True)) == ["marco"]
