"""Which editor saved each note last, and that save's number (Note.last_editor,
Note.last_seq): existing notes start with none, so nothing is filled in."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("progress", "0006_note_html"),
    ]

    operations = [
        migrations.AddField(
            model_name="note",
            name="last_editor",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="note",
            name="last_seq",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
    ]
