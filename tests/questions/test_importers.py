"""questions.importing: the two seed parsers, on the real seed files and on broken input."""

from __future__ import annotations

import pytest

from questions.importing import ParseError, parse_notebook, parse_numbered
from tests.questions.conftest import NOTEBOOK, NUMBERED

Q1 = "Can you explain the concept of feature extraction in convolutional neural networks (CNNs)?"
Q41 = (
    "Can you explain the role of attention mechanisms in CNN models "
    "and how they improve performance?"
)
Q50 = (
    "Describe the concept of multi-label classification in CNNs "
    "and techniques for solving this task."
)
NOTEBOOK_ANSWER_50 = (
    "Multi-label classification in CNNs involves assigning multiple labels to an input "
    "sample. Techniques for solving this task include binary relevance, classifier chains, "
    "label powerset, modifying CNN architectures with sigmoid activation, adapting loss "
    "functions, and using thresholding for prediction. These techniques handle label "
    "correlations, label dependencies, and the multi-label nature of the task."
)


@pytest.fixture(scope="module")
def numbered():
    return parse_numbered(NUMBERED.read_text(encoding="utf-8"), source=NUMBERED.name)


@pytest.fixture(scope="module")
def notebook():
    return parse_notebook(NOTEBOOK.read_text(encoding="utf-8"), source=NOTEBOOK.name)


def parse_error(parse, text: str, source: str = "seed.txt") -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(text, source=source)
    return info.value


def notebook_cells(count: int) -> list[str]:
    """`count` well-formed cells of five lines each: cell n starts at line 5n-4."""
    lines = []
    for n in range(1, count + 1):
        lines += ["In [None]:", f"{n}. Question {n}?", "", f"Answer {n}: Answer {n}.", ""]
    return lines


# --- The numbered seed file ----------------------------------------------------------


def test_numbered_seed_has_50_questions_and_5_answers(numbered):
    assert [q.number for q in numbered.questions] == list(range(1, 51))
    assert [a.number for a in numbered.answers] == [1, 2, 3, 4, 5]
    assert numbered.source == NUMBERED.name


def test_numbered_seed_question_text_is_whitespace_normalised(numbered):
    by_number = {q.number: q for q in numbered.questions}
    assert by_number[1].text == Q1
    # Question 41 is broken over a blank line and an indented continuation in the file.
    assert by_number[41].text == Q41
    assert by_number[50].text == Q50
    assert all(q.text == " ".join(q.text.split()) for q in numbered.questions)


def test_numbered_seed_records_the_line_of_each_item(numbered):
    by_number = {q.number: q for q in numbered.questions}
    # Question 41 takes three lines, so everything after it is two lines further down.
    assert (by_number[1].line, by_number[41].line, by_number[42].line) == (1, 41, 44)
    assert by_number[50].line == 52
    assert [a.line for a in numbered.answers] == [55, 63, 73, 84, 100]


def test_numbered_seed_answer_5_is_marked_source_incomplete(numbered):
    answers = numbered.answers_by_number()
    assert answers[5].source_incomplete is True
    assert answers[5].text.endswith("to extract hierarchical")
    assert answers[5].text.startswith("CNNs approach the task of object detection")
    assert [answers[n].source_incomplete for n in (1, 2, 3, 4)] == [False] * 4


def test_numbered_seed_answer_3_keeps_paragraphs_and_list_lines(numbered):
    text = numbered.answers_by_number()[3].text
    assert text.startswith("Transfer learning is a technique in convolutional neural networks")
    assert text.endswith("to adapt them to the target task.")
    assert (
        "to enhance the performance of the target task.\n\n"
        "The benefits of using transfer learning in CNNs are:\n"
        "- Reduced training time: Transfer learning allows"
    ) in text
    list_lines = [line for line in text.split("\n") if line.startswith("- ")]
    assert [line.split(":")[0] for line in list_lines] == [
        "- Reduced training time",
        "- Improved generalization",
        "- Effective feature extraction",
        "- Robust representations",
        "- Domain adaptation",
    ]
    assert text.count("\n\n") == 2
    assert "\n\n\n" not in text and not text.startswith("3.")


# --- The notebook seed file ----------------------------------------------------------


def test_notebook_seed_has_50_questions_and_50_answers(notebook):
    assert [q.number for q in notebook.questions] == list(range(1, 51))
    assert [a.number for a in notebook.answers] == list(range(1, 51))
    assert not any(a.source_incomplete for a in notebook.answers)


def test_notebook_seed_questions_match_the_numbered_seed(notebook, numbered):
    assert notebook.questions[0].text == Q1
    assert notebook.questions[40].text == Q41
    assert notebook.questions[49].text == Q50
    assert [q.text for q in notebook.questions] == [q.text for q in numbered.questions]
    assert (notebook.questions[0].line, notebook.questions[49].line) == (2, 275)


def test_notebook_seed_answer_50_text(notebook):
    answer = notebook.answers_by_number()[50]
    assert answer.text == NOTEBOOK_ANSWER_50
    assert answer.line == 277


def test_notebook_seed_answer_3_keeps_its_paragraphs(notebook):
    text = notebook.answers_by_number()[3].text
    assert text.startswith("Transfer learning in CNNs offers the following benefits:\n\n")
    assert "\n\nFine-tuning: Pre-trained layers are further trained" in text
    assert text.endswith("achieves strong performance even with limited data.")


# --- Broken numbered documents -------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t\n  \n"], ids=["empty", "whitespace-only"])
def test_numbered_empty_file(text):
    error = parse_error(parse_numbered, text)
    assert error.line is None
    assert str(error) == "seed.txt: the file is empty"


def test_numbered_nul_byte_names_its_line():
    error = parse_error(parse_numbered, "1. First?\n2. Sec\x00ond?\n")
    assert error.line == 2
    assert str(error) == "seed.txt, line 2: contains a NUL byte; is this a binary file?"


def test_numbered_text_before_the_first_question():
    error = parse_error(parse_numbered, "\n\nInterview questions\n1. First?\n")
    assert error.line == 3
    assert str(error) == "seed.txt, line 3: text before the first numbered question"


def test_numbered_must_start_at_question_1():
    error = parse_error(parse_numbered, "2. Second?\n3. Third?\n")
    assert error.line == 1
    assert str(error) == "seed.txt, line 1: expected question 1 first, found question 2"


def test_numbered_question_out_of_order_names_the_line():
    error = parse_error(parse_numbered, "1. First?\n2. Second?\n\n4. Fourth?\n5. Fifth?\n")
    assert error.line == 4
    assert str(error) == "seed.txt, line 4: expected question 3, found question 4"


def test_numbered_repeated_question_number():
    error = parse_error(parse_numbered, "1. First?\n2. Second?\n2. Second again?\n")
    assert str(error) == "seed.txt, line 3: expected question 3, found question 2"


def test_numbered_answer_beyond_the_questions():
    text = "1. First?\n2. Second?\n----- ANSWER -----\n1. One.\n\n2. Two.\n3. Three.\n"
    error = parse_error(parse_numbered, text)
    assert error.line == 7
    assert str(error) == "seed.txt, line 7: answer 3 has no question (there are 2)"


def test_numbered_text_between_separator_and_answer_1():
    text = "1. First?\n-----ANSWER-----\n\nHere come the answers\n1. One.\n"
    error = parse_error(parse_numbered, text)
    assert str(error) == (
        "seed.txt, line 4: expected answer 1 (a line starting '1. ') after the separator"
    )


def test_numbered_answers_only():
    error = parse_error(parse_numbered, "-----ANSWER-----\n1. One.\n")
    assert error.line is None
    assert "no numbered questions found" in str(error)


def test_numbered_small_document_with_wrapped_question_and_answers():
    text = (
        "1. What is\n\n   a stride?\n"
        "2. What is padding?\n"
        "---ANSWERS---\n"
        "1. The step.\n\nSee:\n- one\n- two\n\n\n\n"
        "2. Zeros around the edge, so that"
    )
    document = parse_numbered(text, source="small.txt")
    assert [(q.number, q.text, q.line) for q in document.questions] == [
        (1, "What is a stride?", 1),
        (2, "What is padding?", 4),
    ]
    assert [(a.number, a.text, a.line, a.source_incomplete) for a in document.answers] == [
        (1, "The step.\n\nSee:\n- one\n- two", 6, False),
        (2, "Zeros around the edge, so that", 14, True),
    ]


def test_numbered_without_answer_section_has_no_answers():
    document = parse_numbered("1. First?\n2. Second?\n")
    assert [q.text for q in document.questions] == ["First?", "Second?"]
    assert document.answers == []


def test_numbered_line_numbers_count_newlines_only():
    # U+2028 (LINE SEPARATOR) is ordinary text inside line 1 for editors, grep -n and
    # the NUL/UTF-8 checks, which all count "\n".
    error = parse_error(parse_numbered, "1. First\u2028question?\n3. Third?\n")
    assert error.line == 2


# --- Broken notebook documents -------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n \n"], ids=["empty", "whitespace-only"])
def test_notebook_empty_file(text):
    error = parse_error(parse_notebook, text, source="nb.txt")
    assert error.line is None
    assert str(error) == "nb.txt: the file is empty"


def test_notebook_nul_byte_names_its_line():
    text = "\n".join(notebook_cells(2)).replace("Answer 2.", "Answer\x00 2.")
    error = parse_error(parse_notebook, text, source="nb.txt")
    assert str(error) == "nb.txt, line 9: contains a NUL byte; is this a binary file?"


def test_notebook_text_before_the_first_cell():
    text = "\n".join(["", "Interview questions", *notebook_cells(1)])
    error = parse_error(parse_notebook, text, source="nb.txt")
    assert error.line == 2
    assert str(error) == "nb.txt, line 2: text before the first 'In [ ]:' cell"


def test_notebook_without_any_cells():
    # A document with text but no cells fails at its first line.
    error = parse_error(parse_notebook, "1. First?\n\nAnswer 1: One.\n", source="nb.txt")
    assert str(error) == "nb.txt, line 1: text before the first 'In [ ]:' cell"


def test_notebook_parser_rejects_the_numbered_seed():
    error = parse_error(parse_notebook, NUMBERED.read_text(encoding="utf-8"), source="000.txt")
    assert str(error) == "000.txt, line 1: text before the first 'In [ ]:' cell"


def test_notebook_cell_without_a_question():
    lines = notebook_cells(2)
    lines[6] = "What is padding?"  # cell 2's question line, without its number
    error = parse_error(parse_notebook, "\n".join(lines), source="nb.txt")
    assert error.line == 7
    assert str(error) == "nb.txt, line 7: expected question 2 ('2. …')"


def test_notebook_empty_cell():
    lines = notebook_cells(1) + ["In [ ]:", "", "   "] + notebook_cells(1)
    error = parse_error(parse_notebook, "\n".join(lines), source="nb.txt")
    assert error.line == 6
    assert str(error) == "nb.txt, line 6: empty cell: expected a numbered question"


def test_notebook_question_number_out_of_order():
    lines = notebook_cells(3)
    lines[11] = "4. Question 4?"  # cell 3's question
    error = parse_error(parse_notebook, "\n".join(lines), source="nb.txt")
    assert str(error) == "nb.txt, line 12: expected question 3, found question 4"


def test_notebook_answer_7_after_question_6():
    lines = notebook_cells(7)
    lines[28] = "Answer 7: Answer 6."  # cell 6: lines 26-30, its answer on line 29
    error = parse_error(parse_notebook, "\n".join(lines), source="nb.txt")
    assert error.line == 29
    assert str(error) == "nb.txt, line 29: answer 7 follows question 6"


def test_notebook_empty_answer():
    lines = notebook_cells(2)
    lines[8] = "Answer 2:   "
    error = parse_error(parse_notebook, "\n".join(lines), source="nb.txt")
    assert str(error) == "nb.txt, line 9: answer 2 is empty"


def test_notebook_small_document():
    text = (
        "In [ ]:\n1. What is\n   a stride?\n\nAnswer 1: The step.\n\n- one\n- two\n\n"
        "In [12]:\n2. No answer here?\n"
    )
    document = parse_notebook(text, source="nb.txt")
    assert [(q.number, q.text, q.line) for q in document.questions] == [
        (1, "What is a stride?", 2),
        (2, "No answer here?", 11),
    ]
    assert [(a.number, a.text, a.line) for a in document.answers] == [
        (1, "The step.\n\n- one\n- two", 5)
    ]
