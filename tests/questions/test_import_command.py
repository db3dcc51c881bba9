"""The `import_questions` management command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from questions.models import Question, Topic
from tests.questions.conftest import NOTEBOOK
from tests.questions.test_import_parsers import EXAMPLES
from tests.questions.test_import_services import Q10_REWORDED, snapshot

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_questions", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as info:
        run(*args)
    return str(info.value)


def test_imports_a_markdown_file_and_says_what_it_found(seed_bank):
    output = run(str(EXAMPLES / "questions.md"))
    assert output.splitlines() == [
        "Importing into the library.",
        "Format: Markdown (detected)",
        "Questions found: 3",
        "Answers found: 3",
        "New questions: 3",
        "Already in the bank: 0",
        "Likely duplicates: 0",
        "New topics: 2",
        "Topic vision-transformers “Vision transformers” (new): 2 new questions",
        "Topic efficient-inference “Efficient inference” (new): 1 new question",
        "Imported 3 questions, 3 answers, 2 new topics, 3 topic links.",
    ]
    assert Question.objects.count() == 53


def test_importing_twice_adds_nothing(seed_bank):
    run(str(EXAMPLES / "questions.csv"))
    before = snapshot()
    output = run(str(EXAMPLES / "questions.csv"))
    assert "New questions: 0\nAlready in the bank: 3\n" in output
    assert output.endswith("Imported nothing. Skipped: 3 already in the bank.\n")
    assert snapshot() == before


def test_dry_run_writes_nothing(seed_bank):
    before = snapshot()
    output = run(str(EXAMPLES / "questions.json"), "--dry-run")
    assert "New questions: 2\n" in output and "Topic video “Video understanding” (new)" in output
    assert output.endswith("Dry run: nothing was written.\n")
    assert snapshot() == before


def test_topic_option_and_explicit_format(seed_bank):
    output = run(
        str(EXAMPLES / "numbered.txt"), "--format", "numbered", "--topic", "segmentation",
        "--topic", "Week 3 reading",
    )  # fmt: skip
    assert output.startswith(
        "Importing into the library.\nFormat: Numbered list with an answer section\n"
    )
    assert output.endswith("Imported 2 questions, 2 answers, 1 new topic, 4 topic links.\n")
    week3 = Topic.objects.get(slug="week-3-reading")
    assert week3.name == "Week 3 reading"
    assert week3.questions.count() == 2
    assert Topic.objects.get(slug="segmentation").questions.count() == 7


def test_seed_file_against_the_seed_bank_changes_nothing(seed_bank):
    before = snapshot()
    output = run(str(NOTEBOOK))
    assert "Already in the bank: 50\n" in output
    assert snapshot() == before


def test_likely_duplicates_are_listed_and_kept_only_when_asked(seed_bank, tmp_path):
    path = tmp_path / "dup.md"
    path.write_text(f"## Deployment\n\n1. {Q10_REWORDED}\n   Teacher and student.\n")
    output = run(str(path))
    assert "Likely duplicates, skipped:\n" in output
    assert f"  line 3: “{Q10_REWORDED}” is 96% like cnn-10 “What is model distillation" in output
    assert Question.objects.count() == 50
    output = run(str(path), "--keep-duplicates")
    assert "Likely duplicates, kept (--keep-duplicates):\n" in output
    assert Question.objects.count() == 51


def test_errors_name_the_line_and_write_nothing(seed_bank, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("question,answer,answer_incomplete\nWhat is a stride?,The step.,maybe\n")
    before = snapshot()
    assert refused(str(path)) == (
        f"Nothing was imported. {path}, line 2: answer_incomplete must be yes or no, not “maybe”"
    )
    assert snapshot() == before


def test_questions_without_a_topic_are_refused(db, tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("1. What is a stride?\n")
    assert refused(str(path)).startswith(
        "Nothing was imported. 1 question would have no topic (line 1)"
    )
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"1. Caf\xe9?\n", "line 1: is not UTF-8 text"),
        (b"PK\x03\x04\x00\x00", "is a zip archive (a Word or Excel file?)"),
        (b"## 1. What?\x00\n", "line 1: contains a NUL byte; is this a binary file?"),
    ],
    ids=["empty", "latin-1", "zip", "nul"],
)
def test_unreadable_files_are_clear_errors(db, tmp_path, content, message):
    path = tmp_path / "file.txt"
    path.write_bytes(content)
    assert refused(str(path)).startswith(f"Nothing was imported. {path}")
    assert message in refused(str(path))


def test_missing_file_and_directory(tmp_path):
    assert refused(str(tmp_path / "nope.md")) == (
        f"Nothing was imported. {tmp_path / 'nope.md'}: cannot be read (No such file or directory)"
    )
    assert refused(str(tmp_path)) == f"Nothing was imported. {tmp_path}: is not a file"


def test_size_and_count_limits(db, tmp_path, settings):
    path = tmp_path / "many.md"
    path.write_text("".join(f"## {n}. Question {n}?\n" for n in range(1, 6)))
    settings.IMPORT_MAX_QUESTIONS = 4
    assert refused(str(path)) == (
        f"Nothing was imported. {path}: has 5 questions; the limit is 4 per import: "
        "split it into smaller files"
    )
    settings.IMPORT_MAX_BYTES = 20
    assert refused(str(path)) == (
        f"Nothing was imported. {path}: is 90\xa0bytes; the limit is 20\xa0bytes: "
        "split it into smaller files"
    )
