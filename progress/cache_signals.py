"""Which writes make which cached pages out of date (see studyhub/pagecache.py).

Every model a cached page shows is listed here, saved or deleted through the ORM.
Writes that send no signals (bulk_create, QuerySet.update) call the bump functions
themselves: progress.services.record_confidence (its event row is created normally),
questions.services and questions.import_services.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import Membership, Team, User
from progress.models import (
    Assignment,
    ConfidenceEvent,
    ConfidenceMark,
    Note,
    StudySession,
    TopicSet,
)
from questions.models import Answer, Question, Topic
from studyhub import pagecache

LEARNER_DATA = (ConfidenceMark, ConfidenceEvent, Note, StudySession)
TEAM_DATA = (TopicSet, Assignment)
BANK_DATA = (Question, Answer, Topic)


def _learner_data_changed(sender, instance, **kwargs) -> None:
    pagecache.bump_user(instance.user_id)


def _user_changed(sender, instance, **kwargs) -> None:
    pagecache.bump_user(instance.pk)


def _membership_changed(sender, instance, **kwargs) -> None:
    pagecache.bump_membership(instance.user_id, instance.team_id)


def _team_changed(sender, instance, **kwargs) -> None:
    pagecache.bump_team(instance.pk)


def _team_data_changed(sender, instance, **kwargs) -> None:
    pagecache.bump_team(instance.team_id)


def _topic_set_contents_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:  # topic_set.topics.add(...): the instance is the topic set
        pagecache.bump_team(instance.team_id)
        return
    # topic.topic_sets.add(...): the sets named, or (on clear) every set that had it
    sets = TopicSet.objects.all() if pk_set is None else TopicSet.objects.filter(pk__in=pk_set)
    for team_id in set(sets.values_list("team_id", flat=True)):
        pagecache.bump_team(team_id)


def _bank_changed(sender, **kwargs) -> None:
    action = kwargs.get("action")
    if action is None or action.startswith("post_"):
        pagecache.bump_bank()


def connect() -> None:
    uid = "studyhub.pagecache"
    for signal in (post_save, post_delete):
        for model in LEARNER_DATA:
            signal.connect(_learner_data_changed, sender=model, dispatch_uid=f"{uid}.{model}")
        for model in TEAM_DATA:
            signal.connect(_team_data_changed, sender=model, dispatch_uid=f"{uid}.{model}")
        for model in BANK_DATA:
            signal.connect(_bank_changed, sender=model, dispatch_uid=f"{uid}.{model}")
        signal.connect(_user_changed, sender=User, dispatch_uid=f"{uid}.user")
        signal.connect(_membership_changed, sender=Membership, dispatch_uid=f"{uid}.membership")
        signal.connect(_team_changed, sender=Team, dispatch_uid=f"{uid}.team")
    for through in (TopicSet.topics.through, TopicSet.questions.through):
        m2m_changed.connect(_topic_set_contents_changed, sender=through, dispatch_uid=uid)
    for through in (Question.topics.through, Question.related.through):
        m2m_changed.connect(_bank_changed, sender=through, dispatch_uid=f"{uid}.{through}")
