"""Teams and what instructors give them: Team, Membership, TopicSet, Assignment.

The tables were created by the accounts and progress apps and renamed when the models
moved here (teams/migrations/0001_initial.py).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse

from accounts.models import User
from questions.models import Bank, Question


def new_invite_code() -> str:
    """A short code that is easy to read aloud and type: no 0/O or 1/I/L."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class TeamQuerySet(models.QuerySet["Team"]):
    def for_member(self, user: User) -> TeamQuerySet:
        """Teams the user belongs to, each annotated with `my_role`."""
        return (
            self.filter(memberships__user=user)
            .annotate(my_role=models.F("memberships__role"))
            .order_by("name", "pk")
        )

    def learned_by(self, user: User) -> TeamQuerySet:
        """Teams in which the user is a learner."""
        return self.filter(memberships__user=user, memberships__role=Membership.Role.LEARNER)

    def with_member_count(self) -> TeamQuerySet:
        """Annotate `member_count`. A subquery, because counting the memberships joined by
        for_member() would count only the user's own."""
        members = (
            Membership.objects.filter(team=models.OuterRef("pk"))
            .order_by()
            .values("team")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(member_count=models.Subquery(members))


class Team(models.Model):
    """A study group. Members are instructors or learners."""

    name = models.CharField(max_length=80)
    invite_code = models.CharField(max_length=16, unique=True, default=new_invite_code)
    created_at = models.DateTimeField(auto_now_add=True)
    #: The team's own questions and topics (see questions.models.Bank), made with the team.
    bank = models.OneToOneField(Bank, on_delete=models.PROTECT, related_name="team")
    #: The instructors' switch for the team progress page (teams/sharing.py): off, members
    #: see nothing of each other's progress, whatever each learner chose.
    members_see_progress = models.BooleanField("Let members see the team's progress", default=False)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @transaction.atomic
    def save(self, *args: Any, **kwargs: Any) -> None:
        """A new team gets its bank; a renamed one renames its bank with it (both or
        neither)."""
        update_fields = kwargs.get("update_fields")
        if self.bank_id is None:
            self.bank = Bank.objects.create(name=self.name)
        elif self.pk is not None and (update_fields is None or "name" in update_fields):
            Bank.objects.filter(pk=self.bank_id).exclude(name=self.name).update(name=self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("teams:team_detail", kwargs={"team_id": self.pk})

    @transaction.atomic
    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Deleting a team deletes its bank: its questions, topics and proposals (both
        or neither: a team is never answered as deleted with its bank left behind)."""
        bank_id = self.bank_id
        deleted = super().delete(*args, **kwargs)
        Bank.objects.filter(pk=bank_id).delete()
        return deleted

    def show_progress_to_members(self, on: bool) -> None:
        """Turn the team progress page on or off for the members. Each learner's own
        choice to share is kept either way."""
        self.members_see_progress = on
        self.save(update_fields=["members_see_progress"])

    def rotate_invite(self) -> None:
        """Give the team a new invite code; the old link and code stop working."""
        self.invite_code = new_invite_code()
        self.save(update_fields=["invite_code"])


class MembershipQuerySet(models.QuerySet["Membership"]):
    def learners(self) -> MembershipQuerySet:
        """The learners: the team dashboard's rows, whose progress instructors follow."""
        return self.filter(role=Membership.Role.LEARNER)

    def instructors(self) -> MembershipQuerySet:
        """The instructors, who run the team; it always keeps at least one."""
        return self.filter(role=Membership.Role.INSTRUCTOR)

    def sharing(self) -> MembershipQuerySet:
        """The learners who chose to share their progress with the team: the only
        members the team progress page counts or names."""
        return self.learners().filter(shares_progress=True)

    def instructors_first(self) -> MembershipQuerySet:
        """With their users: instructors ("instructor" sorts before "learner"), then
        learners, each by name."""
        return self.select_related("user").order_by("role", "user__display_name")


class Membership(models.Model):
    class Role(models.TextChoices):
        INSTRUCTOR = "instructor", "Instructor"
        LEARNER = "learner", "Learner"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.LEARNER)
    joined_at = models.DateTimeField(auto_now_add=True)
    #: The learner's own choice, per team: whether the team progress page shows them.
    shares_progress = models.BooleanField("Share my progress with the team", default=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["team", "user__display_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_role_display()})"

    @property
    def is_instructor(self) -> bool:
        return self.role == self.Role.INSTRUCTOR

    def share_progress(self, on: bool) -> None:
        """The learner's own choice: show their coverage on the team progress page."""
        self.shares_progress = on
        self.save(update_fields=["shares_progress"])


class TopicSetQuerySet(models.QuerySet["TopicSet"]):
    def taught_by(self, user: User) -> TopicSetQuerySet:
        """Topic sets of the teams in which the user is an instructor."""
        return self.filter(
            team__memberships__user=user, team__memberships__role=Membership.Role.INSTRUCTOR
        )

    def question_ids(self) -> dict[int, set[int]]:
        """For each of these topic sets, the ids of the questions it holds: its whole
        topics' and its single ones, of the library and its team's bank, none retired
        (another team's question may join a library topic, and a set made before team
        banks may name a question that has moved to another team's bank since). Two
        queries, however many sets."""
        held: dict[int, set[int]] = defaultdict(set)
        own_bank = Q(question__bank__isnull=True) | Q(
            question__bank=models.F("topic__topic_sets__team__bank")
        )
        via_topics = Question.topics.through.objects.filter(
            own_bank, topic__topic_sets__in=self, question__retired_at__isnull=True
        )
        for set_id, question_id in via_topics.values_list("topic__topic_sets", "question_id"):
            held[set_id].add(question_id)
        single = TopicSet.questions.through.objects.filter(
            Q(question__bank__isnull=True) | Q(question__bank=models.F("topicset__team__bank")),
            topicset__in=self,
            question__retired_at__isnull=True,
        )
        for set_id, question_id in single.values_list("topicset_id", "question_id"):
            held[set_id].add(question_id)
        return held


class TopicSet(models.Model):
    """A team's named selection of whole topics and/or single questions."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="topic_sets")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    topics = models.ManyToManyField("questions.Topic", blank=True, related_name="topic_sets")
    questions = models.ManyToManyField(
        Question, blank=True, related_name="topic_sets", verbose_name="single questions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TopicSetQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def question_ids(self) -> set[int]:
        """The ids of the questions this set holds: its whole topics' and its single ones."""
        return TopicSet.objects.filter(pk=self.pk).question_ids().get(self.pk, set())


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def for_member(self, user: User) -> AssignmentQuerySet:
        """Assignments of the teams the user belongs to, whatever their role."""
        return self.filter(team__memberships__user=user)


class Assignment(models.Model):
    """A topic set given to a team, with an optional due date."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="assignments")
    topic_set = models.ForeignKey(TopicSet, on_delete=models.CASCADE, related_name="assignments")
    due_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = [models.F("due_date").asc(nulls_last=True), "pk"]

    def __str__(self) -> str:
        return f"{self.topic_set} for {self.team}"
