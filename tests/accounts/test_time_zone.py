"""The learner's own time zone: the profile setting, the browser's zone at sign-up, and
the middleware that makes every page use it (accounts/models.py, accounts/forms.py,
studyhub/middleware.py). The edges of "due today" and the streak are in
tests/progress/test_time_zone_edges.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, known_time_zones, zone_named
from progress.models import ConfidenceMark
from studyhub.middleware import TimeZoneMiddleware
from teams.selectors import AssignmentProgress, Progress
from tests.accounts.test_views import signup_data
from tests.factories import make_bank, mark
from tests.pages import HTMX, csv_rows, field_errors, html_of, squash
from tests.teams.factories import add_member, make_assignment, make_team, make_topic_set

PROFILE = reverse("accounts:profile")
SIGNUP = reverse("accounts:signup")
DASHBOARD = reverse("progress:dashboard")
HEALTHZ = reverse("healthz")
AUTOSAVE = {"autosave": "1"}

#: A Sunday noon in UTC: 01:00 on Monday in Tonga (UTC+13 all year), 02:00 on Sunday
#: in Honolulu (UTC−10, no daylight saving).
NOON_UTC = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
TONGA = "Pacific/Tongatapu"
HONOLULU = "Pacific/Honolulu"


def selected_option(html: str, name: str) -> str | None:
    select = re.search(rf'<select\b[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select named {name}"
    chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', select.group(1))
    return chosen.group(1) if chosen else None


# --- The setting on the user ------------------------------------------------------------


def test_a_blank_zone_is_the_sites(user, settings):
    settings.TIME_ZONE = "Europe/Lisbon"
    assert user.time_zone == ""
    assert str(user.zone) == "Europe/Lisbon"


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "../../etc/passwd", "localtime", "x" * 64])
def test_an_unknown_saved_zone_falls_back_to_the_sites_and_pages_still_work(
    logged_in_client, user, name
):
    # As when a server's time-zone data no longer has a name saved long ago.
    User.objects.filter(pk=user.pk).update(time_zone=name)
    user.refresh_from_db()

    assert str(user.zone) == settings.TIME_ZONE
    assert logged_in_client.get(DASHBOARD).status_code == 200
    assert logged_in_client.get(PROFILE).status_code == 200


def test_known_zones_are_places_with_their_iana_names():
    zones = known_time_zones()
    assert {TONGA, HONOLULU, "Europe/London", "America/New_York", "UTC"} <= zones
    assert "localtime" not in zones  # the server's own clock, not a place
    assert str(zone_named("Europe/London")) == "Europe/London"
    assert str(zone_named("")) == settings.TIME_ZONE


# --- The profile ------------------------------------------------------------------------


def test_the_profile_offers_every_zone_grouped_by_region_and_the_site_default(logged_in_client):
    html = html_of(logged_in_client.get(PROFILE))

    assert '<label for="id_time_zone">Time zone:</label>' in html
    assert '<option value="" selected>Server default (UTC)</option>' in html
    assert '<optgroup label="Pacific">' in html
    assert f'<option value="{TONGA}">Tongatapu</option>' in html
    assert '<option value="America/New_York">New York</option>' in html
    values = re.findall(r'<option value="([^"]+)"', html)
    assert set(values) == known_time_zones()
    pacific = re.search(r'<optgroup label="Pacific">(.*?)</optgroup>', html, re.S)
    assert pacific
    places = re.findall(r'<option value="Pacific/[^"]+">([^<]+)</option>', pacific.group(1))
    assert places == sorted(places) and len(places) > 20


def test_the_profile_saves_a_zone_and_shows_the_time_there(logged_in_client, user):
    response = logged_in_client.post(
        PROFILE, {"display_name": "Lee", "email": "lee@example.com", "time_zone": TONGA}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == TONGA
    with time_machine.travel(NOON_UTC, tick=False):
        html = html_of(logged_in_client.get(PROFILE))
    assert selected_option(html, "time_zone") == TONGA
    # Monday 01:00 in Tonga while it is Sunday noon in UTC.
    assert "Your time now: Mon 16 Mar, 01:00." in squash(html)


def test_the_profile_refuses_a_zone_not_in_the_list(logged_in_client, user):
    user.time_zone = HONOLULU
    user.save()

    response = logged_in_client.post(
        PROFILE, {"display_name": "Lee", "email": "lee@example.com", "time_zone": "Mars/Base"}
    )

    assert response.status_code == 422
    assert field_errors(html_of(response), "time_zone") == [
        "Select a valid choice. Mars/Base is not one of the available choices."
    ]
    user.refresh_from_db()
    assert user.time_zone == HONOLULU


def test_the_profile_goes_back_to_the_site_default(logged_in_client, user):
    user.time_zone = HONOLULU
    user.save()

    logged_in_client.post(
        PROFILE, {"display_name": "Lee", "email": "lee@example.com", "time_zone": ""}
    )

    user.refresh_from_db()
    assert user.time_zone == ""


def test_the_model_refuses_an_unknown_zone(user):
    user.time_zone = "Atlantis/Capital"
    with pytest.raises(Exception, match="Choose a time zone from the list."):
        user.full_clean()


# --- Sign-up: the browser's zone --------------------------------------------------------


def test_the_sign_up_form_has_a_hidden_field_for_the_browsers_zone(client, db):
    html = html_of(client.get(SIGNUP))
    assert '<input type="hidden" name="time_zone" data-browser-time-zone id="id_time_zone">' in (
        html
    )
    assert 'src="/static/js/timezone.js"' in html


def test_sign_up_keeps_the_browsers_zone(client, db):
    response = client.post(SIGNUP, signup_data(time_zone=HONOLULU))

    assert response.status_code == 302
    assert User.objects.get(username="ada").time_zone == HONOLULU


@pytest.mark.parametrize(
    "sent",
    ["", "Mars/Base", "Etc/Unknown", "<script>", "localtime", "x" * 500],
    ids=["blank", "unknown", "unknown-etc", "markup", "server-clock", "very-long"],
)
def test_sign_up_with_a_zone_we_cannot_use_signs_up_with_the_sites(client, db, sent):
    response = client.post(SIGNUP, signup_data(time_zone=sent))

    assert response.status_code == 302  # never an error for a field nobody typed
    assert User.objects.get(username="ada").time_zone == ""


def test_sign_up_without_the_field_signs_up_with_the_sites(client, db):
    assert client.post(SIGNUP, signup_data()).status_code == 302
    assert User.objects.get(username="ada").time_zone == ""


def test_a_refused_sign_up_keeps_the_browsers_zone_for_the_next_try(client, db):
    response = client.post(SIGNUP, signup_data(email="not an address", time_zone=TONGA))

    assert response.status_code == 422
    assert f'name="time_zone" value="{TONGA}"' in html_of(response)


# --- The middleware -----------------------------------------------------------------------


def test_times_on_pages_are_in_the_learners_zone(logged_in_client, user):
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    question = topic.questions.get()
    user.time_zone = TONGA
    user.save()

    with time_machine.travel(NOON_UTC, tick=False):
        response = logged_in_client.post(
            reverse("progress:edit_note", args=[question.key]),
            {"text": "x", **AUTOSAVE},
            headers=HTMX,
        )

    assert response.status_code == 200
    expected = '<time datetime="2026-03-16T01:00:00+13:00">01:00:00</time>'
    assert html_of(response).startswith(f"Saved at {expected}")


def test_times_on_pages_follow_a_change_of_zone_at_once(logged_in_client, user):
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    question = topic.questions.get()
    url = reverse("progress:edit_note", args=[question.key])

    with time_machine.travel(NOON_UTC, tick=False):
        site = html_of(logged_in_client.post(url, {"text": "a", **AUTOSAVE}, headers=HTMX))
        logged_in_client.post(
            PROFILE, {"display_name": "Lee", "email": "lee@example.com", "time_zone": HONOLULU}
        )
        local = html_of(logged_in_client.post(url, {"text": "b", **AUTOSAVE}, headers=HTMX))

    assert '<time datetime="2026-03-15T12:00:00+00:00">12:00:00</time>' in site
    assert '<time datetime="2026-03-15T02:00:00-10:00">02:00:00</time>' in local


def test_the_zone_lasts_only_for_the_request(user):
    seen = []

    def view(request):
        seen.append(timezone.get_current_timezone_name())
        return HttpResponse()

    def handler(request):  # as Django's: the middleware's process_view, then the view
        return middleware.process_view(request, view, (), {}) or view(request)

    middleware = TimeZoneMiddleware(handler)
    learner = RequestFactory().get(DASHBOARD)
    learner.user = User(time_zone=HONOLULU)
    anonymous = RequestFactory().get(DASHBOARD)
    anonymous.user = AnonymousUser()

    timezone.activate(ZoneInfo(TONGA))  # as if left over from another request
    middleware(anonymous)
    middleware(learner)
    after = timezone.get_current_timezone_name()
    middleware(anonymous)

    assert seen == [settings.TIME_ZONE, HONOLULU, settings.TIME_ZONE]
    assert after == settings.TIME_ZONE  # the thread serves someone else next


def test_the_middleware_adds_no_query(user, django_assert_num_queries):
    """The zone is a column of the user row the request has read already."""
    user.time_zone = TONGA
    request = RequestFactory().get(DASHBOARD)
    request.user = user
    middleware = TimeZoneMiddleware(lambda request: HttpResponse())

    with timezone.override(None), django_assert_num_queries(0):
        middleware.process_view(request, lambda request: HttpResponse(), (), {})
        assert timezone.get_current_timezone_name() == TONGA


def test_views_get_the_loaded_user_itself_not_the_lazy_proxy(logged_in_client, user):
    # The proxy's detour on every attribute read cost 6% of a page's time.
    response = logged_in_client.get(DASHBOARD)

    assert response.status_code == 200
    assert type(response.wsgi_request.user) is User
    assert response.wsgi_request.user.pk == user.pk


def test_the_health_check_never_looks_the_user_up(logged_in_client, django_assert_num_queries):
    # A session cookie, but only the health check's own SELECT 1: no session, no user.
    with django_assert_num_queries(1):
        assert logged_in_client.get(HEALTHZ).status_code == 200


# --- Team pages use the viewer's local date -----------------------------------------------


def test_an_assignment_is_overdue_once_the_learners_day_after_its_due_date_begins(db):
    assignment = make_assignment(make_team(), due_date=date(2026, 3, 15))
    progress = AssignmentProgress(assignment, Progress(covered=0, rated=0, total=3))
    with time_machine.travel(NOON_UTC, tick=False):
        with timezone.override(ZoneInfo(TONGA)):  # already Monday the 16th
            assert progress.is_overdue
        with timezone.override(ZoneInfo(HONOLULU)):  # still Sunday the 15th
            assert not progress.is_overdue


def test_the_team_csv_dates_last_activity_in_the_instructors_zone(client, db):
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    instructor = User.objects.create_user("ines", password="x", time_zone=TONGA)
    learner = User.objects.create_user("lena", password="x")
    team = make_team("Group", instructor=instructor)
    add_member(team, learner)
    mark(learner, topic.questions.get(), 3, at=NOON_UTC)  # Sunday in UTC, Monday in Tonga
    client.force_login(instructor)

    rows = csv_rows(client.get(reverse("teams:team_matrix_csv", args=[team.pk])))

    activity = rows[0].index("Last activity")
    assert [row[activity] for row in rows[1:] if row[1] == "lena"] == ["2026-03-16"]


def test_a_due_date_may_be_the_instructors_today(client, db):
    instructor = User.objects.create_user("ines", password="x", time_zone=TONGA)
    team = make_team("Group", instructor=instructor)
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    make_topic_set(team, name="Week 1", topics=[topic])
    client.force_login(instructor)

    with time_machine.travel(NOON_UTC, tick=False):
        html = html_of(client.get(reverse("teams:assignment_create", args=[team.pk])))

    # Monday the 16th in Tonga, though the server's clock says Sunday.
    assert 'min="2026-03-16"' in html


def test_reviews_due_on_the_dashboard_follow_the_zone(logged_in_client, user):
    """A smoke test through the view; tests/progress/test_time_zone_edges.py has the edges."""
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    question = topic.questions.get()
    mark(user, question, 3, at=NOON_UTC - timedelta(days=3))
    # Due at 05:00 UTC on Monday: tomorrow by the server's clock, but 18:00 on Monday in
    # Tonga, where Monday began at 11:00 UTC on Sunday.
    ConfidenceMark.objects.filter(user=user).update(due=NOON_UTC + timedelta(hours=17))
    with time_machine.travel(NOON_UTC, tick=False):
        site = squash(html_of(logged_in_client.get(DASHBOARD)))
        user.time_zone = TONGA
        user.save()
        tonga = squash(html_of(logged_in_client.get(DASHBOARD)))

    assert "0 due today" in site
    assert "Mon 16 Mar 1" in site
    assert "1 due today" in tonga
    assert "Tue 17 Mar 0" in tonga
