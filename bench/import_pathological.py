"""How long reading a crafted Moodle question file takes (GIFT, Aiken, Moodle XML).

    .venv/bin/python -m bench.import_pathological
    .venv/bin/python -m bench.import_pathological --runs 5

Each crafted file is made to be slow for one of the readers: unclosed braces, runs of
escapes and options, one question with a huge number of options, deep or wide XML,
HTML nested thousands deep, entities by the thousand. Each is read as an upload is
(detection, the reader, the limits), at settings.IMPORT_MAX_BYTES and at a quarter of
that. Prints the CPU milliseconds of the fastest of a few runs, the outcome (questions
read, or the start of the error), and how much longer the full-size file took than the
quarter: about 4 for a reader whose time grows linearly, about 16 for one that grows
with the square. The budget: no upload may cost a worker more than a second.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench import throwaway  # noqa: F401 — sets Django up; must come first

# isort: split
from django.conf import settings  # noqa: E402

from questions.importing import ParseError, parse_import  # noqa: E402
from questions.importing.foreign import FIELD_MAX_CHARS  # noqa: E402


def _fill(unit: str, size: int, head: str = "", tail: str = "") -> str:
    room = max(0, size - len(head) - len(tail))
    return head + unit * (room // len(unit)) + tail


def _html(size: int, unit: str, per_field: int = FIELD_MAX_CHARS - 10) -> str:
    """Essays whose model answers are `unit` repeated up to the limit of one text."""
    essay = (
        "<question type='essay'><questiontext><text>Why?</text></questiontext><graderinfo>"
        "<text><![CDATA[" + _fill(unit, per_field) + "]]></text></graderinfo></question>\n"
    )
    return _fill(essay, size - 20, "<quiz>\n", "</quiz>")


def _gift_html(size: int, unit: str) -> str:
    """GIFT questions whose general feedback is `unit` repeated, on lines of 9,000."""
    body = _fill(unit, FIELD_MAX_CHARS - 100)
    lines = "\n".join(body[i : i + 9_000] for i in range(0, len(body), 9_000))
    return _fill(f"[html]Why? {{####{lines}}}\n\n", size)


CRAFTED: dict[str, Callable[[int], tuple[str, str]]] = {
    "gift: one brace never closed": lambda n: ("gift", _fill("{", n, "What? ")),
    "gift: '{=' runs": lambda n: ("gift", _fill("{=", n)),
    "gift: escapes": lambda n: ("gift", _fill("\\{\\=\\~", n, "What ", " {=a ~b}")),
    "gift: one question, options on 10,000-character lines": lambda n: (
        "gift",
        "What? {\n"
        + "\n".join(
            _fill("~a", n // 10_000 * 10_000)[i : i + 9_998] for i in range(0, n - 20, 9_998)
        )
        + "\n=b}",
    ),
    "gift: tiny questions": lambda n: ("gift", _fill("Q? {=a ~b}\n\n", n)),
    "gift: '::' runs": lambda n: ("gift", _fill("::", n)),
    "aiken: options with no question end": lambda n: ("aiken", _fill("A. x\n", n, "Why?\n")),
    "aiken: tiny questions": lambda n: ("aiken", _fill("Q?\nA. a\nB. b\nANSWER: A\n", n)),
    "xml: empty elements": lambda n: ("moodle_xml", _fill("<a/>", n, "<quiz>", "</quiz>")),
    "xml: tiny questions": lambda n: (
        "moodle_xml",
        _fill(
            "<question type='essay'><questiontext><text>Q?</text></questiontext></question>",
            n,
            "<quiz>",
            "</quiz>",
        ),
    ),
    "xml: nesting": lambda n: ("moodle_xml", _fill("<a>", n, "<quiz>")),
    "xml: character references": lambda n: (
        "moodle_xml",
        _fill(
            "&#60;b&#62;",
            n - 100,
            "<quiz><question type='essay'><questiontext><text>",
            "</text></questiontext></question></quiz>",
        ),
    ),
    "xml: an answer of HTML lists nested deep": lambda n: (
        "moodle_xml",
        _html(n, "<ul><li>", per_field=FIELD_MAX_CHARS + 10),
    ),
    "xml: answers of HTML lists nested deep, each at the limit": lambda n: (
        "moodle_xml",
        _html(n, "<ul><li>"),
    ),
    "xml: answers of '<&<!', each at the limit": lambda n: ("moodle_xml", _html(n, "<&<!")),
    "xml: answers of '<&<!', each just short of the answer limit": lambda n: (
        "moodle_xml",
        _html(n, "<&<!", per_field=13_000),
    ),
    "xml: answers of '<p></p>' (no text), each at the limit": lambda n: (
        "moodle_xml",
        _html(n, "<p></p>"),
    ),
    "xml: answers of '<a', each at the limit": lambda n: ("moodle_xml", _html(n, "<a ")),
    "xml: answers of '<!--<a', each at the limit": lambda n: ("moodle_xml", _html(n, "<!--<a")),
    "xml: answers of '*_[<' text, each at the limit": lambda n: ("moodle_xml", _html(n, "*_[&lt;")),
    "gift: html feedback of '<&<!', each at the limit": lambda n: ("gift", _gift_html(n, "<&<!")),
    "gift: html feedback of '<b>', each at the limit": lambda n: ("gift", _gift_html(n, "<b>")),
}


def read(format: str, text: str) -> str:
    try:
        document = parse_import(
            text, source="crafted", format=format, max_questions=settings.IMPORT_MAX_QUESTIONS
        )
    except ParseError as error:
        return "refused: " + error.reason[:60]
    return f"{len(document.items):,} questions"


def best_of(format: str, text: str, runs: int) -> tuple[float, str]:
    cpu, outcome = float("inf"), ""
    for _ in range(runs):
        started = time.thread_time()
        outcome = read(format, text)
        cpu = min(cpu, time.thread_time() - started)
    return cpu * 1000, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    full = settings.IMPORT_MAX_BYTES
    print(f"{'file':<58} {'quarter ms':>10} {'full ms':>9} {'ratio':>6}  outcome (full)")
    slowest = 0.0
    for name, make in CRAFTED.items():
        format, text = make(full)
        quarter_format, quarter = make(full // 4)
        assert len(text.encode()) <= full, name
        quarter_ms, _ = best_of(quarter_format, quarter, args.runs)
        full_ms, outcome = best_of(format, text, args.runs)
        slowest = max(slowest, full_ms)
        print(
            f"{name:<58} {quarter_ms:>10.1f} {full_ms:>9.1f} "
            f"{full_ms / max(quarter_ms, 0.01):>6.1f}  {outcome}"
        )
    print(f"\nslowest: {slowest:.0f} ms of CPU; budget 1,000 ms")


if __name__ == "__main__":
    main()
