"""Cached pages (studyhub/pagecache.py): served again while nothing they show has
changed, rendered afresh after any write that could change them, never shown to anyone
else, and never carrying a stale CSP nonce or someone's flash message.

The suite as a whole runs with page caching on (pyproject.toml), so every test that
writes and then reads a page also checks invalidation; these tests pin the mechanism.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import HASH_SESSION_KEY
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.models import Membership
from progress.models import Assignment
from questions.models import Question
from studyhub import pagecache
from tests.factories import PASSWORD, make_bank, make_user, mark, note
from tests.team_factories import INSTRUCTOR, add_member, make_team, make_topic_set

HX = {"HX-Request": "true"}


@pytest.fixture
def topic(db):
    return make_bank(topics=1, questions_per_topic=3)[0]


@pytest.fixture
def question(topic):
    return topic.questions.order_by("position").first()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.get("/accounts/profile/")  # any page: the browser now has its CSRF cookie
    return client


def get(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def served(client: Client, url: str) -> tuple[str, str]:
    """(page text, "hit" or "miss")."""
    response = get(client, url)
    return response.content.decode(), response.get("X-Page-Cache", "")


def pressed_level(html: str) -> str:
    """The label of the confidence button shown as pressed, or "" if none is."""
    match = re.search(
        r'aria-pressed="true"><span class="level-number"[^>]*>\d</span>'
        r'<span class="level-label">([^<]+)</span>',
        html,
    )
    return match.group(1) if match else ""


def test_a_page_seen_again_is_served_from_the_cache(user, question, django_assert_num_queries):
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    first, state = served(client, url)
    assert state == "miss"
    with django_assert_num_queries(1):  # the session: the person is not loaded
        again, state = served(client, url)
    assert state == "hit"
    # The same page, but for its CSP nonce (checked below).
    nonce = re.compile(r'nonce="[^"]+"')
    assert nonce.sub("", again) == nonce.sub("", first)


def test_a_hit_needs_the_auth_hash_the_page_was_verified_under(user, question):
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    served(client, url)
    assert served(client, url)[1] == "hit"
    # A session Django would refuse: same person, but not the hash of their password now.
    session = client.session
    session[HASH_SESSION_KEY] = "0" * 64
    session.save()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert response.get("X-Page-Cache") != "hit"


def test_a_page_is_stored_only_for_the_person_django_verified(user):
    """The learner dashboard also answers visitors (with the welcome page), so a session
    Django refuses still gets a page: it must not be stored under that session's hash."""
    client = signed_in(user)

    def stored_entry():
        request = RequestFactory().get("/")
        key = pagecache._entry_key(request, str(user.pk), client.cookies["csrftoken"].value)
        return cache.get(key)

    assert served(client, "/")[1] == "miss"
    assert stored_entry() is not None  # the entry's key is worked out as the cache does
    cache.clear()
    session = client.session
    session[HASH_SESSION_KEY] = "0" * 64
    session.save()
    page, state = served(client, "/")
    assert state == "miss"
    assert "Study computer-vision interviews together" in page  # signed out: the welcome page
    assert stored_entry() is None


def test_a_new_password_signs_other_browsers_out_of_cached_pages(user, question):
    laptop, phone = signed_in(user), signed_in(user)
    url = f"/questions/{question.key}/"
    for client in (laptop, phone):
        served(client, url)
        assert served(client, url)[1] == "hit"
    response = laptop.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase 42",
            "new_password2": "a brand new passphrase 42",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert get(laptop, url)["X-Page-Cache"] == "miss"  # still signed in here
    response = phone.get(url)
    assert response.status_code == 302  # signed out there
    assert response["Location"].startswith("/accounts/login/")


def test_the_request_log_names_the_person_on_a_hit(user, question, caplog):
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    served(client, url)
    caplog.clear()
    with caplog.at_level("INFO", logger="studyhub.request"):
        assert served(client, url)[1] == "hit"
    (record,) = [r for r in caplog.records if r.name == "studyhub.request"]
    assert record.user_id == user.pk


def test_every_hit_gets_a_fresh_nonce_that_matches_its_policy(user, question):
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    nonces = []
    for _ in range(3):
        response = get(client, url)
        html = response.content.decode()
        page_nonces = set(re.findall(r'nonce="([^"]+)"', html))
        assert len(page_nonces) == 1, page_nonces
        (nonce,) = page_nonces
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.append(nonce)
    assert response["X-Page-Cache"] == "hit"
    assert len(set(nonces)) == 3


def test_marking_shows_on_the_question_page_at_once(user, question):
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    served(client, url)
    served(client, url)
    client.post(f"/questions/{question.key}/confidence/", {"level": "4"}, headers=HX)
    html, state = served(client, url)
    assert state == "miss"
    assert pressed_level(html) == "Confident"


def test_a_note_shows_on_the_question_page_at_once(user, question):
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    served(client, url)
    note(user, question, "Remember the *anchor boxes*")
    html, state = served(client, url)
    assert state == "miss"
    assert "<em>anchor boxes</em>" in html


def test_a_page_is_never_served_to_someone_else(user, other_user, question):
    mine, other = signed_in(user), signed_in(other_user)
    url = f"/questions/{question.key}/"
    mark(user, question, 5)
    served(mine, url)
    served(mine, url)
    html, state = served(other, url)
    assert state == "miss"
    assert pressed_level(html) == ""
    assert "Lee Learner" not in html


def test_a_new_csrf_cookie_is_a_new_page(user, question):
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    served(client, url)
    client.cookies.pop("csrftoken")
    client.get("/accounts/profile/")  # a new CSRF secret
    _, state = served(client, url)
    assert state == "miss"


def test_a_page_without_a_csrf_cookie_yet_is_not_cached(user, question):
    client = Client()
    client.force_login(user)
    url = f"/questions/{question.key}/"
    assert "X-Page-Cache" not in get(client, url)


def test_htmx_requests_and_anonymous_visitors_are_not_cached(user, topic, client):
    assert "X-Page-Cache" not in get(client, "/")  # the welcome page
    signed = signed_in(user)
    url = f"/topics/{topic.slug}/?level=unrated"
    for _ in range(2):
        assert "X-Page-Cache" not in signed.get(url, headers=HX)


def test_a_waiting_flash_message_is_shown_not_a_cached_page(user, question):
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    served(client, url)
    # Without JavaScript the mark is a plain form post: redirect, then a flash message.
    response = client.post(f"/questions/{question.key}/confidence/", {"level": "3"})
    assert response.status_code == 302
    html, state = served(client, url)
    assert "Marked “Okay”." in html
    assert state == ""  # neither served from nor stored in the cache
    html, state = served(client, url)
    assert "Marked “Okay”." not in html
    assert state == "miss"


def test_the_learner_dashboard_follows_the_teams_assignments(user, topic):
    instructor = make_user(display_name="Ida Instructor")
    team = make_team("Vision study group", instructor=instructor, learners=[user])
    client = signed_in(user)
    served(client, "/")
    _, state = served(client, "/")
    assert state == "hit"

    # The instructor's work reaches the learner's cached dashboard.
    topic_set = make_topic_set(team, name="Week one", topics=[topic])
    Assignment.objects.create(team=team, topic_set=topic_set)
    html, state = served(client, "/")
    assert state == "miss"
    assert "Week one" in html

    team.name = "Renamed group"
    team.save()
    html, _ = served(client, "/")
    assert "Renamed group" in html


def test_the_team_dashboard_follows_every_members_progress(user, question):
    instructor = make_user(display_name="Ida Instructor")
    team = make_team("Vision study group", instructor=instructor, learners=[user])
    client = signed_in(instructor)
    url = f"/teams/{team.pk}/dashboard/"
    before, _ = served(client, url)
    _, state = served(client, url)
    assert state == "hit"

    learner = signed_in(user)
    learner.post(f"/questions/{question.key}/confidence/", {"level": "5"}, headers=HX)
    after, state = served(client, url)
    assert state == "miss"
    assert after != before

    newcomer = make_user(display_name="Nia Newcomer")
    add_member(team, newcomer)
    html, state = served(client, url)
    assert state == "miss"
    assert "Nia Newcomer" in html

    newcomer.display_name = "Nia Renamed"
    newcomer.save()
    html, _ = served(client, url)
    assert "Nia Renamed" in html


def test_losing_the_instructor_role_closes_the_cached_dashboard(user, question):
    instructor = make_user()
    team = make_team(instructor=instructor, learners=[user])
    client = signed_in(instructor)
    url = f"/teams/{team.pk}/dashboard/"
    served(client, url)
    served(client, url)
    second = make_user()
    add_member(team, second, INSTRUCTOR)
    Membership.objects.filter(team=team, user=instructor).get().delete()
    assert client.get(url).status_code == 404


def test_a_joined_team_reaches_the_learner_dashboard(user):
    client = signed_in(user)
    served(client, "/")
    served(client, "/")
    make_team("Newly joined group", learners=[user])
    html, state = served(client, "/")
    assert state == "miss"
    assert "Newly joined group" in html


def test_an_edited_question_shows_everywhere_at_once(user, question):
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    served(client, url)
    Question.objects.filter(pk=question.pk).get().save()  # a save through the ORM
    question.text = "What does a 1×1 convolution do?"
    question.save()
    html, state = served(client, url)
    assert state == "miss"
    assert "What does a 1×1 convolution do?" in html


def test_loading_the_question_bank_throws_cached_pages_away(user, seed_bank, tmp_path):
    client = signed_in(user)
    url = "/questions/cnn-01/"
    served(client, url)
    _, state = served(client, url)
    assert state == "hit"
    Question.objects.filter(key="cnn-01").update(text="Edited behind the loader's back")
    call_command("load_question_bank", verbosity=0)  # puts the fixture's text back
    html, state = served(client, url)
    assert state == "miss"
    assert "Edited behind the loader" not in html


def test_what_falls_due_shows_once_the_cached_page_expires(user, question, settings):
    settings.PAGE_CACHE_SECONDS = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        mark(user, question, 1)  # "Not yet": due again soon
        client = signed_in(user)
        served(client, "/")
        clock.shift(timedelta(seconds=30))
        _, state = served(client, "/")
        assert state == "hit"
        clock.shift(timedelta(days=3))
        _, state = served(client, "/")
        assert state == "miss"


def test_page_caching_can_be_turned_off(user, question, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    for _ in range(2):
        assert "X-Page-Cache" not in get(client, url)
    mark(user, question, 2)  # bumps are skipped too: nothing to throw away


@pytest.mark.on_commit
@pytest.mark.django_db(transaction=True)
def test_tokens_change_when_the_write_commits_not_before(question):
    """A page rendered while a write is uncommitted is stored under the old token, which
    no request asks for once the write has committed and replaced it."""
    user = make_user()
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    served(client, url)
    token_before = cache.get(pagecache._user_key(user.pk))
    assert token_before

    with transaction.atomic():
        note(user, question, "Written in a transaction")
        assert cache.get(pagecache._user_key(user.pk)) == token_before
        _, state = served(client, url)  # the page as it was: the note is not committed
        assert state == "hit"
    assert cache.get(pagecache._user_key(user.pk)) != token_before
    html, state = served(client, url)
    assert state == "miss"
    assert "Written in a transaction" in html


@pytest.mark.on_commit
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_leaves_the_cached_pages_alone(question):
    user = make_user()
    client = signed_in(user)
    url = f"/questions/{question.key}/"
    served(client, url)
    token_before = cache.get(pagecache._user_key(user.pk))
    with pytest.raises(RuntimeError), transaction.atomic():
        mark(user, question, 5)
        raise RuntimeError("the request failed")
    assert cache.get(pagecache._user_key(user.pk)) == token_before
    _, state = served(client, url)
    assert state == "hit"


def test_a_teammates_mark_leaves_my_pages_cached(user, other_user, question):
    """Learners' pages do not show each other's progress, so one member's marks do not
    throw away the others' pages (only the team dashboard follows them)."""
    make_team(learners=[user, other_user])
    mine = signed_in(user)
    url = f"/questions/{question.key}/"
    served(mine, url)
    mark(other_user, question, 5)
    _, state = served(mine, url)
    assert state == "hit"
