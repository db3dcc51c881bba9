"""Finding a file's questions in the bank: exactly, by key or normalised text, and
nearly, with rapidfuzz among a capped number of bank questions chosen from a word index.

The work of the near-duplicate search is bounded by the file's size whatever its
content: it reads a fixed number of entries of its word index and compares a fixed
number of candidates per question, and a whole plan may spend at most IMPORT_MAX_WORK
work units (counted, not timed, so the outcome is the same on any machine).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict

from django.conf import settings
from django.db.models import QuerySet
from rapidfuzz import fuzz

from questions.importing.document import ParseError, normalise_for_match
from questions.models import Question

#: How alike (rapidfuzz `fuzz.ratio`, in percent: twice the longest common subsequence
#: of the normalised texts over their total length) a question must be to one in the
#: bank to be reported as a likely duplicate.
DUPLICATE_SIMILARITY = 85
#: Only bank questions sharing this share of a question's distinct words are compared
#: with it (rewordings that reach DUPLICATE_SIMILARITY share 70% or more).
DUPLICATE_SHARED_WORDS = 0.6
#: The hard limits on the work the search does for one question, whatever the bank
#: and the file hold: how many entries of the word index it reads, of the bank
#: questions found there how many (those sharing the most of the question's rarer
#: words) have their shared words counted, and of those how many (sharing the most
#: words) are compared character by character.
DUPLICATE_POSTINGS = 2_000
DUPLICATE_SHORTLIST = 100
DUPLICATE_CANDIDATES = 20


class Work:
    """The work units a plan spends, against a budget (IMPORT_MAX_WORK).

    A unit is one entry of the word index read, or one bank question whose shared
    words are counted; a character-by-character comparison costs one unit per 64 × 64
    characters compared (rapidfuzz compares 64 characters a step), at least one.
    Counting units instead of seconds makes the same file pass or fail on any machine.
    """

    def __init__(self, source: str, budget: int | None = None) -> None:
        self.source = source
        self.budget = settings.IMPORT_MAX_WORK if budget is None else budget
        self.units = 0
        self.comparisons = 0  # character-by-character comparisons made

    def spend(self, units: int) -> None:
        self.units += units
        if self.units > self.budget:
            raise ParseError(
                self.source,
                None,
                "comparing this file with the question bank would take too long (its "
                f"questions resemble too many in the bank: more than {self.budget:,} work "
                "units). Split it into smaller files, or remove questions that are "
                "rewordings of one another",
            )

    def compare(self, text: str, other: str) -> None:
        self.comparisons += 1
        self.spend(1 + len(text) * len(other) // 4096)


class BankQuestions:
    """The questions already in the bank, for exact and near matches: all of them, or
    those of `questions` (say, what one viewer sees, or the library and one team bank)."""

    def __init__(self, work: Work, questions: QuerySet[Question] | None = None) -> None:
        among = Question.objects.all() if questions is None else questions
        rows = list(among.only("pk", "key", "text", "position", "bank", "retired_at"))
        self.work = work
        self.state = (len(rows), max((q.pk for q in rows), default=0))
        self.by_key = {q.key: q for q in rows}
        self.normalised = [(normalise_for_match(q.text), q) for q in rows]
        self.by_text = dict(self.normalised)
        self.words = [frozenset(text.split()) for text, _ in self.normalised]
        self.postings: dict[str, list[int]] = defaultdict(list)
        for index, words in enumerate(self.words):
            for word in words:
                self.postings[word].append(index)

    def _candidates(self, text: str) -> list[int]:
        """The bank questions sharing the most words with `text`, at least
        DUPLICATE_SHARED_WORDS of its distinct words; at most DUPLICATE_CANDIDATES.

        Such a question must contain one of the text's rarer words (all but the
        number needed, plus one: prefix filtering), so only those words' lists are
        read, rarest first, and of them at most DUPLICATE_POSTINGS entries: words
        common to much of the bank cannot make the search read all of it.
        """
        words = frozenset(text.split())
        needed = max(1, math.ceil(len(words) * DUPLICATE_SHARED_WORDS))
        by_rarity = sorted(words, key=lambda word: (len(self.postings.get(word, ())), word))
        found: Counter[int] = Counter()
        left = DUPLICATE_POSTINGS
        for word in by_rarity[: len(words) - needed + 1]:
            postings = self.postings.get(word, ())
            found.update(postings[:left])
            left -= min(left, len(postings))
            if not left:
                break
        self.work.spend(DUPLICATE_POSTINGS - left)
        if len(found) > DUPLICATE_SHORTLIST:
            # Those sharing the most of the rarer words; ties to the later question.
            shortlist = [i for i, _ in found.most_common(DUPLICATE_SHORTLIST)]
        else:
            shortlist = list(found)
        self.work.spend(len(shortlist))
        shared = [(len(self.words[i] & words), i) for i in shortlist]
        shared = [(n, i) for n, i in shared if n >= needed]
        return [i for _, i in heapq.nlargest(DUPLICATE_CANDIDATES, shared)]

    def likely_duplicate(self, text: str) -> tuple[Question, float] | None:
        """The bank question most like `text`, if it is at least DUPLICATE_SIMILARITY
        alike; the similarity in percent."""
        best: tuple[Question, float] | None = None
        threshold: float = DUPLICATE_SIMILARITY
        for index in self._candidates(text):
            other, question = self.normalised[index]
            self.work.compare(text, other)
            # 0 below the cutoff, which lets rapidfuzz stop early.
            ratio = fuzz.ratio(text, other, score_cutoff=threshold)
            if ratio and ratio >= threshold:
                best, threshold = (question, ratio), ratio
        return best
