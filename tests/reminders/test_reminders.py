"""The daily reminders, sent through a real SMTP server (tests/reminders/conftest.py)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from reminders.links import unsubscribe_token
from reminders.models import SentReminder
from reminders.sending import send_reminders
from tests.factories import make_user, mark
from tests.reminders.conftest import NOW, SITE, html_of_mail, on, text_of
from tests.teams.factories import INSTRUCTOR, add_member

pytestmark = pytest.mark.django_db


def addresses(inbox) -> list[str]:
    return sorted(address for _sender, rcpt in inbox.envelopes for address in rcpt)


def links(text: str) -> list[str]:
    return re.findall(re.escape(SITE) + r"\S+", text)


def subject(message) -> str:
    # Django folds an encoded subject onto a second line; unfolded, it starts with a space.
    return str(message["Subject"]).strip()


def unsubscribe_url(message) -> str:
    """The address in the List-Unsubscribe header (RFC 2369: one, in angle brackets)."""
    match = re.fullmatch(r"<([^<>\s]+)>", str(message["List-Unsubscribe"]).strip())
    assert match, message["List-Unsubscribe"]
    return match.group(1)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- Who hears of what ------------------------------------------------------------------


def test_learners_hear_of_what_is_due_soon_and_unfinished(inbox, world):
    report = send_reminders(now=NOW)

    learners = ["lena@example.com", "marco@example.com"]  # not Priya (done), Quinn, Nils
    assert addresses(inbox) == sorted([*learners, "ines@example.com"])
    assert (report.reminders, report.digests, report.failed) == (2, 1, 0)
    [to_lena] = inbox.to("lena@example.com")
    assert to_lena["To"] == "Lena Park <lena@example.com>"
    assert subject(to_lena) == "“Detection basics” is due in 2 days (Friday 4 December)"
    text = text_of(to_lena)
    assert "Hello Lena Park," in text
    assert "Detection basics (Vision group): due in 2 days (Friday 4 December)." in text
    assert "You have covered 0 of 4 questions (0%)." in text
    # Only what is due soon: not the set due in ten days, nor yesterday's.
    assert "Later set" not in text and "Past set" not in text
    [to_marco] = inbox.to("marco@example.com")
    assert "You have covered 1 of 4 questions (25%)." in text_of(to_marco)
    html = html_of_mail(to_lena)
    assert "<strong>Detection basics</strong> (Vision group)" in html
    assert ">Study these</a>" in html


def test_every_reminder_is_plain_text_and_html_with_unsubscribe_headers(inbox, world):
    send_reminders(now=NOW)
    for message in inbox.messages:
        assert message.get_content_type() == "multipart/alternative"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = unsubscribe_url(message)
        assert unsubscribe.startswith(f"{SITE}/reminders/unsubscribe/")
        assert unsubscribe in text_of(message) and unsubscribe in html_of_mail(message)


def test_the_instructor_hears_who_has_not_started(inbox, world):
    send_reminders(now=NOW)
    [digest] = inbox.to("ines@example.com")
    assert subject(digest) == "3 learners have not started an assignment due soon"
    text = text_of(digest)
    # Lena and Quinn (who turned off only their own reminders) have not started; Nils
    # has no e-mail but is still a learner who has not started. Marco and Priya have.
    assert "Detection basics: due in 2 days (Friday 4 December). 3 of 5 learners not started" in (
        text
    )
    named = text.split("not started: ")[1].split(".")[0]
    assert named == "Lena Park, Nomail Nils, Quinn Quiet"
    assert "Marco" not in text and "Priya" not in text


def test_nothing_is_sent_twice_however_often_it_runs(inbox, world):
    send_reminders(now=NOW)
    first = len(inbox.messages)
    assert first == 3
    with CaptureQueriesContext(connection) as queries:
        again = send_reminders(now=NOW + timedelta(hours=6))
    assert (again.reminders, again.digests) == (0, 0)
    # What was sent is read first: nothing is even tried again (each try is a write).
    assert [q["sql"] for q in queries if q["sql"].startswith("INSERT")] == []
    assert len(inbox.messages) == first
    # The next day: the learners were already reminded of this due date; the instructor's
    # digest is daily while someone has not started.
    next_day = send_reminders(now=NOW + timedelta(days=1))
    assert (next_day.reminders, next_day.digests) == (0, 1)
    assert [rcpt for _sender, rcpt in inbox.envelopes[first:]] == [["ines@example.com"]]
    assert SentReminder.objects.filter(kind="due").count() == 2


def test_a_due_date_moved_later_is_reminded_of_again(inbox, world):
    send_reminders(now=NOW)
    inbox.clear()
    world.soon.due_date = world.soon.due_date + timedelta(days=1)
    world.soon.save()
    report = send_reminders(now=NOW + timedelta(days=1))
    assert report.reminders == 2
    assert "due in 2 days (Saturday 5 December)" in text_of(inbox.to("lena@example.com")[0])


def test_finishing_the_assignment_stops_the_reminders(inbox, world):
    for question in world.questions:
        mark(world.lena, question, 3)
    send_reminders(now=NOW)
    assert inbox.to("lena@example.com") == []


def test_an_instructor_with_everyone_started_gets_no_digest(inbox, world):
    for learner in (world.lena, world.quiet, world.nomail):
        mark(learner, world.questions[0], 1)
    report = send_reminders(now=NOW)
    assert report.digests == 0
    assert inbox.to("ines@example.com") == []


def test_days_follow_each_recipients_time_zone(inbox, world):
    """At noon UTC on 2 December it is already 3 December in Kiritimati (UTC+14) and
    still 2 December in Pago Pago (UTC-11): an assignment due on 6 December is three days
    away for one (reminded) and four for the other (not yet)."""
    world.soon.due_date = NOW.date() + timedelta(days=4)
    world.soon.save()
    User.objects.filter(pk=world.lena.pk).update(time_zone="Pacific/Kiritimati")
    User.objects.filter(pk=world.marco.pk).update(time_zone="Pacific/Pago_Pago")
    send_reminders(now=NOW)
    [to_lena] = inbox.to("lena@example.com")
    assert "due in 3 days (Sunday 6 December)" in text_of(to_lena)
    assert to_lena["Date"].endswith("+1400")  # written in her time zone
    assert inbox.to("marco@example.com") == []


def test_due_today_and_tomorrow_read_as_such(inbox, world):
    world.soon.due_date = NOW.date()
    world.soon.save()
    world.later.due_date = NOW.date() + timedelta(days=1)
    world.later.save()
    send_reminders(now=NOW)
    [to_lena] = inbox.to("lena@example.com")
    assert subject(to_lena) == "2 assignments are due soon"
    text = text_of(to_lena)
    assert "Detection basics (Vision group): due today." in text
    assert "Later set (Vision group): due tomorrow." in text
    assert text.index("due today") < text.index("due tomorrow")


def test_one_email_for_several_teams(inbox, world):
    from tests.teams.factories import make_assignment, make_team

    other = make_team("Robotics club", learners=[world.lena])
    make_assignment(
        other, due_date=NOW.date() + timedelta(days=1), name="Kinematics", questions=world.questions
    )
    send_reminders(now=NOW)
    [to_lena] = inbox.to("lena@example.com")
    text = text_of(to_lena)
    assert "Kinematics (Robotics club): due tomorrow." in text
    assert "Detection basics (Vision group)" in text


# --- Links -------------------------------------------------------------------------------


def test_the_study_link_opens_the_assignment_at_its_study_button(inbox, world):
    send_reminders(now=NOW)
    text = text_of(inbox.to("lena@example.com")[0])
    study = [link for link in links(text) if link.endswith("#study")]
    assert len(study) == 1
    client = Client()
    assert client.get(path_of(study[0].removesuffix("#study"))).status_code == 302  # log in
    client.force_login(world.lena)
    page = client.get(path_of(study[0].removesuffix("#study")))
    assert page.status_code == 200
    assert 'id="study"' in page.content.decode()
    assert "Study these 4" in page.content.decode()


def test_the_digest_links_to_the_teams_progress_on_the_assignment(inbox, world):
    send_reminders(now=NOW)
    text = text_of(inbox.to("ines@example.com")[0])
    [dashboard] = [link for link in links(text) if "dashboard" in link]
    client = Client()
    client.force_login(world.instructor)
    page = client.get(path_of(dashboard))
    assert page.status_code == 200
    assert "Lena Park" in page.content.decode()


def test_the_unsubscribe_link_asks_then_turns_reminders_off(inbox, world):
    send_reminders(now=NOW)
    [to_lena] = inbox.to("lena@example.com")
    url = unsubscribe_url(to_lena)
    client = Client(enforce_csrf_checks=True)  # no session, no CSRF token: the link is enough
    page = client.get(path_of(url))
    assert page.status_code == 200
    assert "Stop due-date reminders to lena@example.com?" in page.content.decode()
    world.lena.refresh_from_db()
    assert world.lena.email_due_reminders  # opening the link changed nothing
    done = client.post(path_of(url))
    assert done.status_code == 200
    assert "will not send due-date reminders" in done.content.decode()
    world.lena.refresh_from_db()
    assert not world.lena.email_due_reminders
    assert world.lena.email_team_digest  # only that kind


def test_one_click_unsubscribe_as_mail_programs_send_it(inbox, world):
    """RFC 8058: the mail program POSTs "List-Unsubscribe=One-Click" to the header's URL."""
    send_reminders(now=NOW)
    [digest] = inbox.to("ines@example.com")
    url = unsubscribe_url(digest)
    response = Client(enforce_csrf_checks=True).post(
        path_of(url),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    world.instructor.refresh_from_db()
    assert not world.instructor.email_team_digest
    assert world.instructor.email_due_reminders
    inbox.clear()
    send_reminders(now=NOW + timedelta(days=1))
    assert inbox.to("ines@example.com") == []


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" * 500,
        lambda token: "not-a-token",
    ],
    ids=["tampered", "too-long", "garbage"],
)
def test_a_tampered_unsubscribe_link_changes_nothing(client, world, mangle):
    token = mangle(unsubscribe_token(world.lena, "due"))
    response = client.post(f"/reminders/unsubscribe/{token}/")
    assert response.status_code == 404
    assert "Link not recognised" in response.content.decode()
    world.lena.refresh_from_db()
    assert world.lena.email_due_reminders


def test_turned_off_on_the_profile_nothing_is_sent(inbox, world, client):
    client.force_login(world.lena)
    response = client.post(
        "/accounts/profile/",
        {"display_name": "Lena Park", "email": "lena@example.com", "time_zone": ""},
    )
    assert response.status_code == 302
    world.lena.refresh_from_db()
    assert not world.lena.email_due_reminders and not world.lena.email_team_digest
    send_reminders(now=NOW)
    assert inbox.to("lena@example.com") == []
    assert len(inbox.to("marco@example.com")) == 1


def test_the_profile_shows_both_choices(client, world):
    client.force_login(world.lena)
    html = client.get("/accounts/profile/").content.decode()
    assert "E-mail me before my assignments are due" in html
    assert "E-mail me who has not started (instructors)" in html


# --- Failures ---------------------------------------------------------------------------


def test_a_refused_email_is_tried_again_on_the_next_run(inbox, world):
    inbox.refuse = True
    report = send_reminders(now=NOW)
    assert (report.reminders, report.digests, report.failed) == (0, 0, 3)
    assert SentReminder.objects.count() == 0
    inbox.refuse = False
    report = send_reminders(now=NOW + timedelta(hours=1))
    assert (report.reminders, report.digests, report.failed) == (2, 1, 0)


def test_no_smtp_server_is_logged_without_secrets(settings, world, caplog):
    from tests.security.own_postgres import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "mailer", "hunter2-secret"
    settings.SITE_URL = SITE
    with caplog.at_level(logging.WARNING, logger="reminders"):
        report = send_reminders(now=NOW)
    assert report.failed == 3
    assert "reminder e-mail not sent" in caplog.text
    assert "hunter2-secret" not in caplog.text
    assert SentReminder.objects.count() == 0


def test_another_learner_joining_a_team_is_reminded_too(inbox, world):
    send_reminders(now=NOW)
    newcomer = make_user(username="nia", display_name="Nia New")
    add_member(world.team, newcomer)
    inbox.clear()
    report = send_reminders(now=NOW + timedelta(hours=2))
    assert report.reminders == 1
    assert addresses(inbox) == ["nia@example.com"]


def test_a_co_instructor_gets_a_digest_of_their_own(inbox, world):
    other = make_user(username="otto", display_name="Otto Other")
    add_member(world.team, other, INSTRUCTOR)
    send_reminders(now=NOW)
    assert len(inbox.to("otto@example.com")) == 1
    assert len(inbox.to("ines@example.com")) == 1


# --- The command and the task -----------------------------------------------------------


def test_the_command_sends_and_reports(inbox, world, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("send_reminders")
        call_command("send_reminders")
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Sent 2 reminders to learners and 1 digest to instructors.",
        "Sent 0 reminders to learners and 0 digests to instructors.",
    ]
    assert len(inbox.messages) == 3


def test_the_command_needs_the_sites_address(settings, world):
    settings.SITE_URL = ""
    with pytest.raises(CommandError, match="DJANGO_SITE_URL"):
        call_command("send_reminders")


# The worker commits and closes its connections as it goes: not inside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_queued_task(inbox, world, capsys):
    from django_tasks_db.models import DBTaskResult

    with time_machine.travel(NOW, tick=False):
        call_command("send_reminders", "--enqueue")
        assert "Queued the reminders as task" in capsys.readouterr().out
        assert inbox.messages == []  # queued, not run
        assert DBTaskResult.objects.count() == 1
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL", result.status
    assert result.return_value == "Sent 2 reminders to learners and 1 digest to instructors."
    assert len(inbox.messages) == 3


def test_on_when_each_day(world, inbox):
    """Run at noon UTC every day for a week: each learner hears of the assignment once,
    the instructor once a day until it is due, and nothing after."""
    for offset in range(7):
        send_reminders(now=on(NOW.date() + timedelta(days=offset)))
    assert len(inbox.to("lena@example.com")) == 1
    assert len(inbox.to("marco@example.com")) == 1
    # 2, 3 and 4 December: due in 2, 1 and 0 days.
    assert len(inbox.to("ines@example.com")) == 3


def test_two_runs_at_once_claim_each_reminder_once(world):
    """Two runs that both found Lena's reminder: the unique constraint lets one claim it."""
    from reminders.sending import _claim

    def row(assignment):
        return SentReminder(
            user=world.lena,
            kind=SentReminder.Kind.DUE,
            assignment=assignment,
            due_date=assignment.due_date,
            day=NOW.date(),
        )

    assert _claim([row(world.soon)]) != []
    claimed = _claim([row(world.soon), row(world.later)])  # the other run's, a moment later
    assert [r.assignment for r in claimed] == [world.later]
    assert SentReminder.objects.filter(user=world.lena).count() == 2
