"""Full-page screenshots of the main pages on a phone and a desktop, light and dark.

The PNGs land in test-results/screenshots/ (gitignored) for a person to look at; the test
itself checks that they were written and that nothing is wider than a phone screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from progress.services import save_note
from progress.study import start_topic
from questions.models import Question, Topic
from teams.demo import DEMO_TEAM, load_demo_data
from teams.models import Team
from tests.browser.conftest import DEVICES, SCREENSHOT_DIR, each_scheme, open_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def open_dashboard(page: Page) -> None:
    open_page(page, "progress:dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Lena Park")


def open_topic_list(page: Page) -> None:
    open_page(page, "progress:topic_list")
    expect(page.get_by_role("heading", level=1)).to_have_text("Topics")


def open_topic_page(page: Page) -> None:
    open_page(page, "progress:topic_detail", slug="deployment")
    expect(page.get_by_role("heading", level=1)).to_have_text("Deployment and efficiency")


def open_question_page(page: Page) -> None:
    # Question 10 has a note in the demo data; question 5 has the cut-off long answer.
    open_page(page, "progress:question_detail", key="cnn-05", query={"topic": "detection"})
    page.get_by_text("Show answer").click()
    expect(page.get_by_text("The source text ends here")).to_be_visible()


def open_study_home(page: Page) -> None:
    # As the instructor: the only view with all three choices (topic, assignment, topic set).
    open_page(page, "progress:study_home")
    expect(page.get_by_role("heading", level=1)).to_have_text("Study")
    expect(page.get_by_label("Topic set", exact=True)).to_be_visible()


def open_assignment_form(page: Page) -> None:
    team = Team.objects.get(name=DEMO_TEAM)
    assignment = team.assignments.get(topic_set__name__startswith="Week 3")
    open_page(page, "teams:assignment_edit", team_id=team.pk, assignment_id=assignment.pk)
    expect(page.get_by_label("Due date")).to_have_value(assignment.due_date.isoformat())


def open_team_page(page: Page) -> None:
    # As the instructor, who sees the invite link and its Copy button.
    open_page(page, "teams:team_detail", team_id=Team.objects.get(name=DEMO_TEAM).pk)
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()


#: A note with a Markdown table wider than a phone's screen: its cells wrap to fit.
TABLE_NOTE = """Compression options, side by side:

| Method | Size | Speed-up | Accuracy cost | Needs data |
|---|---|---|---|---|
| Post-training quantization | ~4× smaller | 2–3× on CPU | small | a calibration set |
| Quantization-aware training | ~4× smaller | 2–3× on CPU | smallest | the training set |
| Pruning | varies | only with sparse kernels | grows with sparsity | fine-tuning data |

Distillation is in its own note."""


def open_note_with_table(page: Page) -> None:
    note = User.objects.get(username="lena").notes.get(question__key="cnn-27")
    open_page(page, "progress:note_detail", pk=note.pk)
    expect(page.get_by_role("table")).to_be_visible()


def open_study_card(page: Page) -> None:
    # Marco's session over a topic, the answer shown: the rating bar sits at the bottom.
    marco = User.objects.get(username="marco")
    topic = Topic.objects.get(slug="deployment")
    session = start_topic(user=marco, topic=topic)
    page.goto(session.get_absolute_url())
    page.get_by_text("Show answer").click()
    expect(page.get_by_role("group", name=re.compile("How confident are you"))).to_be_visible()


#: Each page, the demo person who looks at it and how to open it.
PAGES: dict[str, tuple[str, Callable[[Page], None]]] = {
    "dashboard": ("lena", open_dashboard),
    "topic-list": ("lena", open_topic_list),
    "topic-page": ("lena", open_topic_page),
    "question-page": ("lena", open_question_page),
    "study-home": ("ines", open_study_home),
    "assignment-form": ("ines", open_assignment_form),
    "team-page": ("ines", open_team_page),
    "note-with-table": ("lena", open_note_with_table),
    "study-card": ("marco", open_study_card),
}

#: The outermost visible elements that stick out past the right edge of the layout.
OVERFLOWING = """() => {
    const width = document.documentElement.clientWidth;
    const sticksOut = el => el.checkVisibility() && el.getBoundingClientRect().right > width + 0.5;
    const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        [...el.classList].map(c => "." + c).join("");
    return [...document.querySelectorAll("body *")]
        .filter(el => sticksOut(el) && !sticksOut(el.parentElement))
        .map(el => `${name(el)} (right edge at ${Math.round(el.getBoundingClientRect().right)}px)`);
}"""


@pytest.mark.parametrize("device", list(DEVICES))
def test_screenshots(new_context, log_in_as, bank_server, device):
    load_demo_data()
    lena = User.objects.get(username="lena")
    save_note(user=lena, question=Question.objects.get(key="cnn-27"), text=TABLE_NOTE)
    context = new_context(**DEVICES[device])
    page = context.new_page()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    width = DEVICES[device]["viewport"]["width"]

    problems = []
    for name, (username, open_it) in PAGES.items():
        # A new session replaces the cookie of the last one.
        log_in_as(context, User.objects.get(username=username))
        open_it(page)
        for scheme in each_scheme(page):
            path = SCREENSHOT_DIR / f"{name}-{device}-{scheme}.png"
            path.unlink(missing_ok=True)
            page.screenshot(path=str(path), full_page=True)
            assert path.is_file() and path.stat().st_size > 1_000, f"no screenshot at {path}"

        if device == "phone":
            scroll_width, inner_width = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll_width > inner_width or scroll_width > width:
                problems.append(
                    f"{name}: scrollWidth {scroll_width}px, innerWidth {inner_width}px,"
                    f" phone {width}px; sticking out: {page.evaluate(OVERFLOWING)}"
                )
    assert not problems, "Horizontal overflow at phone width:\n" + "\n".join(problems)


def test_header_menus_fit_on_a_phone(new_context, log_in_as, bank_server):
    load_demo_data()
    context = new_context(**DEVICES["phone"])
    log_in_as(context, User.objects.get(username="lena"))
    page = context.new_page()
    open_page(page, "progress:topic_list")
    width = DEVICES["phone"]["viewport"]["width"]

    problems = []
    for summary in [
        page.get_by_role("navigation", name="Main").get_by_text("Teams", exact=True),
        page.get_by_text("Account menu for Lena Park"),
    ]:
        summary.click()
        menu = summary.locator("xpath=..").get_by_role("list")
        expect(menu).to_be_visible()
        box = menu.bounding_box()
        left, right = box["x"], box["x"] + box["width"]
        if left < 0 or right > width:
            problems.append(
                f"{summary.inner_text()!r} menu spans x={left:.0f}..{right:.0f}"
                f" on a {width}px screen"
            )
        summary.click()
        expect(menu).to_be_hidden()
    assert not problems, "Header menus cut off on a phone:\n" + "\n".join(problems)
