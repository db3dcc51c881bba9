"""Spaced review with FSRS (the `fsrs` package).

Each learner's current mark on a question carries its FSRS card state (stability,
difficulty, due, …); every confidence event keeps the FSRS rating it was given, so
the events are the review log an optimiser can learn parameters from later.

Choices:
- Confidence maps to FSRS ratings as 1→Again, 2→Hard, 3→Good, 4→Good, 5→Easy.
- One learning step of ten minutes, for new questions and for forgotten ones alike
  (relearning). "Not yet" always lands on it, and so does "Shaky" on a question still
  being learnt (FSRS gives Hard 1.5 steps there: 15 minutes); anything rated Okay or
  better, and "Shaky" on a question already in review, goes on in whole days. A study
  session brings back what was rated Not yet or Shaky either way (progress.study): to
  practise now, whatever the next review.
- A typed answer checked for this rating (progress.recall) caps the rating by its score:
  under 25 is Again, under 50 Hard, under 75 Good. A learner who rates Confident but
  recalled a third of the key points sees the question again as soon as if they had
  rated Shaky; a low rating is never raised by a high score.
- No fuzzing, so a schedule is reproducible (and testable at a frozen clock).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from fsrs import Card, Rating, Scheduler, State

from progress.models import Confidence

if TYPE_CHECKING:
    from progress.models import ConfidenceMark

DESIRED_RETENTION = 0.9

#: How soon a question rated "Not yet" comes back.
LEARNING_STEP = timedelta(minutes=10)

SCHEDULER = Scheduler(
    desired_retention=DESIRED_RETENTION,
    learning_steps=(LEARNING_STEP,),
    relearning_steps=(LEARNING_STEP,),
    enable_fuzzing=False,
)

RATING_FOR_LEVEL = {
    1: Rating.Again,
    2: Rating.Hard,
    3: Rating.Good,
    4: Rating.Good,
    5: Rating.Easy,
}


#: (score below which, the highest rating it allows)
RECALL_CAPS = ((25, Rating.Again), (50, Rating.Hard), (75, Rating.Good))


def rating_for(level: int, recall: int | None = None) -> Rating:
    """The FSRS rating of a confidence level, capped by a recall score checked for it."""
    rating = RATING_FOR_LEVEL[level]
    if recall is not None:
        for below, cap in RECALL_CAPS:
            if recall < below:
                return min(rating, cap)
    return rating


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


def review(
    mark: ConfidenceMark | None, level: int, when: datetime, *, recall: int | None = None
) -> tuple[Card, Rating]:
    """The card after rating `level` at `when` (with `recall`, the score of a typed answer
    checked for this rating), and the FSRS rating used."""
    rating = rating_for(level, recall)
    card, _log = SCHEDULER.review_card(card_from_mark(mark), rating, when)
    return card, rating


def is_learning_step(card: Card) -> bool:
    """Whether the card is on a learning step (minutes away), not in review (days)."""
    return card.state in (State.Learning, State.Relearning)


def preview(
    mark: ConfidenceMark | None, now: datetime, *, recall: int | None = None
) -> dict[int, timedelta]:
    """For each confidence level, how long from `now` until the question comes back if
    it is rated so now (after a check that scored `recall`): what the rating buttons
    show. Pure computation, no query."""
    card = card_from_mark(mark)
    after: dict[Rating, timedelta] = {}
    ratings = {level: rating_for(level, recall) for level in RATING_FOR_LEVEL}
    for rating in set(ratings.values()):
        reviewed, _log = SCHEDULER.review_card(card, rating, now)
        after[rating] = reviewed.due - now
    return {level: after[rating] for level, rating in ratings.items()}


class RatingButton(NamedTuple):
    value: int
    label: str
    #: When the question comes back if rated so now: "10 min", "4 days".
    comes_back: str


def rating_buttons(
    mark: ConfidenceMark | None, now: datetime, *, recall: int | None = None
) -> list[RatingButton]:
    """The five confidence buttons for a question the learner has `mark` on (after a
    check that scored `recall`)."""
    waits = preview(mark, now, recall=recall)
    return [
        RatingButton(value, label, interval_label(waits[value]))
        for value, label in Confidence.choices
    ]


def interval_label(delta: timedelta) -> str:
    """A wait as the buttons say it: "10 min", "5 h", "1 day", "4 days", "3 months"."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = round(minutes / 60)
    if hours < 24:
        return f"{hours} h"
    days = round(minutes / (60 * 24))
    if days < 31:
        return "1 day" if days == 1 else f"{days} days"
    months = round(days / 30.44)
    if months < 12:
        return "1 month" if months == 1 else f"{months} months"
    years = round(days / 365.25, 1)
    return f"{years:g} year" + ("" if years == 1 else "s")


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
