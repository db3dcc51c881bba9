"""questions.importing.duplicates: the word index of the bank and the near-duplicate
search over it (issue 18), checked against the plain definition of the search."""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter, defaultdict

import pytest

from questions.importing.document import normalise_for_match
from questions.importing.duplicates import (
    DUPLICATE_CANDIDATES,
    DUPLICATE_POSTINGS,
    DUPLICATE_SHARED_WORDS,
    DUPLICATE_SHORTLIST,
    BankQuestions,
    Work,
)
from questions.models import Question

pytestmark = pytest.mark.django_db

WORDS = [
    "cnn",
    "relu",
    "pool",
    "stride",
    "kernel",
    "anchor",
    "mask",
    "batch",
    "norm",
    "loss",
    "yolo",
    "unet",
    "vit",
    "flow",
    "depth",
]


def bulk_bank(texts: list[str]) -> None:
    Question.objects.bulk_create(
        Question(key=f"b-{n}", position=n + 1, text=text) for n, text in enumerate(texts)
    )


def reference_index(bank_texts: list[str]) -> tuple[list[frozenset[str]], dict[str, list[int]]]:
    words_of = [frozenset(t.split()) for t in bank_texts]
    postings: dict[str, list[int]] = defaultdict(list)
    for index, words in enumerate(words_of):
        for word in words:
            postings[word].append(index)
    return words_of, postings


def reference_candidates(
    words_of: list[frozenset[str]], postings: dict[str, list[int]], text: str
) -> tuple[list[int], int]:
    """The search as first written, with a Counter over Python lists: the candidates
    (indexes in bank order) and the work units spent."""
    words = frozenset(text.split())
    needed = max(1, math.ceil(len(words) * DUPLICATE_SHARED_WORDS))
    by_rarity = sorted(words, key=lambda word: (len(postings.get(word, ())), word))
    found: Counter[int] = Counter()
    left = DUPLICATE_POSTINGS
    for word in by_rarity[: len(words) - needed + 1]:
        found.update(postings.get(word, [])[:left])
        left -= min(left, len(postings.get(word, ())))
        if not left:
            break
    units = DUPLICATE_POSTINGS - left
    if len(found) > DUPLICATE_SHORTLIST:
        shortlist = [i for i, _ in found.most_common(DUPLICATE_SHORTLIST)]
    else:
        shortlist = list(found)
    units += len(shortlist)
    shared = [(len(words_of[i] & words), i) for i in shortlist]
    ranked = [(n, i) for n, i in shared if n >= needed]
    return [i for _, i in heapq.nlargest(DUPLICATE_CANDIDATES, ranked)], units


def random_text(rng: random.Random, vocabulary: list[str]) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 9)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_index_finds_the_same_candidates_as_the_plain_search(seed):
    """Small vocabularies make many ties and more found questions than the shortlist
    holds, where the order questions are kept in decides which are compared."""
    rng = random.Random(seed)
    vocabulary = WORDS[: 4 + 3 * seed]
    texts = [normalise_for_match(random_text(rng, vocabulary)) for _ in range(1_500)]
    bulk_bank(texts)
    bank = BankQuestions(Work("t", budget=10**12))
    words_of, postings = reference_index(texts)
    probes = [normalise_for_match(random_text(rng, [*vocabulary, "unknown"])) for _ in range(150)]
    for probe in ["", "unknown words only", *probes]:
        expected, units = reference_candidates(words_of, postings, probe)
        before = bank.work.units
        assert bank._candidates(probe) == expected, probe
        assert bank.work.units - before == units, probe


def test_a_rewording_is_found_among_thousands_sharing_its_words():
    rng = random.Random(7)
    texts = [
        f"how does {' '.join(rng.sample(WORDS, 8))} change the {n} result" for n in range(3_000)
    ]
    texts[1234] = "why does batch norm behave differently when training a cnn and at inference"
    bulk_bank(texts)
    work = Work("t", budget=10**12)
    bank = BankQuestions(work)
    found = bank.likely_duplicate(
        normalise_for_match(
            "Why does batch norm behave differently when training a CNN, and at test?"
        )
    )
    assert found is not None
    question, similarity = found
    assert (question.key, question.text) == ("b-1234", texts[1234])
    assert similarity >= 85
    # Bounded: never more entries read, questions counted or compared than the caps allow.
    assert work.comparisons <= DUPLICATE_CANDIDATES
    assert work.units <= DUPLICATE_POSTINGS + DUPLICATE_SHORTLIST + DUPLICATE_CANDIDATES * 10


def test_the_work_for_a_question_stops_growing_with_the_bank():
    """Every bank question holds the text's words: the search reads at most
    DUPLICATE_POSTINGS entries of the index however many there are."""
    text = normalise_for_match("How does a stride change the pool of a kernel?")
    spent = []
    for size in (1_000, 3_000):
        Question.objects.all().delete()
        bulk_bank([f"{text} {n}" for n in range(size)])
        work = Work("t", budget=10**12)
        BankQuestions(work)._candidates(text)
        spent.append(work.units)
    assert spent[0] == spent[1] == DUPLICATE_POSTINGS + DUPLICATE_SHORTLIST


def test_matches_are_questions_as_read_from_the_bank():
    bulk_bank(["What is a stride?", "What is padding?"])
    bank = BankQuestions(Work("t"))
    question = bank.by_key["b-1"]
    assert question is bank.by_text["what is padding"]  # made once
    assert (question.pk, question.text, question.position) == (
        Question.objects.get(key="b-1").pk,
        "What is padding?",
        2,
    )
    assert question.bank_id is None and question.retired_at is None
    assert not question._state.adding
    # Fields a plan does not read are left to load when asked for, as only() does.
    assert "key_points" in question.get_deferred_fields()
    assert "b-0" in bank.by_key and "b-9" not in bank.by_key
    assert set(bank.by_key) == {"b-0", "b-1"} and len(bank.by_text) == 2
    with pytest.raises(KeyError):
        bank.by_key["b-9"]
    assert bank.state == (2, question.pk)
