"""Fixtures for the browser tests: the real server in Chromium, driven by Playwright.

- One Chromium for the whole session (the system one at /usr/bin/chromium; browsers are never
  downloaded). Without it every browser test is skipped with the reason below.
- A fresh context and page per test; any console error, uncaught page error or CSP violation in
  it fails the test (tests that expect an error status call ``console.allow(...)``).
- ``bank_server``: pytest-django's live server with the seed question bank loaded.
- ``sign_up`` / ``log_in`` drive the real forms; ``logged_in_page`` skips the form by giving the
  browser a session cookie.
- ``open_page`` opens a page by its URL name: tests reach pages through ``reverse()``, never
  a spelled-out path (tests/test_public_urls.py is the one table of paths).
"""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in the test thread, which makes Django refuse
# database calls made from that thread ("async-unsafe"). The tests never share a connection
# between coroutines, so the check only gets in the way here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Response,
    expect,
    sync_playwright,
)

from tests.factories import PASSWORD, make_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = f"Chromium not installed at {CHROMIUM} (apt-get install chromium)"

#: Where the screenshot test writes its PNGs (test-results/ is gitignored).
SCREENSHOT_DIR = (
    Path(django_settings.BASE_DIR)
    / "test-results"
    / (
        # One folder per database: CI runs both suites at once (.ci/run).
        "screenshots"
        if "sqlite" in django_settings.DATABASES["default"]["ENGINE"]
        else "screenshots-postgresql"
    )
)

# Playwright waits this long for a locator or an expect() before failing.
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


# --- Browser ----------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # The only reason a browser test may skip: CI counts any other skip as a failure.
    if not Path(CHROMIUM).exists():
        pytest.skip(NO_CHROMIUM)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class ConsoleWatch:
    """Console errors, uncaught exceptions and CSP violations of every page in a context."""

    messages: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.messages.append(f"pageerror: {error.error}"))

    def _on_console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self.messages.append(f"console error: {message.text} ({where})")

    def allow(self, pattern: str) -> None:
        """Expect console errors matching `pattern` (e.g. the 422 of a refused form)."""
        self.allowed.append(re.compile(pattern))

    @property
    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(p.search(m) for p in self.allowed)]

    def assert_clean(self) -> None:
        if self.unexpected:
            pytest.fail("Browser console reported errors:\n" + "\n".join(self.unexpected))


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def new_context(
    browser: Browser, live_server, console: ConsoleWatch
) -> Iterator[Callable[..., BrowserContext]]:
    """Make a browser context (keyword arguments as for Browser.new_context), watched and
    closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        options.setdefault("base_url", live_server.url)
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        console.watch(context)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    console.assert_clean()


@pytest.fixture
def context(new_context) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# --- Server and data ------------------------------------------------------------


@pytest.fixture(autouse=True)
def _plain_static_storage(settings) -> None:
    """Serve static files without a collectstatic manifest.

    Tests run with DEBUG off, where settings pick whitenoise's manifest storage; without
    `collectstatic` every {% static %} raises "Missing staticfiles manifest entry". The live
    server serves the files from the finders, so plain storage is all that is needed.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def bank_server(transactional_db, live_server, seed_bank) -> str:
    """The live server's URL, with the seed question bank loaded."""
    return live_server.url


@pytest.fixture
def learner(bank_server):
    return make_user(username="learner", display_name="Lee Learner", email="lee@example.com")


@pytest.fixture
def log_in_as(live_server) -> Callable[[BrowserContext, object], None]:
    """Give a browser context a logged-in session for a user, without the form."""

    def log_in_context(context: BrowserContext, user) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return log_in_context


@pytest.fixture
def logged_in_page(page: Page, learner, log_in_as) -> Page:
    """A page whose browser is logged in as `learner`, open on the dashboard."""
    log_in_as(page.context, learner)
    open_page(page, "progress:dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Lee Learner")
    return page


# --- Helpers ------------------------------------------------------------------------

#: The two screens pages are checked on: a phone (390 × 844) and a desktop (1280 × 800),
#: as keyword arguments for a browser context.
DEVICES: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 1,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
}


#: The two colour schemes every page is checked in.
SCHEMES: tuple[Literal["light"], Literal["dark"]] = ("light", "dark")


def each_scheme(page: Page) -> Iterator[str]:
    """Show `page` in the light and then the dark colour scheme, yielding each name, and
    give it back in the scheme it had.

    Switching the emulated scheme restyles the page in place: checking both on one page
    costs one page load, not one browser context and log-in per scheme.
    """
    before: Literal["light", "dark"] = (
        "dark" if page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") else "light"
    )
    try:
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            yield scheme
    finally:
        page.emulate_media(color_scheme=before)


def open_page(
    page: Page, name: str, /, *, query: Mapping[str, object] | None = None, **kwargs: object
) -> Response | None:
    """Open the page with URL name `name`, e.g.
    ``open_page(page, "progress:question_detail", key="cnn-05", query={"topic": "detection"})``.

    Keyword arguments are the URL's; the path is resolved against the context's base_url,
    the live server.
    """
    return page.goto(reverse(name, kwargs=kwargs or None, query=query))


def url_pattern(
    name: str, /, *, query: Mapping[str, object] | None = None, **patterns: str
) -> re.Pattern[str]:
    """A regex for URLs that end in the path of URL name `name` (and `query`), each of whose
    str or slug arguments matches the regex given for it, e.g.
    ``url_pattern("teams:team_join", code=r"[A-Z2-9]{8}")``."""
    placeholders = {arg: f"__{arg}__" for arg in patterns}
    pattern = re.escape(reverse(name, kwargs=placeholders, query=query))
    for arg, placeholder in placeholders.items():
        pattern = pattern.replace(placeholder, f"(?:{patterns[arg]})")
    return re.compile(pattern + "$")


HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def wait_for_htmx(page: Page) -> None:
    """Wait until htmx has finished every request, swap and settle on the page.

    htmx restores focus right after a swap but wires up the new content ~20 ms later, when it
    settles; a test acting in between would meet a plain, un-enhanced form.
    """
    # A locator, not wait_for_function: that evaluates a string, which the CSP forbids.
    expect(page.locator(HTMX_BUSY)).to_have_count(0)


# --- Helpers that drive the real forms --------------------------------------------

#: Django's labels end in its label suffix ("Password:"); this does not match
#: "Password confirmation:".
PASSWORD_LABEL = re.compile(r"^Password:?$")


def sign_up(
    page: Page,
    *,
    username: str = "newlearner",
    display_name: str = "Nia New",
    email: str = "nia@example.com",
    password: str = PASSWORD,
) -> None:
    """Sign up through the form and land on the dashboard."""
    open_page(page, "accounts:signup")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Display name").fill(display_name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label(PASSWORD_LABEL).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {display_name}")


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the form and land on the dashboard."""
    open_page(page, "accounts:login")
    page.get_by_label("Username").fill(username)
    page.get_by_label(PASSWORD_LABEL).fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hello, "))


def rating_button(page: Page, level: str) -> Locator:
    """A confidence button by its level ("Okay"): its name goes on to say when the
    question comes back ("Okay, back in 2 days")."""
    return page.get_by_role("group", name="How confident are you?").get_by_role(
        "button", name=re.compile(rf"^{re.escape(level)}\s*,")
    )
