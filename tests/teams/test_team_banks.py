"""Team banks: a team's questions and topics are its members' alone, and one team's
content never changes another team's figures or a non-member's.

The world: a library topic with three library questions; team A's bank holds a question
in that library topic and one in a topic of its own; team B's bank holds one question
in the library topic. Everything is checked through the real pages and downloads.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from progress.models import StudySession
from questions.models import Question, Topic
from teams.models import Team
from tests.factories import make_question, make_topic, make_user, mark, note
from tests.pages import html_of, matrix_of, squash, topic_rows
from tests.teams.factories import add_member, make_team

pytestmark = pytest.mark.django_db


@dataclass
class World:
    library_topic: Topic
    library: list[Question]
    team_a: Team
    team_b: Team
    a_topic: Topic
    a_in_library_topic: Question
    a_in_own_topic: Question
    b_question: Question
    a_learner: User
    a_instructor: User
    b_learner: User
    b_instructor: User
    loner: User  # in no team
    staff: User

    def client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def world() -> World:
    library_topic = make_topic(slug="basics", name="Basics")
    library = [
        make_question(topics=[library_topic], text=f"What is basic idea {n}?") for n in "xyz"
    ]
    a_instructor, a_learner = make_user(username="ann"), make_user(username="al")
    b_instructor, b_learner = make_user(username="bob"), make_user(username="bea")
    team_a = make_team("Team A", instructor=a_instructor, learners=[a_learner])
    team_b = make_team("Team B", instructor=b_instructor, learners=[b_learner])
    a_topic = make_topic(slug="a-secrets", name="A's secrets", bank=team_a.bank)
    a_in_library_topic = make_question(
        topics=[library_topic], bank=team_a.bank, text="What does team A ask about pooling?"
    )
    a_in_own_topic = make_question(
        topics=[a_topic], bank=team_a.bank, text="What is team A's private dilation question?"
    )
    b_question = make_question(
        topics=[library_topic], bank=team_b.bank, text="What does team B ask about strides?"
    )
    staff = make_user(username="root", is_staff=True)
    return World(
        library_topic,
        library,
        team_a,
        team_b,
        a_topic,
        a_in_library_topic,
        a_in_own_topic,
        b_question,
        a_learner,
        a_instructor,
        b_learner,
        b_instructor,
        make_user(username="lone"),
        staff,
    )


def get(client: Client, name: str, **kwargs):
    query = kwargs.pop("query", None)
    url = reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")
    return client.get(url)


# --- Who sees what ---------------------------------------------------------------


def test_a_team_question_is_its_members_alone(world):
    key = world.a_in_own_topic.key
    for user, status in [
        (world.a_learner, 200),
        (world.a_instructor, 200),
        (world.b_learner, 404),
        (world.b_instructor, 404),
        (world.loner, 404),
        (world.staff, 200),  # staff moderate every bank
    ]:
        response = get(world.client(user), "progress:question_detail", key=key)
        assert response.status_code == status, user


def test_a_team_topic_is_its_members_alone(world):
    slug = world.a_topic.slug
    assert get(world.client(world.a_learner), "progress:topic_detail", slug=slug).status_code == 200
    assert get(world.client(world.b_learner), "progress:topic_detail", slug=slug).status_code == 404
    listed_a = html_of(get(world.client(world.a_learner), "progress:topic_list"))
    listed_b = html_of(get(world.client(world.b_learner), "progress:topic_list"))
    assert "A&#x27;s secrets" in listed_a and "A&#x27;s secrets" not in listed_b


def test_a_library_topic_shows_each_member_their_own_teams_questions(world):
    def listed(user):
        html = html_of(get(world.client(user), "progress:topic_detail", slug="basics"))
        return {q.text for q in Question.objects.all() if q.text in html}

    library = {q.text for q in world.library}
    assert listed(world.a_learner) == library | {world.a_in_library_topic.text}
    assert listed(world.b_learner) == library | {world.b_question.text}
    assert listed(world.loner) == library


def test_search_finds_only_what_the_searcher_sees(world):
    def found(user, text):
        html = html_of(get(world.client(user), "progress:question_list", query=f"q={text}"))
        return [q.key for q in Question.objects.all() if f'href="/questions/{q.key}/' in html]

    assert found(world.a_learner, "dilation") == [world.a_in_own_topic.key]
    assert found(world.b_learner, "dilation") == []
    assert found(world.loner, "team") == []
    assert found(world.b_learner, "team") == [world.b_question.key]


def test_marking_or_noting_another_teams_question_is_a_404(world):
    client = world.client(world.b_learner)
    key = world.a_in_own_topic.key
    assert (
        client.post(reverse("progress:mark_confidence", args=[key]), {"level": 3}).status_code
        == 404
    )
    assert client.get(reverse("progress:edit_note", args=[key])).status_code == 404
    assert not world.b_learner.confidence_marks.exists()


def test_study_sessions_hold_only_visible_questions(world):
    client = world.client(world.b_learner)
    client.post(reverse("progress:study_start"), {"source": "topic", "topic": "basics"})
    session = StudySession.objects.get(user=world.b_learner)
    assert set(session.question_ids) == {q.pk for q in world.library} | {world.b_question.pk}
    # Another team's topic cannot be studied.
    response = client.post(
        reverse("progress:study_start"), {"source": "topic", "topic": world.a_topic.slug}
    )
    assert response.status_code == 404


def test_a_session_moves_past_a_question_that_went_out_of_view(world):
    client = world.client(world.a_learner)
    client.post(reverse("progress:study_start"), {"source": "topic", "topic": "basics"})
    session = StudySession.objects.get(user=world.a_learner)
    assert world.a_in_library_topic.pk in session.question_ids
    # The learner leaves team A while the session is open: its question is skipped.
    world.team_a.memberships.filter(user=world.a_learner).delete()
    seen = []
    for _ in range(len(session.question_ids)):
        html = html_of(client.get(session.get_absolute_url()))
        seen += [q.pk for q in Question.objects.all() if q.text in html]
        client.post(reverse("progress:study_move", args=[session.pk]), {"direction": "next"})
    assert world.a_in_library_topic.pk not in seen
    assert set(seen) == {q.pk for q in world.library}


def test_downloads_hold_only_what_the_downloader_sees(world):
    def exported(user):
        response = get(world.client(user), "questions:export_bank_json")
        data = json.loads(
            b"".join(response.streaming_content) if response.streaming else response.content
        )
        return {q["key"] for q in data["questions"]}, {t["slug"] for t in data["topics"]}

    library = {q.key for q in world.library}
    keys, slugs = exported(world.a_learner)
    assert keys == library | {world.a_in_library_topic.key, world.a_in_own_topic.key}
    assert slugs == {"basics", "a-secrets"}
    keys, slugs = exported(world.b_learner)
    assert keys == library | {world.b_question.key}
    assert slugs == {"basics"}


def test_the_bank_page_counts_what_the_viewer_sees(world):
    html = squash(html_of(get(world.client(world.loner), "questions:bank")))
    assert "3 questions with 3 answers, in 1 topic." in html
    html = squash(html_of(get(world.client(world.a_learner), "questions:bank")))
    assert "5 questions with 5 answers, in 2 topics." in html


# --- Coverage counts what the viewer sees ----------------------------------------


def test_coverage_is_over_visible_questions(world):
    for q in [*world.library, world.b_question]:
        mark(world.b_learner, q, 4)
    mark(world.b_learner, world.a_in_library_topic, 4)  # made before a move, say: not counted
    rows = topic_rows(html_of(get(world.client(world.b_learner), "progress:dashboard")))
    assert rows["Basics"] == (4, 4, 100)


def test_the_team_dashboard_counts_the_library_and_the_teams_own_bank(world):
    for q in world.library:
        mark(world.a_learner, q, 4)
    mark(world.a_learner, world.a_in_own_topic, 4)
    html = html_of(
        get(world.client(world.a_instructor), "teams:team_dashboard", team_id=world.team_a.pk)
    )
    header, rows = matrix_of(html)
    assert "Overall (of 5)" in header
    assert "A's secrets" in header
    row = rows[0]
    assert row[header.index("Basics")].startswith("3 of 4")
    html = html_of(
        get(world.client(world.b_instructor), "teams:team_dashboard", team_id=world.team_b.pk)
    )
    header, _ = matrix_of(html)
    assert "Overall (of 4)" in header and "A's secrets" not in header


def test_a_retired_question_leaves_every_list_and_figure(world):
    for q in world.library:
        mark(world.loner, q, 4)
    note(world.loner, world.library[0], "Kept")
    retired = world.library[0]
    Question.objects.filter(pk=retired.pk).update(retired_at=timezone.now())
    client = world.client(world.loner)
    assert retired.text not in html_of(get(client, "progress:topic_detail", slug="basics"))
    assert retired.text not in html_of(get(client, "progress:question_list"))
    assert topic_rows(html_of(get(client, "progress:dashboard")))["Basics"] == (2, 2, 100)
    # Its page still opens, without the confidence control; the note is kept.
    page = get(client, "progress:question_detail", key=retired.key)
    assert page.status_code == 200
    assert 'id="confidence"' not in html_of(page)
    assert 'id="confidence"' in html_of(
        get(client, "progress:question_detail", key=world.library[1].key)
    )
    assert (
        client.post(
            reverse("progress:mark_confidence", args=[retired.key]), {"level": 2}
        ).status_code
        == 404
    )
    assert world.loner.notes.get().text == "Kept"


# --- Importing into one team changes nobody else's numbers --------------------------


FILE = """## Pooling

### What does max pooling keep?
The largest value in each window.

### What does average pooling keep?
The mean of each window.
"""


def _pages(world) -> dict[str, str]:
    """The main part of what team B's instructor and learner and the loner see."""
    pages = {
        "b dashboard": (world.b_instructor, "teams:team_dashboard", {"team_id": world.team_b.pk}),
        "b topics": (world.b_learner, "progress:topic_list", {}),
        "b learner dashboard": (world.b_learner, "progress:dashboard", {}),
        "loner dashboard": (world.loner, "progress:dashboard", {}),
        "loner search": (world.loner, "progress:question_list", {}),
        "loner basics": (world.loner, "progress:topic_detail", {"slug": "basics"}),
    }
    return {
        name: _main(get(world.client(user), url, **kwargs))
        for name, (user, url, kwargs) in pages.items()
    }


def _main(response) -> str:
    """The page's <main>, without the CSRF tokens of its forms (new on every request)."""
    main = re.search(r"<main\b.*</main>", html_of(response), re.S)
    assert main, "no <main>"
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main.group(0))


def test_importing_into_team_a_changes_nothing_for_team_b_or_a_non_member(world):
    for q in world.library:
        mark(world.b_learner, q, 4)
        mark(world.loner, q, 3)
    before = _pages(world)
    client = world.client(world.a_instructor)
    response = client.post(
        reverse("questions:import_upload"),
        {
            "file": SimpleUploadedFile("pooling.md", FILE.encode(), content_type="text/markdown"),
            "format": "auto",
            "topics": ["basics"],
            "bank": str(world.team_a.bank.pk),
        },
    )
    assert response.status_code == 302, html_of(response)
    client.post(response["Location"])
    added = Question.objects.filter(bank=world.team_a.bank, text__contains="pooling keep")
    assert added.count() == 2
    assert Topic.objects.get(slug=f"pooling-t{world.team_a.bank.pk}").bank == world.team_a.bank
    after = _pages(world)
    for name, html in before.items():
        changed = difflib.unified_diff(html.splitlines(), after[name].splitlines(), lineterm="")
        assert html == after[name], f"{name} changed:\n" + "\n".join(list(changed)[:40])
    # Team A sees them.
    html = html_of(
        get(
            world.client(world.a_learner),
            "progress:topic_detail",
            slug=f"pooling-t{world.team_a.bank.pk}",
        )
    )
    assert "What does max pooling keep?" in html


def test_a_key_or_topic_another_bank_holds_is_never_revealed(world):
    """Team B imports a file whose key and topic slug team A's bank holds: B gets new
    ones, and the preview says "new", as if A's did not exist."""
    text = json.dumps(
        {
            "topics": [{"slug": "a-secrets", "name": "Our secrets"}],
            "questions": [
                {
                    "key": world.a_in_own_topic.key,
                    "text": "What is team A's private dilation question?",
                    "answer": "B's own answer.",
                    "topics": ["a-secrets"],
                }
            ],
        }
    )
    client = world.client(world.b_instructor)
    response = client.post(
        reverse("questions:import_upload"),
        {"file": SimpleUploadedFile("b.json", text.encode()), "format": "auto"},
    )
    assert response.status_code == 302, html_of(response)
    preview = squash(html_of(client.get(response["Location"])))
    assert "New questions 1" in preview and "Already in the bank 0" in preview
    assert "Likely duplicates 0" in preview
    client.post(response["Location"])
    mine = Question.objects.get(bank=world.team_b.bank, text__contains="dilation")
    assert mine.key != world.a_in_own_topic.key
    assert mine.key.endswith(f"-t{world.team_b.bank.pk}")
    topic = mine.topics.get()
    assert (topic.bank, topic.name) == (world.team_b.bank, "Our secrets")
    assert topic.slug != "a-secrets"
    # Team A's question and topic are untouched.
    world.a_in_own_topic.refresh_from_db()
    assert list(world.a_in_own_topic.topics.all()) == [world.a_topic]

    # Importing the same file again finds B's own question and topic: nothing new.
    response = client.post(
        reverse("questions:import_upload"),
        {"file": SimpleUploadedFile("b.json", text.encode()), "format": "auto"},
    )
    preview = squash(html_of(client.get(response["Location"])))
    assert "New questions 0" in preview and "Already in the bank 1" in preview
    assert "New topics 0" in preview


def test_instructors_import_only_into_banks_they_instruct(world):
    client = world.client(world.a_instructor)
    response = client.post(
        reverse("questions:import_upload"),
        {
            "file": SimpleUploadedFile("pooling.md", FILE.encode()),
            "format": "auto",
            "topics": ["basics"],
            "bank": str(world.team_b.bank.pk),
        },
    )
    assert response.status_code == 422
    assert "Select a valid choice" in html_of(response)
    assert not Question.objects.filter(text__contains="pooling keep").exists()
    response = client.post(
        reverse("questions:import_upload"),
        {
            "file": SimpleUploadedFile("pooling.md", FILE.encode()),
            "format": "auto",
            "topics": ["basics"],
            "bank": "library",
        },
    )
    assert response.status_code == 422  # only staff add to the library
    assert "Select a valid choice" in html_of(response)
    assert not Question.objects.filter(text__contains="pooling keep").exists()


def test_a_team_topic_is_not_offered_to_another_team(world):
    client = world.client(world.b_instructor)
    response = client.post(
        reverse("questions:import_upload"),
        {
            "file": SimpleUploadedFile("pooling.md", FILE.encode()),
            "format": "auto",
            "topics": [world.a_topic.slug],
        },
    )
    assert response.status_code == 422
    assert "a-secrets" not in html_of(client.get(reverse("questions:import_upload")))


# --- Query counts stay flat as banks and teams multiply -------------------------------


FLAT_PAGES = [
    ("progress:dashboard", {}),
    ("progress:topic_list", {}),
    ("progress:topic_detail", {"slug": "basics"}),
    ("progress:question_list", {}),
    ("progress:history", {}),
    ("progress:study_home", {}),
    ("progress:note_list", {}),
    ("questions:bank", {}),
    ("questions:export_bank_csv", {}),
    ("teams:team_list", {}),
]


def _counts(client: Client, pages) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, kwargs in pages:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
        counts[name] = len(queries)
    return counts


def _more_teams(world, n: int) -> None:
    """n more teams, the learner in each, each bank with a topic and three questions in
    it and in the library topic, marked and noted by the learner."""
    for i in range(n):
        team = make_team(f"Extra {i}", learners=[world.a_learner, world.b_learner])
        topic = make_topic(bank=team.bank)
        for _ in range(3):
            q = make_question(topics=[topic, world.library_topic], bank=team.bank)
            mark(world.a_learner, q, 4)
            note(world.a_learner, q, "n")


def test_learner_pages_take_as_many_queries_for_many_banks_as_for_one(world):
    mark(world.a_learner, world.a_in_own_topic, 3)
    note(world.a_learner, world.a_in_own_topic, "n")  # a list of notes, then a longer one
    client = world.client(world.a_learner)
    team_pages = [
        ("teams:team_detail", {"team_id": world.team_a.pk}),
        ("progress:question_detail", {"key": world.a_in_own_topic.key}),
        ("progress:topic_detail", {"slug": world.a_topic.slug}),
    ]
    one = _counts(client, FLAT_PAGES + team_pages)
    _more_teams(world, 4)
    assert _counts(client, FLAT_PAGES + team_pages) == one


def test_the_team_dashboard_takes_as_many_queries_for_many_banks_as_for_one(world):
    client = world.client(world.a_instructor)
    pages = [
        ("teams:team_dashboard", {"team_id": world.team_a.pk}),
        ("teams:team_topic", {"team_id": world.team_a.pk, "slug": "basics"}),
        ("teams:topic_set_create", {"team_id": world.team_a.pk}),
        ("questions:import_upload", {}),
    ]
    one = _counts(client, pages)
    _more_teams(world, 4)
    for i in range(3):  # and the instructor teaches more teams
        make_team(f"Taught {i}", instructor=world.a_instructor)
    assert _counts(client, pages) == one


# --- A bank lives and dies with its team ---------------------------------------------


def test_a_renamed_team_renames_its_bank(world):
    world.team_a.name = "Team Alpha"
    world.team_a.save()
    world.team_a.bank.refresh_from_db()
    assert world.team_a.bank.name == "Team Alpha"


def test_deleting_a_team_deletes_its_bank_and_only_its_bank(world):
    mark(world.a_learner, world.a_in_own_topic, 4)
    bank = world.team_a.bank
    world.team_a.delete()
    assert not Question.objects.filter(bank=bank.pk).exists()
    assert not Topic.objects.filter(bank=bank.pk).exists()
    assert not world.a_learner.confidence_marks.exists()
    assert Question.objects.filter(pk=world.b_question.pk).exists()
    assert Question.objects.filter(bank__isnull=True).count() == 3


def test_the_question_page_never_links_to_what_the_viewer_cannot_see(world):
    """Neither the pager through a library topic nor the related questions lead to
    another team's question (or a retired one)."""
    first = world.library[0]
    first.related.add(world.b_question, world.a_in_library_topic)
    for q in world.library:
        q.related.add(world.b_question)
    client = world.client(world.a_learner)
    keys_b = [world.b_question.key]
    for q in world.library:
        html = html_of(get(client, "progress:question_detail", key=q.key, query="topic=basics"))
        assert not any(key in html for key in keys_b), q.key
        assert "of 4" in squash(html)  # three library questions and team A's one
    html = html_of(get(client, "progress:question_detail", key=first.key))
    assert world.a_in_library_topic.key in html  # A's own related question is shown


def test_the_study_card_shows_only_visible_related_questions(world):
    world.library[0].related.add(world.b_question)
    client = world.client(world.a_learner)
    client.post(reverse("progress:study_start"), {"source": "topic", "topic": "basics"})
    session = StudySession.objects.get(user=world.a_learner)
    html = html_of(client.get(session.get_absolute_url()))
    assert world.library[0].text in html
    assert world.b_question.key not in html


def test_my_data_keeps_my_marks_on_a_left_teams_question_but_not_its_text(world):
    mark(world.a_learner, world.a_in_own_topic, 4)
    note(world.a_learner, world.a_in_own_topic, "Mine")
    world.team_a.memberships.filter(user=world.a_learner).delete()
    data = json.loads(get(world.client(world.a_learner), "progress:download_my_data").getvalue())
    (marked,) = data["confidence"]
    (noted,) = data["notes"]
    assert marked["question"] == noted["question"] == world.a_in_own_topic.key
    assert marked["question_text"] == noted["question_text"] == ""
    assert noted["text"] == "Mine"
    assert world.a_in_own_topic.text not in json.dumps(data)


def test_a_topic_set_made_before_a_move_never_shows_another_teams_question(world):
    """A topic set of team B names a question that has since moved into team A's bank
    (as the bank migration can do): B's pages neither list nor count it."""
    from tests.teams.factories import make_assignment

    assignment = make_assignment(world.team_b, questions=[world.library[0], world.a_in_own_topic])
    client = world.client(world.b_learner)
    html = html_of(
        get(client, "teams:assignment_detail", team_id=world.team_b.pk, assignment_id=assignment.pk)
    )
    assert world.library[0].text in html
    assert world.a_in_own_topic.text not in html
    assert assignment.topic_set.question_ids() == {world.library[0].pk}


def test_what_a_team_writes_is_named_and_numbered_the_same_whatever_other_banks_hold(world):
    """Keys, topic slugs and question numbers of a team's new questions never depend on
    another team's bank: otherwise a "-2" or a higher number would tell it exists."""
    from authoring.services import QuestionContent, write_question
    from questions.importing.planning import KEY_MAX, bank_name, derived_key

    text = "What is the secret alpha plan?"

    def written_by(team: Team, author: User) -> Question:
        content = QuestionContent(text=text, concise="Ours.", topics=("basics",))
        return write_question(bank=team.bank, author=author, content=content)

    theirs = written_by(world.team_a, world.a_instructor)
    far = max(Question.objects.values_list("position", flat=True)) + 1000
    make_question(bank=world.team_a.bank, topics=[world.a_topic], position=far)
    ours = written_by(world.team_b, world.b_instructor)
    assert theirs.key == bank_name(derived_key(text), world.team_a.bank, KEY_MAX)
    assert ours.key == bank_name(derived_key(text), world.team_b.bank, KEY_MAX)
    seen_by_b = [*world.library, world.b_question]
    assert ours.position == max(q.position for q in seen_by_b) + 1 < far

    csv_text = 'key,text,answer,topics\nk1,"What is secret?",Yes,"Secret [a-secrets]"\n'
    client = world.client(world.b_instructor)
    response = client.post(
        reverse("questions:import_upload"),
        {"file": SimpleUploadedFile("s.csv", csv_text.encode()), "format": "csv"},
    )
    preview = html_of(client.get(response["Location"]))
    # A's topic has the slug "a-secrets"; B's new one is B's own, as it would be anyway.
    assert f"<code>a-secrets-t{world.team_b.bank.pk}</code>" in preview


def test_the_import_preview_says_when_a_question_already_there_is_retired(world):
    Question.objects.filter(pk=world.a_in_own_topic.pk).update(retired_at=timezone.now())
    text = f"## {world.a_topic.name}\n\n1. {world.a_in_own_topic.text}\n   An answer.\n"
    client = world.client(world.a_instructor)
    response = client.post(
        reverse("questions:import_upload"),
        {"file": SimpleUploadedFile("again.md", text.encode()), "format": "auto"},
    )
    preview = squash(html_of(client.get(response["Location"])))
    assert "Already in the bank 1" in preview
    assert "retired: bring it back from the bank page" in preview


def test_a_session_skips_any_number_of_retired_questions_in_a_fixed_number_of_queries(
    world, django_assert_num_queries
):
    def queries_to_skip(retired: int) -> int:
        extra = [make_question(topics=[world.library_topic]) for _ in range(retired)]
        keep = world.library[0]
        session = StudySession.objects.create(
            user=world.loner,
            source="topic",
            label="Basics",
            question_ids=[q.pk for q in extra] + [keep.pk],
        )
        Question.objects.filter(pk__in=[q.pk for q in extra]).update(retired_at=timezone.now())
        client = world.client(world.loner)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            html = html_of(client.get(session.get_absolute_url()))
        assert keep.text in html
        session.refresh_from_db()
        assert session.position == retired
        return len(queries)

    assert queries_to_skip(2) == queries_to_skip(30)


def test_an_id_of_thousands_of_digits_is_a_404_not_a_500(world):
    client = world.client(world.a_learner)
    response = client.post(
        reverse("teams:study_start"), {"source": "assignment", "assignment": "9" * 5000}
    )
    assert response.status_code == 404


def test_a_team_is_deleted_with_its_bank_or_not_at_all(world, monkeypatch):
    from django.db.models.query import QuerySet

    def refuse(self):
        raise RuntimeError("the database went away")

    team_id = world.team_a.pk
    monkeypatch.setattr(QuerySet, "delete", refuse)  # the bank's delete; the team's is Collector
    with pytest.raises(RuntimeError):
        world.team_a.delete()
    assert Team.objects.filter(pk=team_id).exists()
    assert Question.objects.filter(pk=world.a_in_own_topic.pk).exists()


def test_imported_answers_are_shown_as_markdown_made_safe(world):
    text = (
        "## Pooling\n\n### What does max pooling keep?\n"
        "The **largest** value.\n\n- per window\n- <script>x</script>\n"
    )
    client = world.client(world.a_instructor)
    response = client.post(
        reverse("questions:import_upload"),
        {"file": SimpleUploadedFile("md.md", text.encode()), "format": "auto"},
    )
    client.post(response["Location"])
    question = Question.objects.get(text="What does max pooling keep?")
    html = html_of(get(client, "progress:question_detail", key=question.key))
    assert "<strong>largest</strong>" in html and "<li>per window</li>" in html
    assert "<script>x" not in html and "&lt;script&gt;x" in html


def test_the_upload_form_asks_where_the_questions_go(world):
    """An instructor of two teams (who is staff too) chooses; one of one team is told."""
    one = html_of(get(world.client(world.b_instructor), "questions:import_upload"))
    assert "The questions go into the team bank of Team B" in squash(one)
    assert '<select name="bank"' not in one
    world.b_instructor.is_staff = True
    world.b_instructor.save()
    add_member(world.team_a, world.b_instructor, role="instructor")
    many = html_of(get(world.client(world.b_instructor), "questions:import_upload"))
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', many)
    assert ("library", "The library") in options
    assert (str(world.team_a.bank.pk), "Team bank: Team A") in options
    assert (str(world.team_b.bank.pk), "Team bank: Team B") in options
    chosen = html_of(
        get(
            world.client(world.b_instructor),
            "questions:import_upload",
            query=f"bank={world.team_a.bank.pk}",
        )
    )
    assert re.search(rf'<option value="{world.team_a.bank.pk}" selected>', chosen)
