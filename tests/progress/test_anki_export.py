"""Taking questions to Anki: the bank, a topic, what is due, an assignment or a topic set
as an .apkg, read back with a reader of Anki's file format (the standard library's
zipfile and sqlite3), never with the writer."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from progress.models import ConfidenceMark
from questions.anki import FIELDS, NOTE_TYPE_NAME, note_guid
from questions.importing.anki import read_anki_package
from questions.models import Question
from tests.factories import make_bank, make_question, make_topic, make_user, mark, note
from tests.teams.factories import add_member, make_assignment, make_team, make_topic_set

pytestmark = pytest.mark.django_db

BANK = reverse("progress:anki_bank")


def body(response) -> bytes:
    """A download's bytes: packages are sent from a temporary file, a chunk at a time."""
    if not hasattr(response, "read_once"):  # a stream can be read only once
        assert response.streaming
        response.read_once = b"".join(response.streaming_content)
    return response.read_once


def collection_of(response) -> sqlite3.Connection:
    """The package's collection, opened as Anki would open it."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/apkg"
    with zipfile.ZipFile(io.BytesIO(body(response))) as package:
        assert set(package.namelist()) == {"collection.anki2", "media"}
        assert json.loads(package.read("media")) == {}
        data = package.read("collection.anki2")
    connection = sqlite3.connect(":memory:")
    connection.deserialize(data)
    return connection


def notes_of(response) -> dict[str, tuple[list[str], list[str]]]:
    """guid -> (fields, tags) of every note, read with the StudyHub reader of packages."""
    collection = read_anki_package(body(response), source="test.apkg")
    assert collection.layout == "collection.anki2"
    return {note.guid: (note.fields, note.tags) for note in collection.notes}


@pytest.fixture
def learner() -> object:
    return make_user(username="lena")


@pytest.fixture
def learner_client(client: Client, learner) -> Client:
    client.force_login(learner)
    return client


def test_the_bank_goes_to_anki_with_answers_as_html_and_topics_as_tags(learner_client):
    topics = make_bank(topics=2, questions_per_topic=2)
    both = make_question(
        topics=topics,
        text="Why is <b> escaped & kept?",
        concise="Because it is *text*.",
        long="- one\n- two",
    )
    response = learner_client.get(BANK)
    assert response["Content-Disposition"] == 'attachment; filename="studyhub-bank.apkg"'
    notes = notes_of(response)
    assert len(notes) == 5
    fields, tags = notes[note_guid(both.key)]
    assert fields == [
        "Why is &lt;b&gt; escaped &amp; kept?",
        "<p>Because it is <em>text</em>.</p>",
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>",
        "",
    ]
    assert tags == sorted(t.slug for t in topics)
    # The note type and the deck, as Anki reads them from the collection.
    collection = collection_of(response)
    (models_json, decks_json) = collection.execute("SELECT models, decks FROM col").fetchone()
    (model,) = json.loads(models_json).values()
    assert model["name"] == NOTE_TYPE_NAME
    assert [f["name"] for f in model["flds"]] == list(FIELDS)
    assert "StudyHub::All questions" in {d["name"] for d in json.loads(decks_json).values()}
    assert collection.execute("SELECT count(*) FROM cards").fetchone() == (5,)


def test_a_second_export_keeps_every_id_so_anki_updates_instead_of_copying(learner_client):
    (topic,) = make_bank(topics=1, questions_per_topic=3)
    first = collection_of(learner_client.get(BANK))
    question = Question.objects.order_by("pk").first()
    question.text = "A reworded question?"
    question.save()
    second = collection_of(learner_client.get(BANK))

    def ids(collection):
        guids = sorted(g for (g,) in collection.execute("SELECT guid FROM notes"))
        model = collection.execute("SELECT DISTINCT mid FROM notes").fetchall()
        decks = sorted(json.loads(collection.execute("SELECT decks FROM col").fetchone()[0]))
        return guids, model, decks

    assert ids(first) == ids(second)
    texts = [t for (t,) in second.execute("SELECT flds FROM notes")]
    assert any(t.startswith("A reworded question?\x1f") for t in texts)


def test_my_notes_go_along_only_when_asked_and_never_anyone_elses(learner_client, learner):
    (topic,) = make_bank(topics=1, questions_per_topic=2)
    mine, theirs = Question.objects.order_by("pk")
    note(learner, mine, "Remember the **stride**.")
    note(make_user(), theirs, "Someone else's secret")
    without = notes_of(learner_client.get(BANK))
    assert [fields[3] for fields, _tags in without.values()] == ["", ""]
    with_notes = notes_of(learner_client.get(BANK, {"notes": "1"}))
    assert with_notes[note_guid(mine.key)][0][3] == "<p>Remember the <strong>stride</strong>.</p>"
    assert with_notes[note_guid(theirs.key)][0][3] == ""


def test_only_what_the_learner_sees_goes_to_anki(learner_client, learner):
    (topic,) = make_bank(topics=1, questions_per_topic=2)
    team = make_team(learners=[learner])
    other = make_team()
    own = make_question(topics=[topic], bank=team.bank)
    foreign = make_question(topics=[topic], bank=other.bank)
    foreign_topic = make_topic(bank=other.bank)
    own.topics.add(foreign_topic)  # a topic of a bank the learner does not see
    retired = make_question(topics=[topic], retired_at=timezone.now())
    notes = notes_of(learner_client.get(BANK))
    assert note_guid(own.key) in notes
    assert notes[note_guid(own.key)][1] == [topic.slug]
    assert note_guid(foreign.key) not in notes
    assert note_guid(retired.key) not in notes
    assert len(notes) == 3


def test_a_topic_goes_to_anki_and_another_teams_topic_is_not_found(learner_client):
    first, second = make_bank(topics=2, questions_per_topic=2)
    response = learner_client.get(reverse("progress:anki_topic", args=[first.slug]))
    assert response["Content-Disposition"] == (
        f'attachment; filename="studyhub-topic-{first.slug}.apkg"'
    )
    keys = {q.key for q in first.questions.all()}
    assert set(notes_of(response)) == {note_guid(key) for key in keys}
    hidden = make_topic(bank=make_team().bank)
    assert learner_client.get(reverse("progress:anki_topic", args=[hidden.slug])).status_code == 404
    assert learner_client.get(reverse("progress:anki_topic", args=["nope"])).status_code == 404


def test_what_is_due_goes_to_anki_and_nothing_due_says_so(learner_client, learner):
    (topic,) = make_bank(topics=1, questions_per_topic=3)
    due, later, unrated = Question.objects.order_by("pk")
    mark(learner, due, 2)
    mark(learner, later, 4)
    nothing = learner_client.get(reverse("progress:anki_due"), follow=True)
    assert nothing.redirect_chain == [(reverse("progress:study_home"), 302)]
    assert "Nothing is due for review right now" in nothing.content.decode()
    ConfidenceMark.objects.filter(question=due).update(due=timezone.now() - timedelta(days=1))
    response = learner_client.get(reverse("progress:anki_due"))
    assert set(notes_of(response)) == {note_guid(due.key)}


def test_an_assignment_goes_to_anki_for_members_and_a_topic_set_for_instructors(client):
    (topic,) = make_bank(topics=1, questions_per_topic=2)
    learner = make_user()
    team = make_team(learners=[learner])
    extra = make_question(bank=team.bank)
    assignment = make_assignment(team, topics=[topic], questions=[extra])
    client.force_login(learner)
    url = reverse("teams:assignment_anki", args=[team.pk, assignment.pk])
    notes = notes_of(client.get(url))
    assert set(notes) == {note_guid(q.key) for q in [*topic.questions.all(), extra]}
    topic_set = make_topic_set(team, topics=[topic])
    set_url = reverse("teams:topic_set_anki", args=[team.pk, topic_set.pk])
    assert client.get(set_url).status_code == 403
    client.force_login(team.memberships.get(role="instructor").user)
    assert len(notes_of(client.get(set_url))) == 2
    outsider = make_user()
    add_member(make_team(), outsider)
    client.force_login(outsider)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("size", [5, 40])
def test_the_bank_export_takes_the_same_queries_however_large(
    learner_client, learner, size, django_assert_num_queries
):
    (topic,) = make_bank(topics=1, questions_per_topic=size)
    for question in Question.objects.all()[:3]:
        note(learner, question, "mine")
    # Session, user, visible banks inside the questions' query; questions, answers,
    # topics; notes.
    with django_assert_num_queries(6):
        response = learner_client.get(BANK, {"notes": "1"})
    assert len(notes_of(response)) == size


def test_pages_offer_the_anki_download(learner_client, learner):
    (topic,) = make_bank(topics=1, questions_per_topic=1)
    pages = {
        reverse("questions:bank"): BANK,
        reverse("progress:topic_detail", args=[topic.slug]): reverse(
            "progress:anki_topic", args=[topic.slug]
        ),
        reverse("progress:study_home"): reverse("progress:anki_due"),
    }
    for page, action in pages.items():
        html = learner_client.get(page).content.decode()
        assert f'<form method="get" action="{action}" class="anki-download">' in html, page
        assert 'name="notes" value="1"' in html


def test_a_round_trip_through_anki_gives_back_the_questions_answers_and_topics(learner_client):
    from questions.importing import parse_import
    from questions.importing.anki import notes_text

    first, second = make_topic(slug="deployment"), make_topic(slug="robustness")
    answers = [
        ("Why export to ONNX?", "Because it is *portable*.", "1. export\n2. check\n3. serve"),
        (
            "What does `torch.compile` do?",
            "It fuses **kernels**.",
            "- fewer launches\n- less memory",
        ),
        ("Is 2 < 3 & 4 > 3?", "Yes: `2 < 3`.", "A paragraph.\n\nAnother one."),
    ]
    for text, concise, long in answers:
        make_question(topics=[first, second], text=text, concise=concise, long=long)
    response = learner_client.get(BANK)
    package = read_anki_package(body(response), source="bank.apkg")
    document = parse_import(notes_text(package, source="bank.apkg"), source="bank.apkg")
    assert [(i.text, i.answer, i.long_answer, i.topics) for i in document.items] == [
        (text, concise, long, ("deployment", "robustness")) for text, concise, long in answers
    ]
    assert document.warnings == []
