"""TopicSet and Assignment move to the teams app (step 3 of 3): forget them here.

Only Django's record of the models changes; the tables now belong to teams.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("progress", "0008_topic_set_tables_to_teams"),
        ("teams", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Assignment"),
                migrations.DeleteModel(name="TopicSet"),
            ],
            database_operations=[],
        )
    ]
