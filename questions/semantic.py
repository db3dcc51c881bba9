"""Sentence similarity from WordLlama's 256-dimension embeddings, loaded once per process.

The weights and tokenizer ship inside the `wordllama` wheel. They are read straight from
its files, without importing the package (which would bring in an HTTP client and pydantic,
30 MB a process): the tokenizer through `tokenizers`, and the weights, a float16 table in a
safetensors file, memory-mapped read-only. Every gunicorn worker then shares the one copy
in the page cache instead of holding 48 MB of its own, and a check reads only the rows of
its tokens. Nothing is ever fetched. Should the model fail to load (a broken install), the
answer check goes on with its lexical half and says so in the log once.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: The files of the wheel's 256-dimension model, inside the `wordllama` package folder.
WEIGHTS = Path("weights") / "l2_supercat_256.safetensors"
TOKENIZER = Path("tokenizers") / "l2_supercat_tokenizer_config.json"
TENSOR = "embedding.weight"

_DTYPES = {"F16": np.float16, "F32": np.float32}


@dataclass(frozen=True)
class Model:
    """The embedding table (rows: token ids; read-only, mapped from the file) and the
    tokenizer, set to neither pad nor truncate."""

    embedding: np.ndarray
    tokenizer: Any


_lock = threading.Lock()
_model: Model | None = None
_failed = False


def package_folder() -> Path:
    """The installed `wordllama` package's folder, found without importing it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("wordllama is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def map_table(path: Path, name: str = TENSOR) -> np.ndarray:
    """One tensor of a safetensors file, memory-mapped read-only: the format is an 8-byte
    little-endian header length, a JSON header giving each tensor's dtype, shape and byte
    offsets, then the raw data."""
    with path.open("rb") as file:
        (header_length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(header_length))
    entry = header[name]
    dtype = np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<")
    start, end = entry["data_offsets"]
    rows, columns = entry["shape"]
    if end - start != rows * columns * dtype.itemsize:
        raise ValueError(f"{path.name}: {name} is not {rows}x{columns} {entry['dtype']}")
    return np.memmap(
        path, dtype=dtype, mode="r", offset=8 + header_length + start, shape=(rows, columns)
    )


def model() -> Model | None:
    """The model, or None if it cannot be loaded."""
    global _model, _failed
    if _model is None and not _failed:
        with _lock:
            if _model is None and not _failed:
                try:
                    from tokenizers import Tokenizer

                    folder = package_folder()
                    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
                    tokenizer.no_padding()
                    tokenizer.no_truncation()
                    _model = Model(embedding=map_table(folder / WEIGHTS), tokenizer=tokenizer)
                except Exception:  # any failure: the check goes on without it
                    _failed = True
                    logger.exception("WordLlama did not load; the answer check is lexical only")
    return _model


def _rows(table: np.ndarray, ids: Any) -> np.ndarray:
    """The table's rows for `ids` (clipped to the table), as float32: WordLlama itself
    widens its float16 table to float32 before it sums."""
    return table[np.clip(np.asarray(ids, dtype=np.int64), 0, table.shape[0] - 1)].astype(np.float32)


#: Where a sentence (or a line) of a typed answer ends.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")


def _point_sums(loaded: Model, points: Sequence[str]) -> np.ndarray:
    """Each point's summed token vectors: WordLlama's embedding of a text is their mean,
    normalised, and a sum points the same way as the mean."""
    table = loaded.embedding
    sums = np.zeros((len(points), table.shape[1]), dtype=np.float32)
    for row, item in enumerate(
        loaded.tokenizer.encode_batch(list(points), add_special_tokens=False)
    ):
        if item.ids:
            sums[row] = _rows(table, item.ids).sum(axis=0)
    return sums


def _sentence_sums(loaded: Model, text: str) -> np.ndarray:
    """The summed token vectors of each sentence of `text`: the text is tokenized once and
    its tokens are summed by the sentence they start in, so the work is in proportion to
    its length, however many sentences it has."""
    table = loaded.embedding
    encoded = loaded.tokenizer.encode(text, add_special_tokens=False)
    if not encoded.ids:
        return np.zeros((0, table.shape[1]), dtype=np.float32)
    token_starts = np.fromiter((start for start, _end in encoded.offsets), dtype=np.int64)
    breaks = np.asarray([0, *(m.end() for m in _SENTENCE_BREAK.finditer(text))], dtype=np.int64)
    sentence = np.searchsorted(breaks, token_starts, side="right") - 1
    # Tokens come in order, so each sentence's tokens are one run: sum each run.
    firsts = np.flatnonzero(np.r_[True, sentence[1:] != sentence[:-1]])
    return np.add.reduceat(_rows(table, encoded.ids), firsts, axis=0)


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
