"""The Content-Security-Policy and the other security headers on every kind of page.

The browser side (no violation on any page, in Chromium) is tests/browser/test_csp.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import make_bank, note
from tests.pages import HTMX

#: Sources that would let injected text run as code (img-src keeps data: for images).
FORBIDDEN_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:"}


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def script_nonces(html: str) -> list[str]:
    return re.findall(r'<script\b[^>]*\bnonce="([^"]+)"', html)


@pytest.fixture
def question(db):
    return make_bank(topics=1, questions_per_topic=2)[0].questions.first()


@pytest.fixture
def pages(question, user) -> list[str]:
    note(user, question, "A *note*")
    return [
        reverse("progress:dashboard"),
        reverse("progress:topic_list"),
        reverse("progress:question_detail", args=[question.key]),
        reverse("progress:edit_note", args=[question.key]),
        reverse("progress:note_list"),
        reverse("teams:team_list"),
        reverse("accounts:profile"),
    ]


def test_every_page_has_a_strict_policy_with_a_fresh_nonce(logged_in_client, pages):
    seen_nonces = set()
    for path in pages:
        response = logged_in_client.get(path)
        assert response.status_code == 200, path
        directives = policy(response)

        (nonce,) = set(script_nonces(response.content.decode()))
        assert directives["script-src"] == ["'self'", f"'nonce-{nonce}'"], path
        assert directives["object-src"] == ["'none'"]
        assert directives["base-uri"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["default-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        for name, values in directives.items():
            assert not FORBIDDEN_SOURCES & set(values), (path, name, values)
        seen_nonces.add(nonce)
    assert len(seen_nonces) == len(pages), "a nonce was used twice"


def test_anonymous_pages_and_htmx_fragments_carry_the_policy_too(
    client, logged_in_client, question
):
    for response in (
        client.get(reverse("progress:dashboard")),
        client.get(reverse("accounts:login")),
        logged_in_client.get(reverse("progress:edit_note", args=[question.key]), headers=HTMX),
    ):
        directives = policy(response)
        assert directives["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_htmx_is_loaded_from_our_static_files_with_the_nonce(client):
    response = client.get(reverse("accounts:login"))
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "no htmx script tag"
    for tag in scripts:
        assert re.search(r'src="/static/[^"]+\.js"', tag), tag
        assert f'nonce="{script_nonces(html)[0]}"' in tag
    (nonce,) = set(script_nonces(html))
    assert f"'nonce-{nonce}'" in policy(response)["script-src"]


def test_htmx_is_configured_for_the_policy(client):
    html = client.get(reverse("accounts:login")).content.decode()
    match = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert match
    config = json.loads(match.group(1))
    assert config["includeIndicatorStyles"] is False  # no injected <style>
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["historyCacheSize"] == 0  # private pages never go to localStorage


def test_other_security_headers(client):
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


#: Every page template. E-mail bodies (templates/*/email/) are not pages: mail programs
#: ignore stylesheets, so they style inline, and no browser applies the policy to them.
TEMPLATES = sorted(
    path
    for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html")
    if "email" not in path.relative_to(settings.BASE_DIR).parts
)
#: What a strict policy would block, or what would open a door in a template.
INLINE_CODE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "hx-on attribute": re.compile(r"\shx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.name))
def test_no_template_has_inline_code(template):
    text = template.read_text()
    found = [name for name, pattern in INLINE_CODE.items() if pattern.search(text)]
    assert found == [], f"{template}: {found}"
