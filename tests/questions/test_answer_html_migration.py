"""questions 0005 stores every answer's Markdown rendering (Answer.html): an upgraded
database has each answer rendered, its text untouched, and search still finds answers."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from studyhub.markdown import render_markdown

search_index = importlib.import_module("questions.migrations.0003_question_search_index")

# Only questions 0004: the migrator applies its whole plan up to the target's place
# in it, and a later app's migration can come after 0005 there.
BEFORE = [("questions", "0004_banks")]
AFTER = [("questions", "0005_answer_html")]
TEXTS = [
    "Plain words.",
    "- a list\n- of **two**",
    "<script>alert(1)</script> and [x](javascript:alert(1))",
    "",
]


@pytest.fixture
def old_apps(migrator):
    if connection.vendor == "sqlite":
        with connection.schema_editor() as editor:
            search_index.drop_search_index(None, editor)
    return migrator.apply_initial_migration(BEFORE).apps


def test_every_answer_is_rendered_and_kept(migrator, old_apps):
    Question = old_apps.get_model("questions", "Question")
    Answer = old_apps.get_model("questions", "Answer")
    made = {}
    for n, text in enumerate(TEXTS):
        question = Question.objects.create(key=f"q{n}", position=n, text=f"What is {n}?")
        for kind in ("concise", "long"):
            made[Answer.objects.create(question=question, kind=kind, text=text).pk] = text

    apps = migrator.apply_tested_migration(AFTER).apps
    answers = {a.pk: (a.text, a.html) for a in apps.get_model("questions", "Answer").objects.all()}
    assert answers == {pk: (text, render_markdown(text)) for pk, text in made.items()}
    assert "<script" not in "".join(html for _, html in answers.values())
    if connection.vendor == "sqlite":  # the rebuilt table's search triggers are back
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rowid FROM questions_question_fts WHERE questions_question_fts MATCH 'list'"
            )
            assert [row[0] for row in cursor.fetchall()] == [Question.objects.get(key="q1").pk]
