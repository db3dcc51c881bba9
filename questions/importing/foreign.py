"""Text from other tools' files (Moodle's, Anki's), read into what the bank holds: a
question as one plain line, an answer as Markdown. Every text is bounded before it is
converted, and all the HTML of one file shares one budget, so no file costs more than
its size's worth of work (bench/import_pathological.py)."""

from __future__ import annotations

from collections.abc import Callable

from questions.importing.document import ANSWER_MAX_CHARS, ParseError
from questions.importing.html import (
    Converted,
    HtmlBudget,
    TooMuchHtml,
    escape_markdown,
    html_to_markdown,
    html_to_text,
    looks_like_html,
)

#: The text formats, as GIFT's "[html]" and Moodle XML's format="…" name them.
HTML, MARKDOWN, PLAIN, AUTO = "html", "markdown", "plain_text", "moodle_auto_format"
#: Bounds checked before any text is converted, so no file costs more than its size.
FIELD_MAX_CHARS = 3 * ANSWER_MAX_CHARS  # one text as written: HTML is wordier than Markdown
HTML_PARTS_MAX = 100_000  # tags and runs of text in all of a file's HTML (HtmlBudget)


class ForeignText:
    """Reads one file's texts, counting the images it leaves out; `line` is the line
    (or note) being read, for the errors."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.media = 0
        self.line = 1
        self.budget = HtmlBudget(left=HTML_PARTS_MAX)

    def error(self, reason: str, line: int | None = None) -> ParseError:
        return ParseError(self.source, line or self.line, reason)

    def _converted(self, raw: str, convert: Callable[[str, HtmlBudget], Converted]) -> str:
        try:
            converted = convert(raw, self.budget)
        except TooMuchHtml:
            raise self.error(
                f"the file's HTML holds more than {HTML_PARTS_MAX:,} tags and texts: split "
                "it into smaller files"
            ) from None
        self.media += converted.media
        return converted.text

    def _check_size(self, raw: str) -> None:
        if len(raw) > FIELD_MAX_CHARS:
            raise self.error(
                f"a text of this question is {len(raw):,} characters long as written; the "
                f"limit is {FIELD_MAX_CHARS:,}"
            )

    def text(self, raw: str, format: str) -> str:
        """A question's text as one plain line."""
        self._check_size(raw)
        if format == HTML or (format == AUTO and looks_like_html(raw)):
            return self._converted(raw, html_to_text)
        return " ".join(raw.split())

    def inline(self, raw: str, format: str) -> str:
        """An option's text as one line of Markdown."""
        if format == MARKDOWN:
            return " ".join(raw.split())
        return escape_markdown(self.text(raw, format))

    def markdown(self, raw: str, format: str) -> str:
        """An answer's or a feedback's text as Markdown."""
        self._check_size(raw)
        if format == MARKDOWN:
            markdown = raw.strip()
        elif format == HTML or (format == AUTO and looks_like_html(raw)):
            markdown = self._converted(raw, html_to_markdown)
        else:
            markdown = escape_markdown(raw.strip())
        if len(markdown) > ANSWER_MAX_CHARS:  # refused now, not once the file is read
            raise self.error(
                f"an answer or feedback of this question is {len(markdown):,} characters "
                f"long; the limit is {ANSWER_MAX_CHARS:,}"
            )
        return markdown
