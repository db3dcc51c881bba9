"""Sentence similarity from WordLlama's 256-dimension embeddings, loaded once per process.

The weights and tokenizer ship inside the `wordllama` wheel; it is loaded with its own
package folder as the cache and downloads disabled, so nothing is ever fetched. Should the
model fail to load (a broken install), the answer check goes on with its lexical half and
says so in the log once.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_model: Any = None
_failed = False


def model() -> Any:
    """The WordLlama model, or None if it cannot be loaded."""
    global _model, _failed
    if _model is None and not _failed:
        with _lock:
            if _model is None and not _failed:
                try:
                    import wordllama
                    from wordllama import WordLlama

                    loaded = WordLlama.load(
                        cache_dir=Path(wordllama.__file__).parent, disable_download=True
                    )
                    # Read the whole table once, so that no check pays for its first read.
                    float(loaded.embedding.sum())
                    # Its tokenizer pads every text of a batch to the longest: turned off
                    # (a copy would cost 40 MB), so this instance's own embed() no longer
                    # works; nothing here calls it.
                    loaded.tokenizer.no_padding()
                    loaded.tokenizer.no_truncation()
                    _model = loaded
                except Exception:  # any failure: the check goes on without it
                    _failed = True
                    logger.exception("WordLlama did not load; the answer check is lexical only")
    return _model


#: Where a sentence (or a line) of a typed answer ends.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")


def _point_sums(loaded: Any, points: Sequence[str]) -> np.ndarray:
    """Each point's summed token vectors: WordLlama's embedding of a text is their mean,
    normalised, and a sum points the same way as the mean."""
    table = loaded.embedding
    sums = np.zeros((len(points), table.shape[1]), dtype=np.float32)
    for row, item in enumerate(
        loaded.tokenizer.encode_batch(list(points), add_special_tokens=False)
    ):
        if item.ids:
            sums[row] = table[np.clip(item.ids, 0, table.shape[0] - 1)].sum(axis=0)
    return sums


def _sentence_sums(loaded: Any, text: str) -> np.ndarray:
    """The summed token vectors of each sentence of `text`: the text is tokenized once and
    its tokens are summed by the sentence they start in, so the work is in proportion to
    its length, however many sentences it has."""
    table = loaded.embedding
    encoded = loaded.tokenizer.encode(text, add_special_tokens=False)
    if not encoded.ids:
        return np.zeros((0, table.shape[1]), dtype=np.float32)
    ids = np.clip(np.asarray(encoded.ids, dtype=np.int64), 0, table.shape[0] - 1)
    token_starts = np.fromiter((start for start, _end in encoded.offsets), dtype=np.int64)
    breaks = np.asarray([0, *(m.end() for m in _SENTENCE_BREAK.finditer(text))], dtype=np.int64)
    sentence = np.searchsorted(breaks, token_starts, side="right") - 1
    # Tokens come in order, so each sentence's tokens are one run: sum each run.
    firsts = np.flatnonzero(np.r_[True, sentence[1:] != sentence[:-1]])
    return np.add.reduceat(table[ids], firsts, axis=0)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def best_similarities(points: Sequence[str], typed: str) -> list[float]:
    """For each of `points`, its highest cosine similarity with a sentence of `typed`, two
    neighbouring sentences together, or all of it (0 for every point when the model is not
    there). The work is in proportion to the length of `typed`."""
    loaded = model()
    if loaded is None or not points:
        return [0.0] * len(points)
    parts = _sentence_sums(loaded, typed)
    if not len(parts):
        return [0.0] * len(points)
    passages = np.concatenate([parts, parts[:-1] + parts[1:], parts.sum(axis=0, keepdims=True)])
    similarity = _unit(_point_sums(loaded, points)) @ _unit(passages).T
    return [float(row.max()) for row in similarity]
