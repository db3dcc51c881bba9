"""PostgreSQL's full-text index of the question bank, kept in step by triggers.

Until now PostgreSQL built every question's `to_tsvector` on each search: about 1 s at
5,000 questions. Now each question has a row in `questions_question_search` holding its
document — the question text weighted A, its answers (joined by newlines, in kind order)
weighted B, in the English configuration, exactly what progress/search.py matched on the
fly before — with a GIN index, so a search reads the index and ranks only the matches.

Triggers keep it in step whoever writes (imports, the editor, the admin, `bulk_create`,
`QuerySet.update`), as 0003's do for SQLite's FTS5 table. The table has no foreign key
(a test run's flush truncates the question table, which a reference would refuse); a
question's row is written over when its id is inserted again and deleted with it.
SQLite keeps its FTS5 table (0003): nothing is done there.
"""

from django.db import migrations

TABLE = "questions_question_search"

FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TABLE}_write(qid bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO {TABLE} (question_id, document)
    SELECT q.id,
           setweight(to_tsvector('english'::regconfig, COALESCE(q.text, '')), 'A')
           || setweight(to_tsvector('english'::regconfig, COALESCE(
                  (SELECT string_agg(a.text, E'\\n' ORDER BY a.kind)
                   FROM questions_answer a WHERE a.question_id = q.id), '')), 'B')
    FROM questions_question q WHERE q.id = qid
    ON CONFLICT (question_id) DO UPDATE SET document = EXCLUDED.document;
$$;

CREATE OR REPLACE FUNCTION {TABLE}_on_question() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM {TABLE} WHERE question_id = OLD.id;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
        DELETE FROM {TABLE} WHERE question_id = OLD.id;
    END IF;
    PERFORM {TABLE}_write(NEW.id);
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION {TABLE}_on_answer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM {TABLE}_write(NEW.question_id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM {TABLE}_write(OLD.question_id);
    ELSE
        PERFORM {TABLE}_write(OLD.question_id);
        IF OLD.question_id <> NEW.question_id THEN
            PERFORM {TABLE}_write(NEW.question_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
"""

CREATE = [
    # From scratch: a database whose model tables were dropped and migrated again (as
    # django-test-migrations does) still holds the table, which is no model's.
    f"DROP TABLE IF EXISTS {TABLE}",
    f"CREATE TABLE {TABLE} (question_id bigint PRIMARY KEY, document tsvector NOT NULL)",
    f"CREATE INDEX {TABLE}_document ON {TABLE} USING gin (document)",
    FUNCTION,
    f"""CREATE OR REPLACE TRIGGER {TABLE}_question AFTER INSERT OR DELETE OR UPDATE OF id, text
        ON questions_question FOR EACH ROW EXECUTE FUNCTION {TABLE}_on_question()""",
    f"""CREATE OR REPLACE TRIGGER {TABLE}_answer AFTER INSERT OR DELETE OR UPDATE OF question_id, kind, text
        ON questions_answer FOR EACH ROW EXECUTE FUNCTION {TABLE}_on_answer()""",
    # The questions already there.
    f"SELECT {TABLE}_write(id) FROM questions_question",
]

DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_question ON questions_question",
    f"DROP TRIGGER IF EXISTS {TABLE}_answer ON questions_answer",
    f"DROP FUNCTION IF EXISTS {TABLE}_on_question()",
    f"DROP FUNCTION IF EXISTS {TABLE}_on_answer()",
    f"DROP FUNCTION IF EXISTS {TABLE}_write(bigint)",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def create_search_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in CREATE:
        schema_editor.execute(statement)


def drop_search_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0006_question_key_points"),
    ]

    operations = [
        migrations.RunPython(create_search_index, drop_search_index, elidable=False),
    ]
