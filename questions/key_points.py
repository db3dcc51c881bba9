"""The key points of a model answer: the few statements a good answer makes.

They are derived from the concise answer (the long one when a question has no concise
answer): each sentence or list item is a point, lead-ins that only announce a list
("…offers the following benefits:") are dropped, and "Label: explanation" items stay one
point. An instructor can rewrite them (authoring); a question whose points were written by
hand keeps them when its answers change (Question.key_points_edited).

Pure text work, no database: the importer, the editor and a data migration share it.
"""

from __future__ import annotations

import re

#: At most this many points: a learner checks each one, so more would be a chore.
MAX_POINTS = 8
#: A point is at most this long (an instructor's, or a run-on sentence cut at a word).
MAX_POINT_LENGTH = 300
#: Shorter fragments ("Yes.", a stray heading) are not points.
MIN_POINT_LENGTH = 12

_FENCE = re.compile(r"^\s*(```|~~~)")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_TAG = re.compile(r"<[^>]{0,200}>")
# A sentence ends at . ! or ? followed by a space and a capital or digit, except after
# the abbreviations a technical answer uses ("e.g. ResNet", "vs. TensorFlow").
_SENTENCE_END = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<=[.!?])\s+(?=[A-Z0-9(\"“])"
)


def plain_lines(markdown: str) -> list[str]:
    """The answer's text as plain lines, one per paragraph or list item: Markdown marks,
    links and HTML tags removed, code kept as its text."""
    blocks: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            blocks.append(" ".join(current))
            current.clear()

    for raw in markdown.splitlines():
        if _FENCE.match(raw):
            close()
            continue
        line = raw.strip()
        if not line:
            close()
            continue
        if _BULLET.match(line) or _HEADING.match(line):
            close()
            line = _HEADING.sub("", _BULLET.sub("", line))
        line = _TAG.sub(" ", _LINK.sub(r"\1", line))
        line = _EMPHASIS.sub(r"\2", line)
        current.append(line.strip())
    close()
    return [re.sub(r"\s+", " ", block).strip() for block in blocks if block.strip()]


def sentences(block: str) -> list[str]:
    """`block` cut into sentences; a "Label: explanation" block stays whole."""
    label, colon, rest = block.partition(": ")
    if colon and len(label) <= 60 and rest and "." not in label:
        return [block]
    return [s.strip() for s in _SENTENCE_END.split(block) if s.strip()]


def _shorten(text: str) -> str:
    if len(text) <= MAX_POINT_LENGTH:
        return text
    cut = text[: MAX_POINT_LENGTH - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def derive_key_points(concise: str | None, long: str | None = None) -> list[str]:
    """The key points of a question whose answers are `concise` and `long` (Markdown)."""
    source = concise if concise and concise.strip() else (long or "")
    points: list[str] = []
    for block in plain_lines(source):
        for sentence in sentences(block):
            if sentence.endswith(":") or len(sentence) < MIN_POINT_LENGTH:
                continue  # a lead-in to a list, or a fragment
            point = _shorten(sentence)
            if point not in points:
                points.append(point)
    return points[:MAX_POINTS]


def split_key_points(text: str) -> list[str]:
    """Key points as an instructor wrote them, one per line: list bullets, blank lines and
    repeats dropped. Their number and length are the form's to check."""
    points: list[str] = []
    for line in text.splitlines():
        point = _BULLET.sub("", line).strip()
        if point and point not in points:
            points.append(point)
    return points
