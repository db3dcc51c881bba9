"""Server errors in a real browser: htmx shows the server's message in the page's alert
region instead of failing silently, full pages get a friendly page, and everything
works again once the database is back."""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import OperationalError, connections
from playwright.sync_api import Locator, Page, expect

from progress.models import ConfidenceMark
from tests.browser.conftest import open_page, rating_button, wait_for_htmx

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

DOWN = "StudyHub cannot reach its database right now."


@contextmanager
def database_down():
    """Every query of the live server fails, as when PostgreSQL has gone away."""

    def refuse(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with mock.patch.object(type(connections["default"]), "cursor", refuse):
        yield


def open_question(page: Page):
    """Question 5, reached from its topic."""
    return open_page(page, "progress:question_detail", key="cnn-05", query={"topic": "detection"})


def level(page: Page, name: str) -> Locator:
    return rating_button(page, name)


def test_htmx_shows_the_outage_in_the_page_and_recovers(logged_in_page: Page, console):
    console.allow(r"503")  # Chromium and htmx both report the Service Unavailable answer
    page = logged_in_page
    open_question(page)
    wait_for_htmx(page)

    with database_down():
        level(page, "Confident").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text(DOWN)
        expect(alert).to_contain_text("What you just sent was not saved")
        wait_for_htmx(page)
    # The control was left as it was, and the page is still the question page.
    expect(level(page, "Confident")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("heading", level=1)).to_contain_text("object detection")

    level(page, "Confident").click()
    expect(level(page, "Confident")).to_have_attribute("aria-pressed", "true")
    assert ConfidenceMark.objects.get().level == 4


def test_a_page_load_during_the_outage_is_a_friendly_page(logged_in_page: Page, console):
    console.allow(r"status of 503")
    page = logged_in_page
    with database_down():
        response = open_question(page)
        assert response.status == 503
        expect(page.get_by_role("heading", level=1)).to_have_text("StudyHub is briefly unavailable")
        expect(page.get_by_role("alert")).to_contain_text(DOWN)
        expect(page.get_by_text("Traceback")).to_have_count(0)

    page.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("object detection")


def test_an_oversized_autosave_says_why_and_keeps_the_text(logged_in_page: Page, console):
    console.allow(r"status of 400|Response Status Error Code 400")
    page = logged_in_page
    open_question(page)
    page.get_by_role("link", name="Write a note").click()
    note_box = page.get_by_label("Note", exact=True)
    expect(note_box).to_be_focused()
    wait_for_htmx(page)  # autosave is wired up when htmx settles
    pasted = "A very long paste. " * 32_000  # about 600 KB

    note_box.fill(pasted)

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("larger than StudyHub accepts", timeout=8_000)
    expect(alert).to_contain_text("What you typed is still on the page.")
    expect(note_box).to_have_value(pasted)


def test_an_expired_security_token_is_explained_not_silent(logged_in_page: Page, console):
    """The page's CSRF token stops matching (the learner signed in again in another tab):
    the mark is refused, and the page says why instead of doing nothing."""
    console.allow(r"status of 403|Response Status Error Code 403")
    page = logged_in_page
    open_question(page)
    wait_for_htmx(page)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "csrftoken"]
    page.context.add_cookies([{**cookie, "value": "x" * 32}])  # a new secret

    level(page, "Confident").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("its security token was missing or out of date")
    expect(alert).to_contain_text("Nothing was saved. Reload the page and try again")
    expect(level(page, "Confident")).to_have_attribute("aria-pressed", "false")
    assert not ConfidenceMark.objects.exists()

    page.reload()
    level(page, "Confident").click()
    expect(level(page, "Confident")).to_have_attribute("aria-pressed", "true")
