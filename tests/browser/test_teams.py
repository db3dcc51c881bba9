"""Teams in a real browser.

- The issue's scenario end to end: an instructor builds and assigns a topic set, a learner
  joins by the invite link and studies, the instructor reads the team dashboard.
- axe-core on every team page, as instructor and as learner.
- The team dashboard's matrix at 100 learners × 30 topics.
- The team page's invite and member buttons from the keyboard.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from questions.models import Question, Topic
from teams.models import Assignment, Membership, Team
from tests.browser.conftest import (
    PASSWORD_LABEL,
    open_page,
    rating_button,
    sign_up,
    url_pattern,
    wait_for_htmx,
)
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_topic_and_keyboard import tab_until
from tests.factories import PASSWORD, make_question, make_topic, make_user, mark
from tests.teams.factories import (
    add_member,
    bulk_learners,
    make_assignment,
    make_team,
    make_topic_set,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SET_NAME = "Deployment and robustness"
DEPLOYMENT = "Deployment and efficiency"
ROBUSTNESS = "Robustness"
#: The questions of "Deployment and efficiency"; none of them is in "Robustness".
DEPLOYMENT_QUESTIONS = [10, 11, 27, 28, 46]
MATRIX_NAME = "Coverage by member and topic"


# --- Helpers ------------------------------------------------------------------------


def h1(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def status_line(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def row_of(scope: Page | Locator, page: Page, header: str) -> Locator:
    """The table row whose row header is `header`."""
    return scope.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=header, exact=True)
    )


def matrix_table(page: Page) -> Locator:
    return page.get_by_role("table", name=re.compile(r"^Learners by topic coverage"))


def matrix_cell(page: Page, member: str, column: str) -> Locator:
    """The matrix cell of one member in the column headed `column`."""
    matrix = matrix_table(page)
    expect(matrix).to_be_visible()
    # A heading cut short ("Deployment") keeps the full name in its visually hidden text.
    headers = [
        " ".join(t.split())
        for t in matrix.locator("thead th").evaluate_all(
            "ths => ths.map(th => (th.querySelector('.visually-hidden') ?? th).textContent)"
        )
    ]
    assert column in headers, f"no column {column!r} in {headers}"
    return row_of(matrix, page, member).locator("th, td").nth(headers.index(column))


def covered_of(covered: int, total: int) -> re.Pattern[str]:
    """A matrix cell's text: "covered of total", perhaps followed by more detail."""
    return re.compile(rf"^{covered} of {total}(?!\d)")


def member_names(page: Page) -> Locator:
    return matrix_table(page).locator("tbody").get_by_role("rowheader")


def status_group(section: Locator, page: Page, state: str) -> Locator:
    """On the team dashboard: one state's group ("In progress: 2" and its list)."""
    heading = page.get_by_role("heading", name=re.compile(rf"^{re.escape(state)}: \d+$"))
    return section.locator(".status-groups > div").filter(has=heading)


def shown_date(day: date) -> str:
    """A date as the templates show it ("j M Y")."""
    return f"{day.day} {day:%b %Y}"


def next_is(path: str) -> str:
    """A regex for a query's `next` parameter holding `path`, its slashes encoded or not."""
    return "next=(" + "|".join(re.escape(p) for p in (path, quote(path, safe=""))) + ")"


def level_button(page: Page, name: str) -> Locator:
    return rating_button(page, name)


# --- 1. The scenario ------------------------------------------------------------


def test_instructor_assigns_a_set_and_a_learner_joins_by_invite(new_context, bank_server):
    instructor = new_context().new_page()
    sign_up(instructor, username="iris", display_name="Iris Instructor", email="iris@example.com")

    # A team, from the team list.
    open_page(instructor, "teams:team_list")
    expect(h1(instructor)).to_have_text("Teams")
    instructor.get_by_label("Team name").fill("Week 3 cohort")
    instructor.get_by_role("button", name="Create team").click()
    expect(h1(instructor)).to_have_text("Week 3 cohort")
    expect(status_line(instructor, "created")).to_contain_text("Team “Week 3 cohort” created.")

    # A topic set of two whole topics; the count of questions follows the ticks in place.
    instructor.get_by_role("link", name="Topic sets").click()
    expect(h1(instructor)).to_have_text("Topic sets")
    instructor.get_by_role("link", name="New topic set").click()
    expect(h1(instructor)).to_have_text("New topic set")
    instructor.get_by_label(re.compile(r"^Name:?$")).fill(SET_NAME)
    size = status_line(instructor, "This set holds")
    expect(size).to_have_text("This set holds 0 questions.")
    instructor.evaluate("window.__marker = 1")
    instructor.get_by_role("checkbox", name=DEPLOYMENT, exact=True).check()
    expect(size).to_have_text("This set holds 5 questions.")
    wait_for_htmx(instructor)
    instructor.get_by_role("checkbox", name=ROBUSTNESS, exact=True).check()
    expect(size).to_have_text("This set holds 11 questions.")
    wait_for_htmx(instructor)
    assert instructor.evaluate("window.__marker") == 1, "the live count reloaded the page"
    instructor.get_by_role("button", name="Save topic set").click()
    expect(h1(instructor)).to_have_text("Topic sets")
    expect(status_line(instructor, "saved")).to_contain_text(f"Topic set “{SET_NAME}” saved.")
    set_row = row_of(instructor, instructor, SET_NAME)
    expect(set_row).to_contain_text(f"{DEPLOYMENT}, {ROBUSTNESS}")
    expect(set_row.get_by_role("cell").nth(1)).to_have_text("11")

    # Assign it, due in a week.
    due = timezone.localdate() + timedelta(days=7)
    instructor.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Week 3 cohort"
    ).click()
    instructor.get_by_role("link", name="Assign a topic set").click()
    expect(h1(instructor)).to_have_text("Assign a topic set")
    instructor.get_by_label("Topic set").select_option(label=SET_NAME)
    instructor.get_by_label("Due date").fill(due.isoformat())
    instructor.get_by_role("button", name="Assign", exact=True).click()
    expect(h1(instructor)).to_have_text("Week 3 cohort")
    expect(status_line(instructor, "assigned")).to_contain_text(
        f"“{SET_NAME}” is assigned to Week 3 cohort."
    )
    assigned = row_of(instructor.get_by_role("region", name="Assignments"), instructor, SET_NAME)
    expect(assigned).to_contain_text(shown_date(due))

    invite_url = instructor.get_by_role("region", name="Invite people").locator("code").inner_text()
    assert url_pattern("teams:team_join", code=r"[A-Z2-9]{8}").search(invite_url), invite_url

    # A learner, signed out, follows the link: it names the team, then asks for an account.
    learner = new_context().new_page()
    learner.goto(invite_url)
    expect(h1(learner)).to_have_text("Join “Week 3 cohort”")
    expect(learner.get_by_role("main")).to_contain_text("You have been invited to study with")
    learner.get_by_role("link", name="Create an account").click()
    expect(h1(learner)).to_have_text("Create your account")
    signup = re.escape(reverse("accounts:signup"))
    join = urlsplit(invite_url).path
    expect(learner).to_have_url(re.compile(rf"{signup}\?{next_is(join)}$"))
    learner.get_by_label("Username").fill("nia")
    learner.get_by_label("Display name").fill("Nia New")
    learner.get_by_label("E-mail").fill("nia@example.com")
    learner.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    learner.get_by_label("Password confirmation").fill(PASSWORD)
    learner.get_by_role("button", name="Sign up").click()
    expect(h1(learner)).to_have_text("Join “Week 3 cohort”")
    learner.get_by_role("button", name="Join team").click()
    expect(h1(learner)).to_have_text("Week 3 cohort")
    expect(status_line(learner, "joined")).to_contain_text("You joined “Week 3 cohort”.")
    mine = row_of(learner.get_by_role("region", name="Assignments"), learner, SET_NAME)
    expect(mine).to_contain_text("0 of 11")
    expect(mine).to_contain_text("Not started")

    # The learner studies the five deployment questions: Confident on each.
    learner.get_by_role("navigation", name="Main").get_by_role("link", name="Topics").click()
    learner.get_by_role("link", name=DEPLOYMENT, exact=True).click()
    expect(h1(learner)).to_have_text(DEPLOYMENT)
    for done, number in enumerate(DEPLOYMENT_QUESTIONS, start=1):
        learner.get_by_role("link", name=re.compile(rf"^Q{number} ")).click()
        where = f"Question {number} · {done} of 5 in {DEPLOYMENT}"
        expect(learner.get_by_text(where)).to_be_visible()
        level_button(learner, "Confident").click()
        expect(level_button(learner, "Confident")).to_have_attribute("aria-pressed", "true")
        expect(learner.get_by_role("region", name="Your coverage")).to_contain_text(f"{done} of 5")
        wait_for_htmx(learner)
        learner.get_by_role("navigation", name="Breadcrumb").get_by_role(
            "link", name=DEPLOYMENT
        ).click()
        expect(h1(learner)).to_have_text(DEPLOYMENT)

    learner.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    mine = row_of(learner.get_by_role("region", name="Assignments"), learner, SET_NAME)
    expect(mine).to_contain_text("5 of 11")
    expect(mine).to_contain_text("In progress")

    # Two more learners, from the factory: Bo has 2 of the deployment questions, Zed none.
    team = Team.objects.get(name="Week 3 cohort")
    bo = make_user(username="bo", display_name="Bo Brown")
    zed = make_user(username="zed", display_name="Zed Zero")
    add_member(team, bo)
    add_member(team, zed)
    for number in (10, 11):
        mark(bo, Question.objects.get(position=number), 3)

    # The instructor's team dashboard.
    instructor.get_by_role("link", name="Team dashboard", exact=True).click()
    expect(h1(instructor)).to_have_text("Week 3 cohort: team dashboard")
    expect(matrix_cell(instructor, "Nia New", DEPLOYMENT)).to_have_text(covered_of(5, 5))
    expect(matrix_cell(instructor, "Nia New", ROBUSTNESS)).to_have_text(covered_of(0, 6))
    expect(matrix_cell(instructor, "Bo Brown", DEPLOYMENT)).to_have_text(covered_of(2, 5))
    expect(member_names(instructor)).to_have_text(["Bo Brown", "Nia New", "Zed Zero"])

    status = instructor.get_by_role("region", name=re.compile(rf"^{SET_NAME} due "))
    expect(status).to_contain_text(f"due {shown_date(due)}")
    in_progress = status_group(status, instructor, "In progress")
    expect(in_progress.get_by_role("heading")).to_have_text("In progress: 2")
    expect(in_progress.get_by_role("listitem")).to_have_text(
        ["Nia New (5 of 11)", "Bo Brown (2 of 11)"]
    )
    expect(status_group(status, instructor, "Not started")).to_contain_text("Zed Zero (0 of 11)")
    expect(status_group(status, instructor, "Complete").get_by_role("listitem")).to_have_count(0)

    # Who has covered deployment? Nia, in full. Robustness? Nobody has started.
    instructor.get_by_role("region", name=re.compile(r"^Who has covered")).get_by_role(
        "link", name=DEPLOYMENT, exact=True
    ).click()
    expect(h1(instructor)).to_have_text(f"Who has covered {DEPLOYMENT}?")
    complete = instructor.get_by_role("region", name=re.compile(r"^Complete "))
    expect(complete.get_by_role("heading")).to_have_text("Complete (1)")
    expect(complete).to_contain_text("Nia New")
    expect(instructor.get_by_role("region", name=re.compile(r"^In progress "))).to_contain_text(
        "Bo Brown"
    )
    instructor.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Dashboard"
    ).click()
    instructor.get_by_role("region", name=re.compile(r"^Who has covered")).get_by_role(
        "link", name=ROBUSTNESS, exact=True
    ).click()
    expect(h1(instructor)).to_have_text(f"Who has covered {ROBUSTNESS}?")
    not_started = instructor.get_by_role("region", name=re.compile(r"^Not started "))
    expect(not_started.get_by_role("heading")).to_have_text("Not started (3)")
    expect(not_started).to_contain_text("Nia New")
    expect(instructor.get_by_role("region", name=re.compile(r"^Complete "))).to_contain_text(
        "Nobody."
    )
    instructor.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Dashboard"
    ).click()

    # Sorting by the deployment column: most covered first, then least covered first.
    column = matrix_table(instructor).get_by_role("columnheader", name=DEPLOYMENT)
    column.get_by_role("link").click()
    expect(instructor).to_have_url(re.compile(r"\?sort=-deployment$"))
    expect(column).to_have_attribute("aria-sort", "descending")
    expect(member_names(instructor)).to_have_text(["Nia New", "Bo Brown", "Zed Zero"])
    column.get_by_role("link").click()
    expect(instructor).to_have_url(re.compile(r"\?sort=deployment$"))
    expect(column).to_have_attribute("aria-sort", "ascending")
    expect(member_names(instructor)).to_have_text(["Zed Zero", "Bo Brown", "Nia New"])

    # Choosing the assignment keeps only its topics, in place; the sort is kept.
    assignment = Assignment.objects.get(team=team)
    instructor.evaluate("window.__marker = 1")
    instructor.get_by_label("Assignment", exact=True).select_option(label=f"“{SET_NAME}”")
    expect(instructor).to_have_url(re.compile(rf"[?&]assignment={assignment.pk}(&|$)"))
    expect(matrix_table(instructor).get_by_role("columnheader")).to_have_text(
        [
            "Member",
            "Assignment (of 11)",
            "Status",
            "Last activity",
            re.compile(rf"^{DEPLOYMENT}"),
            ROBUSTNESS,
        ]
    )
    expect(member_names(instructor)).to_have_text(["Zed Zero", "Bo Brown", "Nia New"])
    expect(matrix_cell(instructor, "Nia New", DEPLOYMENT)).to_have_text(covered_of(5, 5))
    wait_for_htmx(instructor)
    assert instructor.evaluate("window.__marker") == 1, "choosing the assignment reloaded the page"


# --- 2. axe on every team page ------------------------------------------------------------


@dataclass
class TeamWorld:
    """A team on the seed bank with an assignment due next week and one overdue.

    Ada has completed the overdue one and rated deployment at every level, so every
    badge, state and matrix band appears; Olga belongs to no team.
    """

    team: Team
    instructor: User
    ada: User
    bo: User
    olga: User
    current: Assignment
    overdue: Assignment

    def user(self, role: str) -> User:
        return getattr(self, role)


def build_team_world() -> TeamWorld:
    q = {question.position: question for question in Question.objects.all()}
    topic = {t.slug: t for t in Topic.objects.all()}
    instructor = make_user(username="iris", display_name="Iris Instructor")
    ada = make_user(username="ada", display_name="Ada Lovelace")
    bo = make_user(username="bo", display_name="Bo Chen")
    olga = make_user(username="olga", display_name="Olga Outsider")
    team = make_team("CV interview prep", instructor=instructor, learners=[ada, bo])
    today = timezone.localdate()
    current = make_assignment(
        team,
        make_topic_set(
            team,
            name=SET_NAME,
            description="Week 3: ship it, and make it hold.",
            topics=[topic["deployment"], topic["robustness"]],
            created_by=instructor,
        ),
        due_date=today + timedelta(days=7),
    )
    overdue = make_assignment(
        team,
        make_topic_set(
            team, name="Detection warm-up", topics=[topic["detection"]], questions=[q[1]]
        ),
        due_date=today - timedelta(days=3),
    )
    for number in (5, 19, 23, 24, 1, 2, 16):
        mark(ada, q[number], 4)
    for number, level in zip(DEPLOYMENT_QUESTIONS, (1, 2, 3, 4, 5), strict=True):
        mark(ada, q[number], level)
    mark(bo, q[5], 2)
    mark(bo, q[10], 3)
    return TeamWorld(team, instructor, ada, bo, olga, current, overdue)


def open_with_heading(
    page: Page, name: str, heading: str | re.Pattern[str], /, **kwargs: int | str
) -> None:
    """Open the page with URL name `name` (keyword arguments are the URL's) and check its
    heading."""
    page.goto(reverse(name, kwargs=kwargs or None))
    expect(h1(page)).to_have_text(heading)


def team_list(page: Page, w: TeamWorld) -> None:
    open_with_heading(page, "teams:team_list", "Teams")


def team_page(page: Page, w: TeamWorld) -> None:
    open_with_heading(page, "teams:team_detail", w.team.name, team_id=w.team.pk)


def team_settings(page: Page, w: TeamWorld) -> None:
    open_with_heading(page, "teams:team_settings", "Team settings", team_id=w.team.pk)


def team_delete(page: Page, w: TeamWorld) -> None:
    open_with_heading(page, "teams:team_delete", f"Delete “{w.team.name}”?", team_id=w.team.pk)


def topic_set_list(page: Page, w: TeamWorld) -> None:
    open_with_heading(page, "teams:topic_set_list", "Topic sets", team_id=w.team.pk)


def topic_set_form(page: Page, w: TeamWorld) -> None:
    open_with_heading(page, "teams:topic_set_create", "New topic set", team_id=w.team.pk)
    page.get_by_role("checkbox", name=DEPLOYMENT, exact=True).check()
    expect(status_line(page, "This set holds")).to_have_text("This set holds 5 questions.")
    wait_for_htmx(page)


def assignment_form(page: Page, w: TeamWorld) -> None:
    open_with_heading(page, "teams:assignment_create", "Assign a topic set", team_id=w.team.pk)


def assignment_page(page: Page, w: TeamWorld) -> None:
    open_with_heading(
        page, "teams:assignment_detail", SET_NAME, team_id=w.team.pk, assignment_id=w.current.pk
    )


def overdue_assignment_page(page: Page, w: TeamWorld) -> None:
    open_with_heading(
        page,
        "teams:assignment_detail",
        "Detection warm-up",
        team_id=w.team.pk,
        assignment_id=w.overdue.pk,
    )


def team_dashboard(page: Page, w: TeamWorld) -> None:
    open_with_heading(
        page, "teams:team_dashboard", f"{w.team.name}: team dashboard", team_id=w.team.pk
    )


def team_dashboard_filtered(page: Page, w: TeamWorld) -> None:
    team_dashboard(page, w)
    page.get_by_label("Assignment", exact=True).select_option(label=f"“{SET_NAME}”")
    expect(matrix_table(page)).to_have_accessible_name(re.compile(rf"topics of {SET_NAME}$"))
    wait_for_htmx(page)


def team_topic(page: Page, w: TeamWorld) -> None:
    open_with_heading(
        page,
        "teams:team_topic",
        f"Who has covered {DEPLOYMENT}?",
        team_id=w.team.pk,
        slug="deployment",
    )


def join_page(page: Page, w: TeamWorld) -> None:
    open_with_heading(page, "teams:team_join", f"Join “{w.team.name}”", code=w.team.invite_code)


def join_invalid(page: Page, w: TeamWorld) -> None:
    open_with_heading(page, "teams:team_join", "This invite is not valid", code="NOSUCH22")


def dashboard(page: Page, w: TeamWorld) -> None:
    open_with_heading(page, "progress:dashboard", re.compile(r"^Hello, "))
    expect(page.get_by_role("region", name="Assignments")).to_contain_text("Overdue")


#: name → (who opens it, how). Names say who: "…/instructor", "…/learner", "…/outsider".
TEAM_PAGES: dict[str, tuple[str, Callable[[Page, TeamWorld], None]]] = {
    "team-list/instructor": ("instructor", team_list),
    "team-page/instructor": ("instructor", team_page),
    "settings/instructor": ("instructor", team_settings),
    "delete/instructor": ("instructor", team_delete),
    "topic-set-list/instructor": ("instructor", topic_set_list),
    "topic-set-form/instructor": ("instructor", topic_set_form),
    "assignment-form/instructor": ("instructor", assignment_form),
    "assignment-page/instructor": ("instructor", assignment_page),
    "team-dashboard-filtered/instructor": ("instructor", team_dashboard_filtered),
    "team-topic/instructor": ("instructor", team_topic),
    "join-page/instructor": ("instructor", join_page),
    "join-page/outsider": ("olga", join_page),
    "join-invalid/outsider": ("olga", join_invalid),
    "team-page/learner": ("ada", team_page),
    "assignment-page/learner": ("ada", assignment_page),
    "overdue-assignment-page/learner": ("bo", overdue_assignment_page),
    "dashboard-with-assignments/learner": ("bo", dashboard),
}


def test_team_pages_are_accessible(new_context, console, log_in_as, bank_server):
    """Every page above, one after the other (one database for all, which keeps this fast);
    each page's problems are collected and all are reported together."""
    console.allow(r"status of 404")  # the invalid invite answers 404
    world = build_team_world()
    pages: dict[str, Page] = {}
    problems = []
    for name, (role, open_it) in TEAM_PAGES.items():
        if role not in pages:
            context = new_context()
            log_in_as(context, world.user(role))
            pages[role] = context.new_page()
        page = pages[role]
        open_it(page, world)
        try:
            assert_accessible(page, name)
        except AssertionError as problem:
            problems.append(str(problem).split("\nassert ")[0])
    assert not problems, "\n\n".join(problems)


def test_team_dashboard_is_accessible(new_context, log_in_as, bank_server):
    world = build_team_world()
    context = new_context()
    log_in_as(context, world.instructor)
    page = context.new_page()
    team_dashboard(page, world)
    expect(matrix_table(page).locator("td.band-3")).not_to_have_count(0)
    expect(matrix_table(page).locator("td.band-4")).not_to_have_count(0)
    assert_accessible(page, "team-dashboard/instructor")


# --- 3. The matrix at scale -------------------------------------------------------------


def test_matrix_stays_readable_with_100_learners_and_30_topics(new_context, log_in_as, bank_server):
    # 13 seed topics and 17 more, each with a question of its own.
    for i in range(17):
        extra = make_topic(slug=f"extra-{i:02d}", name=f"Extra topic {i + 1}", position=100 + i)
        make_question(key=f"extra-{i:02d}", position=51 + i, topics=[extra])
    assert Topic.objects.count() == 30
    instructor = make_user(username="iris", display_name="Iris Instructor")
    team = make_team("Big cohort", instructor=instructor)
    bulk_learners(
        team, 100, questions=list(Question.objects.filter(position__lte=12)), prefix="big-"
    )

    context = new_context(viewport={"width": 1280, "height": 800})
    log_in_as(context, instructor)
    page = context.new_page()
    open_page(page, "teams:team_dashboard", team_id=team.pk)
    matrix = matrix_table(page)
    # A page of 50 learners at a time; the pager says how many there are.
    expect(matrix.locator("tbody tr")).to_have_count(50)
    expect(page.get_by_role("navigation", name=re.compile("learners")).first).to_contain_text(
        "1–50 of 100 learners"
    )
    expect(matrix.get_by_role("columnheader")).to_have_count(33)

    # The frame is a named region in the tab order, and scrolls from the keyboard.
    frame = page.locator(".matrix-frame")
    expect(frame).to_have_attribute("tabindex", "0")
    expect(frame).to_have_role("region")
    expect(frame).to_have_accessible_name(MATRIX_NAME)
    tab_until(page, lambda focused: "matrix-frame" in focused["classes"], limit=40)
    expect(frame).to_be_focused()
    page.keyboard.press("PageDown")
    # Keyboard scrolling is animated: wait until it has moved and come to rest.
    eventually(lambda: scroll_settled(frame) > 0, "PageDown scrolled the frame")
    frame.evaluate("el => el.scrollTop = 0")
    frame.scroll_into_view_if_needed()

    # Scrolled down: the header row stays at the frame's top, painted over the rows.
    first_header = matrix.locator("thead th").first
    first_row = matrix.locator("tbody tr").first
    frame.evaluate("el => el.scrollTop = 800")
    assert frame.evaluate("el => el.scrollTop") == 800
    box = frame.bounding_box()
    header_box = first_header.bounding_box()
    assert box and header_box
    assert box["y"] <= header_box["y"] <= box["y"] + 2, (box, header_box)
    assert header_box["y"] + header_box["height"] <= box["y"] + box["height"]
    row_box = first_row.bounding_box()
    assert row_box and row_box["y"] + row_box["height"] <= box["y"] + 2, "the frame did not scroll"
    assert hit(frame, x=0.5, y=8) == "thead th", "a body cell covers the header row"

    # Scrolled right as well: the member names stay at the frame's left edge.
    frame.evaluate("el => el.scrollLeft = 2000")
    assert frame.evaluate("el => el.scrollLeft") > 300, "the matrix does not scroll sideways"
    header_box = first_header.bounding_box()
    assert header_box and box["x"] <= header_box["x"] <= box["x"] + 2, (box, header_box)
    assert header_box["y"] <= box["y"] + 2
    assert hit(frame, x=8, y=0.5) == "tbody th.member", "the name column scrolled away"
    assert hit(frame, x=8, y=8) == "thead th.member", "the corner cell scrolled away"

    # The page itself never scrolls sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def hit(frame: Locator, *, x: float, y: float) -> str:
    """What is painted at a point of the frame: "thead th", "tbody th.member", "tbody td"…

    `x` and `y` are pixels from the frame's left and top edge, or, below 1, fractions of
    its width and height.
    """
    return frame.evaluate(
        """(el, [x, y]) => {
            const r = el.getBoundingClientRect();
            const px = r.left + (x < 1 ? r.width * x : x);
            const py = r.top + (y < 1 ? r.height * y : y);
            const cell = document.elementFromPoint(px, py)?.closest("th, td");
            if (!cell || !el.contains(cell)) return "outside";
            const part = cell.closest("thead, tbody").tagName.toLowerCase();
            const member = cell.classList.contains("member") ? ".member" : "";
            return `${part} ${cell.tagName.toLowerCase()}${member}`;
        }""",
        [x, y],
    )


def scroll_settled(frame: Locator) -> int:
    """The frame's scrollTop once two readings 100 ms apart agree (-1 while it moves)."""
    before = frame.evaluate("el => el.scrollTop")
    time.sleep(0.1)
    return before if frame.evaluate("el => el.scrollTop") == before else -1


def eventually(check: Callable[[], bool], what: str, *, seconds: float = 3.0) -> None:
    """Poll `check` (wait_for_function would evaluate a string, which the CSP forbids)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    pytest.fail(f"never true: {what}")


# --- 4. The team page from the keyboard ------------------------------------------------------


def test_invite_and_member_buttons_from_the_keyboard(new_context, console, log_in_as, bank_server):
    console.allow(r"status of 404")  # the old invite link, once renewed
    instructor = make_user(username="iris", display_name="Iris Instructor")
    bo = make_user(username="bo", display_name="Bo Chen")
    cy = make_user(username="cy", display_name="Cy Diaz")
    team = make_team("Keyboard cohort", instructor=instructor, learners=[bo, cy])
    old_code = team.invite_code
    context = new_context()
    log_in_as(context, instructor)
    page = context.new_page()
    page.goto(team.get_absolute_url())
    expect(h1(page)).to_have_text("Keyboard cohort")

    invite = page.get_by_role("region", name="Invite people")
    code = invite.locator(".invite-code")
    expect(code).to_have_text(old_code)
    # Renewing asks first: the old link stops working for everyone it was sent to.
    tab_until(page, lambda f: f["tag"] == "summary" and f["text"] == "Renew link and code")
    page.keyboard.press("Enter")
    expect(invite.get_by_role("button", name="Yes, renew link and code")).to_be_visible()
    expect(code).to_have_text(old_code)
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Yes, renew link and code")
    page.keyboard.press("Enter")
    expect(status_line(page, "New invite link")).to_be_visible()
    expect(code).not_to_have_text(old_code)
    team.refresh_from_db()
    expect(code).to_have_text(team.invite_code)
    join = reverse("teams:team_join", kwargs={"code": team.invite_code})
    expect(invite.locator("code")).to_have_text(re.compile(re.escape(join) + "$"))

    members = page.get_by_role("table", name="Members of Keyboard cohort")
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Make instructor: Bo Chen")
    page.keyboard.press("Enter")
    expect(status_line(page, "is now an instructor")).to_have_text("Bo Chen is now an instructor.")
    expect(row_of(members, page, "Bo Chen").get_by_role("cell").first).to_have_text("Instructor")

    # Removing asks first: the button opens a panel with the real one.
    tab_until(page, lambda f: f["tag"] == "summary" and f["text"] == "Remove Cy Diaz")
    page.keyboard.press("Enter")
    confirm = page.get_by_role("button", name="Yes, remove Cy Diaz")
    expect(confirm).to_be_visible()
    assert Membership.objects.filter(team=team, user=cy).exists()
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Yes, remove Cy Diaz")
    page.keyboard.press("Enter")
    expect(status_line(page, "was removed")).to_have_text("Cy Diaz was removed from the team.")
    expect(page.get_by_role("heading", name="Members (2)")).to_be_visible()
    expect(row_of(members, page, "Cy Diaz")).to_have_count(0)
    assert not Membership.objects.filter(team=team, user=cy).exists()

    # The renewed link is the only one that works.
    open_page(page, "teams:team_join", code=old_code)
    expect(h1(page)).to_have_text("This invite is not valid")


# --- 5. Problems found while writing these tests, now fixed --------------------------------


def test_live_count_updates_its_status_line_in_place(page: Page, log_in_as, bank_server):
    world = build_team_world()
    log_in_as(page.context, world.instructor)
    open_page(page, "teams:topic_set_create", team_id=world.team.pk)
    size = status_line(page, "This set holds")
    size.evaluate("el => { el.dataset.original = 'yes'; }")
    page.get_by_role("checkbox", name=DEPLOYMENT, exact=True).check()
    expect(size).to_have_text("This set holds 5 questions.")
    wait_for_htmx(page)
    assert size.evaluate("el => el.dataset.original === 'yes'"), "the status line was replaced"


def test_topic_set_list_does_not_scroll_sideways_on_a_phone(new_context, log_in_as, bank_server):
    world = build_team_world()
    context = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in_as(context, world.instructor)
    page = context.new_page()
    open_page(page, "teams:topic_set_list", team_id=world.team.pk)
    expect(h1(page)).to_have_text("Topic sets")
    # On a phone the browser zooms out to fit, so compare with the device width, not innerWidth.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


def test_log_in_link_on_sign_up_keeps_the_invite(page: Page, bank_server):
    team = make_team("Week 3 cohort")
    join = reverse("teams:team_join", kwargs={"code": team.invite_code})
    page.goto(join)
    page.get_by_role("link", name="Create an account").click()
    expect(h1(page)).to_have_text("Create your account")
    log_in_link = page.get_by_role("main").get_by_role("link", name="Log in")
    # Read the link rather than wait for a page that never comes: the failure is immediate.
    href = log_in_link.get_attribute("href") or ""
    assert re.search(rf"[?&]{next_is(join)}(&|$)", href), f"the link is {href!r}"
    log_in_link.click()
    make_user(username="returning", display_name="Ray Returning")
    page.get_by_label("Username").fill("returning")
    page.get_by_label(PASSWORD_LABEL).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(h1(page)).to_have_text("Join “Week 3 cohort”")


def test_destructive_team_actions_ask_first(page: Page, log_in_as, bank_server):
    """Leaving, removing, withdrawing and deleting open a panel that names what happens;
    nothing changes until its own button is pressed."""
    world = build_team_world()
    log_in_as(page.context, world.instructor)
    page.goto(world.team.get_absolute_url())
    page.locator("summary", has_text=f"Withdraw {SET_NAME}").click()
    expect(page.get_by_text(f"Withdraw “{SET_NAME}” from the team?")).to_be_visible()
    assert Assignment.objects.filter(pk=world.current.pk).exists()
    page.get_by_role("button", name="Yes, withdraw it").first.click()
    expect(status_line(page, "withdrawn")).to_contain_text("withdrawn")
    assert not Assignment.objects.filter(pk=world.current.pk).exists()

    open_page(page, "teams:topic_set_list", team_id=world.team.pk)
    page.locator("summary", has_text=f"Delete {SET_NAME}").click()
    expect(page.get_by_text(f"Delete “{SET_NAME}”? This cannot be undone")).to_be_visible()
    page.get_by_role("button", name=f"Yes, delete “{SET_NAME}”").click()
    expect(page.get_by_role("status")).to_contain_text(f"Topic set “{SET_NAME}” deleted.")

    log_in_as(page.context, world.bo)
    page.goto(world.team.get_absolute_url())
    leave = page.locator("summary", has_text="Leave team")
    leave.click()
    confirm = page.get_by_role("button", name="Yes, leave CV interview prep")
    expect(confirm).to_be_visible()
    assert_accessible(page, "team page, leave confirmation open")
    leave.click()  # changing one's mind closes it again
    expect(confirm).to_be_hidden()
    assert Membership.objects.filter(team=world.team, user=world.bo).exists()
    leave.click()
    confirm.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Teams")
    assert not Membership.objects.filter(team=world.team, user=world.bo).exists()
