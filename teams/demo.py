"""Demo people for `make run`: an instructor-to-be and three learners at different stages."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from progress.recall import record_check
from progress.services import record_confidence, save_note
from questions.importing.planning import KEY_MAX, TOPIC_SLUG_MAX, bank_name
from questions.models import Answer, Question, Topic
from questions.services import refresh_key_points
from teams.models import Assignment, Team, TopicSet
from teams.services import create_team, join_team

DEMO_PASSWORD = "studyhub-demo"
DEMO_TEAM = "CV interview prep"
#: The demo learners who share their progress with the demo team, whose instructor has
#: turned team progress on; priya does not share, so the page shows both kinds.
DEMO_SHARERS = ("lena", "marco")


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    role: str
    #: Share of the bank this person has rated, and how well they tend to rate.
    share: float
    skill: float


DEMO_PEOPLE = [
    DemoPerson("ines", "Ines Moreau", "instructor", share=0.0, skill=0.0),
    DemoPerson("lena", "Lena Park", "learner", share=0.8, skill=0.75),
    DemoPerson("marco", "Marco Rossi", "learner", share=0.45, skill=0.5),
    DemoPerson("priya", "Priya Shah", "learner", share=0.15, skill=0.3),
]

DEMO_NOTES = {
    "cnn-10": (
        "**Distillation** = train a small *student* on the soft targets of a big *teacher*.\n\n"
        "- temperature softens the logits\n- loss mixes hard labels and soft targets"
    ),
    "cnn-11": "Quantization: float32 → int8, ~4× smaller. Watch accuracy on edge cases.",
    "cnn-23": "Anchors: priors of box shapes per feature-map cell; regress offsets from them.",
}


#: Share of the questions a demo learner studied on which they typed an answer first, and
#: how long before rating it.
TYPED_SHARE = 0.4
TYPING = timedelta(minutes=2)


def _demo_answer(
    rng: random.Random, person: DemoPerson, question: Question, questions: list[Question]
) -> str:
    """What a demo learner typed: with a chance of their skill, the first key points of
    the answer in its own words; otherwise a key point of another question (so some of
    their high ratings rest on answers that miss, which calibration then shows)."""
    if rng.random() < person.skill:
        return " ".join(question.key_points[:2])
    other = rng.choice([q for q in questions if q.pk != question.pk and q.key_points])
    return other.key_points[0]


def demo_email(person: DemoPerson) -> str:
    """The address a demo account is made with (example.com is reserved, RFC 2606)."""
    return f"{person.username}@example.com"


def _demo_account(person: DemoPerson) -> User | None:
    """The person's demo account, made now if it is missing; None when their username
    belongs to an account the demo must never write to.

    An existing account is taken for a demo one only if it still has the demo address
    and the published demo password. Anyone can sign up as "lena" with a made-up
    example.com address, but an account whose password is public is not private
    anyway; a demo account whose password was changed is left alone too."""
    user, created = User.objects.get_or_create(
        username=person.username,
        defaults={"display_name": person.display_name, "email": demo_email(person)},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    elif user.email != demo_email(person) or not user.check_password(DEMO_PASSWORD):
        return None
    return user


@transaction.atomic
def load_demo_data(*, seed: int = 2026) -> list[DemoPerson]:
    """Create the demo people and their study history, and return the people loaded.
    Running it again changes nothing. A username already taken by a real account
    (one without the demo address) is left alone, and that person is not returned."""
    questions = list(Question.objects.filter(bank__isnull=True).order_by("position"))
    if not questions:
        raise RuntimeError("Load the question bank first (python manage.py load_question_bank).")
    now = timezone.now()
    accounts = {}
    for person in DEMO_PEOPLE:
        user = _demo_account(person)
        if user is None:
            continue
        accounts[person] = user
        if person.share == 0 or user.confidence_events.exists():
            continue
        rng = random.Random(f"{seed}-{person.username}")
        studied = rng.sample(questions, round(len(questions) * person.share))
        for day_offset, question in enumerate(sorted(studied, key=lambda q: q.position)):
            when = now - timedelta(days=len(studied) - day_offset, minutes=rng.randint(0, 600))
            first = max(1, min(5, round(rng.gauss(person.skill * 5, 1))))
            if rng.random() < TYPED_SHARE:
                text = _demo_answer(rng, person, question, questions)
                record_check(user=user, question=question, text=text, at=when - TYPING)
            record_confidence(user=user, question=question, level=first, at=when)
            if rng.random() < person.skill:
                later = min(5, first + rng.randint(0, 2))
                record_confidence(
                    user=user, question=question, level=later, at=when + timedelta(days=1)
                )
        for key, text in DEMO_NOTES.items():
            if person.skill >= 0.5:
                save_note(user=user, question=Question.objects.get(key=key), text=text)
    instructor = next((u for p, u in accounts.items() if p.role == "instructor"), None)
    if instructor is not None:
        learners = [u for p, u in accounts.items() if p.role == "learner"]
        _load_demo_team(now, instructor, learners)
    return list(accounts)


def _load_demo_team(now: datetime, instructor: User, learners: list[User]) -> None:
    """The demo instructor's team: learners, two topic sets and their assignments, and
    team progress on, with two of the three learners sharing theirs."""
    if Team.objects.filter(name=DEMO_TEAM, memberships__user=instructor).exists():
        return
    team = create_team(name=DEMO_TEAM, creator=instructor)
    team.show_progress_to_members(True)
    for learner in learners:
        membership, _joined = join_team(team=team, user=learner)
        if learner.username in DEMO_SHARERS:
            membership.share_progress(True)
    week3 = TopicSet.objects.create(
        team=team,
        name="Week 3: deployment and robustness",
        description="Getting models into production and keeping them reliable.",
        created_by=instructor,
    )
    week3.topics.set(Topic.objects.filter(slug__in=["deployment", "robustness"]))
    detection = TopicSet.objects.create(
        team=team, name="Detection warm-up", description="Three classics.", created_by=instructor
    )
    detection.questions.set(Question.objects.filter(key__in=["cnn-05", "cnn-23", "cnn-24"]))
    today = timezone.localdate(now)
    Assignment.objects.create(
        team=team, topic_set=week3, due_date=today + timedelta(days=7), created_by=instructor
    )
    Assignment.objects.create(
        team=team, topic_set=detection, due_date=today - timedelta(days=2), created_by=instructor
    )
    _load_demo_team_bank(team, instructor)
    assert team.memberships.instructors().exists()


#: The demo team's own questions: what its instructor wrote for it, in its team bank.
DEMO_TEAM_QUESTIONS = [
    (
        "cv-prep-latency-budget",
        "How would you split a 50 ms latency budget for a camera-to-alert detection service?",
        "Measure each stage first: capture and decode, pre-processing, the model, "
        "post-processing (NMS), and the network; give the model what is left.",
        ["deployment"],
    ),
    (
        "cv-prep-night-shift",
        "Our detector misses people at night. What do you check before collecting more data?",
        "Whether night images were in training at all, exposure and noise, the confidence "
        "threshold per condition, and a labelled night slice to measure recall on.",
        ["robustness", "our-cases"],
    ),
]


def _load_demo_team_bank(team: Team, instructor: User) -> None:
    """Two questions and a topic of the team's own, which only its members see, named
    and numbered as the editor and the importer name and number a team's own."""
    in_view = [team.bank_id]
    own_topic = Topic.objects.create(
        slug=bank_name("our-cases", team.bank, TOPIC_SLUG_MAX),
        name="Our production cases",
        description="Questions from the team's own projects.",
        position=(Topic.objects.in_scope(in_view).aggregate(top=Max("position"))["top"] or 0) + 1,
        bank=team.bank,
    )
    topics = {t.slug: t for t in Topic.objects.in_scope(in_view)}
    topics["our-cases"] = own_topic
    top = Question.objects.live_in(in_view).aggregate(top=Max("position"))["top"] or 0
    for offset, (key, text, answer, slugs) in enumerate(DEMO_TEAM_QUESTIONS, start=1):
        question = Question.objects.create(
            key=bank_name(key, team.bank, KEY_MAX),
            position=top + offset,
            text=text,
            bank=team.bank,
            created_by=instructor,
        )
        Answer.objects.create(question=question, kind=Answer.Kind.CONCISE, text=answer)
        refresh_key_points([question])
        question.topics.set([topics[slug] for slug in slugs if slug in topics])
    assert own_topic.questions.exists()
