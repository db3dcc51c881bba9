"""questions.importing: the import formats (Markdown, CSV, JSON), format detection,
decoding and the limits — on the seeds, the example files and real-world shaped lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from questions.importing import ImportItem, ParseError, decode_text, detect_format, parse_import
from questions.importing.csv import parse_csv
from questions.importing.json import parse_json
from questions.importing.markdown import parse_markdown
from tests.questions.conftest import NOTEBOOK, NUMBERED

EXAMPLES = Path(settings.BASE_DIR) / "fixtures" / "examples"
DOCS = Path(settings.BASE_DIR) / "docs" / "importing.md"


def error_of(parse, text: str, source: str = "q.md") -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(text, source=source)
    return info.value


def texts(document) -> list[str]:
    return [item.text for item in document.items]


# --- The seeds and the example files ---------------------------------------------------


def test_seeds_are_detected_and_read_as_imports():
    numbered = parse_import(NUMBERED.read_text(encoding="utf-8"), source="000.txt")
    notebook = parse_import(NOTEBOOK.read_text(encoding="utf-8"), source="001.txt")
    assert (numbered.format, numbered.detected) == ("numbered", True)
    assert (notebook.format, notebook.detected) == ("notebook", True)
    assert texts(numbered) == texts(notebook)
    assert len(numbered.items) == 50
    assert numbered.items[40].text == (
        "Can you explain the role of attention mechanisms in CNN models "
        "and how they improve performance?"
    )
    # The numbered seed's answers are its first five; the fifth stops mid-sentence.
    assert [bool(item.answer) for item in numbered.items[:6]] == [True] * 5 + [False]
    assert numbered.items[4].answer_incomplete is True
    assert numbered.warnings == [
        "45 questions without an answer (lines 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 and 35 more)."
    ]
    assert notebook.answer_count == 50 and notebook.warnings == []


EXAMPLE_FORMATS = {
    "numbered.txt": ("numbered", 2, 2),
    "notebook.txt": ("notebook", 2, 2),
    "questions.md": ("markdown", 3, 3),
    "questions.csv": ("csv", 3, 3),
    "questions.json": ("json", 2, 3),
    "moodle.gift": ("gift", 4, 7),
    "aiken.txt": ("aiken", 2, 4),
    "moodle.xml": ("moodle_xml", 3, 5),
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_FORMATS))
def test_every_example_file_is_detected_and_read(name):
    expected_format, questions, answers = EXAMPLE_FORMATS[name]
    document = parse_import((EXAMPLES / name).read_text(encoding="utf-8"), source=name)
    assert document.format == expected_format and document.detected
    assert (len(document.items), document.answer_count) == (questions, answers)
    assert document.warnings == []
    assert all(item.text.endswith("?") for item in document.items)


@pytest.mark.parametrize("name", sorted(EXAMPLE_FORMATS))
def test_docs_show_every_example_file_as_it_is(name):
    # docs/importing.md quotes the example files; this keeps the two from drifting apart.
    content = (EXAMPLES / name).read_text(encoding="utf-8")
    assert f"\n{content}```\n" in DOCS.read_text(encoding="utf-8")


def test_example_markdown_sections_become_topics():
    document = parse_import((EXAMPLES / "questions.md").read_text(encoding="utf-8"))
    assert [(item.line, item.topics) for item in document.items] == [
        (5, ("Vision transformers",)),
        (11, ("Vision transformers",)),
        (19, ("Efficient inference",)),
    ]
    assert document.items[2].answer.endswith(
        "stay in registers or cache:\n\n- fewer memory reads and writes\n- fewer kernel launches"
    )


# --- Markdown: real-world shapes --------------------------------------------------------

# The shape of many "N interview questions" repositories: a title, numbered question
# headings, an "Answer" sub-heading, navigation links and rules between questions.
DEVINTERVIEW_STYLE = """\
# 3 Must-Know CNN Interview Questions

<br>

## 1. What is a _Convolutional Neural Network_ (CNN)?

### Answer

A **CNN** learns filters that slide over the image.

```python
# a comment, not a heading
1. not a question either
```

<br>

## 2. Explain _pooling_ and why it is used.

<details>
<summary>Answer</summary>

Pooling shrinks feature maps, which saves computation.
</details>

**[⬆ Back to Top](#table-of-contents)**

---

## 3. What are _strides_?

They are the step of the filter.

---
"""


def test_markdown_numbered_question_headings_with_answer_wrappers():
    document = parse_markdown(DEVINTERVIEW_STYLE, source="cnn.md")
    assert [(item.line, item.text) for item in document.items] == [
        (5, "What is a _Convolutional Neural Network_ (CNN)?"),
        (18, "Explain _pooling_ and why it is used."),
        (30, "What are _strides_?"),
    ]
    first, second, third = document.items
    # The "Answer" heading goes; the code block stays whole, its "#" and "1." included.
    assert first.answer == (
        "A **CNN** learns filters that slide over the image.\n\n"
        "```python\n# a comment, not a heading\n1. not a question either\n```"
    )
    assert second.answer == "Pooling shrinks feature maps, which saves computation."
    assert third.answer == "They are the step of the filter."
    # The lone title is not a topic.
    assert all(item.topics == () for item in document.items)
    assert document.warnings == []


# Numbered items under section headings, answers indented below (or bold questions
# with the answer on the same line), as in many cheat-sheet style lists.
SECTIONED_LIST = """\
Deep learning interview questions
=================================

Some questions I was asked.

## Deployment

1. What is quantization?
   Storing weights in fewer bits.

   - faster
   - smaller
2. **What is distillation?** A student learns from a teacher.
3. How do you serve a model
   behind an HTTP API?
   Put it behind a small web server.

## Robustness

1. What is an adversarial example?
"""


def test_markdown_numbered_items_under_sections():
    document = parse_markdown(SECTIONED_LIST, source="dl.md")
    assert [(i.line, i.text, i.topics) for i in document.items] == [
        (8, "What is quantization?", ("Deployment",)),
        (13, "What is distillation?", ("Deployment",)),
        (14, "How do you serve a model behind an HTTP API?", ("Deployment",)),
        (20, "What is an adversarial example?", ("Robustness",)),
    ]
    assert [i.answer for i in document.items] == [
        "Storing weights in fewer bits.\n\n- faster\n- smaller",
        "A student learns from a teacher.",
        "Put it behind a small web server.",
        "",
    ]


def test_markdown_question_headings_ending_in_a_question_mark_and_q_labels():
    text = (
        "# ML questions\n\n"
        "## Basics\n\n"
        "### What is overfitting? 👶\n\n"
        "**Answer:** The model learns the noise of its training data.\n\n"
        "### Q: Why normalise inputs?\n\n"
        "A: Training converges faster.\n\n"
        "## Vision\n\n"
        "### Question 7: What does a 1×1 convolution do?\n\n"
        "Mixes channels.\n"
    )
    document = parse_markdown(text)
    assert [(i.text, i.answer, i.topics) for i in document.items] == [
        (
            "What is overfitting? 👶",
            "The model learns the noise of its training data.",
            ("Basics",),
        ),
        ("Why normalise inputs?", "Training converges faster.", ("Basics",)),
        ("What does a 1×1 convolution do?", "Mixes channels.", ("Vision",)),
    ]


def test_markdown_heading_with_only_a_number_takes_the_question_from_its_text():
    text = "## Question 1\nWhat is a stride?\n\nThe step of the filter.\n"
    (item,) = parse_markdown(text).items
    assert (item.text, item.answer) == ("What is a stride?", "The step of the filter.")


def test_markdown_heading_that_is_not_a_question_is_reported():
    text = (
        "## 1. What is a stride?\nThe step.\n\n"
        "## Table of contents\n- [Strides](#strides)\n- [Padding](#padding)\n\n"
        "## 2. What is padding?\nZeros around the edge.\n"
    )
    document = parse_markdown(text, source="toc.md")
    assert texts(document) == ["What is a stride?", "What is padding?"]
    assert document.warnings == [
        "Line 4: the heading “Table of contents” is not a question (no number and no "
        "question mark), so the text under it is not imported."
    ]


def test_markdown_closing_hashes_and_emphasis_are_not_part_of_the_question():
    (item,) = parse_markdown("## **1. What is a stride?** ##\nThe step.\n").items
    assert item.text == "What is a stride?"


def test_markdown_without_questions_is_a_clear_error():
    error = error_of(parse_markdown, "# Notes\n\nJust some prose, no questions.\n")
    assert error.line is None
    assert str(error) == (
        "q.md: no questions found: expected headings such as '## What is a stride?' "
        "or numbered items such as '1. What is a stride?'"
    )


def test_markdown_question_without_text_names_its_line():
    error = error_of(parse_markdown, "## 1. What is a stride?\nThe step.\n\n## 2.\n\n")
    assert str(error) == "q.md, line 4: the question has no text"


# --- CSV ---------------------------------------------------------------------------------


def test_csv_reads_every_column():
    text = (
        "key,question,answer,answer_incomplete,long_answer,long_answer_incomplete,topics,related\n"
        'cv-1,"What is a stride?","The step.",no,"Long\n\nanswer",yes,"Foundations; '
        'Data [data]",cv-2\n'
        "cv-2,What is padding?,Zeros.,,,,foundations,cv-1 ; cv-3\n"
    )
    first, second = parse_csv(text, source="bank.csv").items
    assert first == ImportItem(
        line=2,
        text="What is a stride?",
        answer="The step.",
        long_answer="Long\n\nanswer",
        long_answer_incomplete=True,
        key="cv-1",
        topics=("Foundations", "Data [data]"),
        related=("cv-2",),
    )
    # A quoted cell over three lines: the next row starts on line 5.
    assert (second.line, second.related, second.topics) == (5, ("cv-1", "cv-3"), ("foundations",))


def test_csv_header_names_are_forgiving_and_unknown_columns_are_reported():
    text = "Question;Answer;Topic;Difficulty\nWhat is a stride?;The step.;Foundations;easy\n"
    document = parse_csv(text, source="semi.csv")
    assert [(i.text, i.answer, i.topics) for i in document.items] == [
        ("What is a stride?", "The step.", ("Foundations",))
    ]
    assert document.warnings == ["Line 1: these columns are not used and are ignored: difficulty."]


def test_csv_undoes_the_formula_guard_of_spreadsheet_exports():
    text = "question,answer\n\"What is 'a-b'?\",'=SUM(A1:A2)\n"
    (item,) = parse_csv(text).items
    assert item.answer == "=SUM(A1:A2)"
    assert parse_csv("question,answer\nQ?,'plain\n").items[0].answer == "'plain"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("answer,topics\nOne.,a\n", "q.csv, line 1: the first line must name the columns"),
        ("question,question\nA?,B?\n", "q.csv, line 1: the column 'question' is named twice"),
        (
            "question,answer\nA?,One.\n,Orphan answer.\n",
            "q.csv, line 3: the question cell is empty",
        ),
        ("question,answer\nA?,One.,extra\n", "q.csv, line 2: this row has 3 cells but the first"),
        (
            "question,answer_incomplete\nA?,maybe\n",
            "q.csv, line 2: answer_incomplete must be yes or no, not “maybe”",
        ),
        ('question,answer\nA?,"never closed\nB?,x\n', "q.csv, line 2: not valid CSV: a quoted"),
        ("question,key\nA?,not a key!\n", "q.csv, line 2: key “not a key!” must be up to 80"),
        ("question,answer\n", "q.csv: no questions found: the file has only its header line"),
    ],
    ids=[
        "no-question-column",
        "repeated-column",
        "answer-without-question",
        "too-many-cells",
        "bad-flag",
        "unclosed-quote",
        "bad-key",
        "header-only",
    ],
)
def test_csv_errors_name_the_line_and_the_reason(text, message):
    assert str(error_of(parse_csv, text, source="q.csv")).startswith(message)


# --- JSON ------------------------------------------------------------------------------


def test_json_export_shape_with_topics_and_related():
    text = (EXAMPLES / "questions.json").read_text(encoding="utf-8")
    document = parse_json(text, source="video.json")
    assert [(t.slug, t.name, t.line) for t in document.topics] == [
        ("video", "Video understanding", 3)
    ]
    first, second = document.items
    assert (first.line, first.key, first.topics, first.related) == (
        10,
        "video-01",
        ("video",),
        ("video-02",),
    )
    assert second.long_answer.startswith("Optical flow estimates, for every pixel")
    assert second.topics == ("video", "tracking")


def test_json_bare_list_of_questions():
    text = '[{"question": "What is a stride?", "answer": "The step.", "topics": "Basics"}]'
    (item,) = parse_json(text).items
    assert (item.text, item.answer, item.topics) == ("What is a stride?", "The step.", ("Basics",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"questions": [\n  {"text": "A?"},\n  {"text": "B?",}\n]}',
            "q.json, line 3: not valid JSON",
        ),
        (
            '{"questions": [\n  {"text": "A?"},\n  {"answer": "B"}\n]}',
            "q.json, line 3: question 2: 'text' must be text, not nothing",
        ),
        (
            '{"questions": [{"text": 3}]}',
            "q.json, line 1: question 1: 'text' must be text, not a number",
        ),
        (
            '{"questions": [\n\n {"text": "A?", "answer_incomplete": "yes"}]}',
            "q.json, line 3: question 1: 'answer_incomplete' must be true or false",
        ),
        ('{"questions": []}', "q.json, line 1: no questions found"),
        ('{"topics": []}', "q.json, line 1: no 'questions' list"),
        ('"just a string"', "q.json, line 1: expected an object or a list, not text"),
        (
            '{"questions": [{"text": "A?", "question": "B?"}]}',
            "q.json, line 1: question 1 has both",
        ),
        (
            '{"topics": [{"slug": "a b"}], "questions": [{"text": "A?"}]}',
            "q.json, line 1: topic 1: slug “a b”",
        ),
        (
            "[" * 5000 + "]" * 5000,
            "q.json, line 1: lists and objects nested more than 20 deep (the format needs 4)",
        ),
    ],
    ids=[
        "syntax",
        "missing-text",
        "text-not-a-string",
        "bad-flag",
        "empty",
        "no-questions",
        "not-an-object",
        "text-and-question",
        "bad-topic-slug",
        "deep-nesting",
    ],
)
def test_json_errors_name_the_line_and_the_reason(text, message):
    assert str(error_of(parse_json, text, source="q.json")).startswith(message)


@pytest.mark.parametrize(
    ("value", "kind"), [('{"text": "A?"}', "an object"), ('"A?"', "text"), ("3", "a number")]
)
def test_json_errors_say_what_was_found_instead(value, kind):
    error = str(error_of(parse_json, f'{{"questions": {value}}}', source="q.json"))
    assert f"not {kind}" in error


def test_json_unknown_keys_are_reported_once_each():
    text = '[{"text": "A?", "difficulty": 2},\n {"text": "B?", "difficulty": 3, "tags": []}]'
    assert parse_json(text).warnings == [
        "These keys are not used and are ignored: difficulty (line 1), tags (line 2)."
    ]


# --- Detection, decoding, limits --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"questions": []}', "json"),
        ('  \n[\n  {"text": "A?"}\n]', "json"),
        ("In [1]:\n1. A?\nAnswer 1: a\n", "notebook"),
        ("question,answer\nA?,a\n", "csv"),
        ("Question\tAnswer\nA?\ta\n", "csv"),
        ("1. A?\n2. B?\n---ANSWER---\n1. a\n", "numbered"),
        ("1. A?\n2. B?\n", "numbered"),
        ("1. A?\n   a\n2. B?\n", "markdown"),
        ("# Title\n## What is a stride?\nThe step.\n", "markdown"),
        ("[Back](#top)\n\n## 1. A?\n", "markdown"),
    ],
)
def test_detect_format(text, expected):
    assert detect_format(text) == expected


def test_undetectable_text_asks_to_choose_the_format():
    error = error_of(detect_format, "Just a paragraph of prose.\nAnd another line.\n")
    assert "cannot tell the file's format" in str(error)
    assert "choose the format explicitly" in str(error)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"1. First?\n2. Caf\xe9?\n", "q.txt, line 2: is not UTF-8 text"),
        ("1. A?".encode("utf-16"), "q.txt: is UTF-16 text; save it as UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00", "q.txt: is a zip archive (a Word or Excel file?)"),
        (b"%PDF-1.7\n", "q.txt: is a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "q.txt: is an image, not a text file"),
    ],
    ids=["latin-1", "utf-16", "docx", "pdf", "png"],
)
def test_decode_text_says_what_the_file_is(data, message):
    with pytest.raises(ParseError) as info:
        decode_text(data, source="q.txt")
    assert str(info.value).startswith(message)


def test_decode_text_drops_a_byte_order_mark():
    assert decode_text("\ufeffquestion\nA?\n".encode(), source="q.csv") == "question\nA?\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "q.md: the file is empty"),
        ("  \n\t\n", "q.md: the file is empty"),
        ("## A?\nab\x00c\n", "q.md, line 2: contains a NUL byte; is this a binary file?"),
    ],
)
def test_empty_and_binary_text_are_clear_errors(text, message):
    with pytest.raises(ParseError) as info:
        parse_import(text, source="q.md")
    assert str(info.value) == message


def test_more_questions_than_the_limit_is_refused():
    text = "".join(f"## {n}. Question {n}?\nAnswer.\n" for n in range(1, 13))
    assert len(parse_import(text, max_questions=12).items) == 12
    with pytest.raises(ParseError) as info:
        parse_import(text, source="big.md", max_questions=11)
    assert str(info.value) == (
        "big.md: has 12 questions; the limit is 11 per import: split it into smaller files"
    )


def test_questions_only_and_answers_only():
    questions_only = parse_import("1. A?\n2. B?\n", source="q.txt")
    assert questions_only.warnings == [
        "No answers found: the questions will be imported without answers. "
        "Answers follow a line such as '-----ANSWER-----'."
    ]
    with pytest.raises(ParseError) as info:
        parse_import("-----ANSWER-----\n1. One.\n2. Two.\n", source="a.txt")
    assert str(info.value) == (
        "a.txt: no numbered questions found (expected lines like '1. …'); "
        "the file has an answer section but no questions before it"
    )


def test_unknown_format_is_an_error():
    with pytest.raises(ParseError, match="unknown format 'docx'"):
        parse_import("1. A?\n", format="docx")


def test_explicit_format_is_used_even_when_detection_would_differ():
    document = parse_import("1. A?\n   a\n2. B?\n", format="numbered")
    assert (document.format, document.detected) == ("numbered", False)
    assert texts(document) == ["A? a", "B?"]
    assert re.search(r"^No answers found", document.warnings[0])
