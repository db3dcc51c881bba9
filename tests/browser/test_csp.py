"""No Content-Security-Policy violation on any page, in Chromium.

Every page is found by following links from the dashboard (with the demo data, as a
learner and as the team's instructor, and signed out), plus the few reached only by a
form or a mailed link. Each is opened in the browser, which reports every violation
as a `securitypolicyviolation` event and as a console error; either fails the test.
A URL name that no walk reaches fails the test too, until it is visited or listed in
NOT_PAGES with the reason.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from authoring.proposals import propose
from progress.models import StudySession
from questions.models import ImportRecord, Question, Topic
from reminders.links import unsubscribe_token
from teams.demo import DEMO_TEAM, load_demo_data
from teams.models import Team
from tests.browser.conftest import open_page, rating_button, wait_for_htmx
from tests.teams.test_permissions import walk_urls

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

#: URL names that are not pages a browser shows, and why.
NOT_PAGES = {
    "healthz": "JSON for load balancers",
    # Single sign-on: leaving for the provider and coming back (tests/browser/test_sso.py
    # drives both in Chromium), and names allauth reverses, redirected to StudyHub's pages.
    "openid_connect_login": "a POST that leaves for the provider",
    "openid_connect_callback": "a redirect back from the provider",
    "account_login": "a redirect to the log-in page",
    "account_signup": "a redirect to the log-in page",
    "account_inactive": "a redirect to the log-in page",
    "socialaccount_login_cancelled": "a redirect to the log-in page",
    "socialaccount_signup": "a redirect to the log-in page",
    "socialaccount_connections": "a redirect to the profile",
    "favicon": "a redirect to the static icon",
    "progress:study_start": "POST only",
    "progress:study_these": "POST only",
    "progress:study_rate": "POST only",
    "progress:study_move": "POST only",
    "progress:mark_confidence": "POST only (its htmx answer is checked on the question page)",
    "progress:check_answer": "POST only (tests/browser/test_typed_recall.py)",
    "progress:correct_point": "POST only",
    "progress:delete_check": "POST only",
    "progress:delete_all_checks": "POST only",
    "progress:typing_preference": "POST only",
    "questions:export_bank_json": "a download",
    "questions:export_bank_csv": "a download",
    "accounts:logout": "POST only",
    "progress:download_my_data": "a download",
    "progress:anki_bank": "a download",
    "progress:anki_topic": "a download",
    "progress:anki_due": "a download",
    "teams:assignment_anki": "a download",
    "teams:topic_set_anki": "a download",
    "teams:study_start": "POST only",
    "teams:rotate_invite": "POST only",
    "teams:leave": "POST only",
    "teams:promote_member": "POST only",
    "teams:remove_member": "POST only",
    "teams:topic_set_delete": "POST only",
    "teams:topic_set_size": "an htmx fragment (checked by changing a topic set)",
    "teams:assignment_withdraw": "POST only",
    "teams:assignment_status_csv": "a download",
    "teams:team_matrix_csv": "a download",
    "teams:hard_questions_csv": "a download",
    "teams:calibration_csv": "a download",
    "teams:share_progress": "POST only",
    "teams:team_visibility": "POST only",
    "authoring:answer_preview": "an htmx fragment, POST (tests/browser/test_authoring.py)",
    "authoring:proposal_duplicates": "an htmx fragment, POST (tests/browser/test_proposals.py)",
    "authoring:question_retire": "POST only",
    "authoring:question_unretire": "POST only",
    "authoring:question_promote": "POST only",
    "authoring:revision_restore": "POST only",
    "authoring:import_undo": "POST only",
    "authoring:library": "staff only: tests/browser/test_authoring.py opens it",
    "accounts:revoke_api_token": "POST only",
    "api:api-root": "a 404",
    "api:list_topics": "JSON (the API)",
    "api:list_questions": "JSON (the API)",
    "api:get_question": "JSON (the API)",
    "api:me": "JSON (the API)",
    "api:list_marks": "JSON (the API)",
    "api:get_mark": "JSON (the API)",
    "api:put_mark": "JSON (the API)",
    "api:list_notes": "JSON (the API)",
    "api:get_note": "JSON (the API)",
    "api:put_note": "JSON (the API)",
    "api:delete_note": "JSON (the API)",
    "api:coverage": "JSON (the API)",
    "api:calibration": "JSON (the API)",
    "api:list_teams": "JSON (the API)",
    "api:team_progress": "JSON (the API)",
    "api:team_assignments": "JSON (the API)",
    "api:assignment_learners": "JSON (the API)",
    "api:openapi-json": "JSON (the API)",
}

WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def skip_path() -> re.Pattern[str]:
    """Links the crawl does not follow: the admin, static files, downloads and log-out."""
    prefixes = "|".join(re.escape(p) for p in (reverse("admin:index"), settings.STATIC_URL))
    logout = re.escape(reverse("accounts:logout"))
    return re.compile(rf"^({prefixes})|\.(csv|json)$|{logout}")


def view_name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def crawl(client: Client, seeds: list[str]) -> dict[str, str]:
    """One HTML page per URL name reachable by links from `seeds`: name -> path."""
    found: dict[str, str] = {}
    queue, seen = deque(seeds), set(seeds)
    skip = skip_path()
    while queue:
        path = queue.popleft()
        name = view_name(path)
        if name is None or name in found or name in NOT_PAGES:
            continue
        response = client.get(path, follow=True)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        found[name] = path
        links = _Links()
        links.feed(response.content.decode())
        for href in links.hrefs:
            target = urldefrag(href).url
            if not target.startswith("/") or target.startswith("//"):
                continue
            if skip.search(target) or target in seen:
                continue
            seen.add(target)
            queue.append(target)
    return found


def watched_context(new_context) -> tuple[BrowserContext, list[str]]:
    violations: list[str] = []
    context = new_context()
    context.expose_function("reportCspViolation", lambda text: violations.append(text))
    context.add_init_script(script=WATCH_CSP)
    return context, violations


def visit_all(page: Page, pages: dict[str, str], violations: list[str]) -> None:
    for name, path in sorted(pages.items()):
        response = page.goto(path)
        assert response is not None and response.ok, f"{name}: {path} answered {response}"
        expect(page.locator("body")).to_be_visible()
        wait_for_htmx(page)
        assert violations == [], f"CSP violations on {name} ({path}): {violations}"


@pytest.fixture
def demo(bank_server):
    """The demo people and team, a study session of lena's, an import of ines's into the
    team's bank and a proposal of lena's waiting for ines."""
    load_demo_data()
    lena = User.objects.get(username="lena")
    ines = User.objects.get(username="ines")
    question = Question.objects.get(key="cnn-05")
    topic = Topic.objects.get(slug="detection")
    StudySession.objects.create(
        user=lena, source="topic", label=topic.name, question_ids=[question.pk]
    )
    ImportRecord.objects.create(
        user=ines,
        file_name="questions.md",
        format="auto",
        text="## What is a stride?\nThe step of the filter.\n",
        topics=[topic.slug],
        bank=Team.objects.get(name=DEMO_TEAM).bank,
    )
    propose(
        bank_id=Team.objects.get(name=DEMO_TEAM).bank_id,
        author=lena,
        text="What does a dilated convolution buy you?",
        answer="A wider receptive field at the same cost.",
    )
    return {"lena": lena, "ines": ines}


def seeds_for(user: User) -> list[str]:
    """Pages reached by a form or from the team pages rather than by a plain link."""
    names = ["progress:dashboard", "progress:study_home", "progress:history", "questions:bank"]
    seeds = [reverse(name) for name in names]
    seeds.append(reverse("progress:question_list", query={"q": "detection"}))
    # The team list posts to these.
    seeds += [reverse("teams:team_create"), reverse("teams:join_with_code")]
    seeds += [
        reverse("teams:team_join", kwargs={"code": team.invite_code})
        for team in Team.objects.for_member(user)
    ]
    seeds += [s.get_absolute_url() for s in StudySession.objects.filter(user=user)]
    seeds += [
        reverse("questions:import_preview", kwargs={"import_id": r.pk})
        for r in ImportRecord.objects.filter(user=user)
    ]
    return seeds


def test_no_page_violates_the_policy(new_context, log_in_as, demo, console):
    reached: set[str] = set()
    for username in ("lena", "ines"):
        user = demo[username]
        client = Client()
        client.force_login(user)
        pages = crawl(client, seeds_for(user))
        assert len(pages) >= 10, pages
        context, violations = watched_context(new_context)
        log_in_as(context, user)
        visit_all(context.new_page(), pages, violations)
        reached |= set(pages)

    # Signed out, with a real password-reset link.
    lena = demo["lena"]
    reset = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(lena.pk)),
            "token": default_token_generator.make_token(lena),
        },
    )
    seeds = [reverse(name) for name in ("progress:dashboard", "accounts:login", "accounts:signup")]
    # And a reminder e-mail's unsubscribe link.
    unsubscribe = reverse("reminders:unsubscribe", args=[unsubscribe_token(lena, "due")])
    pages = crawl(Client(), [*seeds, reset, unsubscribe])
    context, violations = watched_context(new_context)
    visit_all(context.new_page(), pages, violations)
    reached |= set(pages)
    # The pages a password reset and a password change end on.
    for name in ("accounts:password_reset_done", "accounts:password_reset_complete"):
        page = context.new_page()
        assert open_page(page, name).ok
        reached.add(name)
    assert violations == []

    every_page = {
        url.name
        for url in walk_urls()
        if url.name and not url.name.startswith("admin:") and url.name not in NOT_PAGES
    }
    missed = sorted(every_page - reached - {"accounts:password_change_done"})
    assert missed == [], f"pages no walk reached (link them, seed them or list them): {missed}"


def test_htmx_interactions_and_error_pages_keep_to_the_policy(
    new_context, log_in_as, demo, console
):
    console.allow(r"status of (404|400|429)")
    context, violations = watched_context(new_context)
    log_in_as(context, demo["lena"])
    page = context.new_page()

    # Marking, the note editor and its autosave all swap content in place.
    open_page(page, "progress:question_detail", key="cnn-05", query={"topic": "detection"})
    page.get_by_text("Show answer").click()
    rating_button(page, "Mastered").click()
    expect(page.get_by_role("status").filter(has_text="Your confidence")).to_contain_text(
        "Mastered"
    )
    page.get_by_role("link", name=re.compile(r"^(Edit|Write a) note$")).click()
    note_box = page.get_by_label("Note", exact=True)
    expect(note_box).to_be_focused()
    wait_for_htmx(page)  # the editor's form is enhanced when htmx settles, after focus
    note_box.press_sequentially(" More.", delay=5)
    expect(page.locator("#note-status")).to_contain_text("Saved at", timeout=8_000)
    page.get_by_role("button", name="Save and close").click()
    expect(page.get_by_role("link", name="Edit note")).to_be_visible()
    wait_for_htmx(page)

    # The topic filter replaces the question list.
    open_page(page, "progress:topic_detail", slug="detection")
    page.get_by_label("Show", exact=True).select_option("covered")
    wait_for_htmx(page)

    # Error pages: not found (a path no URL matches, so spelled out), a bad request.
    assert page.goto("/no-such-page/").status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    many = {f"p{i}": 1 for i in range(250)}
    assert open_page(page, "progress:topic_detail", slug="detection", query=many).status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Bad request")
    assert violations == [], violations

    # The log-in cool-off page.
    visitor, visitor_violations = watched_context(new_context)
    page = visitor.new_page()
    for _ in range(5):
        open_page(page, "accounts:login")
        page.get_by_label("Username").fill("csp-check")
        page.get_by_label(re.compile(r"^Password:?$")).fill("wrong")
        page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many log-in attempts")
    assert visitor_violations == []


def request_as(user: User):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_the_admin_keeps_to_the_policy(new_context, log_in_as, demo, console):
    """Staff use Django's admin under the same strict policy: its index, and every
    registered model's list, add page and the change page of one of its rows."""
    from django.contrib import admin

    staff = User.objects.create_superuser("root", "root@example.com", "not-used-here")
    pages = {"admin:index": reverse("admin:index")}
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages[f"{info}_changelist"] = reverse(f"{info}_changelist")
        if admin.site._registry[model].has_add_permission(request_as(staff)):
            pages[f"{info}_add"] = reverse(f"{info}_add")  # not for read-only ones (tasks)
        if (row := model._default_manager.first()) is not None:
            pages[f"{info}_change"] = reverse(f"{info}_change", args=[row.pk])
    assert len(pages) > 10, pages
    context, violations = watched_context(new_context)
    log_in_as(context, staff)
    visit_all(context.new_page(), pages, violations)
