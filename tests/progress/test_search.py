"""progress.search and the question list page: search and filters, on SQLite and PostgreSQL.

The suite runs once on each database. Most tests here hold on both: SQLite's FTS5 index
reads the same syntax, stems and ranks as PostgreSQL does. The few that pin what only one
of them does (PostgreSQL's equal ranks, SQLite's index and its triggers) are skipped on
the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from io import StringIO
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from progress.models import ConfidenceMark, Note
from progress.search import FTS_TABLE, SEARCH_MAX_CHARS, SEARCH_MAX_WORDS, search_questions
from questions.models import Answer, Question
from tests.factories import make_bank, make_question, make_topic, make_user, mark, note
from tests.pages import HTMX, html_of
from tests.progress.test_topic_views import LAYOUT_QUERIES, row_positions
from tests.questions.test_import_parsers import EXAMPLES

URL = reverse("progress:question_list")

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5 index")

#: Exact SQL queries of the search page, whatever the filters, for 5 or 50 questions
#: and 1 or 20 other users.
QUERIES = {
    # + the topics (for the Topic select), the count of matches, the page of them
    "page": LAYOUT_QUERIES + 3,
    # the #question-results fragment: session, user, topics, count, page (no navigation)
    "htmx": 2 + 3,
}


def rows(response) -> list[str]:
    return re.findall(r'<li class="row">.*?</li>', html_of(response), re.DOTALL)


def status_line(response) -> str:
    match = re.search(
        r'<p id="results-status" hx-swap-oob="innerHTML">([^<]*)</p>', html_of(response)
    )
    assert match, "no out-of-band #results-status"
    return match.group(1)


def positions(questions) -> list[int]:
    return [q.position for q in questions]


def annotated(questions: Iterable[Question]) -> list[Any]:
    """The questions with what search_questions annotates (my_level, has_note, is_due,
    rank), which their type does not carry."""
    return list(questions)


# --- A small bank with known words, marks and notes -------------------------------------


@pytest.fixture
def bank(db, user):
    """Five questions in two topics; my marks, notes and reviews; someone else's on all.

    | Q | topics         | words                                | level | my review     | note |
    | 1 | vision         | pooling (question); downsamples (a.) | 4     | in 5 days     |      |
    | 2 | vision         | pooling (answer only)                | 1     | due yesterday | yes  |
    | 3 | deploy         | model quantization (question)        | 2     | not scheduled |      |
    | 4 | vision, deploy | model distillation; teacher (a.)     | —     | —             | yes  |
    | 5 | deploy         | models; quantization, teacher (a.)   | 3     | a minute ago  |      |
    """
    vision = make_topic(slug="vision", name="Vision")
    deploy = make_topic(slug="deploy", name="Deployment")
    specs = [
        ("How does spatial pooling work?", "It downsamples feature maps.", [vision]),
        (
            "Why normalise the batch?",
            "Normalisation steadies training; pooling does not.",
            [vision],
        ),
        ("What is model quantization?", "Weights in lower precision.", [deploy]),
        ("What is model distillation?", "A teacher trains a smaller student.", [vision, deploy]),
        ("How do you serve models on phones?", "Quantization, pruning, a teacher.", [deploy]),
    ]
    questions = [
        make_question(key=f"s-{n}", position=n, text=text, concise=answer, topics=topics)
        for n, (text, answer, topics) in enumerate(specs, start=1)
    ]
    q1, q2, q3, q4, q5 = questions
    now = timezone.now()
    for question, level, due in [
        (q1, 4, now + timedelta(days=5)),
        (q2, 1, now - timedelta(days=1)),
        (q3, 2, None),
        (q5, 3, now - timedelta(minutes=1)),
    ]:
        mark(user, question, level)
        ConfidenceMark.objects.filter(user=user, question=question).update(due=due)
    note(user, q2, "Mine")
    note(user, q4, "Mine too")
    # Someone else has rated everything, all due, with notes: none of it may show.
    someone = make_user()
    for question in questions:
        mark(someone, question, 5)
        note(someone, question, "Not yours")
    ConfidenceMark.objects.filter(user=someone).update(due=now - timedelta(days=9))
    return questions


# --- Access ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(URL, {"q": "pooling"})
    assert response.status_code == 302
    # The search comes back after the login: Django quotes all of it but the slashes.
    next_query = urlencode({"next": f"{URL}?q=pooling"}, safe="/", quote_via=quote)
    assert response["Location"] == f"{reverse('accounts:login')}?{next_query}"


@pytest.mark.django_db
def test_search_page_is_read_only(logged_in_client):
    assert logged_in_client.post(URL).status_code == 405


# --- The full page --------------------------------------------------------------------


@pytest.mark.django_db
def test_full_page_lists_every_question_with_my_marks(logged_in_client, bank):
    response = logged_in_client.get(URL)

    assert response.status_code == 200
    page = html_of(response)
    assert page.startswith("<!doctype html>")
    assert "<h1>Questions</h1>" in page
    for label in (
        '<label for="search-text">Search</label>',
        '<label for="search-topic">Topic</label>',
        '<label for="search-level">Confidence</label>',
    ):
        assert label in page
    assert '<input type="search" id="search-text" name="q" value=""' in page
    assert re.search(
        r'<input type="checkbox" id="search-note" name="note" value="1">\s*Has a note', page
    )
    assert re.search(
        r'<input type="checkbox" id="search-due" name="due" value="1">\s*Due for review', page
    )
    assert 'hx-target="#question-results"' in page and 'hx-push-url="true"' in page
    assert re.findall(r'<option value="([\w-]*)"[^>]*>(?:All topics|Vision|Deployment)<', page) == [
        "",
        "vision",
        "deploy",
    ]
    assert row_positions(response) == [1, 2, 3, 4, 5]
    assert 'Results <span class="count">(5)</span>' in page
    # The status region is there, empty, to announce the counts of later searches.
    assert '<p id="results-status" class="visually-hidden" role="status"></p>' in page
    assert "hx-swap-oob" not in page
    assert "Vary" in response and "HX-Request" in response["Vary"]
    # The navigation marks this page, not Topics.
    assert f'<a href="{URL}" aria-current="page">Questions</a>' in page
    assert f'<a href="{reverse("progress:topic_list")}">Topics</a>' in page


@pytest.mark.django_db
def test_rows_show_my_confidence_note_and_due_only(logged_in_client, bank):
    found = rows(logged_in_client.get(URL))
    badges = [re.search(r"Your confidence: </span>([^<]+)</span>", row).group(1) for row in found]
    assert badges == ["Confident", "Not yet", "Shaky", "Not rated", "Okay"]
    assert ["note-badge" in row for row in found] == [False, True, False, True, False]
    assert ['Due<span class="visually-hidden"> for review</span>' in row for row in found] == [
        False,
        True,
        True,
        False,
        True,
    ]
    assert f'href="{reverse("progress:question_detail", args=["s-1"])}"' in found[0]


# --- Filters, alone and combined --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, [1, 2, 3, 4, 5]),
        ({"topic": "vision"}, [1, 2, 4]),
        ({"topic": "deploy"}, [3, 4, 5]),
        ({"level": "unrated"}, [4]),
        ({"level": "1"}, [2]),
        ({"level": "2"}, [3]),
        ({"level": "3"}, [5]),
        ({"level": "4"}, [1]),
        ({"level": "5"}, []),
        ({"level": "covered"}, [1, 5]),
        ({"level": "not-covered"}, [2, 3, 4]),
        ({"note": "1"}, [2, 4]),
        # Rated and due: yesterday, never scheduled, a minute ago. Unrated Q4 is no review.
        ({"due": "1"}, [2, 3, 5]),
        ({"topic": "vision", "due": "1"}, [2]),
        ({"topic": "deploy", "level": "not-covered"}, [3, 4]),
        ({"note": "1", "level": "unrated"}, [4]),
        ({"note": "1", "due": "1"}, [2]),
        ({"q": "model", "topic": "deploy", "note": "1"}, [4]),
        ({"q": "pooling", "topic": "vision", "level": "1", "note": "1", "due": "1"}, [2]),
        ({"q": "pooling", "topic": "deploy"}, []),
        # Unknown values are ignored, as on the topic page.
        ({"topic": "nope", "level": "7", "note": "yes"}, [1, 2, 3, 4, 5]),
    ],
)
def test_filters_alone_and_combined(logged_in_client, bank, params, expected):
    response = logged_in_client.get(URL, params)
    assert response.status_code == 200
    assert row_positions(response) == expected
    assert f'Results <span class="count">({len(expected)})</span>' in html_of(response)


@pytest.mark.django_db
def test_row_links_keep_the_topic_filter(logged_in_client, bank):
    page = html_of(logged_in_client.get(URL, {"topic": "deploy"}))
    assert re.findall(r'class="row-link" href="([^"]+)"', page) == [
        f"{reverse('progress:question_detail', args=[key])}?topic=deploy"
        for key in ("s-3", "s-4", "s-5")
    ]
    page = html_of(logged_in_client.get(URL, {"topic": "nope"}))
    links = re.findall(r'class="row-link" href="([^"]+)"', page)
    assert links and not any("?topic=" in link for link in links)


@pytest.mark.django_db
def test_due_follows_the_schedule(logged_in_client, user):
    """A question rated 1 a month ago is due again now; one rated 5 just now is not."""
    topic = make_topic()
    early, late = make_question(topics=[topic]), make_question(topics=[topic])
    mark(user, early, 1, at=timezone.now() - timedelta(days=30))
    mark(user, late, 5)
    response = logged_in_client.get(URL, {"due": "1"})
    assert row_positions(response) == [early.position]


@pytest.mark.django_db
def test_due_at_a_given_moment(bank, user):
    q1, q2, q3, q4, q5 = bank
    now = timezone.now()
    ConfidenceMark.objects.filter(user=user, question=q1).update(due=now)

    due = search_questions(user, due=True, now=now)
    # Due exactly now counts; a never-scheduled mark counts; an unrated question does not.
    assert positions(due) == [1, 2, 3, 5]
    assert all(q.is_due for q in annotated(due))
    assert positions(search_questions(user, due=True, now=now - timedelta(days=2))) == [3]
    every = {q.position: q.is_due for q in annotated(search_questions(user, now=now))}
    assert every == {1: True, 2: True, 3: True, 4: False, 5: True}


@pytest.mark.django_db
def test_search_is_mine_only(bank, other_user):
    """A user who has rated nothing sees no level, note or review of anyone else."""
    found = annotated(search_questions(other_user, now=timezone.now()))
    assert [(q.my_level, q.has_note, q.is_due) for q in found] == [(None, False, False)] * 5
    assert search_questions(other_user, has_note=True, now=timezone.now()).count() == 0
    assert search_questions(other_user, due=True, now=timezone.now()).count() == 0


# --- Text -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, expected",
    [
        ("", [1, 2, 3, 4, 5]),
        ("   ", [1, 2, 3, 4, 5]),
        # In the question (1) and only in an answer (2): both found, the question's first.
        ("pooling", [1, 2]),
        ("POOLING", [1, 2]),
        # Every word must match, each in the question or an answer.
        ("pooling downsamples", [1]),
        ("model quantization", [3, 5]),
        ("pooling quantization", []),
        ("gradient", []),
    ],
)
def test_text_search_on_either_database(bank, user, text, expected):
    assert positions(search_questions(user, text=text, now=timezone.now())) == expected


@pytest.mark.django_db
def test_text_search_in_the_seed_bank(seed_bank, user):
    """ "distillation" is in the text of questions 10 and 27, and only in the answer of 42."""
    found = positions(search_questions(user, text="distillation", now=timezone.now()))
    assert sorted(found) == [10, 27, 42]
    assert found[-1] == 42


@postgresql_only
@pytest.mark.django_db
def test_postgresql_ranks_question_text_above_answers(bank, user):
    q5 = bank[4]
    # Both mention a teacher in an answer only: equal rank, question order.
    found = annotated(search_questions(user, text="teacher", now=timezone.now()))
    assert positions(found) == [4, 5]
    assert found[0].rank == found[1].rank > 0
    # Once Q5 asks about it, Q5 comes first although its number is higher.
    Question.objects.filter(pk=q5.pk).update(text="Which teacher model fits on phones?")
    found = annotated(search_questions(user, text="teacher", now=timezone.now()))
    assert positions(found) == [5, 4]
    assert found[0].rank > found[1].rank > 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, expected",
    [
        # English stemming: "pools" and "pooling" share the stem "pool".
        ("pools", [1, 2]),
        ("quantized models", [3, 5]),
        # Web-search syntax: a minus excludes, "or" widens, quotes ask for a phrase.
        ("pooling -downsamples", [2]),
        ("distillation or quantization", [3, 4, 5]),
        ('"model quantization"', [3]),
        # The last word also matches as the start of a word: the list searches as you
        # type. Only the last one: the words before it are whole words.
        ("quant", [3, 5]),
        ("quantiz", [3, 5]),
        ("quantization mod", [3, 5]),
        ("quant models", []),
        ("distillation teach", [4]),
        ("pooling -down", [1, 2]),  # a negated word is a whole word
        ('"model quant', []),  # so is the last word of an unfinished phrase
        ("quant ", []),  # and a word followed by a space
    ],
)
def test_full_text_search_on_either_database(bank, user, text, expected):
    found = search_questions(user, text=text, now=timezone.now())
    assert sorted(positions(found)) == expected
    assert all(q.rank > 0 for q in annotated(found))


@sqlite_only
@pytest.mark.django_db
def test_sqlite_ranks_question_text_above_answers(bank, user):
    q5 = bank[4]
    # Both mention a teacher in an answer only: question order among equals aside,
    # both are found and ranked.
    found = annotated(search_questions(user, text="teacher", now=timezone.now()))
    assert sorted(positions(found)) == [4, 5]
    # Once Q5 asks about it, Q5 comes first although its number is higher.
    Question.objects.filter(pk=q5.pk).update(text="Which teacher model fits on phones?")
    found = annotated(search_questions(user, text="teacher", now=timezone.now()))
    assert positions(found) == [5, 4]
    assert found[0].rank > found[1].rank > 0


@pytest.mark.django_db
def test_stemming_finds_other_forms_of_a_word(user):
    topic = make_topic()
    make_question(position=1, text="Why does data augmentation help?", topics=[topic])
    make_question(position=2, text="What is a data loader?", concise="It augments.", topics=[topic])
    make_question(position=3, text="What is a learning rate?", topics=[topic])

    def found(text: str) -> list[int]:
        return positions(search_questions(user, text=text, now=timezone.now()))

    # The question first, then the answer that says "augments".
    assert found("augmentations") == [1, 2]
    assert found("augmented data") == [1, 2]
    assert found("learned rates") == [3]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        '"pooling',
        'pool"ing',
        "*",
        "pool*",
        "*pool",
        "NEAR(pooling downsamples)",
        "pooling NEAR downsamples",
        "NEAR",
        "OR",
        "pooling OR",
        "OR pooling",
        "AND",
        "NOT pooling",
        "pooling NOT",
        "-",
        "--pooling",
        "-pooling",
        "^pooling",
        "pooling^",
        "text:pooling",
        "answers:pooling",
        "{text answers}:pooling",
        ":",
        "(",
        ")",
        "(pooling",
        "pooling)",
        "((pooling) OR (model))",
        "+pooling",
        "pool' OR '1'='1",
        "pooling; DROP TABLE questions_question",
        "\\",
        "%",
        "_",
    ],
)
def test_search_syntax_typed_by_a_learner_is_never_an_error(logged_in_client, bank, text):
    """Nothing typed becomes FTS5 (or tsquery) syntax: each is a page of results."""
    for headers in ({}, HTMX):
        response = logged_in_client.get(URL, {"q": text}, headers=headers)
        assert response.status_code == 200
        assert set(row_positions(response)) <= {1, 2, 3, 4, 5}
    assert Question.objects.count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, expected",
    [
        # Words, not FTS5's NEAR group or column filter: "near" and "text" are required.
        ("NEAR(pooling downsamples)", []),
        ("near(spatial pooling)", []),
        ("spatial(pooling)", [1]),
        ("text:pooling", []),
        ("pooling:downsamples", [1]),
        ("pooling OR", [1, 2]),
        ("^pooling", [1, 2]),
        ("pooling*", [1, 2]),
        ("-pooling", [3, 4, 5]),  # only a negation: every question without the word
        ('"', []),  # nothing to search for
    ],
)
def test_search_syntax_is_read_as_words(bank, user, text, expected):
    found = search_questions(user, text=text, now=timezone.now())
    assert sorted(positions(found)) == expected


# --- The index follows every write ----------------------------------------------------


def found_by(user, text: str) -> list[int]:
    return sorted(positions(search_questions(user, text=text, now=timezone.now())))


@pytest.mark.django_db
def test_an_edited_question_is_found_by_its_new_words_only(bank, user):
    q1, q2, *_ = bank
    q1.text = "How does strided convolution work?"
    q1.save()
    assert found_by(user, "strided") == [1]
    assert found_by(user, "spatial") == []
    # An update that bypasses save() (and any signal) too.
    Question.objects.filter(pk=q2.pk).update(text="Why use layer normalisation?")
    assert found_by(user, "layer") == [2]
    assert found_by(user, "batch") == []
    # Updating other columns leaves the words alone.
    Question.objects.filter(pk=q1.pk).update(position=9)
    assert found_by(user, "strided") == [9]


@pytest.mark.django_db
def test_an_edited_answer_is_found_by_its_new_words_only(bank, user):
    q1 = bank[0]
    answer = q1.answers.get()
    answer.text = "It shrinks activation maps."
    answer.save()
    assert found_by(user, "shrinks") == [1]
    assert found_by(user, "downsamples") == []
    q1.answers.update(text="It halves the resolution.")
    assert found_by(user, "halves") == [1]
    assert found_by(user, "shrinks") == []
    # A second answer adds its words; the first keeps its own.
    Answer.objects.create(question=q1, kind=Answer.Kind.LONG, text="Max or average pooling.")
    assert found_by(user, "average") == [1]
    assert found_by(user, "halves") == [1]
    # Moving an answer to another question moves its words.
    Answer.objects.filter(question=q1, kind=Answer.Kind.LONG).update(question=bank[2])
    assert found_by(user, "average") == [3]


@pytest.mark.django_db
def test_deleted_questions_and_answers_are_gone(bank, user):
    q1, q2, *_ = bank
    q2.answers.all().delete()
    assert found_by(user, "steadies") == []
    assert found_by(user, "pooling") == [1]
    q1.delete()
    assert found_by(user, "pooling") == []
    assert found_by(user, "spatial") == []
    if connection.vendor == "sqlite":  # and its row left the index
        assert fts_rows() == Question.objects.count() == 4


@pytest.mark.django_db
def test_bulk_created_questions_are_found(bank, user):
    """As an import writes them: bulk_create, no save(), no signals."""
    (new,) = Question.objects.bulk_create([Question(key="s-6", position=6, text="Why dropout?")])
    Answer.objects.bulk_create(
        [Answer(question=new, kind=Answer.Kind.CONCISE, text="It regularises the network.")]
    )
    assert found_by(user, "dropout") == [6]
    assert found_by(user, "regularised") == [6]


@pytest.mark.django_db
def test_an_imported_question_is_found(user):
    call_command("import_questions", str(EXAMPLES / "questions.md"), stdout=StringIO())
    found = search_questions(user, text="operator fusion", now=timezone.now())
    assert [q.text for q in found] == ["What does operator fusion do in an inference engine?"]
    # Words of its answer, stemmed: "kernel launches".
    assert [q.text for q in search_questions(user, text="launch", now=timezone.now())] == [
        "What does operator fusion do in an inference engine?"
    ]


@pytest.mark.django_db
def test_reloading_the_seed_bank_updates_the_words(seed_copy, user):
    call_command("load_question_bank", "--topic-map", str(seed_copy), verbosity=0)
    assert found_by(user, "distillation") == [10, 27, 42]
    numbered = seed_copy.parent / "000_667d5de41c5ea76e.txt"
    text = numbered.read_text(encoding="utf-8")
    assert text.count("distillation") >= 1
    notebook = seed_copy.parent / "001_8b918d1e08d28dc0.txt"
    for path in (numbered, notebook):
        path.write_text(
            path.read_text(encoding="utf-8").replace("distillation", "compression"),
            encoding="utf-8",
        )
    call_command("load_question_bank", "--topic-map", str(seed_copy), verbosity=0)
    assert found_by(user, "distillation") == []
    assert 10 in found_by(user, "compression")


@sqlite_only
@pytest.mark.django_db
def test_the_search_index_and_its_triggers_exist_after_migrating():
    """A later migration that rebuilds questions_question or questions_answer on SQLite
    drops their triggers: it must create them again (see migration 0003)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master")
        names = cursor.fetchall()
    assert ("table", FTS_TABLE) in names
    assert {name for kind, name in names if kind == "trigger"} >= {
        f"{FTS_TABLE}_{table}_{event}"
        for table in ("question", "answer")
        for event in ("insert", "update", "delete")
    }


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_flushing_the_database_empties_the_index():
    """TransactionTestCase and `manage.py flush` delete every row: the triggers keep
    the index in step, so the next test's questions are not found by old words."""
    topic = make_topic()
    make_question(text="What does a flushed pooling layer do?", topics=[topic])
    assert fts_rows() == 1
    call_command("flush", interactive=False, verbosity=0)
    assert fts_rows() == 0
    user = make_user()
    make_question(position=1, text="What is dropout?", topics=[make_topic()])
    assert found_by(user, "pooling") == []
    assert found_by(user, "dropout") == [1]


def fts_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {FTS_TABLE}")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_text_search_is_one_query(bank, user, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = list(
            search_questions(user, text="model teacher", level="not-covered", now=timezone.now())
        )
    assert positions(found) == [4]


# --- htmx and the URL -------------------------------------------------------------------


@pytest.mark.django_db
def test_htmx_returns_only_the_results(logged_in_client, bank, htmx_headers):
    response = logged_in_client.get(URL, {"q": "pooling"}, headers=htmx_headers)

    assert response.status_code == 200
    page = html_of(response).strip()
    assert page.startswith('<section id="question-results"')
    assert "<html" not in page and "<h1>" not in page and "search-text" not in page
    assert row_positions(response) == [1, 2]
    assert status_line(response) == "2 questions match."
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params, status",
    [({"level": "4"}, "1 question matches."), ({"level": "5"}, "0 questions match.")],
)
def test_htmx_status_counts(logged_in_client, bank, htmx_headers, params, status):
    assert status_line(logged_in_client.get(URL, params, headers=htmx_headers)) == status


@pytest.mark.django_db
def test_history_restore_gets_the_full_page(logged_in_client, bank):
    headers = {**HTMX, "HX-History-Restore-Request": "true"}
    response = logged_in_client.get(URL, {"q": "pooling"}, headers=headers)
    assert "<html" in html_of(response) and "<h1>Questions</h1>" in html_of(response)
    assert row_positions(response) == [1, 2]


@pytest.mark.django_db
def test_a_shared_link_shows_the_same_results_and_form(logged_in_client, bank, htmx_headers):
    """What htmx pushed into the address bar, opened afresh, is the same search."""
    params = {"q": "model", "topic": "deploy", "level": "not-covered", "note": "1"}
    fragment = logged_in_client.get(URL, params, headers=htmx_headers)
    full = logged_in_client.get(f"{URL}?{urlencode(params)}")

    assert row_positions(full) == row_positions(fragment) == [4]
    assert rows(full) == rows(fragment)
    page = html_of(full)
    assert '<input type="search" id="search-text" name="q" value="model"' in page
    assert '<option value="deploy" selected>Deployment</option>' in page
    assert '<option value="not-covered" selected>Not covered yet</option>' in page
    assert 'id="search-note" name="note" value="1" checked>' in page
    assert 'id="search-due" name="due" value="1">' in page


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_nothing_found_says_so(logged_in_client, bank, htmx):
    headers = HTMX if htmx else {}
    response = logged_in_client.get(URL, {"q": "<b>gradient</b>", "due": "1"}, headers=headers)
    assert row_positions(response) == []
    assert (
        "No questions match “&lt;b&gt;gradient&lt;/b&gt;” with these filters. "
        "Try fewer words or clear a filter." in html_of(response)
    )
    assert "<b>gradient</b>" not in html_of(response)


@pytest.mark.django_db
def test_odd_input_is_searched_not_an_error(logged_in_client, bank):
    response = logged_in_client.get(URL, {"q": "pool\x00ing"})
    assert response.status_code == 200
    assert row_positions(response) == [1, 2]
    assert 'name="q" value="pooling"' in html_of(response)
    # Search syntax and operators alone find nothing, on either database.
    response = logged_in_client.get(URL, {"q": '" - or & | ! ( :* \\'})
    assert response.status_code == 200
    assert row_positions(response) == []


# --- Bounded search text ----------------------------------------------------------------

TOO_LONG = {
    "words": " ".join(["pooling"] * (SEARCH_MAX_WORDS + 1)),
    "characters": "pooling" + "s" * (SEARCH_MAX_CHARS - len("pooling") + 1),
    # The report: 1,000 words made SQLite raise "Expression tree is too large", a 503.
    "1000-words": " ".join(f"word{n}" for n in range(1000)),
}


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("kind", list(TOO_LONG))
def test_too_long_a_search_is_shown_back_with_a_message(
    logged_in_client, bank, htmx, kind, django_assert_num_queries
):
    text = TOO_LONG[kind]
    headers = HTMX if htmx else {}
    # Not searched: the page reads the topics (and the layout), the fragment only the
    # session, the user and the topics.
    with django_assert_num_queries(2 + 1 if htmx else LAYOUT_QUERIES + 1):
        response = logged_in_client.get(URL, {"q": text, "topic": "vision"}, headers=headers)

    assert response.status_code == 200
    page = html_of(response)
    words = len(text.split())
    message = (
        f"Search for at most {SEARCH_MAX_WORDS} words and {SEARCH_MAX_CHARS} characters "
        f"(this has {words} word{'s' if words > 1 else ''} and {len(text)} characters): "
        "shorten it to a few keywords."
    )
    assert row_positions(response) == []
    assert "Nothing was searched: the search is too long." in page
    if htmx:
        # The message goes next to the field out of band, and to the status region.
        assert (
            f'<p id="search-error" class="error field-error" hx-swap-oob="true">{message}</p>'
            in page
        )
        assert status_line(response) == message
        assert 'id="search-text"' not in page
    else:
        # The form comes back as typed, the field marked and described by the message.
        assert (
            f'<input type="search" id="search-text" name="q" value="{text}" autocomplete="off" '
            'spellcheck="false" aria-describedby="search-error" aria-invalid="true">'
        ) in page
        assert f'<p id="search-error" class="error field-error">{message}</p>' in page
        assert '<option value="vision" selected>Vision</option>' in page
        assert "hx-swap-oob" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_the_longest_search_allowed_is_searched(logged_in_client, bank, htmx):
    headers = HTMX if htmx else {}
    for text in (
        " ".join(["pooling"] * SEARCH_MAX_WORDS),
        "pooling " + "x" * (SEARCH_MAX_CHARS - len("pooling ")),
        "pooling" + "s" * (SEARCH_MAX_CHARS - len("pooling")),
    ):
        assert len(text) <= SEARCH_MAX_CHARS and len(text.split()) <= SEARCH_MAX_WORDS
        response = logged_in_client.get(URL, {"q": text}, headers=headers)
        assert response.status_code == 200
        assert "Nothing was searched" not in html_of(response)
        assert 'aria-invalid="true"' not in html_of(response)
    # The first of them finds the pooling questions; the message element is empty, so a
    # search after a refused one clears the message.
    response = logged_in_client.get(URL, {"q": " ".join(["pooling"] * 20)}, headers=headers)
    assert row_positions(response) == [1, 2]
    oob = ' hx-swap-oob="true"' if htmx else ""
    assert f'<p id="search-error" class="error field-error"{oob}></p>' in html_of(response)


@pytest.mark.django_db
def test_search_questions_refuses_too_long_a_text(bank, user):
    for text in TOO_LONG.values():
        with pytest.raises(ValueError):
            search_questions(user, text=text, now=timezone.now())


@pytest.mark.django_db
def test_empty_bank(logged_in_client):
    response = logged_in_client.get(URL)
    assert response.status_code == 200
    assert "The question bank is empty." in html_of(response)


# --- Query counts -----------------------------------------------------------------------

SIZES = {"small": (5, 1), "large": (50, 20)}  # questions, other users


@pytest.fixture(params=list(SIZES))
def crowd(request, user):
    """5 or 50 questions in one topic (each with an answer), 1 or 20 other users who have
    rated and noted every question; I have rated the first three (due) and noted them."""
    n_questions, n_others = SIZES[request.param]
    (topic,) = make_bank(topics=1, questions_per_topic=n_questions)
    questions = list(topic.questions.all())
    for question in questions[:3]:
        mark(user, question, 2)
        note(user, question, "Mine")
    ConfidenceMark.objects.filter(user=user).update(due=None)
    now = timezone.now()
    for _ in range(n_others):
        other = make_user(password=None)
        ConfidenceMark.objects.bulk_create(
            ConfidenceMark(user=other, question=q, level=4, updated_at=now, due=now)
            for q in questions
        )
        Note.objects.bulk_create(Note(user=other, question=q, text="n") for q in questions)
    assert ConfidenceMark.objects.exclude(user=user).count() == n_others * n_questions
    return {"topic": topic, "n": n_questions}


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("filtered", [False, True], ids=["all", "filtered"])
def test_search_query_count(logged_in_client, crowd, htmx, filtered, django_assert_num_queries):
    params = {}
    if filtered:
        params = {
            "q": "question about",
            "topic": crowd["topic"].slug,
            "level": "not-covered",
            "note": "1",
            "due": "1",
        }
    headers = HTMX if htmx else {}
    with django_assert_num_queries(QUERIES["htmx" if htmx else "page"]):
        response = logged_in_client.get(URL, params, headers=headers)
    assert response.status_code == 200
    expected = 3 if filtered else crowd["n"]
    assert len(row_positions(response)) == expected
    assert html_of(response).count("note-badge") == 3
    assert ("<html" in html_of(response)) is not htmx


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "the",
        "what is th",
        "a",
        "ünï",
        "x" * SEARCH_MAX_CHARS,
        "or",
        "quant or",
        "- quant",
        "quant:*",
        "quant & teach",
        "'quant'",
        "quant\\",
        "!quant",
        "quant*",
    ],
)
def test_odd_search_text_is_a_result_list_on_either_database(bank, user, text):
    """Stop words, operators and tsquery syntax typed by a learner: PostgreSQL's prefix
    query is only ever built from letters and digits, so each of these is a result list."""
    assert isinstance(positions(search_questions(user, text=text, now=timezone.now())), list)
