"""Small layout fixes (issue 15), checked in the browser at a phone's and a desktop's
width: room between the study page's selects and their buttons, a styled due-date field,
ruled Markdown tables that fit the note, and the invite link's Copy button.

The full-page screenshots of these pages are in test_screenshots.py; the close-ups of
the invite link written here land next to them, in test-results/screenshots/.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from progress.services import save_note
from questions.models import Question, Topic
from teams.models import Team
from tests.browser.conftest import DEVICES, SCREENSHOT_DIR, each_scheme, open_page
from tests.browser.test_accessibility import assert_accessible
from tests.factories import make_user
from tests.teams.factories import make_assignment, make_team, make_topic_set

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


#: Wider than a phone at its natural size.
WIDE_TABLE = """Compression options:

| Method | Size | Speed-up | Accuracy cost | Needs data |
|---|---|---|---|---|
| Post-training quantization | ~4× smaller | 2–3× on CPU | small | a calibration set |
| Pruning | varies | only with sparse kernels | grows with sparsity | fine-tuning data |
"""


@pytest.fixture
def team(bank_server) -> Team:
    """A team whose instructor has all three study choices: topic, assignment, topic set."""
    instructor = make_user(username="iris", display_name="Iris Instructor")
    team = make_team("Week 3 cohort", instructor=instructor, learners=[make_user()])
    week3 = make_topic_set(
        team,
        name="Week 3: deployment and robustness",
        topics=Topic.objects.filter(slug__in=["deployment", "robustness"]),
    )
    make_assignment(team, week3, due_date=timezone.localdate() + timedelta(days=7))
    return team


def instructor_page(new_context, log_in_as, team: Team, **options) -> Page:
    context: BrowserContext = new_context(**options)
    log_in_as(context, team.memberships.get(role="instructor").user)
    return context.new_page()


def invite_url(live_server, team: Team) -> str:
    return live_server.url + reverse("teams:team_join", kwargs={"code": team.invite_code})


def box(locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found, f"{locator} is not shown"
    return found


def document_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


# --- 1. The study page: each select has room above its button ------------------------


@pytest.mark.parametrize("device", list(DEVICES))
def test_study_choices_keep_their_buttons_clear_of_the_selects(
    new_context, log_in_as, team, device
):
    page = instructor_page(new_context, log_in_as, team, **DEVICES[device])
    open_page(page, "progress:study_home")
    expect(page.get_by_role("heading", level=1)).to_have_text("Study")

    gaps = {}
    for label, button in [
        ("Topic", "Study this topic"),
        ("Assignment", "Study this assignment"),
        ("Topic set", "Study this topic set"),
    ]:
        select = box(page.get_by_label(label, exact=True))
        under = box(page.get_by_role("button", name=button, exact=True))
        gaps[label] = round(under["y"] - (select["y"] + select["height"]))
    # 1rem, the room under every form field (.field): the buttons once touched the selects.
    assert gaps == {"Topic": 16, "Assignment": 16, "Topic set": 16}


# --- 2. The due date, and every other typed field, looks like the text fields --------

#: What makes a field look like the others; the width is checked on its own.
LOOKS = [
    "borderTopWidth",
    "borderTopStyle",
    "borderTopColor",
    "borderTopLeftRadius",
    "paddingTop",
    "paddingLeft",
    "fontFamily",
    "fontSize",
    "color",
    "backgroundColor",
]

STYLE_OF = """(el, names) => {
    const style = getComputedStyle(el);
    return Object.fromEntries(names.map(name => [name, style[name]]));
}"""


def test_the_due_date_field_looks_like_the_other_fields(new_context, log_in_as, team):
    page = instructor_page(new_context, log_in_as, team)
    open_page(page, "teams:assignment_create", team_id=team.pk)
    due = page.get_by_label("Due date")
    topic_set = page.get_by_label("Topic set")
    expect(due).to_have_attribute("type", "date")

    kinds = ["text", "number", "url", "email", "search", "tel", "time", "datetime-local", "month"]
    for scheme in each_scheme(page):
        looks = due.evaluate(STYLE_OF, LOOKS)
        assert looks == topic_set.evaluate(STYLE_OF, LOOKS), scheme
        assert looks["borderTopLeftRadius"] == "8px", looks
        assert box(due)["width"] == box(topic_set)["width"]
        surface = {"light": "rgb(255, 255, 255)", "dark": "rgb(26, 29, 39)"}[scheme]
        assert looks["backgroundColor"] == surface

        # The picker's icon is drawn in the page's scheme, so it shows on a dark field.
        assert "dark" in due.evaluate("el => getComputedStyle(el).colorScheme")
        due.focus()
        ring = due.evaluate(
            "el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]"
        )
        assert ring == ["solid", "3px"]
        due.blur()

        # Fields of the other types (in forms still to come) look the same as a text field.
        looks_by_kind = page.evaluate(
            """([kinds, names]) => {
                const form = document.querySelector("main form");
                return Object.fromEntries(kinds.map(kind => {
                    const input = document.createElement("input");
                    input.type = kind;
                    form.append(input);
                    const style = getComputedStyle(input);
                    return [kind, Object.fromEntries(names.map(name => [name, style[name]]))];
                }));
            }""",
            [kinds, LOOKS],
        )
        different = {k: v for k, v in looks_by_kind.items() if v != looks}
        assert not different, f"not styled like the due date: {different}"


# --- 3. Markdown tables in notes: ruled, and never wider than the note -------------


@pytest.mark.parametrize("device", list(DEVICES))
def test_a_markdown_table_in_a_note_is_ruled_and_fits_the_note(
    new_context, log_in_as, learner, device
):
    question = Question.objects.get(position=27)
    save_note(user=learner, question=question, text=WIDE_TABLE)
    context = new_context(**DEVICES[device])
    log_in_as(context, learner)
    page = context.new_page()
    open_page(page, "progress:note_detail", pk=learner.notes.get(question=question).pk)
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_count(5)
    expect(table.get_by_role("cell", name="a calibration set")).to_be_visible()

    cells = table.locator("td, th").evaluate_all(
        """cells => cells.map(cell => {
            const style = getComputedStyle(cell);
            return [cell.tagName, style.borderTopWidth, style.borderLeftStyle,
                    parseFloat(style.paddingLeft), style.backgroundColor];
        })"""
    )
    assert all(c[1] != "0px" and c[2] == "solid" and c[3] >= 4 for c in cells), cells
    header_backgrounds = {c[4] for c in cells if c[0] == "TH"}
    body_backgrounds = {c[4] for c in cells if c[0] == "TD"}
    assert len(header_backgrounds) == 1 and header_backgrounds.isdisjoint(body_backgrounds)

    # Wider than a phone at its natural size, the table wraps its cells to fit the note:
    # nothing to scroll (a scroll box would need a focusable wrapper), nothing sticking out.
    natural_width = table.evaluate(
        """table => {
            const copy = table.cloneNode(true);
            copy.style.cssText = "position: absolute; width: max-content; max-width: none";
            table.after(copy);
            const width = copy.getBoundingClientRect().width;
            copy.remove();
            return width;
        }"""
    )
    note_body = box(page.locator(".note-body"))
    shown = box(table)
    if device == "phone":
        assert natural_width > note_body["width"], "the table should be too wide to fit as is"
    assert shown["x"] + shown["width"] <= note_body["x"] + note_body["width"]
    assert table.evaluate("t => t.scrollWidth <= t.clientWidth")
    assert document_width(page) <= DEVICES[device]["viewport"]["width"]


# --- 4. The invite link: one line on a phone, and a Copy button ----------------------


def invite_section(page: Page):
    return page.get_by_role("region", name="Invite people")


@pytest.mark.parametrize("device", list(DEVICES))
def test_copy_link_puts_the_exact_invite_url_on_the_clipboard(
    new_context, log_in_as, live_server, team, device
):
    # No clipboard permission is granted: a click is all a browser asks before it writes.
    page = instructor_page(new_context, log_in_as, team, **DEVICES[device])
    page.goto(team.get_absolute_url())
    invite = invite_section(page)
    link = invite.get_by_role("region", name="Invite link")
    expect(link).to_have_text(invite_url(live_server, team))

    # The link stays on one line, whole: on a phone it scrolls inside its box.
    lines = link.locator("code").evaluate("code => code.getClientRects().length")
    assert lines == 1, f"the link wraps onto {lines} lines"
    assert document_width(page) <= DEVICES[device]["viewport"]["width"]
    scroll_width, client_width = link.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert (scroll_width > client_width) == (device == "phone")

    status = invite.get_by_role("status")
    expect(status).to_be_empty()
    invite.get_by_role("button", name="Copy link").click()
    expect(status).to_have_text("Copied")
    # Paste it, as the instructor will (the site's Permissions-Policy denies pages
    # clipboard-read, so a script cannot read it back).
    assert pasted(page) == invite_url(live_server, team)

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for scheme in each_scheme(page):
        invite.screenshot(path=str(SCREENSHOT_DIR / f"invite-link-{device}-{scheme}.png"))


def pasted(page: Page) -> str:
    """What the clipboard holds, pasted into a field added to the page for the purpose."""
    page.evaluate(
        """() => { const field = document.createElement("textarea");
                   field.id = "paste-here"; document.querySelector("main").append(field); }"""
    )
    field = page.locator("#paste-here")
    field.focus()
    page.keyboard.press("ControlOrMeta+V")
    return field.input_value()


@pytest.mark.parametrize("old_way", ["works", "refused"])
def test_without_the_clipboard_api_copy_link_selects_the_link(
    new_context, log_in_as, live_server, team, old_way
):
    """On plain http there is no Clipboard API: the link is selected, and copied the old
    way (execCommand) where the browser still allows it; if not, the browser's own Copy
    takes the selection."""
    context = new_context()
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    if old_way == "refused":
        context.add_init_script("Document.prototype.execCommand = () => false")
    log_in_as(context, team.memberships.get(role="instructor").user)
    page = context.new_page()
    page.goto(team.get_absolute_url())
    invite = invite_section(page)
    invite.get_by_role("button", name="Copy link").click()
    if old_way == "works":
        expect(invite.get_by_role("status")).to_have_text("Copied")
    else:
        expect(invite.get_by_role("status")).to_have_text("Selected: use your browser's Copy")
    assert page.evaluate("String(window.getSelection())") == invite_url(live_server, team)
    if old_way == "works":
        assert pasted(page) == invite_url(live_server, team)


def test_without_javascript_there_is_no_copy_button(new_context, log_in_as, live_server, team):
    page = instructor_page(new_context, log_in_as, team, java_script_enabled=False)
    page.goto(team.get_absolute_url())
    invite = invite_section(page)
    expect(invite.get_by_role("region", name="Invite link")).to_have_text(
        invite_url(live_server, team)
    )
    expect(invite.get_by_role("button", name="Copy link")).to_be_hidden()


def test_the_learners_team_page_has_no_invite_link(new_context, log_in_as, team):
    context = new_context()
    log_in_as(context, team.memberships.get(role="learner").user)
    page = context.new_page()
    page.goto(team.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Week 3 cohort")
    expect(page.get_by_role("button", name="Copy link")).to_have_count(0)
    expect(page.get_by_role("region", name="Invite people")).to_have_count(0)


# --- 5. axe on every page these fixes touch -----------------------------------------


def study_home(page: Page, team: Team) -> None:
    open_page(page, "progress:study_home")
    expect(page.get_by_label("Topic set", exact=True)).to_be_visible()


def assignment_form(page: Page, team: Team) -> None:
    open_page(page, "teams:assignment_create", team_id=team.pk)
    page.get_by_label("Due date").focus()


def team_page_after_copying(page: Page, team: Team) -> None:
    page.goto(team.get_absolute_url())
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()


def note_with_table(page: Page, team: Team) -> None:
    instructor = team.memberships.get(role="instructor").user
    question = Question.objects.get(position=27)
    save_note(user=instructor, question=question, text=WIDE_TABLE)
    open_page(page, "progress:note_detail", pk=instructor.notes.get(question=question).pk)
    expect(page.get_by_role("table")).to_be_visible()


TOUCHED = {
    "study-home": study_home,
    "assignment-form": assignment_form,
    "team-page": team_page_after_copying,
    "note-with-table": note_with_table,
}


@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("name", list(TOUCHED))
def test_touched_pages_are_accessible(new_context, log_in_as, team, name, device):
    page = instructor_page(new_context, log_in_as, team, **DEVICES[device])
    TOUCHED[name](page, team)
    assert_accessible(page, f"{name} ({device})")
