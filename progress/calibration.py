"""Calibration: how well a learner's confidence matches what their typed answers recall.

Each level of confidence promises a recall score (progress.recall.EXPECTED_RECALL: a
learner who rates Confident expects to make about 70% of the key points). Calibration
sets that promise against the recall score of the learner's latest check on each
question they have rated (ConfidenceMark.recall, copied there by progress.recall), over
the questions they see now (the library's and their teams', none retired):

- per level: how many questions were checked and their average recall, beside the promise;
- in words: questions rated Confident or higher whose latest check made under half of the
  key points, and questions rated Shaky or lower whose check made at least half;
- per topic: the average promise of the ratings against the average recall, and a verdict;
- the questions rated furthest above what their check recalled.

A gap is "promise minus recall". A topic is over-confident when its gap is more than
CALIBRATION_MARGIN points (half the step between two levels' promises), under-confident
when it is less than minus that, and about right in between; a question is listed as
rated above its recall on the same margin, so a question rated Not yet is never listed
(its promise, 10, is at most 10 above any recall). Averages are shown rounded half up,
and gaps and verdicts are worked out from the rounded figures, so what the page says
always agrees with the numbers it shows.

Everything comes from three queries whatever the number of questions or topics: one
grouped count of the marks by level, one annotated query of the topics, and one of the
most over-confident questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Sum,
    Value,
    When,
)

from accounts.models import User
from progress.models import Confidence, ConfidenceMarkQuerySet
from progress.recall import EXPECTED_RECALL
from questions.access import visible_banks
from questions.models import BankIds, Question, Topic, in_library_or

#: Points between promise and recall within which confidence is "about right": half
#: the step (20 points) between two levels' promises.
CALIBRATION_MARGIN = 10
#: How many of the most over-confident questions the page lists (and "Study these" takes).
OVERCONFIDENT_SHOWN = 10
#: "Confident or higher" and "Shaky or lower": the ratings the words are about.
HIGH_LEVEL = Confidence.CONFIDENT
LOW_LEVEL = Confidence.SHAKY

Verdict = Literal["over-confident", "under-confident", "about right"]


def rounded_average(total: int, count: int) -> int:
    """total ÷ count as a whole number, halves rounded up (0 for nothing)."""
    return (2 * total + count) // (2 * count) if count else 0


def verdict(gap: int) -> Verdict:
    """What a gap (promise minus recall, in points) says about confidence."""
    if gap > CALIBRATION_MARGIN:
        return "over-confident"
    if gap < -CALIBRATION_MARGIN:
        return "under-confident"
    return "about right"


def signed(points: int) -> str:
    """A gap as the page shows it: "+25", "−10" (a minus sign), "0"."""
    if points > 0:
        return f"+{points}"
    return f"\N{MINUS SIGN}{-points}" if points < 0 else "0"


def promise_of(level_field: str) -> Case:
    """The recall score the level in `level_field` promises, as an SQL expression."""
    return Case(
        *(
            When(**{level_field: level}, then=Value(score))
            for level, score in EXPECTED_RECALL.items()
        ),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class LevelRow:
    """The questions rated at one level that have a check, and what they recalled."""

    level: int
    checked: int
    recall_total: int

    @property
    def label(self) -> str:
        return Confidence(self.level).label

    @property
    def promised(self) -> int:
        return EXPECTED_RECALL[Confidence(self.level)]

    @property
    def average_recall(self) -> int | None:
        """Rounded half up; None when no question at this level is checked."""
        return rounded_average(self.recall_total, self.checked) if self.checked else None


@dataclass(frozen=True)
class TopicRow:
    """A topic's checked questions: the ratings' average promise against the average recall."""

    topic: Topic
    checked: int
    promised: int
    recall: int

    @property
    def gap(self) -> int:
        return self.promised - self.recall

    @property
    def gap_shown(self) -> str:
        return signed(self.gap)

    @property
    def verdict(self) -> Verdict:
        return verdict(self.gap)


@dataclass(frozen=True)
class Calibration:
    levels: list[LevelRow]
    #: Topics with at least one checked question, the most over-confident first.
    topics: list[TopicRow]
    #: Questions rated more than CALIBRATION_MARGIN above their recall, the furthest
    #: first (at most OVERCONFIDENT_SHOWN).
    overconfident: list[RatedAbove]
    #: Checked questions rated Confident or higher, and those of them whose latest
    #: check made under half of the key points.
    high_checked: int
    high_under_half: int
    #: Checked questions rated Shaky or lower whose latest check made at least half.
    low_over_half: int

    @property
    def checked(self) -> int:
        return sum(row.checked for row in self.levels)

    @property
    def average_promised(self) -> int:
        total = sum(row.promised * row.checked for row in self.levels)
        return rounded_average(total, self.checked)

    @property
    def average_recall(self) -> int:
        return rounded_average(sum(row.recall_total for row in self.levels), self.checked)

    @property
    def gap(self) -> int:
        return self.average_promised - self.average_recall

    @property
    def verdict(self) -> Verdict:
        return verdict(self.gap)


def checked_marks(user: User, banks: BankIds) -> ConfidenceMarkQuerySet:
    """The user's marks on the questions of the library and `banks` (none retired)
    that have a check: what calibration counts."""
    return user.confidence_marks.on_live_questions(banks).filter(recall__isnull=False)


def learner_calibration(user: User) -> Calibration:
    """The calibration page's figures for `user`, in three queries."""
    banks = visible_banks(user)
    marks = checked_marks(user, banks)
    counts = marks.values("level", "recalled_half").annotate(n=Count("pk"), recall=Sum("recall"))
    checked: dict[int, int] = {}
    recall: dict[int, int] = {}
    high_under_half = low_over_half = 0
    for row in counts.order_by():
        level, n = row["level"], row["n"]
        checked[level] = checked.get(level, 0) + n
        recall[level] = recall.get(level, 0) + row["recall"]
        if level >= HIGH_LEVEL and not row["recalled_half"]:
            high_under_half += n
        if level <= LOW_LEVEL and row["recalled_half"]:
            low_over_half += n
    levels = [
        LevelRow(level=level, checked=checked.get(level, 0), recall_total=recall.get(level, 0))
        for level in Confidence.values
    ]
    # Nothing checked yet: nothing to look for in the topics or the questions.
    return Calibration(
        levels=levels,
        topics=topic_calibration(user, banks) if checked else [],
        overconfident=most_overconfident(user, banks) if checked else [],
        high_checked=sum(n for level, n in checked.items() if level >= HIGH_LEVEL),
        high_under_half=high_under_half,
        low_over_half=low_over_half,
    )


#: The fields of a topic that topic_calibration reads with its counts.
TOPIC_FIELDS = ("id", "slug", "name", "position", "bank_id")


def topic_calibration(user: User, banks: BankIds) -> list[TopicRow]:
    """Each topic of the library and `banks` with at least one of its live questions
    checked by `user`: the checked count, the ratings' average promise and the average
    recall; the most over-confident first, then in bank order. One query, which starts
    from the learner's checked marks (index mark_user_checked), so its work grows with
    what they checked, not with the bank."""
    per_topic = (
        checked_marks(user, banks)
        .filter(in_library_or(banks, prefix="question__topics__"))
        .values(*(f"question__topics__{field}" for field in TOPIC_FIELDS))
        # One mark per user and question, and one row per topic of it: each question
        # counts once in each of its topics.
        .annotate(
            checked=Count("pk"),
            recall_total=Sum("recall"),
            promised_total=Sum(promise_of("level")),
        )
        .order_by("question__topics__position", "question__topics__name")
    )
    rows = [
        TopicRow(
            topic=Topic(**{field: row[f"question__topics__{field}"] for field in TOPIC_FIELDS}),
            checked=row["checked"],
            promised=rounded_average(row["promised_total"], row["checked"]),
            recall=rounded_average(row["recall_total"], row["checked"]),
        )
        for row in per_topic
    ]
    # Stable: topics with the same gap stay in bank order.
    return sorted(rows, key=lambda row: -row.gap)


@dataclass(frozen=True)
class RatedAbove:
    """A question rated more than CALIBRATION_MARGIN above what its latest check recalled."""

    question: Question
    level: int
    recall: int
    promised: int

    @property
    def gap(self) -> int:
        return self.promised - self.recall


def most_overconfident(
    user: User, banks: BankIds | None = None, *, limit: int = OVERCONFIDENT_SHOWN
) -> list[RatedAbove]:
    """The user's checked marks rated more than CALIBRATION_MARGIN above their recall,
    the largest gap first (then the higher rating, then bank order). One query."""
    banks = visible_banks(user) if banks is None else banks
    gap = ExpressionWrapper(promise_of("level") - F("recall"), output_field=IntegerField())
    marks = (
        checked_marks(user, banks)
        .alias(gap=gap)
        .filter(gap__gt=CALIBRATION_MARGIN)
        .select_related("question")
        .order_by("-gap", "-level", "question__position", "question_id")[:limit]
    )
    return [
        RatedAbove(
            question=mark.question,
            level=mark.level,
            recall=mark.recall or 0,  # never None: checked_marks have a recall
            promised=EXPECTED_RECALL[Confidence(mark.level)],
        )
        for mark in marks
    ]


# --- Drawing ------------------------------------------------------------------------

#: The chart's size and plot area in SVG user units; the bottom leaves room for two
#: lines of labels under each level.
CHART_WIDTH, CHART_HEIGHT = 520, 250
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 44, 508, 14, 200


@dataclass(frozen=True)
class ChartBar:
    """One level's slot: its bar of average recall (none when nothing is checked) and
    the mark of its promise."""

    row: LevelRow
    x: float
    width: float
    #: The top of the bar and of the promise mark.
    y: float
    promise_y: float

    @property
    def centre(self) -> float:
        return self.x + self.width / 2

    @property
    def promise_left(self) -> float:
        """The promise mark reaches past the bar on both sides, so it shows when the
        bar's top is near it."""
        return self.x - self.width / 6

    @property
    def promise_right(self) -> float:
        return self.x + self.width * 7 / 6

    @property
    def height(self) -> float:
        return CHART_BOTTOM - self.y


@dataclass(frozen=True)
class CalibrationChart:
    """Average recall per level against each level's promise, in SVG user units."""

    bars: list[ChartBar]
    #: (y, "50") for each horizontal grid line.
    y_ticks: list[tuple[float, str]]
    summary: str
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    plot_left: int = CHART_LEFT
    plot_right: int = CHART_RIGHT
    plot_bottom: int = CHART_BOTTOM

    @property
    def promise_points(self) -> str:
        return " ".join(f"{bar.centre:.1f},{bar.promise_y:.1f}" for bar in self.bars)


def _y_of(score: float) -> float:
    return CHART_BOTTOM - (CHART_BOTTOM - CHART_TOP) * score / 100


def calibration_chart(levels: list[LevelRow]) -> CalibrationChart:
    """Place a bar of average recall in each level's slot, on a 0–100 scale, with a
    dashed line through the levels' promises."""
    slot = (CHART_RIGHT - CHART_LEFT) / max(len(levels), 1)
    bars = [
        ChartBar(
            row=row,
            x=CHART_LEFT + index * slot + slot * 0.2,
            width=slot * 0.6,
            y=_y_of(row.average_recall or 0),
            promise_y=_y_of(row.promised),
        )
        for index, row in enumerate(levels)
    ]
    return CalibrationChart(
        bars=bars,
        y_ticks=[(_y_of(score), str(score)) for score in (0, 25, 50, 75, 100)],
        summary=chart_summary(levels),
    )


def chart_summary(levels: list[LevelRow]) -> str:
    """One sentence of what the chart shows, for its accessible name."""
    shown = [
        f"{row.label}, {row.average_recall} against a promised {row.promised} "
        f"({row.checked} question{'' if row.checked == 1 else 's'})"
        for row in levels
        if row.checked
    ]
    if not shown:
        return "Average recall by confidence: no checked answers yet"
    missing = [row.label for row in levels if not row.checked]
    text = "Average recall by confidence: " + "; ".join(shown)
    if missing:
        text += ". Nothing checked at " + _joined(missing)
    return text


def _joined(words: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
