"""Stored XSS: what people type reaches pages as text, never as something that runs.

A corpus of attacks (script tags, event handlers, javascript: links, SVG and MathML,
hx-* and data-hx-* attributes, forms, styles, base and meta tags) goes in through
every place people write — notes, display names, team names, topic sets, imported
questions — and each page that shows it is parsed: no script but our own static
files, no event handler, no hx-* attribute carrying their text, no javascript: URL,
no element a person's text brought in.
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from progress.models import Note
from questions.models import Question
from teams.models import Team, TopicSet
from tests.factories import make_bank, make_user, mark, note
from tests.pages import HTMX
from tests.teams.factories import add_member, make_assignment, make_team

#: Every attack carries "PWN-": upper case, which a slug made from it (lower case) never has,
#: so an attribute that holds it can only have come from the attack itself.
CORPUS = [
    '<script>alert("PWN-1")</script>',
    '"><script>alert("PWN-2")</script>',
    "'><img src=x onerror=alert('PWN-3')>",
    '<svg onload=alert("PWN-4")><circle r=9></circle></svg>',
    '<a href="javascript:alert(`PWN-5`)">PWN-5</a>',
    '<a href="jav&#x09;ascript:alert(1)">PWN-6</a>',
    "[PWN-7](javascript:alert(7)) ![PWN-8](javascript:alert(8))",
    '<div hx-get="/PWN-9" hx-trigger="load" hx-target="body">x</div>',
    '<p data-hx-post="/PWN-10" data-hx-trigger="load">x</p>',
    '<form action="/PWN-11"><button formaction="/PWN-12">go</button></form>',
    '<style>body{display:none}</style><b style="color:red" class="PWN-13">x</b>',
    '<iframe src="javascript:alert(14)" name="PWN-14"></iframe>',
    '<math><mi xlink:href="javascript:alert(15)">PWN-15</mi></math>',
    '<object data="javascript:alert(16)" name="PWN-16"></object><embed src="/PWN-17">',
    '<base href="https://PWN-18.example/"><meta http-equiv="refresh" content="0;PWN-19">',
    '<details open ontoggle=alert("PWN-20")>x</details>',
    '<a href="data:text/html,<script>alert(21)</script>">PWN-21</a>',
    "{{ request.user }} {% csrf_token %} PWN-22",
]
# The hyphen keeps the marker out of random tokens (CSRF tokens are letters and digits).
MARKER = "PWN-"

#: Attributes that may hold a person's text (form values and labels): plain text there.
TEXT_ATTRIBUTES = {"value", "title", "aria-label", "alt", "placeholder", "content"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
FOREIGN_ELEMENTS = {
    "svg", "math", "iframe", "frame", "frameset", "object", "embed", "applet", "style",
    "base", "template", "portal",
}  # fmt: skip


class Inspector(HTMLParser):
    """Collects everything in a page that could run or change how the page behaves."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        # The app's own charts are SVG, always marked focusable="false"; an attack's is not.
        ours = tag == "svg" and values.get("focusable") == "false"
        if tag in FOREIGN_ELEMENTS and not ours:
            self.problems.append(f"<{tag}> element")
        if tag == "script":
            self._in_script = True
            if not values.get("src", "").startswith("/static/"):
                self.problems.append(f"script not from our static files: {values}")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append(f"<meta http-equiv>: {values}")
        if tag == "link" and not values.get("href", "").startswith("/static/"):
            self.problems.append(f"<link> not to our static files: {values}")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            scheme = re.sub(r"[\x00-\x20]", "", value).lower()
            if name in URL_ATTRIBUTES and scheme.startswith(("javascript:", "vbscript:", "data:")):
                self.problems.append(f"{name}={value!r} on <{tag}>")
            # Links may point anywhere http(s): notes have links.
            if MARKER in value and name not in TEXT_ATTRIBUTES | {"href", "src"}:
                self.problems.append(f"their text in {name}={value!r} on <{tag}>")

    def handle_startendtag(self, tag, attrs) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data[:60]!r}")


def assert_inert(client: Client, path: str, **kwargs) -> str:
    """GET the page (or fragment) and fail on anything a person's text made executable."""
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    html = response.content.decode()
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    assert inspector.problems == [], f"{path}: {inspector.problems}"
    return html


def _visible_text(html: str) -> str:
    """The page's text as a person reads it (entities decoded, no markup)."""
    parser = _TextCollector()
    parser.feed(html)
    return "".join(parser.parts)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def test_the_inspector_catches_each_attack_left_unescaped():
    """The checks can fail: every attack, put on a page as markup, is caught."""
    for attack in [a for a in CORPUS if "<" in a]:  # Markdown and template syntax are text
        inspector = Inspector()
        inspector.feed(f"<main>{attack}</main>")
        assert inspector.problems, attack


@pytest.fixture
def bank(db):
    return make_bank(topics=2, questions_per_topic=2)


def test_notes(client, bank):
    learner = make_user(username="writer", display_name="Writer")
    question = bank[0].questions.first()
    text = "\n\n".join(CORPUS)
    note(learner, question, text)
    client.force_login(learner)
    stored = Note.objects.get()

    editor = reverse("progress:edit_note", args=[question.key])
    paths = [
        reverse("progress:dashboard"),
        reverse("progress:note_list"),
        reverse("progress:note_detail", args=[stored.pk]),
        reverse("progress:question_detail", args=[question.key]),
        editor,
    ]
    for path in paths:
        assert_inert(client, path)
    html = assert_inert(client, editor, headers=HTMX)
    assert _visible_text(html).count(MARKER) >= len(CORPUS)  # all of it, as text in the editor

    # The conflict view shows the text twice: theirs and the saved one. (Theirs differs:
    # a stale save of the very text already saved is no conflict.)
    mine = text + "\n\nMine."
    response = client.post(editor, {"text": mine, "version": "old"})
    assert response.status_code == 409
    inspector = Inspector()
    inspector.feed(response.content.decode())
    assert inspector.problems == []


def test_display_names(bank):
    instructor = make_user(username="teacher", display_name="Teacher")
    team = make_team("Plain team", instructor=instructor)
    topic = bank[0]
    learners = []
    for i, attack in enumerate(CORPUS):
        learner = make_user(username=f"attacker{i}", display_name=attack[:80])
        add_member(team, learner)
        mark(learner, topic.questions.first(), 4)
        learners.append(learner)
    assignment = make_assignment(team, topics=[topic])
    teacher = Client()
    teacher.force_login(instructor)
    for path in [
        reverse("teams:team_detail", args=[team.pk]),
        reverse("teams:team_dashboard", args=[team.pk]),
        reverse("teams:team_topic", args=[team.pk, topic.slug]),
        reverse("teams:assignment_detail", args=[team.pk, assignment.pk]),
    ]:
        html = assert_inert(teacher, path)
        if "assignments" not in path:  # that page lists names only once they have started
            assert MARKER in _visible_text(html), path

    # Each attacker sees their own name in the header.
    for learner in learners[:5]:
        own = Client()
        own.force_login(learner)
        assert_inert(own, reverse("progress:dashboard"))
        assert_inert(own, reverse("accounts:profile"))


def test_team_names(bank):
    instructor = make_user(username="teacher", display_name="Teacher")
    teacher = Client()
    teacher.force_login(instructor)
    for attack in CORPUS:
        response = teacher.post(reverse("teams:team_create"), {"name": attack[:80]})
        assert response.status_code == 302, response.content.decode()
    teams = list(Team.objects.all())
    assert len(teams) == len(CORPUS)

    learner = make_user(username="joiner")
    joiner = Client()
    joiner.force_login(learner)
    for team in teams:
        assert_inert(joiner, reverse("teams:team_join", args=[team.invite_code]))
        add_member(team, learner)
    assert_inert(joiner, reverse("progress:dashboard"))  # the Teams menu lists them all
    assert_inert(joiner, reverse("teams:team_list"))
    for team in teams:
        for path in [
            reverse("teams:team_detail", args=[team.pk]),
            reverse("teams:team_settings", args=[team.pk]),
            reverse("teams:team_delete", args=[team.pk]),
            reverse("teams:team_dashboard", args=[team.pk]),
        ]:
            assert_inert(teacher, path)


def test_topic_set_names_and_descriptions(bank):
    instructor = make_user(username="teacher", display_name="Teacher")
    learner = make_user(username="learner2", display_name="Learner")
    team = make_team("Plain team", instructor=instructor, learners=[learner])
    teacher = Client()
    teacher.force_login(instructor)
    topic = bank[0]
    for attack in CORPUS:
        response = teacher.post(
            reverse("teams:topic_set_create", args=[team.pk]),
            {"name": attack, "description": attack, "topics": [topic.pk]},
        )
        assert response.status_code == 302, response.content.decode()
    sets = list(TopicSet.objects.all())
    assert len(sets) == len(CORPUS)
    for topic_set in sets:
        response = teacher.post(
            reverse("teams:assignment_create", args=[team.pk]), {"topic_set": topic_set.pk}
        )
        assert response.status_code == 302
    assignments = list(team.assignments.all())

    pages = [
        reverse("teams:topic_set_list", args=[team.pk]),
        reverse("teams:assignment_create", args=[team.pk]),
        reverse("teams:team_detail", args=[team.pk]),
        reverse("teams:team_dashboard", args=[team.pk]),
        *(reverse("teams:topic_set_edit", args=[team.pk, s.pk]) for s in sets),
        *(reverse("teams:assignment_detail", args=[team.pk, a.pk]) for a in assignments),
        *(reverse("teams:assignment_edit", args=[team.pk, a.pk]) for a in assignments),
    ]
    for path in pages:
        assert_inert(teacher, path)
    student = Client()
    student.force_login(learner)
    # The assignments on the learner's dashboard
    html = assert_inert(student, reverse("progress:dashboard"))
    assert MARKER in _visible_text(html)
    assert_inert(student, reverse("teams:team_detail", args=[team.pk]))


def test_imported_questions(bank):
    instructor = make_user(username="teacher", display_name="Teacher")
    make_team("Plain team", instructor=instructor)
    teacher = Client()
    teacher.force_login(instructor)
    questions = [
        {"text": f"Question {i}: {attack}", "answer": attack, "long_answer": attack}
        for i, attack in enumerate(CORPUS)
    ]
    upload = io.BytesIO(json.dumps({"questions": questions}).encode())
    upload.name = "attacks.json"
    response = teacher.post(
        reverse("questions:import_upload"),
        {"file": upload, "format": "auto", "new_topic": CORPUS[0]},
    )
    assert response.status_code == 302, response.content.decode()
    preview = response["Location"]
    assert_inert(teacher, preview)
    assert teacher.post(preview).status_code == 302
    imported = list(Question.objects.filter(text__contains=MARKER))
    assert len(imported) == len(CORPUS)

    question_list = reverse("progress:question_list")
    pages = [
        preview,
        reverse("questions:bank"),
        reverse("progress:topic_list"),
        question_list,
        f"{question_list}?q={MARKER}",
    ]
    pages += [reverse("progress:question_detail", args=[q.key]) for q in imported]
    topic_slugs = {t.slug for q in imported for t in q.topics.all()}
    pages += [reverse("progress:topic_detail", args=[slug]) for slug in topic_slugs]
    for path in pages:
        assert_inert(teacher, path)


def test_written_questions_their_history_and_their_bank(bank):
    """What an instructor writes in the editor — answers are Markdown — and edits: the
    question page, the study card, the team bank page, the history and its diffs."""
    instructor = make_user(username="writer-teacher", display_name=CORPUS[1])
    team = make_team(CORPUS[2], instructor=instructor)
    learner = make_user(username="team-learner")
    add_member(team, learner)
    teacher = Client()
    teacher.force_login(instructor)
    topic = bank[0]
    written = []
    for attack in CORPUS:
        response = teacher.post(
            reverse("authoring:question_create"),
            {
                "bank": str(team.bank.pk),
                "text": f"Question: {attack}",
                "concise": attack,
                "long": f"{attack}\n\n- {attack}",
                "topics": [topic.slug],
            },
        )
        assert response.status_code == 302, response.content.decode()
        written.append(Question.objects.get(text=f"Question: {attack}"))
    # Each edited once, so that its history has a diff of attack against attack.
    question = written[0]
    edit = teacher.get(reverse("authoring:question_edit", args=[question.key]))
    revision = re.search(r'name="revision" value="(\d+)"', edit.content.decode())
    assert revision, "the editor carries the revision it was opened on"
    response = teacher.post(
        reverse("authoring:question_edit", args=[question.key]),
        {
            "text": f"Edited: {CORPUS[3]}",
            "concise": CORPUS[4],
            "long": CORPUS[5],
            "topics": [topic.slug],
            "revision": revision.group(1),
        },
    )
    assert response.status_code == 302, response.content.decode()

    pages = [
        reverse("authoring:team_bank", args=[team.pk]),
        reverse("authoring:question_history", args=[question.key]),
        reverse("progress:topic_detail", args=[topic.slug]),
    ]
    pages += [reverse("progress:question_detail", args=[q.key]) for q in written]
    for path in pages:
        assert_inert(teacher, path)
    preview = teacher.post(
        reverse("authoring:answer_preview"), {"concise": CORPUS[0], "long": CORPUS[6]}, headers=HTMX
    )
    assert preview.status_code == 200
    learner_client = Client()
    learner_client.force_login(learner)
    learner_client.post(reverse("progress:study_start"), {"source": "topic", "topic": topic.slug})
    session = learner.study_sessions.get()
    for _ in written:
        assert_inert(learner_client, session.get_absolute_url())
        learner_client.post(
            reverse("progress:study_move", args=[session.pk]), {"direction": "next"}
        )


def test_proposals_and_the_reasons_they_are_declined(bank):
    instructor = make_user(username="reviewer")
    team = make_team("Reviewed team", instructor=instructor)
    learner = make_user(username="proposer", display_name=CORPUS[3])
    add_member(team, learner)
    proposer, reviewer = Client(), Client()
    proposer.force_login(learner)
    reviewer.force_login(instructor)
    for attack in CORPUS[:6]:
        response = proposer.post(
            reverse("authoring:proposal_create", args=[team.pk]),
            {"text": f"Proposal: {attack}", "answer": attack, "long_answer": attack},
        )
        assert response.status_code == 302, response.content.decode()
    proposals = list(team.bank.proposals.all())
    for proposal, attack in zip(proposals, CORPUS[6:], strict=False):
        response = reviewer.post(
            reverse("authoring:proposal_review", args=[team.pk, proposal.pk]),
            {"action": "decline", "reason": attack},
        )
        assert response.status_code == 302, response.content.decode()
    assert team.bank.proposals.filter(status="declined").count() == len(proposals)
    assert_inert(proposer, reverse("authoring:my_proposals"))
    assert_inert(reviewer, reverse("authoring:review_queue", args=[team.pk]))
    for proposal in proposals:
        assert_inert(reviewer, reverse("authoring:proposal_review", args=[team.pk, proposal.pk]))
    assert_inert(
        proposer,
        reverse("authoring:proposal_duplicates", args=[team.pk]) + "?text=" + CORPUS[0],
        headers=HTMX,
    )


@pytest.mark.parametrize("attack", CORPUS[:4] + CORPUS[7:9])
def test_reflected_parameters(logged_in_client, bank, attack):
    """What comes back from the address (a search, a filter, a next page) is inert too."""
    topic = bank[0]
    question = topic.questions.first()
    for path, params in [
        (reverse("progress:question_list"), {"q": attack}),
        (reverse("progress:topic_detail", args=[topic.slug]), {"level": attack}),
        (reverse("progress:question_detail", args=[question.key]), {"topic": attack}),
    ]:
        assert_inert(logged_in_client, path, data=params)
    visitor = Client()
    assert_inert(visitor, reverse("accounts:signup"), data={"next": attack})
    assert_inert(visitor, reverse("accounts:login"), data={"next": attack})
