"""Team and Membership move to the teams app (step 1 of 3): rename their tables.

The rows stay where they are; only the tables' names change, to the names the teams app
gives its models. teams/0001_initial then takes the models over in Django's state and
accounts/0005 lets go of them. Reversible: backwards renames the tables back.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_rate_counter")]

    operations = [
        migrations.AlterModelTable(name="team", table="teams_team"),
        migrations.AlterModelTable(name="membership", table="teams_membership"),
    ]
