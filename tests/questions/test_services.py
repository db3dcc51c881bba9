"""questions.services: reading the seed bank and loading it into the database."""

from __future__ import annotations

import dataclasses

import pytest

from questions.models import Answer, Question, Topic
from questions.services import DEFAULT_TOPIC_MAP, load_question_bank, read_seed_bank
from tests.factories import make_question, make_topic

#: PRODUCT.md, "Topics of the seed bank": slug, name, question numbers.
PRODUCT_TOPICS = [
    ("foundations", "CNN foundations", [1, 2, 16, 41]),
    ("data", "Data, augmentation and imbalance", [4, 17, 34, 35, 47, 49]),
    ("transfer-learning", "Transfer and self-supervised learning", [3, 18, 36, 48]),
    ("detection", "Object detection", [5, 19, 23, 24]),
    ("segmentation", "Segmentation", [7, 20, 21, 24, 38]),
    ("tracking", "Object tracking", [6, 22, 32]),
    ("ocr", "OCR", [8, 25]),
    ("embeddings", "Image embeddings and retrieval", [9, 26]),
    ("deployment", "Deployment and efficiency", [10, 11, 27, 28, 46]),
    ("training-at-scale", "Training at scale, frameworks and hardware", [12, 13, 14, 29, 30, 31]),
    ("robustness", "Robustness", [15, 19, 32, 33, 39, 42]),
    ("modelling", "Modelling techniques and interpretability", [40, 45, 50]),
    ("applications", "Medical imaging and multi-modal", [37, 38, 43, 44]),
]
#: PRODUCT.md: near-duplicates linked as related questions.
PRODUCT_RELATED = [
    {3, 18, 48}, {4, 34}, {6, 22}, {7, 20}, {8, 25}, {9, 26}, {10, 27},
    {11, 28}, {12, 29}, {13, 30}, {14, 31}, {15, 33}, {19, 32}, {17, 35, 47},
]  # fmt: skip

FIRST_LOAD = (
    "Question bank loaded: 55 answers created, 50 questions created, 18 related links created, "
    "54 topic links created, 13 topics created."
)


@pytest.fixture(scope="module")
def bank():
    return read_seed_bank(DEFAULT_TOPIC_MAP)


@pytest.fixture
def loaded(db, bank):
    return load_question_bank(bank)


def positions(queryset) -> list[int]:
    return sorted(queryset.values_list("position", flat=True))


def related_positions(position: int) -> set[int]:
    return set(Question.objects.get(position=position).related.values_list("position", flat=True))


# --- read_seed_bank ------------------------------------------------------------------


def test_read_seed_bank_merges_both_documents(bank):
    assert [q.key for q in bank.questions] == [f"cnn-{n:02d}" for n in range(1, 51)]
    assert [q.position for q in bank.questions] == list(range(1, 51))
    q41 = bank.questions[40]
    assert q41.text == (
        "Can you explain the role of attention mechanisms in CNN models "
        "and how they improve performance?"
    )
    assert q41.concise_answer.startswith("Attention mechanisms in CNN models enable")
    assert q41.long_answer is None
    assert all(q.concise_answer for q in bank.questions)
    assert [q.position for q in bank.questions if q.long_answer] == [1, 2, 3, 4, 5]
    assert [q.position for q in bank.questions if q.long_answer_incomplete] == [5]


def test_read_seed_bank_topics_and_related_groups(bank):
    assert [(t.slug, t.name, list(t.question_positions)) for t in bank.topics] == PRODUCT_TOPICS
    assert [t.position for t in bank.topics] == list(range(1, 14))
    assert [set(group) for group in bank.related] == PRODUCT_RELATED


# --- load_question_bank --------------------------------------------------------------


def test_load_creates_the_seed_bank(loaded):
    assert str(loaded) == FIRST_LOAD
    assert Topic.objects.count() == 13
    assert Question.objects.count() == 50
    assert Answer.objects.filter(kind=Answer.Kind.CONCISE).count() == 50
    assert positions(Question.objects.filter(answers__kind=Answer.Kind.LONG)) == [1, 2, 3, 4, 5]
    incomplete = Answer.objects.get(source_incomplete=True)
    assert (incomplete.question.position, incomplete.kind) == (5, Answer.Kind.LONG)
    assert incomplete.text.endswith("to extract hierarchical")


def test_load_stores_exact_text(loaded):
    q41 = Question.objects.get(key="cnn-41")
    assert q41.position == 41
    assert q41.text == (
        "Can you explain the role of attention mechanisms in CNN models "
        "and how they improve performance?"
    )
    q50 = Question.objects.get(key="cnn-50")
    assert q50.concise_answer.text.startswith(
        "Multi-label classification in CNNs involves assigning multiple labels"
    )
    assert q50.long_answer is None
    long3 = Question.objects.get(key="cnn-03").long_answer.text
    assert "\n\nThe benefits of using transfer learning in CNNs are:\n- Reduced" in long3


def test_every_question_has_a_topic(loaded):
    assert not Question.objects.filter(topics__isnull=True).exists()
    assert Question.topics.through.objects.count() == 54


@pytest.mark.parametrize(
    "slug, name, numbers", PRODUCT_TOPICS, ids=[slug for slug, _, _ in PRODUCT_TOPICS]
)
def test_topic_membership_matches_product_table(loaded, slug, name, numbers):
    topic = Topic.objects.get(slug=slug)
    assert topic.name == name
    assert positions(topic.questions.all()) == numbers


def test_deployment_and_robustness_membership(loaded):
    assert positions(Question.objects.filter(topics__slug="deployment")) == [10, 11, 27, 28, 46]
    assert positions(Question.objects.filter(topics__slug="robustness")) == [
        15, 19, 32, 33, 39, 42,
    ]  # fmt: skip
    # Question 19 sits in two topics.
    q19 = Question.objects.get(position=19)
    assert sorted(q19.topics.values_list("slug", flat=True)) == ["detection", "robustness"]


def test_related_groups_are_linked_symmetrically(loaded):
    assert related_positions(3) == {18, 48}
    assert related_positions(18) == {3, 48}
    assert related_positions(48) == {3, 18}
    assert related_positions(1) == set()
    for group in PRODUCT_RELATED:
        for n in group:
            assert related_positions(n) == group - {n}
    in_a_group = set().union(*PRODUCT_RELATED)
    unrelated = Question.objects.exclude(position__in=in_a_group)
    assert not unrelated.filter(related__isnull=False).exists()


def test_loading_again_changes_nothing(loaded, bank):
    before = {
        "topics": list(Topic.objects.values_list("pk", "slug", "name", "position")),
        "questions": list(Question.objects.values_list("pk", "key", "text", "position")),
        "answers": list(Answer.objects.values_list("pk", "question_id", "kind", "text")),
        "links": sorted(Question.topics.through.objects.values_list("pk", flat=True)),
        "related": sorted(Question.related.through.objects.values_list("pk", flat=True)),
    }
    report = load_question_bank(bank)
    assert report.changed is False
    assert str(report) == "Question bank is up to date: nothing changed."
    after = {
        "topics": list(Topic.objects.values_list("pk", "slug", "name", "position")),
        "questions": list(Question.objects.values_list("pk", "key", "text", "position")),
        "answers": list(Answer.objects.values_list("pk", "question_id", "kind", "text")),
        "links": sorted(Question.topics.through.objects.values_list("pk", flat=True)),
        "related": sorted(Question.related.through.objects.values_list("pk", flat=True)),
    }
    assert after == before


def test_reload_keeps_questions_added_to_seed_topics(loaded, bank):
    # `make run` reloads the seeds every time: a question imported (or added in the
    # admin) into a seed topic must keep that topic, or it would belong to none.
    deployment = Topic.objects.get(slug="deployment")
    imported = make_question(key="imported-1", topics=[deployment])

    report = load_question_bank(bank)

    assert str(report) == "Question bank is up to date: nothing changed."
    assert list(imported.topics.values_list("slug", flat=True)) == ["deployment"]
    assert positions(
        Question.objects.filter(topics__slug="deployment").exclude(pk=imported.pk)
    ) == [10, 11, 27, 28, 46]


def test_reload_moves_a_question_between_topics_and_keeps_others(loaded, bank):
    # An admin-made topic and question are not part of the seeds; a reload leaves them be.
    extra = make_question(key="extra-1", topics=[make_topic(slug="extra")])
    topics = [
        dataclasses.replace(t, question_positions=(10, 11, 27, 28))
        if t.slug == "deployment"
        else dataclasses.replace(t, question_positions=(*t.question_positions, 46))
        if t.slug == "modelling"
        else t
        for t in bank.topics
    ]
    q46 = Question.objects.get(position=46)

    report = load_question_bank(dataclasses.replace(bank, topics=topics))

    assert str(report) == "Question bank loaded: 1 topic links created, 1 topic links updated."
    assert positions(Question.objects.filter(topics__slug="deployment")) == [10, 11, 27, 28]
    assert positions(Question.objects.filter(topics__slug="modelling")) == [40, 45, 46, 50]
    assert Question.objects.get(position=46).pk == q46.pk
    assert list(extra.topics.values_list("slug", flat=True)) == ["extra"]
    assert Question.objects.count() == 51
