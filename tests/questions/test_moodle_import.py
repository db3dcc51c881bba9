"""Moodle's question files (GIFT, Aiken, Moodle XML): the shapes of Moodle's own
documentation read as the questions they describe, what cannot be studied skipped with
its line, broken files refused with the line at fault, and hostile XML refused."""

from __future__ import annotations

import pytest

from questions.importing import ImportItem, ParseError, detect_format, parse_import
from questions.importing.aiken import parse_aiken
from questions.importing.gift import parse_gift
from questions.importing.html import html_to_markdown, html_to_text
from questions.importing.moodle import category_topic
from questions.importing.moodle_xml import parse_moodle_xml
from studyhub.markdown import render_markdown


def items(document) -> list[tuple[int, str, str, str, tuple[str, ...]]]:
    return [(i.line, i.text, i.answer, i.long_answer, i.topics) for i in document.items]


def error_of(parse, text: str, source: str = "q.txt") -> tuple[int | None, str]:
    with pytest.raises(ParseError) as raised:
        parse(text, source=source)
    assert str(raised.value).startswith(source)
    return raised.value.line, raised.value.reason


# --- GIFT -------------------------------------------------------------------------------

# Each of the question shapes in Moodle's GIFT documentation, with this bank's subject.
GIFT_DOCUMENTED = """\
// true/false
::Q1:: A 3×3 convolution with padding 1 and stride 1 keeps the height and width {T}

// multiple choice with feedback for right and wrong answers
::Q2:: Which activation is zero for every negative input?
{ =ReLU # right: max(0, x) ~sigmoid # wrong, it is never zero ~tanh # wrong, it is negative there }

// fill-in-the-blank
::Q3:: A stride of {=two =2} halves the height and width.

// matching
::Q4:: Which layer does what? { =pooling -> downsamples =dropout -> regularises }

// math range question
::Q5:: How many channels does an RGB image have? {#3:0}

// math range with interval end points
::Q6:: Name a kernel size from 1 to 7. {#1..7}

// multiple choice with part credit
::Q7:: Which of these are data augmentations? {
~%50%random crops
~%50%horizontal flips
~%-100%weight decay
}

// essay
::Q8:: Why do residual connections help very deep networks train? {}

// a description: text without answers
Read the following questions about detection heads.
"""


def test_gift_reads_each_documented_shape_and_skips_what_cannot_be_studied():
    document = parse_gift(GIFT_DOCUMENTED, source="cnn.gift")
    assert items(document) == [
        (
            2,
            "A 3×3 convolution with padding 1 and stride 1 keeps the height and width",
            "True",
            "",
            (),
        ),
        (
            5,
            "Which activation is zero for every negative input?",
            "ReLU",
            "- **ReLU** (correct): right: max(0, x)\n"
            "- sigmoid: wrong, it is never zero\n"
            "- tanh: wrong, it is negative there",
            (),
        ),
        (9, "A stride of _____ halves the height and width.", "two", "Also accepted: 2", ()),
        (
            21,
            "Which of these are data augmentations?",
            "random crops; horizontal flips",
            "- **random crops** (correct)\n- **horizontal flips** (correct)\n- weight decay",
            (),
        ),
        (
            28,
            "Why do residual connections help very deep networks train?",
            "",
            "",
            (),
        ),
    ]
    assert document.warnings == [
        "4 questions of types StudyHub cannot study were skipped: description (line 31); "
        "matching (line 12); numerical (lines 15, 18)."
    ]


def test_gift_categories_feedback_escapes_and_formats():
    text = """\
$CATEGORY: $course$/top/Week 3//4/Deployment

::Escapes:: Is 1 \\= 1 written \\{x\\} in GIFT\\: yes? {TRUE #no #Yes: \\# and \\~ too.}

[html]What does <b>NMS</b> stand for?{=non-maximum suppression
####<p>It keeps the <em>best</em> box.</p>}

$CATEGORY: $course$/top/Default for CNN course

[markdown]Which norm does **weight decay** add?{=L2 ~L1}
"""
    document = parse_gift(text, source="q.gift")
    assert items(document) == [
        (
            3,
            "Is 1 = 1 written {x} in GIFT: yes?",
            "True",
            "Yes: # and \\~ too.",
            ("Deployment",),
        ),
        (
            5,
            "What does NMS stand for?",
            "non-maximum suppression",
            "It keeps the *best* box.",
            ("Deployment",),
        ),
        (10, "Which norm does **weight decay** add?", "L2", "- **L2** (correct)\n- L1", ()),
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("// a comment\n\n::Q1:: What is a stride? {=the step\n~the size\n", 3, "never closed"),
        ("What is a stride?\n{ =the step ~the size }\n\nWhat is padding? {\n", 4, "never closed"),
        ("::Q1 What is a stride? {=a ~b}\n", 1, "title that starts with “::” is never closed"),
        ("What is a stride? {the step =a ~b}\n", 1, "“the step” comes before the first option"),
        ("What is a stride? {=a ~}\n", 1, "an option “~” has no text"),
        ("What is a stride? {~a ~b}\n", 1, "no option is marked correct"),
        ("\n\nWhat is a stride?\n{=a ~b} or {=c}\n", 4, "a second “{”"),
    ],
    ids=["unclosed", "unclosed-later", "title", "text-first", "empty-option", "none-right", "two"],
)
def test_broken_gift_names_the_line(text, line, reason):
    found_line, found_reason = error_of(parse_gift, text)
    assert found_line == line
    assert reason in found_reason


def test_a_gift_file_with_only_what_cannot_be_studied_is_refused():
    _line, reason = error_of(parse_gift, "Match. {=a -> b =c -> d}\n\nHow many? {#2}\n")
    assert reason == (
        "no question of a type StudyHub can study: 2 questions of types StudyHub cannot "
        "study were skipped: matching (line 1); numerical (line 3)."
    )


# --- Aiken ------------------------------------------------------------------------------


def test_aiken_reads_questions_with_or_without_blank_lines_between_them():
    text = (
        "Which layer has no weights?\nA. Convolution\nB) Max pooling\nC. Dense\nANSWER: B\n"
        "Which loss suits classification?\nA. Cross-entropy\nB. L1\nanswer: a\n"
    )
    document = parse_aiken(text, source="q.txt")
    assert items(document) == [
        (
            1,
            "Which layer has no weights?",
            "Max pooling",
            "- Convolution\n- **Max pooling** (correct)\n- Dense",
            (),
        ),
        (
            6,
            "Which loss suits classification?",
            "Cross-entropy",
            "- **Cross-entropy** (correct)\n- L1",
            (),
        ),
    ]
    assert detect_format(text) == "aiken"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("What?\nA. a\nB. b\n\n", 1, "has no “ANSWER: …” line"),
        (
            "What?\nA. a\nB. b\n\nNext?\n",
            5,
            "or the line “ANSWER: B” after the options of the question on line 1",
        ),
        ("What?\nA. a\nB. b\nANSWER: C\n", 4, "the answer “C” is not one of the options A–B"),
        ("What?\nA. a\nC. c\nANSWER: A\n", 3, "option C where option B was expected"),
        ("What?\nA. a\nANSWER: A\n", 1, "at least two options"),
        ("ANSWER: A\n", 1, "an ANSWER line with no options before it"),
        ("What?\nA. a\nB. b\nsome prose\nANSWER: A\n", 4, "expected an option such as"),
    ],
    ids=[
        "no-answer",
        "next-question",
        "unknown-letter",
        "out-of-order",
        "one-option",
        "answer-first",
        "prose",
    ],
)
def test_broken_aiken_names_the_line(text, line, reason):
    found_line, found_reason = error_of(parse_aiken, text)
    assert found_line == line
    assert reason in found_reason


# --- Moodle XML -------------------------------------------------------------------------

XML_DOCUMENTED = """\
<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>$course$/top/Detection</text></category>
  </question>
  <question type="shortanswer">
    <name><text>IoU</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>What does IoU stand for?</p>]]></text></questiontext>
    <answer fraction="100"><text>intersection over union</text>
      <feedback><text>Area of overlap over area of union.</text></feedback></answer>
    <answer fraction="100"><text>Jaccard index</text></answer>
  </question>
  <question type="matching">
    <questiontext format="html"><text>Match the heads.</text></questiontext>
  </question>
  <question type="numerical">
    <questiontext format="html"><text>How many anchors?</text></questiontext>
  </question>
  <question type="multianswer">
    <questiontext format="html"><text>{1:SHORTANSWER:=x}</text></questiontext>
  </question>
  <question type="description">
    <questiontext format="html"><text>Read this first.</text></questiontext>
  </question>
  <question type="multichoice">
    <questiontext format="plain_text">
      <text>Which of these is a one-stage detector?</text></questiontext>
    <answer fraction="0"><text>Faster R-CNN</text></answer>
    <answer fraction="100"><text><![CDATA[<b>YOLO</b>]]></text></answer>
    <file name="heads.png" encoding="base64">iVBORw0KGgo=</file>
  </question>
  <question type="truefalse">
    <questiontext format="html">
      <text>&lt;p&gt;Is NMS applied after the detection head?&lt;/p&gt;</text></questiontext>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text>
      <feedback format="html">
        <text><![CDATA[<p>Yes &amp; no: it runs <i>after</i> it.</p>]]></text></feedback></answer>
  </question>
</quiz>
"""


def test_moodle_xml_reads_the_documented_types_and_skips_the_rest():
    document = parse_moodle_xml(XML_DOCUMENTED, source="bank.xml")
    assert items(document) == [
        (
            6,
            "What does IoU stand for?",
            "intersection over union",
            "Also accepted: Jaccard index\n\nArea of overlap over area of union.",
            ("Detection",),
        ),
        (
            26,
            "Which of these is a one-stage detector?",
            "YOLO",
            "- Faster R-CNN\n- **YOLO** (correct)",
            ("Detection",),
        ),
        (
            33,
            "Is NMS applied after the detection head?",
            "False",
            "Yes & no: it runs *after* it.",
            ("Detection",),
        ),
    ]
    assert document.warnings == [
        "4 questions of types StudyHub cannot study were skipped: cloze (embedded "
        "answers) (line 20); description (line 23); matching (line 14); numerical (line 17).",
        "1 image in the file is not imported: StudyHub keeps the text, and an image's "
        "description where it has one.",
    ]
    assert detect_format(XML_DOCUMENTED) == "moodle_xml"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("<quiz>\n<question type='essay'>\n</quiz>\n", 3, "is not well-formed XML: mismatched tag"),
        ("<questions>\n</questions>\n", 1, "expected <quiz> around the questions"),
        ("<quiz>\n" + "<a>" * 40 + "</a>" * 40 + "\n</quiz>", 2, "nest more than 32 deep"),
        (
            '<quiz>\n<question type="multichoice">\n<questiontext><text>Which?</text>'
            '</questiontext>\n<answer fraction="0"><text>a</text></answer>\n</question>\n</quiz>',
            2,
            "no option is marked correct",
        ),
        (
            '<quiz>\n\n<question type="essay"><questiontext><text> </text></questiontext>'
            "</question></quiz>",
            3,
            "the question has no text",
        ),
    ],
    ids=["mismatched", "not-quiz", "deep", "no-right-option", "no-text"],
)
def test_broken_moodle_xml_names_the_line(text, line, reason):
    found_line, found_reason = error_of(parse_moodle_xml, text, source="bank.xml")
    assert found_line == line
    assert reason in found_reason


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<quiz><question type="essay"><questiontext><text>&c;</text></questiontext></question></quiz>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><questiontext><text>&secret;</text></questiontext></question></quiz>
"""
DOCTYPE_ONLY = (
    '<?xml version="1.0"?>\n<!DOCTYPE quiz SYSTEM "http://example.com/quiz.dtd">\n<quiz/>'
)


@pytest.mark.parametrize(
    "text", [BILLION_LAUGHS, EXTERNAL_ENTITY, DOCTYPE_ONLY], ids=["laughs", "external", "dtd"]
)
def test_xml_with_a_dtd_or_entities_is_refused(text):
    _line, reason = error_of(parse_moodle_xml, text, source="bank.xml")
    assert reason == "declares a DTD or entities, which a question file never needs"


def test_an_xml_declaration_naming_another_encoding_reads_the_utf8_text_as_it_is():
    text = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<quiz>\n<question type="essay">'
        "<questiontext><text>What is a Gaussian blur’s σ?</text></questiontext>"
        "<graderinfo><text>Its spread.</text></graderinfo></question>\n</quiz>"
    )
    document = parse_moodle_xml(text, source="bank.xml")
    assert items(document) == [(3, "What is a Gaussian blur’s σ?", "Its spread.", "", ())]


# --- Shared pieces ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "topic"),
    [
        ("$course$/top/Week 3/Deployment", "Deployment"),
        ("$course$/top", ""),
        ("$course$/top/Default for CNN 101", ""),
        ("$system$/Input//output", "Input/output"),
        ("Robustness", "Robustness"),
        ("", ""),
    ],
)
def test_a_category_names_the_topic_of_its_last_part(path, topic):
    assert category_topic(path) == topic


def test_html_answers_keep_structure_and_lose_everything_else():
    converted = html_to_markdown(
        "<p>Use <b>ONNX</b> &amp; <code>trtexec</code>:</p><ol><li>export</li><li>build"
        "<ul><li>fp16</li></ul></li></ol><script>alert(1)</script><style>p{}</style>"
        '<p><a href="https://onnx.ai/">docs</a> <a href="javascript:alert(1)">click</a>'
        '<img src="@@PLUGINFILE@@/x.png" alt="graph"><img src="y.png"></p>'
        "<p># not a heading, *not emphasis*, 1_000 and _this_</p><pre>x = {1: 2}\n  y</pre>"
    )
    assert converted.text == (
        "Use **ONNX** & `trtexec`:\n\n1. export\n2. build\n  - fp16\n\n"
        "[docs](https://onnx.ai/) click\\[image: graph\\]\n\n"
        "\\# not a heading, \\*not emphasis\\*, 1_000 and \\_this\\_\n\n"
        "```\nx = {1: 2}\n  y\n```"
    )
    assert converted.media == 2
    rendered = render_markdown(converted.text)
    assert "<script" not in rendered and "javascript:" not in rendered
    assert "<strong>ONNX</strong>" in rendered and "<em>" not in rendered


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<code>2 < 3 * 4</code>", "`2 < 3 * 4`"),
        ("<code>a`b</code>", "``a`b``"),
        ("<code>`tick`</code>", "`` `tick` ``"),
        ("x <code>never closed", "x `never closed`"),
    ],
)
def test_code_keeps_its_text_as_written(html, markdown):
    assert html_to_markdown(html).text == markdown
    assert "<code>" in render_markdown(markdown)


@pytest.mark.parametrize("html", ["<![ x", "<![if x]>y<![endif]>", "<p><![CDATA[a]]></p>"])
def test_marked_sections_are_text_not_a_crash(html):
    # The standard library's parser raises AssertionError on "<![ x".
    assert html_to_text(html).text == html.replace("<p>", "").replace("</p>", "")


def test_html_questions_are_one_plain_line():
    converted = html_to_text("<p>What is <i>stride</i>?</p>\n<p>x&nbsp;&lt;y&gt;<br>z</p>")
    assert converted.text == "What is stride? x <y> z"


# --- Detection and the whole import ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("::Q1:: What is a stride? {=the step ~the size}\n", "gift"),
        ("$CATEGORY: cnn\n\nWhat? {}\n", "gift"),
        ("What is a stride? {=the step ~the size}\n\nAnd padding? {T}\n", "gift"),
        ("<!-- exported -->\n<quiz></quiz>\n", "moodle_xml"),
        ("## 1. What does this code do?\n\n```\nx = {}\n```\n", "markdown"),
        ("1. What is {x}?\n2. And {=y}?\n", "numbered"),
    ],
    ids=["title", "category", "braces", "xml-comment", "markdown-braces", "numbered"],
)
def test_detection_of_moodle_files_leaves_the_other_formats_alone(text, expected):
    assert detect_format(text) == expected


def test_a_too_long_gift_question_is_refused_by_the_import_limits():
    text = "What is " + "very " * 300 + "long? {=yes ~no}\n"
    with pytest.raises(ParseError, match=r"q.gift, line 1: the question is 1,5\d\d characters"):
        parse_import(text, source="q.gift")


def test_items_are_plain_import_items():
    document = parse_import("What? {=a ~b}\n", source="q.gift", format="gift")
    assert document.format_label == "Moodle GIFT" and not document.detected
    assert isinstance(document.items[0], ImportItem)
