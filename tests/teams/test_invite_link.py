"""The team page's invite link as the server renders it: one scrolling line and a Copy
button that static/js/copy.js shows (the browser side is in tests/browser/test_layout_fixes.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_user
from tests.pages import html_of
from tests.teams.factories import make_team


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def team(db):
    instructor = make_user(username="ines")
    return make_team("CV prep", instructor=instructor, learners=[make_user(username="lena")])


def member(team, username: str):
    return team.memberships.get(user__username=username).user


def tag(html: str, pattern: str) -> str:
    """The one start tag that `pattern` (its name and some of its attributes) matches."""
    found = re.findall(rf"<{pattern}[^>]*>", html)
    assert len(found) == 1, f"{len(found)} tags match {pattern!r}"
    return found[0]


def test_the_copy_button_starts_hidden_and_names_the_link_and_its_status(team):
    response = client_for(member(team, "ines")).get(team.get_absolute_url())
    html = html_of(response)
    join = "http://testserver" + reverse("teams:team_join", args=[team.invite_code])

    button = tag(html, r"button [^>]*data-copy=")
    assert ">Copy link</button>" in html
    # Without JavaScript the button could do nothing, so only copy.js shows it.
    assert re.search(r"\shidden(\s|>)", button), button
    source = re.search(r'data-copy="([^"]+)"', button).group(1)
    status = re.search(r'data-copy-status="([^"]+)"', button).group(1)
    assert re.search(rf'<div [^>]*id="{source}"[^>]*><code>{re.escape(join)}</code></div>', html)
    assert tag(html, rf'span [^>]*id="{status}"') == (
        f'<span class="copy-status" id="{status}" role="status">'
    )

    # The script comes from 'self' with the page's nonce (strict CSP).
    script = tag(html, r"script [^>]*copy\.js")
    nonce = re.search(r'nonce="([^"]+)"', script).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert " defer" in script


def test_a_learner_gets_neither_the_link_nor_the_script(team):
    html = html_of(client_for(member(team, "lena")).get(team.get_absolute_url()))
    assert team.invite_code not in html
    assert "data-copy" not in html
    assert "copy.js" not in html
