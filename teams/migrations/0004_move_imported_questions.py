"""Questions imported before team banks existed move to the bank they belong in.

The rule: a question an import added (its key is in the import's summary) belongs to
that import from now on (Question.import_record), so the import can be undone. When
the importer was not staff and was an instructor of exactly one team when they imported
(they had joined it by then and instruct it now), the question moves to that team's bank,
and the import record with it; otherwise it stays in the library. A library topic
whose every question moved to the same team's bank moves with them. An upload still
waiting for confirmation follows the same rule (so its uploader can still confirm it).
The migration prints what it moved.

Going back puts every question and topic in the library again.
"""

from collections import defaultdict

from django.db import migrations


def move_imported_questions(apps, schema_editor):
    ImportRecord = apps.get_model("questions", "ImportRecord")
    Question = apps.get_model("questions", "Question")
    Topic = apps.get_model("questions", "Topic")
    Membership = apps.get_model("teams", "Membership")
    say = print

    def bank_of(record):
        """(bank id, team name) of the one team the uploader instructed, else None."""
        if record.user.is_staff:
            return None
        taught = Membership.objects.filter(user=record.user, role="instructor")
        taught = taught.filter(joined_at__lte=record.imported_at or record.created_at)
        teams = list(taught.values_list("team__bank_id", "team__name")[:2])
        return teams[0] if len(teams) == 1 else None

    for record in ImportRecord.objects.filter(status="pending").select_related("user"):
        if found := bank_of(record):
            record.bank_id = found[0]
            record.save(update_fields=["bank"])

    moved_banks = set()
    records = ImportRecord.objects.filter(status="done").select_related("user")
    for record in records.order_by("imported_at", "pk"):
        keys = [k for k in (record.summary or {}).get("keys", []) if isinstance(k, str)]
        if keys:
            Question.objects.filter(key__in=keys, import_record__isnull=True).update(
                import_record=record
            )
        found = bank_of(record)
        if found is None:
            continue
        bank_id, team_name = found
        record.bank_id = bank_id
        record.save(update_fields=["bank"])
        count = Question.objects.filter(key__in=keys, bank__isnull=True).update(bank_id=bank_id)
        if count:
            moved_banks.add(bank_id)
            say(
                f"  Moved {count} question{'s' if count != 1 else ''} of the import "
                f"“{record.file_name}” by {record.user.username} to the bank of {team_name}."
            )

    banks_of = defaultdict(set)
    through = Question.topics.through
    library_topics = through.objects.filter(topic__bank__isnull=True)
    for topic_id, bank_id in library_topics.values_list("topic_id", "question__bank_id"):
        banks_of[topic_id].add(bank_id)
    for topic_id, banks in banks_of.items():
        if len(banks) == 1 and (bank_id := next(iter(banks))) in moved_banks:
            topic = Topic.objects.get(pk=topic_id)
            topic.bank_id = bank_id
            topic.save(update_fields=["bank"])
            say(f"  Moved the topic “{topic.name}” to that team's bank with its questions.")


def back_to_library(apps, schema_editor):
    for name in ("Question", "Topic", "ImportRecord"):
        apps.get_model("questions", name).objects.update(bank=None)


class Migration(migrations.Migration):
    dependencies = [("teams", "0003_team_bank_required")]

    operations = [migrations.RunPython(move_imported_questions, back_to_library)]
