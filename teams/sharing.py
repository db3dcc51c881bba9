"""Team progress for members: the team's coverage per topic, counted only over the
learners who chose to share their progress (Membership.shares_progress), and shown only
when the instructors have turned it on (Team.members_see_progress).

Nothing here reads a learner who does not share: not their marks, not their name, not
whether they exist. A team's figures are therefore those of its sharers alone, and the
only count shown is how many share. Instructors who are not learners are never counted.
Notes are never read.

Four queries whatever the number of sharers, topics or questions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from progress.models import COVERED_LEVEL, ConfidenceMark
from questions.models import Topic, live_in, percent
from teams.models import Membership, Team


@dataclass(frozen=True)
class TopicProgress:
    """One topic as the team's sharers have covered it."""

    topic: Topic
    #: Questions of the topic in the team's scope (the library and the team's bank).
    question_count: int
    #: The topic's coverage averaged over the sharers, 0–100: covered (sharer, question)
    #: pairs ÷ (sharers × questions), which is the same figure, as every sharer has the
    #: same questions to cover.
    percent: int
    #: The sharers (their memberships, users loaded) who have covered every question of
    #: the topic, by name.
    covered_by: list[Membership]


@dataclass(frozen=True)
class TeamProgress:
    #: The memberships of the learners who share their progress, by name.
    sharers: list[Membership]
    topics: list[TopicProgress]

    @property
    def sharer_count(self) -> int:
        return len(self.sharers)


def _by_name(membership: Membership) -> tuple[str, str]:
    return (membership.user.shown_name.casefold(), membership.user.username)


def team_progress(team: Team) -> TeamProgress:
    """The team's coverage per topic over the learners who share their progress, and who
    of them has covered each topic in full. No per-person figures, no order by progress:
    names are alphabetical."""
    sharing = team.memberships.sharing()
    sharers = sorted(sharing.select_related("user"), key=_by_name)
    banks = [team.bank_id]
    # Topic declares question_count for this annotation; django-stubs takes it for a clash.
    counted = Topic.objects.in_scope(banks).annotate(  # type: ignore[no-redef]
        question_count=Count("questions", filter=live_in(banks, prefix="questions__"))
    )
    topics = [t for t in counted.order_by("position", "name") if t.question_count]
    covered: dict[tuple[int, int], int] = defaultdict(int)
    if sharers:
        rows = (
            ConfidenceMark.objects.filter(
                live_in(banks, prefix="question__"),
                user_id__in=sharing.values("user_id"),
                level__gte=COVERED_LEVEL,
            )
            .values("user_id", "question__topics")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            covered[row["user_id"], row["question__topics"]] = row["n"]
    result = []
    for topic in topics:
        total = topic.question_count
        counts = [covered[member.user_id, topic.pk] for member in sharers]
        result.append(
            TopicProgress(
                topic=topic,
                question_count=total,
                percent=percent(sum(counts), total * len(sharers)),
                covered_by=[m for m, n in zip(sharers, counts, strict=True) if n >= total],
            )
        )
    return TeamProgress(sharers=sharers, topics=result)
