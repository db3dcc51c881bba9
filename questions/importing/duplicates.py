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
from collections.abc import Iterator, Mapping

import numpy as np
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


#: The fields of the bank's questions a plan or its preview reads, in the model's order
#: (which Model.from_db expects).
_FIELDS = tuple(
    field.attname
    for field in Question._meta.concrete_fields
    if field.attname in {"id", "key", "position", "text", "bank_id", "retired_at"}
)


class BankQuestions:
    """The questions already in the bank, for exact and near matches: all of them, or
    those of `questions` (say, what one viewer sees, or the library and one team bank).

    The bank is read in one query as plain rows, and a row becomes a Question only when
    it is a match: a plan against 5,000 questions finds a few dozen. The word index is
    two arrays (numpy), one the words of each question and one the questions of each
    word, so a search counts its candidates' words in a few array operations instead
    of a Python loop per candidate.
    """

    def __init__(self, work: Work, questions: QuerySet[Question] | None = None) -> None:
        among = Question.objects.all() if questions is None else questions
        self.rows = list(among.values_list(*_FIELDS))
        self.db = among.db
        self.work = work
        self.state = (len(self.rows), max((row[0] for row in self.rows), default=0))
        self.texts = [normalise_for_match(row[3]) for row in self.rows]
        self._questions: dict[int, Question] = {}
        self.by_key = _Matches(self, {row[1]: i for i, row in enumerate(self.rows)})
        self.by_text = _Matches(self, {text: i for i, text in enumerate(self.texts)})
        self._index_words()

    def _index_words(self) -> None:
        # Question i's distinct words are word ids self.words[self.starts[i]:self.starts[i + 1]];
        # word w's questions, in the bank's order, postings[offsets[w]:offsets[w + 1]].
        self.vocabulary: dict[str, int] = {}
        ids = [
            [self.vocabulary.setdefault(word, len(self.vocabulary)) for word in set(text.split())]
            for text in self.texts
        ]
        lengths = np.fromiter((len(words) for words in ids), dtype=np.int64, count=len(ids))
        self.starts = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.starts[1:])
        self.words = np.fromiter(
            (word for words in ids for word in words), dtype=np.int64, count=int(self.starts[-1])
        )
        owner = np.repeat(np.arange(len(ids), dtype=np.int64), lengths)
        order = np.argsort(self.words, kind="stable")  # stable: each word's questions in order
        self.postings = owner[order]
        counts = np.bincount(self.words, minlength=len(self.vocabulary))
        self.offsets = np.zeros(len(self.vocabulary) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offsets[1:])
        self.frequency = counts.tolist()  # how many questions hold each word

    def question(self, index: int) -> Question:
        """The bank's question at `index`, as a Question with the fields of _FIELDS loaded
        (the others deferred, as `only()` leaves them)."""
        if (question := self._questions.get(index)) is None:
            question = Question.from_db(self.db, _FIELDS, self.rows[index])
            self._questions[index] = question
        return question

    def _postings(self, word: str) -> np.ndarray:
        word_id = self.vocabulary.get(word)
        if word_id is None:
            return self.postings[:0]
        return self.postings[self.offsets[word_id] : self.offsets[word_id + 1]]

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
        vocabulary, frequency = self.vocabulary, self.frequency
        by_rarity = sorted(
            words,
            key=lambda word: (frequency[i] if (i := vocabulary.get(word)) is not None else 0, word),
        )
        read: list[np.ndarray] = []
        left = DUPLICATE_POSTINGS
        for word in by_rarity[: len(words) - needed + 1]:
            postings = self._postings(word)
            read.append(postings[:left])
            left -= min(left, len(postings))
            if not left:
                break
        self.work.spend(DUPLICATE_POSTINGS - left)
        if not read:
            return []
        found, first, times = np.unique(np.concatenate(read), return_index=True, return_counts=True)
        if len(found) > DUPLICATE_SHORTLIST:
            # Those found most often among the rarer words' lists; of as many, those
            # found first (rarest word first, then in the bank's order).
            found = found[np.lexsort((first, -times))[:DUPLICATE_SHORTLIST]]
        self.work.spend(len(found))
        if not len(found):
            return []
        # How many of the text's words each shortlisted question holds.
        starts, ends = self.starts[found], self.starts[found + 1]
        lengths = ends - starts
        entries = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        entries += np.arange(int(lengths.sum()))
        mine = [i for word in words if (i := self.vocabulary.get(word)) is not None]
        holds = np.isin(self.words[entries], mine)
        shared = np.bincount(np.repeat(np.arange(len(found)), lengths), weights=holds)
        ranked = [
            (n, i)
            for n, i in zip(shared.astype(int).tolist(), found.tolist(), strict=True)
            if n >= needed
        ]
        return [i for _, i in heapq.nlargest(DUPLICATE_CANDIDATES, ranked)]

    def likely_duplicate(self, text: str) -> tuple[Question, float] | None:
        """The bank question most like `text`, if it is at least DUPLICATE_SIMILARITY
        alike; the similarity in percent."""
        best: tuple[int, float] | None = None
        threshold: float = DUPLICATE_SIMILARITY
        for index in self._candidates(text):
            other = self.texts[index]
            self.work.compare(text, other)
            # 0 below the cutoff, which lets rapidfuzz stop early.
            ratio = fuzz.ratio(text, other, score_cutoff=threshold)
            if ratio and ratio >= threshold:
                best, threshold = (index, ratio), ratio
        return None if best is None else (self.question(best[0]), best[1])


class _Matches(Mapping[str, Question]):
    """The bank's questions by key or by normalised text; each made a Question when asked for."""

    def __init__(self, bank: BankQuestions, indexes: dict[str, int]) -> None:
        self.bank, self.indexes = bank, indexes

    def __getitem__(self, name: str) -> Question:
        return self.bank.question(self.indexes[name])

    def __contains__(self, name: object) -> bool:
        return name in self.indexes

    def __iter__(self) -> Iterator[str]:
        return iter(self.indexes)

    def __len__(self) -> int:
        return len(self.indexes)
