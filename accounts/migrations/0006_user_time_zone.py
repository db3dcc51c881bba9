"""Each person's own time zone: a new column, blank (the site's zone) for everyone."""

import accounts.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_team_state_to_teams"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="time_zone",
            field=models.CharField(
                blank=True,
                default="",
                max_length=64,
                validators=[accounts.models.validate_time_zone],
            ),
        ),
    ]
