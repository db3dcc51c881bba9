"""SQLite's full-text index of the question bank, kept in step by triggers.

One FTS5 row per question, its rowid the question's id: the question text and its
answers joined by newlines, stemmed by the porter tokenizer. Triggers on the two tables
keep it in step whoever writes (the seed loader, imports, the admin, `bulk_create`,
`QuerySet.update`, a flush), so no Python code has to remember it.

PostgreSQL matches `to_tsvector` on the fly (progress/search.py): nothing to do there.

A later migration that makes SQLite rebuild `questions_question` or `questions_answer`
(most `AlterField`s, some `AddField`s) drops that table's triggers, and SQLite refuses to
rename the rebuilt `questions_answer` while the question triggers name it: run
`drop_search_index` before such an operation and `create_search_index` after it
(`importlib.import_module("questions.migrations.0003_question_search_index")`).
tests/progress/test_search.py checks that every trigger is there after all migrations.
"""

from django.db import migrations

TABLE = "questions_question_fts"

#: The answers of question X, in a fixed order, as one text.
_ANSWERS_OF = (
    "(SELECT group_concat(text, char(10)) FROM "
    "(SELECT text FROM questions_answer WHERE question_id = {} ORDER BY kind))"
)

CREATE = [
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5(text, answers, tokenize='porter unicode61')",
    # Questions. Reading the answers on insert also covers answers written first
    # (loaddata with deferred foreign keys).
    f"""CREATE TRIGGER {TABLE}_question_insert AFTER INSERT ON questions_question BEGIN
        INSERT INTO {TABLE}(rowid, text, answers)
        VALUES (new.id, new.text, {_ANSWERS_OF.format("new.id")});
    END""",
    f"""CREATE TRIGGER {TABLE}_question_update AFTER UPDATE OF id, text ON questions_question
    BEGIN
        DELETE FROM {TABLE} WHERE rowid = old.id;
        INSERT INTO {TABLE}(rowid, text, answers)
        VALUES (new.id, new.text, {_ANSWERS_OF.format("new.id")});
    END""",
    f"""CREATE TRIGGER {TABLE}_question_delete AFTER DELETE ON questions_question BEGIN
        DELETE FROM {TABLE} WHERE rowid = old.id;
    END""",
    # Answers: the question's row is written again with all its answers.
    f"""CREATE TRIGGER {TABLE}_answer_insert AFTER INSERT ON questions_answer BEGIN
        UPDATE {TABLE} SET answers = {_ANSWERS_OF.format("new.question_id")}
        WHERE rowid = new.question_id;
    END""",
    f"""CREATE TRIGGER {TABLE}_answer_update
    AFTER UPDATE OF question_id, kind, text ON questions_answer BEGIN
        UPDATE {TABLE} SET answers = {_ANSWERS_OF.format("old.question_id")}
        WHERE rowid = old.question_id;
        UPDATE {TABLE} SET answers = {_ANSWERS_OF.format("new.question_id")}
        WHERE rowid = new.question_id;
    END""",
    f"""CREATE TRIGGER {TABLE}_answer_delete AFTER DELETE ON questions_answer BEGIN
        UPDATE {TABLE} SET answers = {_ANSWERS_OF.format("old.question_id")}
        WHERE rowid = old.question_id;
    END""",
    # The questions already there.
    f"""INSERT INTO {TABLE}(rowid, text, answers)
        SELECT id, text, {_ANSWERS_OF.format("questions_question.id")} FROM questions_question""",
]

TRIGGERS = [
    f"{TABLE}_{table}_{event}"
    for table in ("question", "answer")
    for event in ("insert", "update", "delete")
]


def create_search_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in CREATE:
        schema_editor.execute(statement)


def drop_search_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for trigger in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0002_importrecord"),
    ]

    operations = [
        migrations.RunPython(create_search_index, drop_search_index, elidable=False),
    ]
