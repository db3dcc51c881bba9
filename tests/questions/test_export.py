"""Exporting the question bank as JSON and CSV, and importing it back."""

from __future__ import annotations

import csv
import io
import json
from typing import Literal

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from questions.exporters import (
    BankSnapshot,
    ExportedQuestion,
    ExportedTopic,
    bank_snapshot,
    render_csv,
    render_json,
)
from questions.importing import CSV_COLUMNS, parse_import, run_import
from questions.importing.csv import parse_csv, unescape_cell
from questions.importing.document import TOPIC_WITH_SLUG
from questions.importing.json import parse_json
from questions.models import Answer, Question, Topic
from studyhub.downloads import escape_cell
from tests.factories import make_question, make_topic
from tests.questions.test_import_services import snapshot

JSON_URL = reverse("questions:export_bank_json")
CSV_URL = reverse("questions:export_bank_csv")


def empty_the_bank() -> None:
    Question.objects.all().delete()
    Topic.objects.all().delete()
    assert snapshot() == {k: [] for k in snapshot()}


def reimport(text: str, source: str) -> None:
    report = run_import(parse_import(text, source=source))
    assert report.created["questions"] > 0


def bank_rows() -> list[tuple]:
    """The bank without ids: what a round trip must keep."""
    return [
        (
            q.key,
            q.text,
            sorted((a.kind, a.text, a.source_incomplete) for a in q.answers.all()),
            [t.slug for t in q.topics.order_by("position")],
            sorted(q.related.values_list("key", flat=True)),
        )
        for q in Question.objects.order_by("position").prefetch_related("answers")
    ]


# --- The downloads ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", [JSON_URL, CSV_URL])
def test_downloads_need_signing_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.django_db
def test_json_download(logged_in_client, seed_bank):
    response = logged_in_client.get(JSON_URL)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == ('attachment; filename="studyhub-question-bank.json"')
    data = json.loads(response.content)
    assert (data["format"], data["version"]) == ("studyhub-question-bank", 1)
    assert [t["slug"] for t in data["topics"]][:3] == ["foundations", "data", "transfer-learning"]
    assert len(data["questions"]) == 50
    q5 = data["questions"][4]
    assert q5["key"] == "cnn-05"
    assert q5["long_answer"].endswith("to extract hierarchical")
    assert q5["long_answer_incomplete"] is True
    assert q5["topics"] == ["detection"]
    q41 = data["questions"][40]
    assert (q41["long_answer"], q41["long_answer_incomplete"]) == (None, False)
    assert data["questions"][2]["related"] == ["cnn-18", "cnn-48"]


@pytest.mark.django_db
def test_csv_download(logged_in_client, seed_bank):
    response = logged_in_client.get(CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="studyhub-question-bank.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 51
    row19 = dict(zip(rows[0], rows[19], strict=True))
    assert row19["key"] == "cnn-19"
    assert row19["topics"] == "Object detection [detection]; Robustness [robustness]"
    assert row19["related"] == "cnn-32"
    assert dict(zip(rows[0], rows[5], strict=True))["long_answer_incomplete"] == "yes"


@pytest.mark.django_db
@pytest.mark.parametrize("size", [3, 12])
def test_export_queries_do_not_grow(logged_in_client, size, django_assert_num_queries):
    topics = [make_topic() for _ in range(3)]
    questions = [make_question(topics=topics[: 1 + n % 3], long="Long.") for n in range(size)]
    questions[0].related.add(*questions[1:])
    # session, user, topics, questions, answers, their topics, related questions
    with django_assert_num_queries(7):
        response = logged_in_client.get(JSON_URL)
    assert len(json.loads(response.content)["questions"]) == size


# --- Round trips: export → import into an empty bank → export ---------------------------


@pytest.mark.django_db
def test_json_and_csv_describe_the_same_bank(seed_bank):
    csv_before = render_csv(bank_snapshot())
    exported = render_json(bank_snapshot())
    empty_the_bank()
    reimport(exported, "bank.json")
    assert render_csv(bank_snapshot()) == csv_before
    topics = list(Topic.objects.values_list("slug", "name", "position"))
    assert topics[:2] == [
        ("foundations", "CNN foundations", 1),
        ("data", "Data, augmentation and imbalance", 2),
    ]


@pytest.fixture
def awkward_bank(db):
    """A bank with everything a file format can trip over."""
    semi = make_topic(slug="a-b", name="Alpha; beta", description="Line one\r\nline two")
    plain = make_topic(slug="Odd_Slug", name="Plain")
    make_topic(slug="empty", name="No questions yet")
    first = make_question(
        key="q-formula",
        text="=SUM(A1:A3) — is this a formula?",
        concise="- a list line first\n- then another",
        long="'=quoted already",
        topics=[semi, plain],
    )
    second = make_question(
        key="q-unicode", text="Ça va? 日本語の質問", concise="@mention, +plus", topics=[plain]
    )
    third = make_question(key="q-none", text="No answer at all?", topics=[semi])
    Answer.objects.filter(question=third).delete()
    Answer.objects.filter(question=first, kind="long").update(source_incomplete=True)
    first.related.add(second)


@pytest.mark.django_db
@pytest.mark.parametrize("bank", ["seed_bank", "awkward_bank"])
@pytest.mark.parametrize(
    ("render", "source"),
    [(render_json, "bank.json"), (render_csv, "bank.csv")],
    ids=["json", "csv"],
)
def test_round_trip_gives_the_same_file(request, bank, render, source):
    """Export, import into an empty bank, export again: the same rows, the same file."""
    request.getfixturevalue(bank)
    exported = render(bank_snapshot())
    before = bank_rows()
    empty_the_bank()
    reimport(exported, source)
    assert bank_rows() == before
    assert render(bank_snapshot()) == exported


def test_csv_guards_cells_a_spreadsheet_would_run(awkward_bank):
    rows = list(csv.DictReader(io.StringIO(render_csv(bank_snapshot()))))
    by_key = {row["key"]: row for row in rows}
    assert by_key["q-formula"]["question"] == "'=SUM(A1:A3) — is this a formula?"
    assert by_key["q-formula"]["answer"].startswith("'- a list line first")
    assert by_key["q-formula"]["long_answer"] == "''=quoted already"
    assert by_key["q-unicode"]["answer"] == "'@mention, +plus"
    # A topic name holding ";" puts one topic per line, so the cell still splits right.
    assert by_key["q-formula"]["topics"] == "Alpha; beta [a-b]\nPlain [Odd_Slug]\n"


def test_json_keeps_topics_without_questions_and_descriptions(awkward_bank):
    data = json.loads(render_json(bank_snapshot()))
    assert data["topics"][0] == {
        "slug": "a-b",
        "name": "Alpha; beta",
        "description": "Line one\nline two",
    }
    assert data["topics"][2]["slug"] == "empty"


# --- The writers and readers agree, whatever the text ---------------------------------

#: Lone surrogates: not text that can be written to a file.
SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
slugs = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)
some_text = st.text(
    st.characters(blacklist_categories=SURROGATES, blacklist_characters="\x00"), max_size=40
)


@st.composite
def snapshots(draw) -> BankSnapshot:
    topic_slugs = draw(st.lists(slugs, unique=True, max_size=4))
    topics = [
        ExportedTopic(slug, draw(some_text.map(lambda t: " ".join(t.split()) or "Name")))
        for slug in topic_slugs
    ]
    keys = draw(st.lists(slugs.map(lambda s: "k-" + s), unique=True, min_size=1, max_size=5))
    questions = []
    for key in keys:
        text = " ".join(draw(some_text).split()) or "Question?"
        answer = draw(some_text).replace("\r", "")
        questions.append(
            ExportedQuestion(
                key=key,
                text=text,
                answer=answer if answer.strip() else "",
                answer_incomplete=draw(st.booleans()),
                long_answer="",
                topics=tuple(draw(st.lists(st.sampled_from(topic_slugs), unique=True)))
                if topic_slugs
                else (),
                related=tuple(draw(st.lists(st.sampled_from(keys), unique=True, max_size=2))),
            )
        )
    return BankSnapshot(topics, questions)


@settings(max_examples=200, deadline=None)
@given(snapshot=snapshots())
def test_csv_and_json_writers_and_readers_agree(snapshot):
    names = {t.slug: t.name for t in snapshot.topics}
    for items in (
        parse_csv(render_csv(snapshot), source="s.csv").items,
        parse_json(render_json(snapshot), source="s.json").items,
    ):
        assert [i.key for i in items] == [q.key for q in snapshot.questions]
        assert [i.text for i in items] == [q.text for q in snapshot.questions]
        assert [i.answer for i in items] == [q.answer for q in snapshot.questions]
        assert [i.answer_incomplete for i in items] == [
            q.answer_incomplete for q in snapshot.questions
        ]
        assert [i.related for i in items] == [q.related for q in snapshot.questions]
    csv_items = parse_csv(render_csv(snapshot), source="s.csv").items
    for item, question in zip(csv_items, snapshot.questions, strict=True):
        written = [TOPIC_WITH_SLUG.match(entry) for entry in item.topics]
        pairs = [(m["slug"], m["name"]) if m else None for m in written]
        assert pairs == [(s, names[s]) for s in question.topics]


@given(value=st.text(max_size=10))
def test_escape_cell_adds_one_quote_that_the_reader_removes(value):
    assert unescape_cell(escape_cell(value)) == value
    assert escape_cell(value)[:1] not in "=+-@\t\r" or escape_cell(value) == ""
