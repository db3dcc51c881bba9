"""questions.importing: planning an import against the bank and writing it."""

from __future__ import annotations

import json
import re

import pytest

from progress.models import ConfidenceMark, Note
from questions.importing import ImportRefused, ParseError, parse_import, plan_import, run_import
from questions.importing.planning import DUPLICATE, IN_BANK, NEW, REPEAT, derived_key
from questions.models import Answer, Question, Topic
from tests.factories import make_question, make_topic, mark, note
from tests.questions.conftest import snapshot
from tests.questions.test_import_parsers import EXAMPLES

pytestmark = pytest.mark.django_db

#: Cnn-10 of the seed bank, reworded slightly: a likely duplicate.
Q10_REWORDED = (
    "What is model distillation in CNNs and how does it improve performance and efficiency?"
)


def doc(text: str, source: str = "q.md", format: str = "auto"):
    return parse_import(text, source=source, format=format)


def example(name: str):
    return doc((EXAMPLES / name).read_text(encoding="utf-8"), source=name)


# --- Planning -------------------------------------------------------------------------


def test_plan_of_the_notebook_seed_against_the_seed_bank_is_all_in_the_bank(seed_bank):
    from tests.questions.conftest import NOTEBOOK

    plan = plan_import(doc(NOTEBOOK.read_text(encoding="utf-8"), source="001.txt"))
    assert plan.counts == {IN_BANK: 50}
    assert [q.match.key for q in plan.questions][:3] == ["cnn-01", "cnn-02", "cnn-03"]
    assert plan.problems == [] and plan.can_confirm is False


def test_plan_reports_a_likely_duplicate_with_its_match(seed_bank):
    text = f"## Deployment\n\n1. {Q10_REWORDED}\n   Teacher and student.\n2. What is a TPU?\n"
    plan = plan_import(doc(text))
    duplicate, new = plan.questions
    assert (duplicate.status, duplicate.match.key, duplicate.similarity) == (
        DUPLICATE,
        "cnn-10",
        96,
    )
    assert new.status == NEW and new.match is None
    assert [t.slug for t in duplicate.topics] == ["deployment"]
    assert plan.summary_rows() == [
        ("Format", "Markdown (detected)"),
        ("Questions found", 2),
        ("Answers found", 1),
        ("New questions", 1),
        ("Already in the bank", 0),
        ("Likely duplicates", 1),
        ("New topics", 0),
    ]


def test_exact_match_ignores_case_spacing_and_punctuation(seed_bank):
    text = (
        "1. what IS model distillation in CNNs and how does it improve model "
        "performance and efficiency\n"
    )
    plan = plan_import(doc(text), topics=["deployment"])
    (question,) = plan.questions
    assert (question.status, question.match.key) == (IN_BANK, "cnn-10")


def test_unrelated_questions_of_similar_shape_are_not_duplicates(seed_bank):
    # Both ask "explain the concept of … and its …", but about different things.
    text = "1. Explain the concept of label smoothing and its effect on calibration.\n"
    (question,) = plan_import(doc(text), topics=["deployment"]).questions
    assert question.status == NEW


def test_a_question_asked_twice_in_the_file_is_imported_once(db):
    topic = make_topic(slug="basics")
    text = "1. What is a stride?\n2. What is padding?\n3. What is a STRIDE ?\n"
    plan = plan_import(doc(text), topics=[topic.slug])
    assert [q.status for q in plan.questions] == [NEW, NEW, REPEAT]
    assert plan.questions[2].first_line == 1
    assert plan.warnings[-1] == "Line 3 asks the question of line 1 again; it is imported once."
    report = run_import(doc(text), topics=[topic.slug])
    assert report.created["questions"] == 2 and report.skipped[REPEAT] == 1


def test_a_key_used_twice_for_different_questions_is_an_error(db):
    text = "question,key,topics\nWhat is a stride?,q-1,a\nWhat is padding?,q-1,a\n"
    with pytest.raises(ParseError) as info:
        plan_import(doc(text, source="q.csv"))
    assert str(info.value) == "q.csv, line 3: key 'q-1' is used again (first on line 2)"


def test_a_key_already_in_the_bank_for_other_text_is_skipped_with_a_warning(db):
    make_question(key="q-1", text="What is a stride?", topics=[make_topic(slug="a")])
    text = "question,key,topics\nWhat is dilation?,q-1,a\n"
    plan = plan_import(doc(text, source="q.csv"))
    assert plan.questions[0].status == IN_BANK
    assert plan.warnings[1:] == [
        "Line 2: the key 'q-1' is already in the bank for a different question "
        "(“What is a stride?”). Import never changes questions already in the bank, "
        "so this one is skipped."
    ]


def test_questions_without_a_topic_are_refused(db):
    text = "1. What is a stride?\n2. What is padding?\n"
    plan = plan_import(doc(text))
    assert plan.problems == [
        "2 questions would have no topic (lines 1, 2), and every question needs at least "
        "one to be found. Choose a topic for the whole file, or name topics in the file."
    ]
    with pytest.raises(ImportRefused):
        run_import(doc(text))
    assert Question.objects.count() == 0


# --- Topics ------------------------------------------------------------------------------


def test_topics_by_slug_name_and_new(seed_bank):
    text = (
        "question,topics\n"
        "What is a stride?,Deployment and efficiency\n"  # an existing name
        "What is padding?,robustness; Week 3: basics\n"  # a slug and a new name
        "What is dilation?,Convolutions [convs]\n"  # a new topic with its slug
        "What is a tensor core?,ハードウェア\n"  # no Latin letters: a slug from a hash
    )
    plan = plan_import(doc(text, source="t.csv"), topics=["new-stuff"])
    assert [(t.slug, t.name, t.is_new) for t in plan.topics] == [
        ("new-stuff", "New stuff", True),
        ("deployment", "Deployment and efficiency", False),
        ("robustness", "Robustness", False),
        ("week-3-basics", "Week 3: basics", True),
        ("convs", "Convolutions", True),
        (plan.topics[5].slug, "ハードウェア", True),
    ]
    assert re.fullmatch(r"topic-[0-9a-f]{8}", plan.topics[5].slug)
    assert [[t.slug for t in q.topics] for q in plan.questions][:2] == [
        ["deployment", "new-stuff"],
        ["robustness", "week-3-basics", "new-stuff"],
    ]

    report = run_import(doc(text, source="t.csv"), topics=["new-stuff"])
    assert report.created["topics"] == 4
    new_topics = Topic.objects.filter(slug__in=["new-stuff", "week-3-basics", "convs"])
    assert sorted(new_topics.values_list("position", flat=True)) == [14, 15, 16]
    assert list(Topic.objects.get(slug="convs").questions.values_list("text", flat=True)) == [
        "What is dilation?"
    ]


def test_a_topic_name_that_is_too_long_names_its_line(db):
    text = f"question,topics\nWhat is a stride?,{'Very long ' * 13}\n"
    with pytest.raises(ParseError) as info:
        plan_import(doc(text, source="t.csv"))
    assert str(info.value).startswith("t.csv, line 2: topic name “Very long Very long")
    assert str(info.value).endswith("is longer than 120 characters")


# --- Writing -----------------------------------------------------------------------------


def test_run_import_writes_questions_answers_and_topics_after_the_bank(seed_bank):
    report = run_import(example("questions.md"))
    assert str(report) == "Imported 3 questions, 3 answers, 2 new topics, 3 topic links."
    added = Question.objects.filter(key__in=report.keys).order_by("position")
    assert [q.position for q in added] == [51, 52, 53]
    assert [q.key for q in added] == [derived_key(q.text) for q in added]
    assert all(re.fullmatch(r"imp-[0-9a-f]{12}", q.key) for q in added)
    assert added[0].concise_answer.text.startswith("It cuts the image into fixed-size patches")
    assert list(Topic.objects.filter(position__gt=13).values_list("slug", "name")) == [
        ("vision-transformers", "Vision transformers"),
        ("efficient-inference", "Efficient inference"),
    ]


def test_importing_the_same_file_twice_adds_nothing(seed_bank):
    run_import(example("questions.json"))
    run_import(example("questions.csv"))
    before = snapshot()
    again = [run_import(example("questions.json")), run_import(example("questions.csv"))]
    assert [str(r) for r in again] == [
        "Imported nothing. Skipped: 2 already in the bank.",
        "Imported nothing. Skipped: 3 already in the bank.",
    ]
    assert snapshot() == before


def test_json_keys_long_answers_and_related_links(seed_bank):
    report = run_import(example("questions.json"))
    assert report.created["related links"] == 1
    video_1, video_2 = Question.objects.filter(key__startswith="video-").order_by("key")
    assert list(video_1.related.all()) == [video_2]
    assert video_2.long_answer.text.startswith("Optical flow estimates, for every pixel")
    assert sorted(video_2.topics.values_list("slug", flat=True)) == ["tracking", "video"]
    assert (
        Topic.objects.get(slug="video").description == "Models that look at time as well as space."
    )


def test_related_keys_may_point_into_the_bank_and_unknown_ones_are_reported(seed_bank):
    text = (
        '[{"text": "What is a vision transformer?", "topics": ["foundations"],'
        ' "related": ["cnn-41", "nope-1"]}]'
    )
    plan = plan_import(doc(text, source="r.json"))
    assert plan.warnings[1:] == [
        "Line 1: the related question 'nope-1' is neither in this file nor in the bank; "
        "that link is left out."
    ]
    run_import(doc(text, source="r.json"))
    added = Question.objects.get(text="What is a vision transformer?")
    assert list(added.related.values_list("key", flat=True)) == ["cnn-41"]
    assert "What is a vision transformer?" in Question.objects.get(
        key="cnn-41"
    ).related.values_list("text", flat=True)


def test_likely_duplicates_are_skipped_unless_kept(seed_bank):
    text = f"## Deployment\n\n1. {Q10_REWORDED}\n   Teacher and student.\n"
    plan = plan_import(doc(text))
    key = plan.questions[0].key

    skipped = run_import(doc(text))
    assert str(skipped) == "Imported nothing. Skipped: 1 likely duplicate."
    assert not Question.objects.filter(key=key).exists()

    kept = run_import(doc(text), keep={key, "forged-key"})
    assert str(kept) == ("Imported 1 question, 1 answer, 1 topic link, 1 related-question link.")
    # A kept near-duplicate is linked to the question it resembles.
    assert list(Question.objects.get(key=key).related.values_list("key", flat=True)) == ["cnn-10"]
    # Now it is in the bank: importing the file again adds nothing.
    assert str(run_import(doc(text), keep_all_duplicates=True)) == (
        "Imported nothing. Skipped: 1 already in the bank."
    )


def test_import_never_touches_existing_questions_or_learners_progress(seed_bank, user):
    q10 = Question.objects.get(key="cnn-10")
    mark(user, q10, 4)
    note(user, q10, "distillation: teacher → student")
    before = snapshot()
    progress = (list(ConfidenceMark.objects.values_list()), list(Note.objects.values_list()))
    text = (
        "question,key,answer,topics\n"
        "What is model distillation in CNNs?,cnn-10,Changed!,robustness\n"  # key in the bank
    )
    assert str(run_import(doc(text, source="x.csv"))) == (
        "Imported nothing. Skipped: 1 already in the bank."
    )
    assert snapshot() == before
    assert progress == (
        list(ConfidenceMark.objects.values_list()),
        list(Note.objects.values_list()),
    )


def test_a_failure_while_writing_leaves_the_bank_as_it_was(seed_bank, monkeypatch):
    before = snapshot()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Answer.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        run_import(example("questions.md"))  # its two new topics are created first
    assert snapshot() == before


@pytest.mark.parametrize("bank_size", [5, 40])
def test_planning_takes_the_same_queries_for_any_bank_size(
    db, bank_size, django_assert_num_queries
):
    topic = make_topic(slug="basics")
    for n in range(bank_size):
        make_question(text=f"What is thing number {n} of the bank?", topics=[topic])
    text = "".join(f"{n}. What is new thing {n}?\n" for n in range(1, bank_size + 1))
    document = doc(text)
    # Existing topics, keys the file wants that banks out of view hold, the bank's questions.
    with django_assert_num_queries(3):
        plan = plan_import(document, topics=["basics"])
    assert plan.counts[NEW] == bank_size


def test_a_question_cannot_take_the_key_of_the_editors_address(db):
    """/questions/new/ writes a question, so a file's key "new" becomes another."""
    text = json.dumps({"questions": [{"key": "new", "text": "What is new?", "topics": ["t"]}]})
    plan = plan_import(parse_import(text, source="f.json", format="json"))
    assert [q.key for q in plan.questions] == ["new-question"]
