"""Team and Membership move to the teams app (step 1 of 3): rename their tables.

The rows stay where they are; only the tables' names change, to the names the teams app
gives its models. teams/0001_initial then takes the models over in Django's state and
accounts/0005 lets go of them. Reversible: backwards renames the tables back.

Indexes, constraints and sequences keep their accounts_* names, as with Django's own
RenameModel: Django finds them by their columns. Except one: on PostgreSQL it finds the
invite code's LIKE index by the name it would give it today, so a later change to the
field would leave the old one behind. That index is renamed here.
"""

from django.db import migrations

LIKE_INDEX = ("accounts_team_invite_code_7ccaa80c_like", "teams_team_invite_code_56f05ed0_like")


def rename_like_index(old, new):
    def rename(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER INDEX IF EXISTS {old} RENAME TO {new}")

    return rename


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_rate_counter")]

    operations = [
        migrations.AlterModelTable(name="team", table="teams_team"),
        migrations.AlterModelTable(name="membership", table="teams_membership"),
        migrations.RunPython(rename_like_index(*LIKE_INDEX), rename_like_index(*LIKE_INDEX[::-1])),
    ]
