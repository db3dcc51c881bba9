"""axe-core on every page a learner sees, in the light and the dark colour scheme.

A violation of impact "serious" or "critical" fails the test; every violation found, whatever
its impact, is printed (run with -s, or read the captured output of a failure).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from accounts.models import User
from questions.models import Question
from teams.demo import load_demo_data
from tests.browser.conftest import each_scheme, open_page
from tests.factories import mark, note

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

FAILING_IMPACTS = {"serious", "critical"}

_axe = Axe()
AXE_RUN = "axe.run({resultTypes: ['violations']}).then(results => results.violations)"


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = " / ".join(node.get("failureSummary", "").splitlines()[1:]).strip()
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page, label: str) -> None:
    """Run axe-core on `page` as it is now, in the light and in the dark colour scheme.

    axe is injected once per document: the script is 570 KB, and each scheme is a re-run.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe.axe_script)
    failing = []
    for scheme in each_scheme(page):
        where = f"{label}, {scheme}"
        violations = page.evaluate(AXE_RUN)
        if violations:
            print(f"\naxe on {where} ({page.url}):\n{describe(violations)}")
        serious = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        if serious:
            failing.append(f"{where} ({page.url}):\n{describe(serious)}")
    assert not failing, "axe found serious/critical problems:\n" + "\n".join(failing)


# --- The pages, each as a function that opens it from a logged-in or anonymous browser ----


def welcome(page: Page) -> None:
    open_page(page, "progress:dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Study computer-vision")


def sign_up_page(page: Page) -> None:
    open_page(page, "accounts:signup")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")


def sign_up_with_errors(page: Page) -> None:
    sign_up_page(page)
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct")


def log_in_page(page: Page) -> None:
    open_page(page, "accounts:login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def log_in_with_error(page: Page) -> None:
    log_in_page(page)
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()


def dashboard(page: Page) -> None:
    open_page(page, "progress:dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Lee Learner")


def topic_list(page: Page) -> None:
    open_page(page, "progress:topic_list")
    expect(page.get_by_role("heading", level=1)).to_have_text("Topics")


def topic_page(page: Page) -> None:
    open_page(page, "progress:topic_detail", slug="detection")
    expect(page.get_by_role("heading", level=1)).to_have_text("Object detection")


def question_page(page: Page) -> None:
    open_page(page, "progress:question_detail", key="cnn-05", query={"topic": "detection"})
    page.get_by_text("Show answer").click()
    expect(page.get_by_text("The source text ends here")).to_be_visible()
    page.get_by_role("link", name="Edit note").click()
    expect(page.get_by_label("Note", exact=True)).to_be_focused()


def notes_list(page: Page) -> None:
    open_page(page, "progress:note_list")
    expect(page.get_by_role("heading", level=1)).to_have_text("My notes")


def note_page(page: Page) -> None:
    notes_list(page)
    page.get_by_role("link", name="Q5 ", exact=False).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Note on question 5")


def profile(page: Page) -> None:
    open_page(page, "accounts:profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")


ANONYMOUS: dict[str, Callable[[Page], None]] = {
    "welcome": welcome,
    "sign-up": sign_up_page,
    "sign-up-with-errors": sign_up_with_errors,
    "log-in": log_in_page,
    "log-in-with-error": log_in_with_error,
}
LOGGED_IN: dict[str, Callable[[Page], None]] = {
    "dashboard": dashboard,
    "topic-list": topic_list,
    "topic-page": topic_page,
    "question-page": question_page,
    "notes-list": notes_list,
    "note-page": note_page,
    "profile": profile,
}


@pytest.mark.parametrize("name", list(ANONYMOUS))
def test_anonymous_page_is_accessible(new_context, console, bank_server, name):
    # A refused form answers 422, which Chromium reports in the console.
    console.allow(r"status of 422")
    page = new_context().new_page()
    ANONYMOUS[name](page)
    assert_accessible(page, name)


@pytest.mark.parametrize("name", list(LOGGED_IN))
def test_learner_page_is_accessible(new_context, log_in_as, learner, name):
    # Every confidence level and a note appear somewhere, so every badge colour is checked.
    for position, level in [(5, 4), (19, 3), (23, 2), (24, 5), (1, 1)]:
        mark(learner, Question.objects.get(position=position), level)
    note(
        learner,
        Question.objects.get(position=5),
        "**Anchors** are priors.\n\n- one\n- two\n\n`code` and [a link](https://example.com)",
    )
    context = new_context()
    log_in_as(context, learner)
    page = context.new_page()
    LOGGED_IN[name](page)
    assert_accessible(page, name)


def test_field_errors_are_announced_with_their_field(page: Page, console, bank_server):
    """A screen reader on a field with an error hears the error, and what was typed is kept."""
    console.allow(r"status of 422")
    sign_up_page(page)
    page.get_by_label("Username").fill("someone")
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct")

    email = page.get_by_label("E-mail")
    expect(email).to_have_value("not an address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(
        re.compile(r"Enter a valid email address"), timeout=2_000
    )
    expect(page.get_by_label("Username")).to_have_value("someone")


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize("username", ["lena", "ines"])
def test_demo_pages_on_a_phone_are_accessible(new_context, log_in_as, bank_server, username):
    """Narrow screens make wide tables scroll; scrolling boxes must still work by keyboard."""
    load_demo_data()
    context = new_context(**PHONE)
    log_in_as(context, User.objects.get(username=username))
    page = context.new_page()
    open_page(page, "progress:dashboard")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, ")
    assert_accessible(page, f"dashboard of {username} (phone)")

    # The team page: members × topics.
    page.get_by_role("navigation", name="Main").get_by_text("Teams", exact=True).click()
    page.get_by_role("link", name="CV interview prep").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CV interview prep")
    assert_accessible(page, f"team page as {username} (phone)")


@pytest.mark.parametrize("width", [390, 360])
def test_confidence_buttons_and_coverage_bars_fit_a_phone(
    new_context, log_in_as, bank_server, width
):
    load_demo_data()
    context = new_context(**{**PHONE, "viewport": {"width": width, "height": 844}})
    log_in_as(context, User.objects.get(username="lena"))
    page = context.new_page()

    # Each level's label stays on one line inside its button ("Confident", "Mastered").
    open_page(page, "progress:question_detail", key="cnn-10")
    labels = page.locator(".level").evaluate_all(
        """buttons => buttons.map(button => {
            const label = button.querySelector('.level-label');
            const style = getComputedStyle(button);
            const room = button.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
            const lines = Math.round(label.getBoundingClientRect().height
                / parseFloat(getComputedStyle(label).lineHeight));
            return [label.textContent, label.scrollWidth <= room + 0.5, lines];
        })"""
    )
    assert [[text, True, 1] for text, _, _ in labels] == labels

    # The dashboard's coverage bars stay thin bars under their numbers.
    open_page(page, "progress:dashboard")
    heights = page.locator(".coverage-chart .bar").evaluate_all(
        "bars => bars.map(bar => bar.getBoundingClientRect().height)"
    )
    assert heights and max(heights) < 12, heights


def test_the_check_sees_each_colour_scheme(page: Page, bank_server):
    """A contrast fault in the dark scheme alone fails the check, and names that scheme."""
    log_in_page(page)
    page.evaluate(
        """() => {
            const sheet = new CSSStyleSheet();
            sheet.replaceSync("@media (prefers-color-scheme: dark) { h1 { color: #222 } }");
            document.adoptedStyleSheets = [sheet];
        }"""
    )
    with pytest.raises(AssertionError, match=r"log-in, dark .*\n\s*\[serious\] color-contrast"):
        assert_accessible(page, "log-in")
    # The page is back in the scheme it had, where the same page passes.
    assert not page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    page.evaluate("document.adoptedStyleSheets = []")
    assert_accessible(page, "log-in")
