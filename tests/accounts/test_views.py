"""Sign up, log in and out, passwords and profile (accounts/views.py, accounts/urls.py)."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, make_user
from tests.pages import field_errors, html_of, title

NEW_PASSWORD = "a-brand-new-passphrase-71"

DASHBOARD = reverse("progress:dashboard")
NOTES = reverse("progress:note_list")
TOPICS = reverse("progress:topic_list")
SIGNUP = reverse("accounts:signup")
LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
PROFILE = reverse("accounts:profile")
PASSWORD_CHANGE = reverse("accounts:password_change")
PASSWORD_RESET = reverse("accounts:password_reset")


def input_value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input\b[^>]*\bname="{name}"[^>]*>', html)
    assert tag, f"no input named {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


def logged_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def signup_data(**overrides) -> dict[str, str]:
    data = {
        "username": "ada",
        "display_name": "Ada Lovelace",
        "email": "ada@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    return {**data, **overrides}


# --- titles ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("accounts:signup", "Sign up · StudyHub"),
        ("accounts:login", "Log in · StudyHub"),
        ("accounts:password_reset", "Reset your password · StudyHub"),
        ("accounts:password_reset_done", "Check your e-mail · StudyHub"),
        ("accounts:password_reset_complete", "Password set · StudyHub"),
    ],
)
def test_anonymous_pages_have_clear_titles(client, db, name, expected):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert title(html_of(response)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("accounts:profile", "Profile · StudyHub"),
        ("accounts:password_change", "Change password · StudyHub"),
        ("accounts:password_change_done", "Password changed · StudyHub"),
    ],
)
def test_signed_in_pages_have_clear_titles(logged_in_client, name, expected):
    response = logged_in_client.get(reverse(name))
    assert response.status_code == 200
    assert title(html_of(response)) == expected


# --- sign up --------------------------------------------------------------------


def test_signup_creates_the_user_logs_in_and_redirects(client, db):
    response = client.post(SIGNUP, signup_data())

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    user = User.objects.get(username="ada")
    assert (user.display_name, user.email) == ("Ada Lovelace", "ada@example.com")
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_as(client) == user.pk

    dashboard = html_of(client.get(DASHBOARD))
    assert "Welcome to StudyHub, Ada Lovelace." in dashboard
    assert "<h1>Hello, Ada Lovelace</h1>" in dashboard


def test_signup_without_display_name_shows_the_username(client, db):
    client.post(SIGNUP, signup_data(display_name=""))

    assert User.objects.get(username="ada").display_name == ""
    assert "<h1>Hello, ada</h1>" in html_of(client.get(DASHBOARD))


@pytest.mark.parametrize(
    ("passwords", "field", "message"),
    [
        (("12345678", "12345678"), "password2", "This password is too common."),
        (("short", "short"), "password2", "This password is too short."),
        ((NEW_PASSWORD, NEW_PASSWORD + "x"), "password2", "The two password fields didn’t match."),
    ],
    ids=["common", "short", "mismatch"],
)
def test_signup_with_a_bad_password_is_422_and_keeps_what_was_typed(
    client, db, passwords, field, message
):
    first, second = passwords
    response = client.post(SIGNUP, signup_data(password1=first, password2=second))

    html = html_of(response)
    assert response.status_code == 422
    assert any(error.startswith(message) for error in field_errors(html, field))
    assert "Please correct the field marked below." in html
    assert input_value(html, "username") == "ada"
    assert input_value(html, "display_name") == "Ada Lovelace"
    assert input_value(html, "email") == "ada@example.com"
    assert input_value(html, "password1") is None  # passwords are never echoed
    assert not User.objects.exists()
    assert logged_in_as(client) is None


def test_signup_with_a_taken_username_is_422(client, db):
    make_user(username="ada")
    response = client.post(SIGNUP, signup_data(email="other@example.com"))

    assert response.status_code == 422
    assert field_errors(html_of(response), "username") == [
        "A user with that username already exists."
    ]
    assert User.objects.count() == 1


def test_signup_requires_an_email(client, db):
    response = client.post(SIGNUP, signup_data(email=""))
    assert response.status_code == 422
    assert field_errors(html_of(response), "email") == ["This field is required."]
    assert not User.objects.exists()


def test_signup_form_has_labelled_fields(client, db):
    html = html_of(client.get(SIGNUP))
    for field, label in [
        ("username", "Username:"),
        ("display_name", "Display name:"),
        ("email", "E-mail:"),
        ("password1", "Password:"),
    ]:
        assert f'<label for="id_{field}">{label}</label>' in html


def test_signup_honours_a_safe_next(client, db):
    page = html_of(client.get(f"{SIGNUP}?next={NOTES}"))
    assert f'<input type="hidden" name="next" value="{NOTES}">' in page

    response = client.post(f"{SIGNUP}?next={NOTES}", signup_data())

    assert response.status_code == 302
    assert response["Location"] == NOTES


def test_signup_honours_next_from_the_form(client, db):
    response = client.post(SIGNUP, {**signup_data(), "next": TOPICS})
    assert response["Location"] == TOPICS


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/steal", "//evil.example/", "javascript:alert(1)", "progress:dashboard"],
)
def test_signup_ignores_an_unsafe_next(client, db, next_url):
    page = html_of(client.get(SIGNUP, {"next": next_url}))
    assert 'name="next"' not in page

    response = client.post(SIGNUP, {**signup_data(), "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert User.objects.filter(username="ada").exists()


def test_signup_with_a_bare_word_next_still_redirects(db):
    client = Client(raise_request_exception=False)
    response = client.post(SIGNUP, {**signup_data(), "next": "dashboard"})
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD


def test_signup_when_signed_in_goes_to_the_dashboard(logged_in_client):
    response = logged_in_client.get(SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD


def test_signup_is_get_and_post_only(client, db):
    assert client.put(SIGNUP).status_code == 405


# --- log in and out -------------------------------------------------------------


def test_login_with_the_right_password(client, user):
    response = client.post(LOGIN, {"username": "learner", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert logged_in_as(client) == user.pk


def test_login_with_a_bad_password_says_so_and_keeps_the_username(client, user):
    response = client.post(LOGIN, {"username": "learner", "password": "wrong"})

    html = html_of(response)
    assert response.status_code == 200
    assert "Please enter a correct username and password." in html
    assert 'role="alert"' in html
    assert input_value(html, "username") == "learner"
    assert input_value(html, "password") is None
    assert logged_in_as(client) is None


def test_login_honours_next(client, user):
    page = html_of(client.get(f"{LOGIN}?next={NOTES}"))
    assert f'<input type="hidden" name="next" value="{NOTES}">' in page

    response = client.post(LOGIN, {"username": "learner", "password": PASSWORD, "next": NOTES})
    assert response["Location"] == NOTES


def test_login_ignores_an_external_next(client, user):
    response = client.post(
        LOGIN,
        {"username": "learner", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == DASHBOARD


def test_login_page_when_signed_in_redirects(logged_in_client):
    response = logged_in_client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD


def test_logout_by_get_is_refused_and_keeps_the_session(logged_in_client, user):
    response = logged_in_client.get(LOGOUT)

    assert response.status_code == 405
    assert logged_in_as(logged_in_client) == user.pk


def test_logout_by_post_ends_the_session(logged_in_client):
    response = logged_in_client.post(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert logged_in_as(logged_in_client) is None
    assert "Welcome · StudyHub" in html_of(logged_in_client.get(DASHBOARD))
    assert logged_in_client.get(NOTES).status_code == 302


def test_navigation_has_a_logout_form_not_a_link(logged_in_client):
    html = html_of(logged_in_client.get(PROFILE))
    assert f'<form method="post" action="{LOGOUT}">' in html
    assert f'href="{LOGOUT}"' not in html


# --- change password -------------------------------------------------------------


def test_change_password_needs_a_login(client, db):
    response = client.get(PASSWORD_CHANGE)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={PASSWORD_CHANGE}"


def test_change_password_needs_the_old_password(logged_in_client, user):
    response = logged_in_client.post(
        PASSWORD_CHANGE,
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in html_of(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_change_password_refuses_a_weak_new_password(logged_in_client, user):
    response = logged_in_client.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    )

    assert "This password is too common." in html_of(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_change_password_success(logged_in_client, user):
    response = logged_in_client.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    done = html_of(logged_in_client.get(response["Location"]))
    assert "<h1>Password changed</h1>" in done
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_as(logged_in_client) == user.pk  # still signed in here

    fresh = Client()
    # django-axes needs the request a log-in comes with.
    assert not fresh.login(request=HttpRequest(), username="learner", password=PASSWORD)
    assert fresh.login(request=HttpRequest(), username="learner", password=NEW_PASSWORD)


# --- reset password ----------------------------------------------------------------


def reset_link(message) -> str:
    kwargs = {"uidb64": "UIDB64", "token": "TOKEN"}
    confirm = reverse("accounts:password_reset_confirm", kwargs=kwargs)
    path = re.escape(confirm).replace("UIDB64", r"[^/\s]+").replace("TOKEN", r"[^/\s]+")
    match = re.search(rf"http://testserver({path})", message.body)
    assert match, message.body
    return match.group(1)


def test_reset_password_sends_one_mail_with_a_link_and_sets_a_new_password(client, user):
    response = client.post(PASSWORD_RESET, {"email": "learner@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["learner@example.com"]
    assert message.subject == "Reset your StudyHub password"
    assert message.body.startswith("Hello,\n")
    # Display names are chosen by whoever signs up, with any address: not in the mail.
    assert "Lee Learner" not in message.body
    assert '"learner"' in message.body  # the account, by its username

    form_page = client.get(reset_link(message), follow=True)
    assert "<h1>Choose a new password</h1>" in html_of(form_page)
    set_url = form_page.redirect_chain[-1][0]

    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")

    fresh = Client()
    assert fresh.login(request=HttpRequest(), username="learner", password=NEW_PASSWORD)
    assert not fresh.login(request=HttpRequest(), username="learner", password=PASSWORD)
    response = fresh.post(LOGIN, {"username": "learner", "password": NEW_PASSWORD})
    assert response["Location"] == DASHBOARD


def test_a_reset_link_works_only_once(client, user):
    client.post(PASSWORD_RESET, {"email": "learner@example.com"})
    link = reset_link(mail.outbox[0])
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(link, follow=True)
    assert "This link no longer works" in html_of(again)


def test_reset_for_an_unknown_email_sends_nothing_but_looks_the_same(client, db):
    response = client.post(PASSWORD_RESET, {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_a_forged_reset_link_does_not_work(client, user):
    forged = reverse(
        "accounts:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "forged-token"}
    )
    html = html_of(client.get(forged, follow=True))
    assert "This link no longer works" in html
    assert "<form" not in html.split("<main", 1)[1]


# --- profile ------------------------------------------------------------------------


def test_profile_needs_a_login(client, db):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={PROFILE}"


def test_profile_shows_the_current_values(logged_in_client):
    html = html_of(logged_in_client.get(PROFILE))
    assert input_value(html, "display_name") == "Lee Learner"
    assert input_value(html, "email") == "learner@example.com"
    assert '<label for="id_email">E-mail:</label>' in html
    assert "Account menu for </span>Lee Learner</summary>" in html


def test_profile_edits_display_name_and_email(logged_in_client, user):
    response = logged_in_client.post(
        PROFILE, {"display_name": "Lee the Learner", "email": "lee@example.org"}
    )

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    user.refresh_from_db()
    assert (user.display_name, user.email) == ("Lee the Learner", "lee@example.org")
    html = html_of(logged_in_client.get(PROFILE))
    assert "Profile saved." in html
    assert "Account menu for </span>Lee the Learner</summary>" in html


def test_profile_with_a_bad_email_is_422_and_keeps_the_typed_values(logged_in_client, user):
    response = logged_in_client.post(PROFILE, {"display_name": "New Name", "email": "not-an-email"})

    html = html_of(response)
    assert response.status_code == 422
    assert field_errors(html, "email") == ["Enter a valid email address."]
    assert input_value(html, "display_name") == "New Name"
    assert input_value(html, "email") == "not-an-email"
    user.refresh_from_db()
    assert user.display_name == "Lee Learner"


def test_profile_cannot_change_the_username(logged_in_client, user):
    logged_in_client.post(
        PROFILE,
        {"display_name": "X", "email": "x@example.com", "username": "admin", "is_staff": "on"},
    )
    user.refresh_from_db()
    assert (user.username, user.is_staff) == ("learner", False)


def test_blank_display_name_falls_back_to_the_username(logged_in_client, user):
    logged_in_client.post(PROFILE, {"display_name": "", "email": "x@example.com"})
    html = html_of(logged_in_client.get(PROFILE))
    assert "Account menu for </span>learner</summary>" in html
