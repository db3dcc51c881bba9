"""Team, Membership, TopicSet and Assignment move here from accounts and progress (step 2
of 3): take the models over in Django's state.

The tables were renamed to teams_* by accounts/0004 and progress/0008, so nothing in the
database changes and every row, foreign key and many-to-many link stays as it was. The
content types of the four models are relabelled too, so admin history and any permission
granted on them follow the models. Reversible.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import teams.models

MOVED = {"team": "accounts", "membership": "accounts", "topicset": "progress", "assignment": "progress"}


def relabel_content_types(apps, schema_editor, *, forwards=True):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model, old_app in MOVED.items():
        src, dst = (old_app, "teams") if forwards else ("teams", old_app)
        # A content type at the destination exists only if something created it before
        # this migration ran (it cannot have rows pointing at it yet): drop it.
        ContentType.objects.using(db).filter(app_label=dst, model=model).delete()
        ContentType.objects.using(db).filter(app_label=src, model=model).update(app_label=dst)


def forwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, forwards=True)


def backwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0004_team_tables_to_teams"),
        ("progress", "0008_topic_set_tables_to_teams"),
        ("questions", "0003_question_search_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Team",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=80)),
                        ("invite_code", models.CharField(default=teams.models.new_invite_code, max_length=16, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={"ordering": ["name", "pk"]},
                ),
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("role", models.CharField(choices=[("instructor", "Instructor"), ("learner", "Learner")], default="learner", max_length=12)),
                        ("joined_at", models.DateTimeField(auto_now_add=True)),
                        ("team", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to="teams.team")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "ordering": ["team", "user__display_name", "user__username"],
                        "constraints": [models.UniqueConstraint(fields=("team", "user"), name="one_membership_per_team")],
                    },
                ),
                migrations.CreateModel(
                    name="TopicSet",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=120)),
                        ("description", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("created_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("questions", models.ManyToManyField(blank=True, related_name="topic_sets", to="questions.question", verbose_name="single questions")),
                        ("team", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="topic_sets", to="teams.team")),
                        ("topics", models.ManyToManyField(blank=True, related_name="topic_sets", to="questions.topic")),
                    ],
                    options={"ordering": ["name", "pk"]},
                ),
                migrations.CreateModel(
                    name="Assignment",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("due_date", models.DateField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("created_by", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("team", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="assignments", to="teams.team")),
                        ("topic_set", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="assignments", to="teams.topicset")),
                    ],
                    options={"ordering": [models.OrderBy(models.F("due_date"), nulls_last=True), "pk"]},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
