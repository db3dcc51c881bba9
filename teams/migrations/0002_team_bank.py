"""Every team gets its bank (questions.Bank), named after it."""

import django.db.models.deletion
from django.db import migrations, models


def create_banks(apps, schema_editor):
    Team = apps.get_model("teams", "Team")
    Bank = apps.get_model("questions", "Bank")
    for team in Team.objects.filter(bank__isnull=True).order_by("pk"):
        team.bank = Bank.objects.create(name=team.name)
        team.save(update_fields=["bank"])


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0004_banks"),
        ("teams", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="team",
            name="bank",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="team",
                to="questions.bank",
            ),
        ),
        # Going back, the banks go when questions 0004 is undone and drops their table;
        # deleting them here would leave PostgreSQL unable to drop the column after.
        migrations.RunPython(create_banks, migrations.RunPython.noop),
    ]
