"""The `load_question_bank` management command."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from progress.models import ConfidenceEvent, ConfidenceMark, Note
from questions.models import Answer, Question, Topic
from tests.factories import mark, note
from tests.questions.conftest import NOTEBOOK, NUMBERED, replace_in, snapshot

Q1_LINE = (
    "1. Can you explain the concept of feature extraction in convolutional neural networks (CNNs)?"
)
Q10_LINE = (
    "10. What is model distillation in CNNs, and how does it improve model performance "
    "and efficiency?"
)
Q10_FIXED = Q10_LINE.replace("model distillation", "knowledge distillation")
ANSWER_10_START = "Answer 10: Model distillation in CNNs involves transferring knowledge"
ANSWER_10_FIXED = "Answer 10: Knowledge distillation in CNNs involves transferring knowledge"


def run(*args: str) -> str:
    out = StringIO()
    call_command("load_question_bank", *args, stdout=out)
    return out.getvalue().strip()


def counts() -> tuple[int, int, int]:
    return Topic.objects.count(), Question.objects.count(), Answer.objects.count()


# --- Loading the real seeds ----------------------------------------------------------


@pytest.mark.django_db
def test_command_loads_the_seed_bank():
    output = run()
    assert output == (
        "Question bank loaded: 55 answers created, 50 questions created, "
        "18 related links created, 54 topic links created, 13 topics created."
    )
    assert counts() == (13, 50, 55)
    assert Answer.objects.filter(kind=Answer.Kind.LONG).count() == 5
    assert list(
        Answer.objects.filter(source_incomplete=True).values_list("question__key", "kind")
    ) == [("cnn-05", "long")]


@pytest.mark.django_db
def test_second_run_reports_nothing_changed_and_keeps_rows():
    run()
    before = snapshot()
    assert run() == "Question bank is up to date: nothing changed."
    assert snapshot() == before
    assert counts() == (13, 50, 55)


@pytest.mark.django_db
def test_topic_map_option_reads_seeds_next_to_it(seed_copy):
    replace_in(seed_copy, '"name": "OCR"', '"name": "Optical character recognition"')
    output = run("--topic-map", str(seed_copy))
    assert output.startswith("Question bank loaded: ")
    assert Topic.objects.get(slug="ocr").name == "Optical character recognition"


# --- Fixing text in place ------------------------------------------------------------


@pytest.mark.django_db
def test_text_fix_updates_in_place_and_keeps_learner_progress(seed_copy, user):
    run()
    q10 = Question.objects.get(key="cnn-10")
    answers_before = dict(q10.answers.values_list("kind", "pk"))
    my_mark = mark(user, q10, 4)
    my_note = note(user, q10, "Teacher → student, *soft* targets")
    progress_before = {
        "marks": list(ConfidenceMark.objects.values_list()),
        "events": list(ConfidenceEvent.objects.values_list()),
        "notes": list(Note.objects.values_list()),
    }
    assert progress_before["marks"] and progress_before["events"]

    folder = seed_copy.parent
    replace_in(folder / NUMBERED.name, Q10_LINE, Q10_FIXED)
    replace_in(folder / NOTEBOOK.name, Q10_LINE, Q10_FIXED)
    replace_in(folder / NOTEBOOK.name, ANSWER_10_START, ANSWER_10_FIXED)

    output = run("--topic-map", str(seed_copy))

    assert output == "Question bank loaded: 1 answers updated, 1 questions updated."
    fixed = Question.objects.get(pk=q10.pk)
    assert fixed.key == "cnn-10"
    assert fixed.text == Q10_FIXED.removeprefix("10. ")
    concise = fixed.answers.get(kind=Answer.Kind.CONCISE)
    assert concise.pk == answers_before["concise"]
    assert concise.text.startswith("Knowledge distillation in CNNs involves transferring")
    assert counts() == (13, 50, 55)
    assert progress_before == {
        "marks": list(ConfidenceMark.objects.values_list()),
        "events": list(ConfidenceEvent.objects.values_list()),
        "notes": list(Note.objects.values_list()),
    }
    assert ConfidenceMark.objects.get(user=user).question_id == q10.pk == my_mark.question_id
    assert Note.objects.get(pk=my_note.pk).question_id == q10.pk
    # Loading the fixed copy again is a no-op.
    assert run("--topic-map", str(seed_copy)) == "Question bank is up to date: nothing changed."


@pytest.mark.django_db
def test_question_changed_in_one_file_only_is_refused(seed_copy):
    replace_in(seed_copy.parent / NUMBERED.name, Q10_LINE, Q10_FIXED)
    with pytest.raises(CommandError) as info:
        run("--topic-map", str(seed_copy))
    notebook = seed_copy.parent / NOTEBOOK.name
    numbered = seed_copy.parent / NUMBERED.name
    assert str(info.value) == (
        f"Nothing was loaded. {notebook}, line 75: question 10 differs from {numbered} line 10"
    )
    assert counts() == (0, 0, 0)


# --- Malformed sources ---------------------------------------------------------------


def _bad_numbered_line(folder: Path) -> None:
    path = folder / NUMBERED.name
    replace_in(path, "\n20. Explain the concept", "\n21. Explain the concept")


def _invalid_json(folder: Path) -> None:
    replace_in(folder / "topic_map.json", '"key_prefix": "cnn-",', '"key_prefix": "cnn-"')


def _not_utf8(folder: Path) -> None:
    path = folder / NOTEBOOK.name
    data = path.read_bytes()
    old = b"Answer 2: Backpropagation"
    assert data.count(old) == 1
    path.write_bytes(data.replace(old, b"Answer 2: Back\xffpropagation"))


def _edit_topics(folder: Path, edit) -> None:
    path = folder / "topic_map.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit({t["slug"]: t for t in data["topics"]})
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _topic_names_question_99(folder: Path) -> None:
    _edit_topics(folder, lambda topics: topics["deployment"]["questions"].append(99))


def _question_without_topic(folder: Path) -> None:
    _edit_topics(folder, lambda topics: topics["deployment"]["questions"].remove(46))


MALFORMED = {
    "numbered-bad-line": (
        _bad_numbered_line,
        "{numbered}, line 20: expected question 20, found question 21",
    ),
    "topic-map-invalid-json": (
        _invalid_json,
        "{topic_map}, line 4: invalid JSON: Expecting ',' delimiter",
    ),
    "notebook-not-utf8": (_not_utf8, "{notebook}, line 9: is not UTF-8 text"),
    "topic-names-question-99": (
        _topic_names_question_99,
        "{topic_map}: topic 'deployment' names question 99, which does not exist",
    ),
    "question-without-topic": (
        _question_without_topic,
        "{topic_map}: questions without a topic: [46]",
    ),
}


def _corrupt(seed_copy: Path, case: str) -> str:
    """Corrupt the copy; also fix question 1's text, which must then not be loaded."""
    folder = seed_copy.parent
    fixed_q1 = Q1_LINE.replace("Can you explain", "Explain")
    replace_in(folder / NUMBERED.name, Q1_LINE, fixed_q1)
    replace_in(folder / NOTEBOOK.name, Q1_LINE, fixed_q1)
    corrupt, message = MALFORMED[case]
    corrupt(folder)
    return "Nothing was loaded. " + message.format(
        numbered=folder / NUMBERED.name, notebook=folder / NOTEBOOK.name, topic_map=seed_copy
    )


@pytest.mark.django_db
@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_source_on_empty_database_writes_nothing(seed_copy, case):
    expected = _corrupt(seed_copy, case)
    with pytest.raises(CommandError) as info:
        run("--topic-map", str(seed_copy))
    assert str(info.value) == expected
    assert counts() == (0, 0, 0)
    assert not Question.topics.through.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_source_on_loaded_database_changes_nothing(seed_copy, case):
    run()
    before = snapshot()
    expected = _corrupt(seed_copy, case)
    with pytest.raises(CommandError) as info:
        run("--topic-map", str(seed_copy))
    assert str(info.value) == expected
    assert snapshot() == before
    assert Question.objects.get(key="cnn-01").text.startswith("Can you explain")


@pytest.mark.django_db
def test_missing_topic_map_is_a_command_error(tmp_path):
    missing = tmp_path / "nowhere.json"
    with pytest.raises(CommandError) as info:
        run("--topic-map", str(missing))
    assert str(info.value) == (
        f"Nothing was loaded. {missing}: cannot be read (No such file or directory)"
    )


@pytest.mark.django_db
def test_seed_file_with_utf8_byte_order_mark_loads(seed_copy):
    path = seed_copy.parent / NUMBERED.name
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    run("--topic-map", str(seed_copy))
    assert counts() == (13, 50, 55)


def _topic_entry_not_an_object(data: dict) -> None:
    data["topics"].append("deployment")


def _topic_name_too_long(data: dict) -> None:
    data["topics"][0]["name"] = "CNN foundations " * 10  # Topic.name is max 120 characters


def _key_prefix_not_a_slug(data: dict) -> None:
    data["key_prefix"] = "CNN Q"  # keys "CNN Q01": no URL can be made for them


@pytest.mark.django_db
@pytest.mark.parametrize(
    "corrupt", [_topic_entry_not_an_object, _topic_name_too_long, _key_prefix_not_a_slug]
)
def test_topic_map_with_wrong_shape_is_a_command_error(seed_copy, corrupt):
    data = json.loads(seed_copy.read_text(encoding="utf-8"))
    corrupt(data)
    seed_copy.write_text(json.dumps(data, indent=2), encoding="utf-8")
    with pytest.raises(CommandError) as info:
        run("--topic-map", str(seed_copy))
    assert str(info.value).startswith(f"Nothing was loaded. {seed_copy}")
    assert counts() == (0, 0, 0)
