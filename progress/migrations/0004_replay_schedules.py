"""Give marks made before scheduling existed their FSRS schedule, by replaying each
learner's confidence events in order (and recording the rating each one had)."""

from django.db import migrations


def replay(apps, schema_editor):
    from fsrs import Card

    from progress.scheduling import RATING_FOR_LEVEL, SCHEDULER, card_from_mark

    ConfidenceEvent = apps.get_model("progress", "ConfidenceEvent")
    ConfidenceMark = apps.get_model("progress", "ConfidenceMark")
    cards: dict[tuple[int, int], Card] = {}
    events = ConfidenceEvent.objects.order_by("user_id", "question_id", "created_at", "pk")
    for event in events.iterator(chunk_size=2000):
        key = (event.user_id, event.question_id)
        rating = RATING_FOR_LEVEL[event.level]
        card = cards.get(key) or card_from_mark(None)
        cards[key], _ = SCHEDULER.review_card(card, rating, event.created_at)
        event.rating = int(rating)
        event.save(update_fields=["rating"])
    for mark in ConfidenceMark.objects.filter(due__isnull=True).iterator():
        replayed = cards.get((mark.user_id, mark.question_id))
        if replayed is None:
            continue
        mark.due, mark.stability, mark.difficulty = replayed.due, replayed.stability, replayed.difficulty
        mark.last_review, mark.fsrs_state, mark.fsrs_step = replayed.last_review, int(replayed.state), replayed.step
        mark.save(update_fields=["due", "stability", "difficulty", "last_review", "fsrs_state", "fsrs_step"])


class Migration(migrations.Migration):
    dependencies = [("progress", "0003_fsrs_schedule")]
    operations = [migrations.RunPython(replay, migrations.RunPython.noop)]
