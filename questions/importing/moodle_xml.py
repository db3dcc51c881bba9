"""Moodle XML, the question bank's own export: a <quiz> of <question type="…">
elements, each category switch a <question type="category">.

Read with defusedxml: no DTD, entity or external reference is accepted, so a file
cannot expand itself or reach outside; nesting is bounded too. Each question's line is
the line of its <question> tag.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from questions.importing.document import ImportDocument, ParseError, check_text
from questions.importing.foreign import AUTO, HTML, MARKDOWN, PLAIN
from questions.importing.moodle import (
    MoodleQuestion,
    MoodleReader,
    Option,
    category_topic,
)

_DEPTH_MAX = 32  # Moodle's own files nest 5 deep
_ELEMENTS_MAX = 100_000  # an essay is 6 elements, a multiple-choice question about 20
_FORMATS = {"html": HTML, "markdown": MARKDOWN, "plain_text": PLAIN, "moodle_auto_format": AUTO}
_READ = {"multichoice", "truefalse", "shortanswer", "essay"}
_NAMED = {
    "multianswer": "cloze (embedded answers)",
    "ddwtos": "drag and drop into text",
    "gapselect": "select missing words",
    "ddimageortext": "drag and drop onto image",
    "ddmarker": "drag and drop markers",
    "randomsamatch": "random short-answer matching",
    "calculatedsimple": "calculated",
    "calculatedmulti": "calculated",
}
_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")
#: How Moodle XML is recognised (questions/importing/detection.py).
XML_START = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<quiz[\s>]", re.S)


class _Lines(ET.TreeBuilder):
    """Notes the line each element starts on, and refuses deep nesting."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[ET.Element, int] = {}
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        assert self.parser is not None
        line = self.parser.parser.CurrentLineNumber
        self.lines[element] = line
        if len(self.lines) > _ELEMENTS_MAX:
            raise ParseError(
                self.source,
                line,
                f"the file holds more than {_ELEMENTS_MAX:,} elements: split it into smaller files",
            )
        self.depth += 1
        if self.depth > _DEPTH_MAX:
            raise ParseError(self.source, line, f"elements nest more than {_DEPTH_MAX} deep")
        return element

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


def parse_moodle_xml(text: str, *, source: str = "<text>") -> ImportDocument:
    check_text(text, source)
    root, lines = _tree(text, source)
    if root.tag != "quiz":
        raise ParseError(
            source, lines.get(root, 1), f"expected <quiz> around the questions, found <{root.tag}>"
        )
    reader = MoodleReader(source, "moodle_xml")
    category = ""
    for element in root:
        line = lines.get(element, 1)
        if element.tag != "question":
            continue
        kind = element.get("type", "")
        if kind == "category":
            category = category_topic(_text(element.find("category")))
            continue
        if kind not in _READ:
            if kind != "description":
                reader.skip(_NAMED.get(kind, kind or "no type"), line)
            else:
                reader.skip("description", line)
            continue
        question = _question(element, kind, line, reader)
        question.category = category
        reader.add(question)
    media = sum(1 for _ in root.iter("file"))
    reader.media += media
    return reader.finish()


def _tree(text: str, source: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    # The file was read as UTF-8 already; a declaration naming another encoding would
    # have expat read it again wrongly. Removed, with its line kept.
    if found := _DECLARATION.match(text):
        text = "\n" * found[0].count("\n") + text[found.end() :]
    builder = _Lines(source)
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(text)
        root = parser.close()
    except ET.ParseError as error:
        line = error.position[0] if error.position else None
        reason = str(error).split(":")[0]
        raise ParseError(source, line, f"is not well-formed XML: {reason}") from error
    except DefusedXmlException as error:
        raise ParseError(
            source, None, "declares a DTD or entities, which a question file never needs"
        ) from error
    return root, builder.lines


def _text(element: ET.Element | None) -> str:
    """The <text> of a Moodle field, or its own text."""
    if element is None:
        return ""
    inner = element.find("text")
    found = inner.text if inner is not None else element.text
    return found or ""


def _format(element: ET.Element | None, default: str) -> str:
    if element is None:
        return default
    return _FORMATS.get(element.get("format", ""), default)


def _question(element: ET.Element, kind: str, line: int, reader: MoodleReader) -> MoodleQuestion:
    reader.line = line
    field = element.find("questiontext")
    question = MoodleQuestion(
        line=line, kind=kind, text=reader.text(_text(field), _format(field, HTML))
    )
    general = element.find("generalfeedback")
    question.general_feedback = reader.markdown(_text(general), _format(general, HTML))
    if kind == "essay":
        grader = element.find("graderinfo")
        question.model_answer = reader.markdown(_text(grader), _format(grader, HTML))
        return question
    answers = element.findall("answer")
    reader.check_options(len(answers))
    for answer in answers:
        answer_format = _format(answer, PLAIN if kind in ("shortanswer", "truefalse") else HTML)
        feedback = answer.find("feedback")
        text = reader.inline(_text(answer), answer_format)
        if kind == "truefalse":
            text = text.capitalize()
        if not text:
            continue
        question.options.append(
            Option(
                text=text,
                correct=_fraction(answer.get("fraction", "0")) > 0,
                feedback=reader.markdown(_text(feedback), _format(feedback, HTML)),
            )
        )
    return question


def _fraction(value: str) -> float:
    try:
        return float(value[:20])
    except ValueError:
        return 0.0
