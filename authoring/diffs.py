"""What changed between two revisions of a question, field by field, for its history.

Built with difflib and handed to the template as plain (kind, text) parts, which the
template wraps in <ins> and <del> and escapes like any other text: difflib.HtmlDiff
writes inline styles, which the Content-Security-Policy forbids, and a diff of
someone's text must never be trusted as HTML.

Texts are compared line by line, then word by word inside the lines that changed, so
a changed word in a long answer shows as that word. Comparing words costs time growing
with the product of the two lengths, so a block too large for that (WORD_DIFF_MAX) is
shown as removed and added whole: the history page of the longest answers stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from authoring.services import QuestionContent

Kind = Literal["same", "ins", "del"]
Part = tuple[Kind, str]

#: Above this many token pairs, a changed block is shown as removed and added whole.
WORD_DIFF_MAX = 400_000
_TOKEN = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class FieldDiff:
    """One field's change: `parts` of a text, or `items` of a list (topics, related)."""

    label: str
    parts: tuple[Part, ...] = ()
    items: tuple[Part, ...] = ()

    @property
    def is_list(self) -> bool:
        return bool(self.items)


def text_diff(old: str, new: str) -> list[Part]:
    """`old` turned into `new`: unchanged, deleted and inserted runs, in reading order."""
    if old == new:
        return [("same", new)] if new else []
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    parts: list[Part] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b).get_opcodes():
        before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            parts.append(("same", after))
        elif tag == "delete":
            parts.append(("del", before))
        elif tag == "insert":
            parts.append(("ins", after))
        else:
            parts.extend(_word_diff(before, after))
    return _merged(parts)


def _word_diff(old: str, new: str) -> list[Part]:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    if len(a) * len(b) > WORD_DIFF_MAX:
        return [("del", old), ("ins", new)]
    parts: list[Part] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            parts.append(("same", after))
        else:
            if before:
                parts.append(("del", before))
            if after:
                parts.append(("ins", after))
    return parts


def _merged(parts: list[Part]) -> list[Part]:
    """Neighbouring parts of one kind joined, empty ones dropped."""
    merged: list[Part] = []
    for kind, text in parts:
        if not text:
            continue
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def list_diff(old: Sequence[str], new: Sequence[str]) -> list[Part]:
    """Items of `old` and `new` (each sorted), each kept, removed or added."""
    items: list[Part] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            items.extend(("same", item) for item in new[j1:j2])
        else:
            items.extend(("del", item) for item in old[i1:i2])
            items.extend(("ins", item) for item in new[j1:j2])
    return items


def content_diff(
    old: QuestionContent,
    new: QuestionContent,
    *,
    topic_names: Mapping[str, str],
    related_names: Mapping[str, str],
) -> list[FieldDiff]:
    """The fields that differ between two versions of a question, in the editor's
    order. Topics and related questions are named (`topic_names` by slug,
    `related_names` by key); one no longer in the bank shows its slug or key."""
    changes: list[FieldDiff] = []
    for label, before, after in (
        ("Question", old.text, new.text),
        ("Concise answer", old.concise, new.concise),
        ("Long answer", old.long, new.long),
        ("Key points", "\n".join(old.key_points), "\n".join(new.key_points)),
    ):
        if before != after:
            changes.append(FieldDiff(label, parts=tuple(text_diff(before, after))))
    for label, names, before_keys, after_keys in (
        ("Topics", topic_names, old.topics, new.topics),
        ("Related questions", related_names, old.related, new.related),
    ):
        if set(before_keys) != set(after_keys):
            before_names = sorted(names.get(k, k) for k in before_keys)
            after_names = sorted(names.get(k, k) for k in after_keys)
            changes.append(FieldDiff(label, items=tuple(list_diff(before_names, after_names))))
    return changes
