"""Every parser, fed anything: it returns a document or raises a ParseError that names
the source — never another exception, which would reach an instructor as a traceback."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from questions.importing import (
    CSV_COLUMNS,
    FORMATS,
    ImportDocument,
    ParseError,
    decode_text,
    detect_format,
    parse_import,
    parse_notebook,
    parse_numbered,
)
from questions.importing.aiken import parse_aiken
from questions.importing.anki import parse_anki_notes
from questions.importing.csv import parse_csv
from questions.importing.document import (
    ANSWER_MAX_CHARS,
    ITEMS_MAX,
    JSON_DEPTH_MAX,
    JSON_KEYS_MAX,
    JSON_NUMBER_MAX_CHARS,
    LINE_MAX_CHARS,
    QUESTION_MAX_CHARS,
    RELATED_PER_QUESTION_MAX,
    TOPICS_PER_QUESTION_MAX,
    ParsedDocument,
)
from questions.importing.gift import parse_gift
from questions.importing.html import html_to_markdown, html_to_text
from questions.importing.json import parse_json
from questions.importing.markdown import parse_markdown
from questions.importing.moodle_xml import parse_moodle_xml
from studyhub.markdown import render_markdown

FUZZ = settings(max_examples=200, deadline=None)
SOURCE = "fuzz.txt"

#: Lines that mean something to one parser or another, to mix with random text.
FRAGMENTS = [
    "",
    "   ",
    "1. What is a stride?",
    "2. What is padding?",
    "3.",
    "  4. indented item",
    "12345678901. a very long number",
    "-----ANSWER-----",
    "--- ANSWERS ---",
    "In [ ]:",
    "In [None]:",
    "Answer 1: The step.",
    "Answer 2:",
    "# Title",
    "## 1. What is a CNN?",
    "### Answer",
    "## Section",
    "#",
    "```",
    "~~~",
    "<details>",
    "<summary>Answer</summary>",
    "**A:** bold answer",
    "---",
    "question,answer,topics",
    "key;question;answer",
    '"What, with a comma?","An ""answer""",topic',
    '"never closed',
    "'=SUM(A1)",
    "{",
    "}",
    "[",
    '{"questions": [',
    '{"text": "A?", "answer": "a"}',
    '"topics": [{"slug": "x", "name": "X"}],',
    "]}",
    "null",
    "Topic [slug]",
    "\u2028",
    "\r",
    "\t",
    "::Q1:: What is a stride? {",
    "=the step #right",
    "~%50%half #part",
    "~%-100%wrong",
    "}",
    "{T}",
    "{FALSE#no#yes}",
    "{#3:1}",
    "{=a -> b}",
    "####general",
    "$CATEGORY: $course$/top/CNN",
    "[html]<p>What?</p>{}",
    "\\{ \\} \\= \\~ \\# \\:",
    "// comment",
    "A. an option",
    "B) another",
    "ANSWER: B",
    "ANSWER: Z",
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<quiz>",
    "</quiz>",
    '<question type="multichoice">',
    '<question type="category"><category><text>$course$/top/X</text></category></question>',
    '<questiontext format="html"><text><![CDATA[<p>Which?</p>]]></text></questiontext>',
    '<answer fraction="100"><text>a</text></answer>',
    "</question>",
    "<!DOCTYPE quiz>",
    "&amp; &lt; &bogus;",
    '{"format": "studyhub-anki-notes", "cloze": 2, "media": 1}',
    '{"note": 1, "question": "What?", "answer": "a", "long_answer": "", "tags": ["x"]}',
    '{"note": 2, "question": "", "answer": 1, "long_answer": null, "tags": "x"}',
]

lines = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=25)
shaped_text = lines.map("\n".join)

# Text that is mostly well formed for one format, so the fuzzing reaches past the first
# check; `mutated` then may slip in a stray line or two.
TOKENS = ["what", "is", "a", "stride", "?", "CNN", ",", '"', "'", "=", "é", "#", "1.", "-", ";"]
sentence = st.lists(
    st.one_of(st.sampled_from(TOKENS), st.text(min_size=1, max_size=12)), min_size=1, max_size=6
).map(" ".join)


@st.composite
def mutated(draw, document_lines: list[str]) -> str:
    document_lines = list(document_lines)
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, len(document_lines)))
        stray = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)))
        document_lines.insert(position, stray)
    return "\n".join(document_lines)


@st.composite
def numbered_documents(draw) -> str:
    count = draw(st.integers(1, 6))
    out = [f"{n}. {draw(sentence)}" for n in range(1, count + 1)]
    if draw(st.booleans()):
        out.append(draw(st.sampled_from(["-----ANSWER-----", "--- ANSWERS ---"])))
        for n in range(1, draw(st.integers(0, count)) + 1):
            out += [f"{n}. {draw(sentence)}", *draw(st.lists(sentence, max_size=2))]
    return draw(mutated(out))


@st.composite
def notebook_documents(draw) -> str:
    out = []
    for n in range(1, draw(st.integers(1, 5)) + 1):
        out += ["In [ ]:", f"{n}. {draw(sentence)}", ""]
        if draw(st.booleans()):
            out += [f"Answer {n}: {draw(sentence)}", *draw(st.lists(sentence, max_size=2))]
    return draw(mutated(out))


@st.composite
def markdown_documents(draw) -> str:
    out = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["question", "item", "section", "body", "code"]))
        if kind == "question":
            prefix = draw(st.sampled_from(["", "1. ", "Q: ", "Question 2", "**"]))
            suffix = draw(st.sampled_from(["?", "", " ##", "?**"]))
            level = "#" * draw(st.integers(1, 4))
            out.append(f"{level} {prefix}{draw(sentence)}{suffix}")
        elif kind == "item":
            out.append(f"{draw(st.integers(1, 20))}. {draw(sentence)}?")
        elif kind == "section":
            out.append(f"## {draw(sentence)}")
        elif kind == "body":
            body = st.one_of(
                sentence,
                sentence.map(lambda text: "   " + text),
                st.sampled_from(["<details>", "</details>", "**Answer:**", "---", ""]),
            )
            out += draw(st.lists(body, max_size=3))
        else:
            out += ["```", draw(sentence), "# not a heading", "1. not an item", "```"]
    return draw(mutated(out))


CELLS = st.one_of(
    sentence,
    st.sampled_from(["yes", "no", "", "true", "maybe", "a; b", "Name [slug]", "cnn-01", "'=1"]),
    st.text(max_size=15),
)


@st.composite
def csv_documents(draw) -> str:
    columns = draw(
        st.lists(st.sampled_from([*CSV_COLUMNS, "notes"]), unique=True, min_size=1, max_size=5)
    )
    if "question" not in columns and draw(st.integers(0, 9)):
        columns.insert(0, "question")
    rows = draw(st.lists(st.lists(CELLS, min_size=len(columns), max_size=len(columns)), max_size=5))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=draw(st.sampled_from([",", ";", "\t"])))
    writer.writerow(columns)
    writer.writerows(rows)
    return draw(mutated(out.getvalue().split("\n")))


HTML_BITS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<b>",
        "</b>",
        "<ul><li>",
        "</li></ul>",
        "<ol>",
        "<li>",
        "<br>",
        "<pre>",
        "</pre>",
        "<code>",
        "</code>",
        '<a href="https://x.org">',
        '<a href="javascript:x">',
        "</a>",
        '<img alt="a">',
        "<script>",
        "</script>",
        "&amp;",
        "&#0;",
        "&#x110000;",
        "<!--",
        "-->",
        "<![CDATA[",
        "<![ x",
        "<![",
        "]]>",
        "<!",
        "<?x",
        "</",
        "<",
        ">",
        "```",
        "*",
        "_",
        "#",
        "1.",
    ]
)
html_text = st.lists(st.one_of(HTML_BITS, sentence, st.text(max_size=8)), max_size=20).map("".join)


@st.composite
def gift_documents(draw) -> str:
    out = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.integers(0, 4)) == 0:
            out += [f"$CATEGORY: {draw(sentence)}", ""]
        title = draw(st.sampled_from(["", "::Q1:: ", "::", "[html]", "[markdown]"]))
        options = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["=", "~", "~%50%", "=%100%", "~%-5%"]),
                    st.one_of(sentence, html_text),
                    st.sampled_from(["", "#", " # why"]),
                ),
                max_size=4,
            )
        )
        body = " ".join(marker + text + feedback for marker, text, feedback in options)
        body = draw(st.sampled_from([body, "", "T", "FALSE#a#b", "#3:1", "=a -> b"]))
        general = draw(st.sampled_from(["", "####" + draw(html_text)]))
        close = draw(st.sampled_from(["}", "}", "", "} and more"]))
        out += [f"{title}{draw(st.one_of(sentence, html_text))} {{{body}{general}{close}", ""]
    return draw(mutated(out))


@st.composite
def aiken_documents(draw) -> str:
    out = []
    for _ in range(draw(st.integers(1, 4))):
        out.append(draw(sentence))
        count = draw(st.integers(0, 5))
        for n in range(count):
            out.append(f"{chr(65 + n)}{draw(st.sampled_from(['.', ')']))} {draw(sentence)}")
        out.append(f"ANSWER: {draw(st.sampled_from(['A', 'B', 'C', 'Z', '', 'a']))}")
        if draw(st.booleans()):
            out.append("")
    return draw(mutated(out))


@st.composite
def moodle_xml_documents(draw) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(
            st.sampled_from(
                ["multichoice", "truefalse", "shortanswer", "essay", "category", "matching", ""]
            )
        )
        fmt = draw(st.sampled_from(["html", "plain_text", "markdown", "moodle_auto_format", "x"]))
        text = draw(st.one_of(sentence, html_text)).replace("]]>", "")
        out.append(f'<question type="{kind}">')
        out.append(f'<questiontext format="{fmt}"><text><![CDATA[{text}]]></text></questiontext>')
        if kind == "category":
            out.append(f"<category><text>{draw(sentence).replace('<', '')}</text></category>")
        for _ in range(draw(st.integers(0, 3))):
            fraction = draw(st.sampled_from(["100", "0", "50", "-1", "x", ""]))
            answer = draw(st.one_of(sentence, html_text)).replace("]]>", "")
            out.append(f'<answer fraction="{fraction}"><text><![CDATA[{answer}]]></text></answer>')
        if draw(st.booleans()):
            out.append(
                "<graderinfo><text>" + draw(sentence).replace("<", "") + "</text></graderinfo>"
            )
        out.append("</question>")
    out.append("</quiz>")
    return draw(mutated(out))


any_text = st.one_of(
    st.text(),
    shaped_text,
    numbered_documents(),
    notebook_documents(),
    markdown_documents(),
    csv_documents(),
    gift_documents(),
    aiken_documents(),
    moodle_xml_documents(),
)

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["text", "question", "answer", "topics", "related", "key", "x"]),
            children,
            max_size=4,
        ),
    ),
    max_leaves=12,
)
question_objects = st.fixed_dictionaries(
    {"text": st.one_of(sentence, sentence, st.text(), st.integers(), st.none())},
    optional={
        "answer": st.one_of(st.text(), st.none(), st.booleans()),
        "long_answer_incomplete": st.one_of(st.booleans(), st.text(max_size=3)),
        "topics": st.one_of(st.lists(st.text(max_size=10), max_size=3), st.text(max_size=10)),
        "related": st.lists(st.text(max_size=10), max_size=3),
        "key": st.text(max_size=10),
    },
)
json_documents = st.one_of(
    json_values.map(json.dumps),
    st.lists(question_objects, max_size=4).map(json.dumps),
    st.lists(question_objects, max_size=4).map(lambda qs: json.dumps({"questions": qs}, indent=1)),
)


# Inputs at and just past every limit (issue 12): huge numbers, deep nesting, many keys,
# long texts, long lines of blanks and hashes, wide CSV. Each must read, or fail as a
# located ParseError, never raise anything else (int() of 4,301 digits once did).
def _around(limit: int) -> st.SearchStrategy[int]:
    return st.integers(limit - 2, limit + 2)


@st.composite
def json_at_the_limits(draw) -> str:
    kind = draw(st.sampled_from(["number", "float", "depth", "keys", "text", "list"]))
    if kind == "number":
        digits = draw(st.one_of(_around(JSON_NUMBER_MAX_CHARS), st.integers(4290, 4310)))
        value = draw(st.sampled_from(["", "-"])) + "9" * digits
    elif kind == "float":
        value = (
            "1."
            + "5" * draw(_around(JSON_NUMBER_MAX_CHARS))
            + draw(st.sampled_from(["", "e999999", "e-99"]))
        )
    elif kind == "depth":
        depth = draw(_around(JSON_DEPTH_MAX))
        value = draw(st.sampled_from(["[", '{"a": ['])) * depth
        value += "]" * depth if value[0] == "[" else "]}" * depth
    elif kind == "keys":
        count = draw(_around(JSON_KEYS_MAX))
        value = "{" + ", ".join(f'"k{n}": {n}' for n in range(count)) + "}"
    elif kind == "text":
        value = json.dumps("é" * draw(st.sampled_from([ANSWER_MAX_CHARS, ANSWER_MAX_CHARS + 1])))
    else:
        value = json.dumps(["t"] * draw(_around(TOPICS_PER_QUESTION_MAX)))
    where = draw(st.sampled_from(["answer", "x", "text", "topics"]))
    question = f'{{"text": "What is a stride?", "{where}": {value}}}'
    layout = draw(st.sampled_from(["[%s]", '{"questions": [%s]}', "[\n%s\n]", "%s"]))
    return draw(mutated((layout % question).split("\n")))


@st.composite
def lines_at_the_limits(draw) -> str:
    length = draw(_around(LINE_MAX_CHARS))
    filler = draw(st.sampled_from([" ", "#", " #", "[", "*", "a", "?", "1. "]))
    line = (filler * length)[:length]
    prefix = draw(st.sampled_from(["## ", "## a", "1. ", "", "question,answer\n", "In [ ]:\n1. "]))
    long_question = "## 1. " + "is " * draw(_around(QUESTION_MAX_CHARS // 3)) + "?"
    related = ",".join(f"k{n}" for n in range(draw(_around(RELATED_PER_QUESTION_MAX))))
    chosen = draw(
        st.sampled_from(
            [
                prefix + line + "b?",
                "## 1. What?\n" + line,
                long_question,
                f'question,related\nWhat?,"{related}"',
                "question" + ",x" * draw(st.integers(45, 55)) + "\nWhat?",
            ]
        )
    )
    return draw(mutated(chosen.split("\n")))


at_the_limits = st.one_of(json_at_the_limits(), lines_at_the_limits())
#: Issue 12's case, always tried: Python's int() refuses more than 4,300 digits.
HUGE_INTEGER = '[{"text": "What is a stride?", "x": ' + "9" * 4301 + "}]"

PARSERS = {
    "numbered": parse_numbered,
    "notebook": parse_notebook,
    "markdown": parse_markdown,
    "csv": parse_csv,
    "json": parse_json,
    "gift": parse_gift,
    "aiken": parse_aiken,
    "moodle_xml": parse_moodle_xml,
    "anki": parse_anki_notes,
}


@st.composite
def anki_documents(draw) -> str:
    header = {"format": draw(st.sampled_from(["studyhub-anki-notes", "x"]))}
    header |= draw(
        st.dictionaries(st.sampled_from(["cloze", "media", "many_tags"]), st.integers(-1, 3))
    )
    out = [json.dumps(header)]
    for _ in range(draw(st.integers(0, 4))):
        note = {
            "note": draw(st.one_of(st.integers(-1, 12_000), st.text(max_size=3))),
            "question": draw(st.one_of(sentence, st.text(max_size=20))),
            "answer": draw(st.one_of(sentence, st.none())),
            "long_answer": draw(sentence),
            "tags": draw(
                st.one_of(st.lists(st.text(max_size=8), max_size=25), st.text(max_size=5))
            ),
        }
        for key in draw(st.lists(st.sampled_from(sorted(note)), max_size=1)):
            del note[key]
        out.append(json.dumps(note))
    return draw(mutated(out))


ANKI_HEADER = '{"format": "studyhub-anki-notes"'


def line_count(text: str) -> int:
    return len(re.split(r"\r\n|\r|\n", text))


def check(parse, text: str) -> None:
    """Assert the parser's outcome is a sound document or a ParseError about `text`."""
    # An Anki upload's "line" is its note's number in the package (questions/importing/anki.py).
    last = ITEMS_MAX if text.startswith(ANKI_HEADER) else line_count(text)
    try:
        document = parse(text, source=SOURCE)
    except ParseError as error:
        assert str(error).startswith(SOURCE)
        assert error.reason.strip()
        assert error.line is None or 1 <= error.line <= last
        return
    if isinstance(document, ParsedDocument):
        assert document.questions, "a document without questions must be an error"
        for question in document.questions:
            assert question.text and 1 <= question.line <= line_count(text)
        return
    assert isinstance(document, ImportDocument)
    assert document.items, "a document without questions must be an error"
    for item in document.items:
        assert item.text == " ".join(item.text.split()) and item.text
        assert 1 <= item.line <= last


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(text=any_text)
def test_every_parser_reads_anything_without_crashing(name, text):
    check(PARSERS[name], text)


SHAPED = {
    "numbered": numbered_documents(),
    "notebook": notebook_documents(),
    "markdown": markdown_documents(),
    "csv": csv_documents(),
    "json": json_documents,
    "gift": gift_documents(),
    "aiken": aiken_documents(),
    "moodle_xml": moodle_xml_documents(),
    "anki": st.deferred(lambda: anki_documents()),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_every_parser_reads_its_own_shape_of_input(name, data):
    check(PARSERS[name], data.draw(SHAPED[name]))


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=60, deadline=None)
@given(text=at_the_limits)
@example(text=HUGE_INTEGER)
def test_every_parser_reads_input_at_the_limits(name, text):
    check(PARSERS[name], text)


@settings(max_examples=100, deadline=None)
@given(text=at_the_limits)
@example(text=HUGE_INTEGER)
def test_import_of_input_at_the_limits_keeps_every_limit(text):
    try:
        document = parse_import(text, source=SOURCE, max_questions=10)
    except ParseError as error:
        assert str(error).startswith(SOURCE) and error.reason.strip()
        assert error.line is None or 1 <= error.line <= line_count(text)
        return
    for item in document.items:
        assert len(item.text) <= QUESTION_MAX_CHARS
        assert max(len(item.answer), len(item.long_answer)) <= ANSWER_MAX_CHARS
        assert len(item.topics) <= TOPICS_PER_QUESTION_MAX
        assert len(item.related) <= RELATED_PER_QUESTION_MAX


@FUZZ
@given(text=st.one_of(any_text, json_documents, at_the_limits))
def test_detection_and_import_of_anything(text):
    try:
        detected = detect_format(text, source=SOURCE)
    except ParseError as error:
        assert str(error).startswith(SOURCE)
    else:
        assert detected in FORMATS
    check(lambda t, source: parse_import(t, source=source, max_questions=10), text)


@FUZZ
@given(data=st.one_of(st.binary(), st.text().map(lambda t: t.encode("utf-8"))))
def test_decoding_any_bytes(data):
    try:
        text = decode_text(data, source=SOURCE)
    except ParseError as error:
        assert str(error).startswith(SOURCE)
    else:
        assert isinstance(text, str)


@FUZZ
@given(html=st.one_of(html_text, st.text()))
def test_html_from_other_tools_becomes_text_and_markdown_without_markup(html):
    text = html_to_text(html)
    assert text.text == " ".join(text.text.split())
    markdown = html_to_markdown(html)
    assert markdown.media == text.media
    rendered = render_markdown(markdown.text)
    assert "<script" not in rendered.lower() and "javascript:" not in rendered.lower()
