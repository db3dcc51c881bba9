"""Every team now has a bank (0002), so it is required. A migration of its own, because
PostgreSQL will not alter a table with row changes of the same transaction pending."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("teams", "0002_team_bank")]

    operations = [
        migrations.AlterField(
            model_name="team",
            name="bank",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT, related_name="team", to="questions.bank"
            ),
        ),
    ]
