"""Answers are Markdown from now on, shown from a rendering stored when they are written
(Answer.html), as notes are: render every existing answer once.

Adding a column with a default makes SQLite rebuild questions_answer, which drops the
search index's triggers: the index is dropped first and made again after (see 0003).
Rendering uses today's studyhub.markdown; after a change to its options, a new data
migration renders them again.
"""

import importlib

from django.db import migrations, models

search_index = importlib.import_module("questions.migrations.0003_question_search_index")


def render_answers(apps, schema_editor):
    from studyhub.markdown import render_markdown

    Answer = apps.get_model("questions", "Answer")
    batch = []
    for answer in Answer.objects.only("pk", "text").iterator(chunk_size=500):
        answer.html = render_markdown(answer.text)
        batch.append(answer)
        if len(batch) == 500:
            Answer.objects.bulk_update(batch, ["html"])
            batch = []
    Answer.objects.bulk_update(batch, ["html"])


class Migration(migrations.Migration):
    dependencies = [("questions", "0004_banks")]

    operations = [
        migrations.RunPython(search_index.drop_search_index, search_index.create_search_index),
        migrations.AddField(
            model_name="answer",
            name="html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(search_index.create_search_index, search_index.drop_search_index),
        migrations.RunPython(render_answers, migrations.RunPython.noop),
    ]
