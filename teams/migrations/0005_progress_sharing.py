"""Opt-in team progress: the instructors' switch on the team and each learner's own
choice on their membership. Both start off, for existing teams and members too: nobody
is shown to their team before they say so."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("teams", "0004_move_imported_questions")]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="shares_progress",
            field=models.BooleanField(
                default=False, verbose_name="Share my progress with the team"
            ),
        ),
        migrations.AddField(
            model_name="team",
            name="members_see_progress",
            field=models.BooleanField(
                default=False, verbose_name="Let members see the team's progress"
            ),
        ),
    ]
