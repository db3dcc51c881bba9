"""Importing and exporting in a real browser.

- An instructor uploads a CSV with a mistake, reads the error, uploads the fixed file,
  checks the preview (tables, a likely duplicate to keep), confirms and finds the new
  questions; axe-core on the upload page with its error and on the preview.
- Downloads: the bank as CSV, and a learner's own data from their profile.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Locator, Page, expect

from questions.models import Question, Topic
from tests.browser.conftest import open_page
from tests.browser.test_accessibility import assert_accessible
from tests.factories import make_user, mark, note
from tests.teams.factories import make_team

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

Q10_REWORDED = (
    "What is model distillation in CNNs and how does it improve performance and efficiency?"
)
BAD_CSV = (
    "question,answer,answer_incomplete\n"
    "What is a vision transformer?,Patches as tokens.,no\n"
    "What is operator fusion?,Merged kernels.,maybe\n"
)
GOOD_CSV = (
    "question,answer,answer_incomplete\n"
    "What is a vision transformer?,Patches as tokens.,no\n"
    "What is operator fusion?,Merged kernels.,no\n"
    f'"{Q10_REWORDED}",A student learns from a teacher.,\n'
)


def h1(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def summary_value(page: Page, label: str) -> Locator:
    return page.locator(f"dt:text-is('{label}') + dd")


def choose_file(page: Page, name: str, content: str) -> None:
    payload: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": content.encode()}
    page.get_by_label("Question file").set_input_files(files=[payload])


def test_instructor_fixes_a_mistake_previews_and_confirms(page, bank_server, log_in_as, console):
    console.allow(r"status of 422")  # the refused upload
    instructor = make_user(username="iris", display_name="Iris Instructor")
    make_team("Week 3 cohort", instructor=instructor)
    log_in_as(page.context, instructor)

    open_page(page, "progress:topic_list")
    page.get_by_role("link", name="Download or import the question bank").click()
    expect(h1(page)).to_have_text("Question bank")
    expect(page.get_by_text("50 questions with 55 answers, in 13 topics.")).to_be_visible()
    page.get_by_role("link", name="Import questions").click()
    expect(h1(page)).to_have_text("Import questions")

    # A file with a mistake: refused, with the line and the reason; choices kept.
    choose_file(page, "week3.csv", BAD_CSV)
    page.get_by_label("Deployment and efficiency").check()
    page.get_by_label("New topic").fill("Week 3")
    page.get_by_role("button", name="Preview import").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the field marked below.")
    expect(
        page.get_by_text("week3.csv, line 3: answer_incomplete must be yes or no, not “maybe”")
    ).to_be_visible()
    expect(
        page.get_by_text("Line 3 reads: “What is operator fusion?,Merged kernels.,maybe”")
    ).to_be_visible()
    expect(page.get_by_label("Question file")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Deployment and efficiency")).to_be_checked()
    expect(page.get_by_label("New topic")).to_have_value("Week 3")
    assert_accessible(page, "the import page with an error")
    assert not Question.objects.filter(text="What is a vision transformer?").exists()

    # The fixed file: the preview.
    choose_file(page, "week3.csv", GOOD_CSV)
    page.get_by_role("button", name="Preview import").click()
    expect(h1(page)).to_have_text("Check the import")
    expect(summary_value(page, "Format")).to_have_text("CSV (detected)")
    expect(summary_value(page, "Questions found")).to_have_text("3")
    expect(summary_value(page, "Answers found")).to_have_text("3")
    expect(summary_value(page, "New questions")).to_have_text("2")
    expect(summary_value(page, "Likely duplicates")).to_have_text("1")
    topics = page.get_by_role("table", name="Topics the new questions join")
    week3 = topics.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Week 3"))
    expect(week3).to_contain_text("No: a new topic")
    expect(week3.get_by_role("cell").last).to_have_text("3")
    duplicates = page.get_by_role("table", name=re.compile("^Likely duplicates"))
    expect(duplicates).to_contain_text("Q10 What is model distillation in CNNs, and how")
    expect(duplicates).to_contain_text("96%")
    questions = page.get_by_role("table", name=re.compile("^Every question found in the file"))
    expect(questions.get_by_role("row")).to_have_count(4)
    assert_accessible(page, "the import preview")

    # Keep the likely duplicate, and import.
    page.get_by_role("checkbox", name="Keep line 4 as a new question").check()
    page.get_by_role("button", name="Import questions").click()
    expect(h1(page)).to_have_text("Import finished")
    expect(page.get_by_role("status")).to_contain_text(
        "Imported 3 questions, 3 answers, 1 new topic, 6 topic links, 1 related-question link."
    )
    expect(summary_value(page, "Questions added")).to_have_text("3")
    page.get_by_role("link", name=re.compile("What is operator fusion")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What is operator fusion?")

    week3_topic = Topic.objects.get(name="Week 3")
    assert week3_topic.questions.count() == 3
    kept = Question.objects.get(text=Q10_REWORDED)
    assert list(kept.related.values_list("key", flat=True)) == ["cnn-10"]


def test_learners_download_the_bank_and_their_own_data(page, bank_server, learner, log_in_as):
    question = Question.objects.get(key="cnn-05")
    mark(learner, question, 4)
    note(learner, question, "Two-stage vs one-stage")
    log_in_as(page.context, learner)

    open_page(page, "questions:bank")
    expect(
        page.get_by_text("Staff and the instructors of a team can import questions")
    ).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as CSV").click()
    download = download_info.value
    assert download.suggested_filename == "studyhub-question-bank.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "key,question,answer,answer_incomplete,long_answer,long_answer_incomplete,topics,related"
    )

    open_page(page, "accounts:profile")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data (JSON)").click()
    data = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert [(c["question"], c["label"]) for c in data["confidence"]] == [("cnn-05", "Confident")]
    assert [n["text"] for n in data["notes"]] == ["Two-stage vs one-stage"]
