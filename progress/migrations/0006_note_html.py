"""Store each note's rendering (Note.html), filled in for the notes saved before it
existed, so that pages show notes without parsing Markdown.

Rendering uses today's studyhub.markdown; after a change to its parser options or
allow-list, a migration like this one brings the stored notes up to date.
"""

from django.db import migrations, models


def render_notes(apps, schema_editor):
    from studyhub.markdown import render_markdown

    Note = apps.get_model("progress", "Note")
    batch = []
    for note in Note.objects.only("pk", "text").order_by("pk").iterator(chunk_size=500):
        note.html = render_markdown(note.text)
        batch.append(note)
        if len(batch) == 500:
            Note.objects.bulk_update(batch, ["html"])
            batch = []
    Note.objects.bulk_update(batch, ["html"])


class Migration(migrations.Migration):
    dependencies = [("progress", "0005_study_session")]

    operations = [
        migrations.AddField(
            model_name="note",
            name="html",
            field=models.TextField(blank=True, editable=False),
        ),
        # Going back drops the column, so there is nothing to undo.
        migrations.RunPython(render_notes, migrations.RunPython.noop),
    ]
