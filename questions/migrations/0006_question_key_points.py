"""Questions have key points, which typed answers are checked against: derive them for
every existing question from its answers, as an import does from now on.

Adding columns with defaults makes SQLite rebuild questions_question, which drops the
search index's triggers: the index is dropped first and made again after (see 0003).
Deriving uses today's questions.key_points; points an instructor wrote later are theirs.
"""

import importlib

from django.db import migrations, models

search_index = importlib.import_module("questions.migrations.0003_question_search_index")


def derive_key_points(apps, schema_editor):
    from questions.key_points import derive_key_points

    Question = apps.get_model("questions", "Question")
    Answer = apps.get_model("questions", "Answer")
    answers: dict[int, dict[str, str]] = {}
    for question_id, kind, text in Answer.objects.values_list("question_id", "kind", "text"):
        answers.setdefault(question_id, {})[kind] = text
    batch = []
    for question in Question.objects.only("pk").iterator(chunk_size=500):
        texts = answers.get(question.pk, {})
        question.key_points = derive_key_points(texts.get("concise"), texts.get("long"))
        batch.append(question)
        if len(batch) == 500:
            Question.objects.bulk_update(batch, ["key_points"])
            batch = []
    Question.objects.bulk_update(batch, ["key_points"])


class Migration(migrations.Migration):
    dependencies = [("questions", "0005_answer_html")]

    operations = [
        migrations.RunPython(search_index.drop_search_index, search_index.create_search_index),
        migrations.AddField(
            model_name="question",
            name="key_points",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="question",
            name="key_points_edited",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(search_index.create_search_index, search_index.drop_search_index),
        migrations.RunPython(derive_key_points, migrations.RunPython.noop),
    ]
