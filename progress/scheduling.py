"""Spaced review with FSRS (the `fsrs` package).

Each learner's current mark on a question carries its FSRS card state (stability,
difficulty, due, …); every confidence event keeps the FSRS rating it was given, so
the events are the review log an optimiser can learn parameters from later.

Choices:
- Confidence maps to FSRS ratings as 1→Again, 2→Hard, 3→Good, 4→Good, 5→Easy.
- No same-day learning steps: StudyHub is studied a few times a week, so a rating
  schedules the next review in whole days from the first review on.
- No fuzzing, so a schedule is reproducible (and testable at a frozen clock).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from fsrs import Card, Rating, Scheduler, State

if TYPE_CHECKING:
    from progress.models import ConfidenceMark

DESIRED_RETENTION = 0.9

SCHEDULER = Scheduler(
    desired_retention=DESIRED_RETENTION,
    learning_steps=(),
    relearning_steps=(),
    enable_fuzzing=False,
)

RATING_FOR_LEVEL = {
    1: Rating.Again,
    2: Rating.Hard,
    3: Rating.Good,
    4: Rating.Good,
    5: Rating.Easy,
}


def card_from_mark(mark: ConfidenceMark | None) -> Card:
    """The FSRS card of a mark (a new card when the mark has never been scheduled)."""
    # card_id is given because without one fsrs stamps the card with the clock and then
    # sleeps 1 ms to keep ids unique; StudyHub never reads it (the mark is the card).
    if mark is None or mark.due is None:
        return Card(card_id=0)
    return Card(
        card_id=0,
        state=State(mark.fsrs_state),
        step=mark.fsrs_step,
        stability=mark.stability,
        difficulty=mark.difficulty,
        due=mark.due,
        last_review=mark.last_review,
    )


def review(mark: ConfidenceMark | None, level: int, when: datetime) -> tuple[Card, Rating]:
    """The card after rating `level` at `when`, and the FSRS rating used."""
    rating = RATING_FOR_LEVEL[level]
    card, _log = SCHEDULER.review_card(card_from_mark(mark), rating, when)
    return card, rating


def retrievability(mark: ConfidenceMark | None, now: datetime) -> float:
    """Probability of recall now (0–1); 0 for a question never reviewed."""
    if mark is None or mark.due is None:
        return 0.0
    return SCHEDULER.get_card_retrievability(card_from_mark(mark), now)


def schedule_fields(card: Card) -> dict[str, Any]:
    """The ConfidenceMark fields that store an FSRS card."""
    return {
        "due": card.due,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "last_review": card.last_review,
        "fsrs_state": int(card.state),
        "fsrs_step": card.step,
    }


#: The names of those fields, for updates that write a schedule.
SCHEDULE_FIELDS = tuple(schedule_fields(Card(card_id=0)))
