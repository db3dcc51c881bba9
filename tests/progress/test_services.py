from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from progress.models import ConfidenceEvent, ConfidenceMark, Note
from progress.services import record_confidence, save_note
from tests.factories import make_question


@pytest.fixture
def question(db):
    return make_question()


def event_levels(user, question) -> list[int]:
    return list(
        ConfidenceEvent.objects.filter(user=user, question=question)
        .order_by("pk")
        .values_list("level", flat=True)
    )


# --- record_confidence ------------------------------------------------------


def test_every_mark_is_kept_as_an_event_and_one_current_mark(user, question):
    for level in (2, 4, 3):
        record_confidence(user=user, question=question, level=level)

    assert event_levels(user, question) == [2, 4, 3]
    assert list(
        ConfidenceMark.objects.filter(user=user, question=question).values_list("level", flat=True)
    ) == [3]


def test_returned_mark_is_the_stored_current_mark(user, question):
    record_confidence(user=user, question=question, level=1)
    returned = record_confidence(user=user, question=question, level=5)

    stored = ConfidenceMark.objects.get(user=user, question=question)
    assert returned.level == stored.level == 5
    assert returned.pk == stored.pk


def test_marks_of_other_users_and_questions_stay_apart(user, other_user, question):
    second = make_question()
    record_confidence(user=user, question=question, level=5)
    record_confidence(user=other_user, question=question, level=1)
    record_confidence(user=user, question=second, level=2)

    levels = {
        (m.user_id, m.question_id): m.level
        for m in ConfidenceMark.objects.filter(user__in=[user, other_user])
    }
    assert levels == {
        (user.pk, question.pk): 5,
        (other_user.pk, question.pk): 1,
        (user.pk, second.pk): 2,
    }
    assert ConfidenceEvent.objects.count() == 3


def test_at_sets_the_time_of_the_event_and_the_current_mark(user, question):
    when = timezone.now() - timedelta(days=3)
    record_confidence(user=user, question=question, level=4, at=when)

    assert ConfidenceEvent.objects.get(user=user, question=question).created_at == when
    assert ConfidenceMark.objects.get(user=user, question=question).updated_at == when


def test_a_later_mark_updates_the_time_of_the_current_mark(user, question):
    earlier = timezone.now() - timedelta(days=2)
    record_confidence(user=user, question=question, level=2, at=earlier)
    record_confidence(user=user, question=question, level=3)

    current = ConfidenceMark.objects.get(user=user, question=question)
    assert current.updated_at > earlier
    assert current.level == 3


def test_database_refuses_a_second_current_mark_for_the_same_question(user, question):
    record_confidence(user=user, question=question, level=3)

    with pytest.raises(IntegrityError), transaction.atomic():
        ConfidenceMark.objects.create(
            user=user, question=question, level=4, updated_at=timezone.now()
        )

    assert ConfidenceMark.objects.get(user=user, question=question).level == 3


@pytest.mark.parametrize("level", [0, 6])
def test_database_refuses_a_level_outside_1_to_5(user, question, level):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConfidenceMark.objects.create(
            user=user, question=question, level=level, updated_at=timezone.now()
        )
    assert not ConfidenceMark.objects.exists()


@pytest.mark.parametrize("level", [0, 6, -1, "3", None])
def test_invalid_level_raises_and_writes_nothing(user, question, level):
    with pytest.raises(ValueError, match="1–5"):
        record_confidence(user=user, question=question, level=level)

    assert not ConfidenceEvent.objects.exists()
    assert not ConfidenceMark.objects.exists()


def test_invalid_level_leaves_the_existing_mark_alone(user, question):
    record_confidence(user=user, question=question, level=4)

    with pytest.raises(ValueError):
        record_confidence(user=user, question=question, level=6)

    assert event_levels(user, question) == [4]
    assert ConfidenceMark.objects.get(user=user, question=question).level == 4


# --- save_note --------------------------------------------------------------


def test_save_note_creates_the_note_at_version_1(user, question):
    note = save_note(user=user, question=question, text="First *thoughts*")

    stored = Note.objects.get(user=user, question=question)
    assert (stored.text, stored.version) == ("First *thoughts*", 1)
    assert note.pk == stored.pk


def test_saving_the_same_text_again_changes_nothing(user, question):
    save_note(user=user, question=question, text="Same")
    before = Note.objects.get(user=user, question=question)

    again = save_note(user=user, question=question, text="Same")

    after = Note.objects.get(user=user, question=question)
    assert (after.version, after.updated_at) == (1, before.updated_at)
    assert again.version == 1


def test_each_change_increments_the_version(user, question):
    save_note(user=user, question=question, text="One")
    first_saved = Note.objects.get(user=user, question=question).updated_at

    second = save_note(user=user, question=question, text="Two")
    third = save_note(user=user, question=question, text="Three")

    stored = Note.objects.get(user=user, question=question)
    assert (stored.text, stored.version) == ("Three", 3)
    assert (second.version, third.version) == (2, 3)
    assert third.text == "Three"
    assert stored.updated_at >= first_saved
    assert Note.objects.count() == 1


@pytest.mark.parametrize("blank", ["", "   ", "\n\t \n"])
def test_blank_text_deletes_the_note(user, other_user, question, blank):
    save_note(user=user, question=question, text="Mine")
    save_note(user=other_user, question=question, text="Theirs")

    assert save_note(user=user, question=question, text=blank) is None

    assert not Note.objects.filter(user=user).exists()
    assert Note.objects.get(user=other_user).text == "Theirs"


def test_blank_text_without_a_note_creates_nothing(user, question):
    assert save_note(user=user, question=question, text="  ") is None
    assert not Note.objects.exists()


def test_notes_are_one_per_user_and_question(user, question):
    save_note(user=user, question=question, text="Mine")

    with pytest.raises(IntegrityError), transaction.atomic():
        Note.objects.create(user=user, question=question, text="Second", version=1)
