"""Team and Membership move to the teams app (step 3 of 3): forget them here.

Only Django's record of the models changes; the tables now belong to teams. It runs after
progress has let go of TopicSet and Assignment, whose foreign keys named accounts.Team.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_team_tables_to_teams"),
        ("progress", "0009_topic_set_state_to_teams"),
        ("teams", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="Team"),
            ],
            database_operations=[],
        )
    ]
