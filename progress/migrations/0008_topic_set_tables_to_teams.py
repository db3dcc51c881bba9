"""TopicSet and Assignment move to the teams app (step 1 of 3): rename their tables.

Renaming the topic set's table renames its two many-to-many tables with it
(teams_topicset_topics, teams_topicset_questions); their columns keep their names.
Reversible: backwards renames the tables back.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("progress", "0007_note_last_editor")]

    operations = [
        migrations.AlterModelTable(name="topicset", table="teams_topicset"),
        migrations.AlterModelTable(name="assignment", table="teams_assignment"),
    ]
