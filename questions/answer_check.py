"""The answer check: which key points of a model answer a learner's typed answer makes.

Each key point gets a strength from 0 to 1 out of two measures:

- lexical: the share of the point's content words (stemmed, weighted) found among the
  typed words, after normalising spelling (British -ise/-isation, hyphens, "pre trained"),
  mapping the field's abbreviations and synonyms onto one word ("convolutional neural
  network" and "CNN", "kernel" and "filter") and forgiving typos (rapidfuzz);
- semantic: the cosine similarity of the point with the closest sentence, pair of
  neighbouring sentences or the whole of the typed answer, embedded with WordLlama's 256-dimension
  model, whose weights ship inside its pip package (semantic.py).

A point is mentioned when its strength is at least a half; the recall score is the mean
strength as a whole number 0–100. Everything runs in-process, offline, in a few
milliseconds (bench/answer_check.py measures it) and its work is bounded by the input
limit: text beyond MAX_TYPED is not read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from questions import semantic

#: Characters of a typed answer that are read; the form refuses more.
MAX_TYPED = 5_000
#: A point at or above this strength counts as mentioned.
MENTIONED = 0.5

# --- Normalising text ------------------------------------------------------------------

#: Phrases of the field, each mapped onto one token (both sides of a check are mapped, so
#: the direction does not matter). Longer phrases first; matched on whole words after
#: lower-casing, before stemming.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "cnn": (
        "convolutional neural networks",
        "convolutional neural network",
        "convolutional networks",
        "convolutional network",
        "convolutional nets",
        "convnets",
        "convnet",
        "cnns",
    ),
    "nms": ("non maximum suppression", "nonmaximum suppression"),
    "iou": ("intersection over union", "jaccard index"),
    "roi": ("regions of interest", "region of interest", "rois"),
    "rpn": ("region proposal networks", "region proposal network"),
    "gpu": ("graphics processing units", "graphics processing unit", "graphics cards", "gpus"),
    "tpu": ("tensor processing units", "tensor processing unit", "tpus"),
    "ocr": ("optical character recognition",),
    "rnn": ("recurrent neural networks", "recurrent neural network", "rnns", "lstm", "lstms"),
    "bn": ("batch normalization", "batchnorm", "batch norm"),
    "sgd": ("stochastic gradient descent",),
    "lr": ("learning rate",),
    "fc": ("fully connected", "dense layer", "dense layers"),
    "backprop": ("backpropagation", "back propagation", "backward pass", "backpropagate"),
    "finetun": ("finetuning", "finetune", "finetuned", "finetunes"),
    "pretrain": ("pretrained", "pretraining", "pretrain"),
    "gan": ("generative adversarial networks", "generative adversarial network", "gans"),
    "vit": ("vision transformers", "vision transformer", "vits"),
    "knowledge distillation": ("teacher student", "student teacher"),
    "filter": ("kernels", "kernel"),
    "feature map": ("activation maps", "activation map"),
    "image": ("pictures", "picture", "photos", "photo", "images"),
    "weight": ("parameters", "params", "weights"),
    "loss": ("error",),
    "downsampl": ("subsampling", "subsample", "downsampling", "downsample", "downsamples"),
    "quantiz": (
        "int8",
        "low precision",
        "lower precision",
        "reduced precision",
        "fewer bits",
        "8 bits",
        "8 bit",
    ),
    "reduce": (
        "shrinks",
        "shrink",
        "shrinking",
        "shrunk",
        "decreases",
        "decrease",
        "decreasing",
        "cuts down",
        "cut down",
        "lessens",
    ),
    "memory": ("memory footprint", "model size", "storage", "footprint"),
    "lowlevel": ("low level",),
    "highlevel": ("high level",),
    "realtime": ("real time",),
    "overfit": ("over fitting", "over fit"),
    "fast": ("faster", "quicker", "quickly", "speeds up", "speed up", "speedup", "speed"),
    "energy": ("power consumption", "power use", "power", "battery"),
    "device": (
        "mobile devices",
        "edge devices",
        "edge hardware",
        "embedded devices",
        "smartphones",
        "phones",
        "phone",
        "mobile",
        "devices",
    ),
    "tensorflow": ("tf", "keras"),
    "pytorch": ("torch",),
}

_PHRASES = sorted(
    ((phrase, canonical) for canonical, phrases in SYNONYMS.items() for phrase in phrases),
    key=lambda pair: -len(pair[0]),
)
_PHRASE_RE = re.compile(r"\b(" + "|".join(re.escape(p) for p, _ in _PHRASES) + r")\b")
_CANONICAL = dict(_PHRASES)

#: Prefixes written apart, hyphenated or joined ("pre-trained", "fine tuning"): joined.
_PREFIX = re.compile(r"\b(pre|fine|non|multi|sub|semi|mini|hyper)[\s-]+(?=[a-z])")
#: British spellings onto American ones: both sides are changed alike, so a word this
#: over-reaches on ("precise" → "precize") still matches itself.
_ISE = re.compile(r"\b([a-z]{3,})is(e|es|ed|ing|ation|ations|er|ers)\b")
_OUR = re.compile(r"\b(col|behavi|neighb|fav)our")
_WORD = re.compile(r"\w+")

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into
    is it its itself just me more most my no nor not now of off on once only or other
    our out over own same she should so some such than that the their them then there
    these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours etc eg ie e g i may might
    must one ones way ways thing things well often able like via whether within across
    upon us let lets help helps helping helped allow allows allowing enable enables
    enabling include includes including involve involves involving such make makes
    making known various different specific given certain particular refers refer called
    however require requires required requiring maintain maintains maintaining ensure
    ensures aim aims provide provides providing achieve achieves achieving typically thus
    therefore additionally furthermore moreover overall significantly several many much""".split()  # noqa: SIM905
)

#: Words every answer of this field uses: they count, but a tenth as much, so that saying
#: "CNN" and "model" does not make a point.
_stem = Stemmer.Stemmer("english").stemWord


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    return _stem(word)


def normalise(text: str) -> str:
    """Lower-case text with the field's spelling, abbreviations and synonyms made one."""
    text = unicodedata.normalize("NFKC", text[:MAX_TYPED]).casefold()
    text = text.replace("’", "'").replace("_", " ")
    text = re.sub(r"(\w)'s\b", r"\1", text)
    text = re.sub(r"(?<=\w)-(?=\w)", " ", text)
    text = _PREFIX.sub(r"\1", text)
    text = _ISE.sub(r"\1iz\2", text)
    text = _OUR.sub(r"\1or", text)
    return _PHRASE_RE.sub(lambda m: _CANONICAL[m.group(1)], text)


def content_stems(text: str) -> list[str]:
    """The stems of the content words of `text`, in order (repeats kept)."""
    return [
        stem(word)
        for word in _WORD.findall(normalise(text))
        if word not in STOP_WORDS and (len(word) > 1 or word.isdigit())
    ]


#: Words every answer of this field uses: they count, but a tenth as much, so that saying
#: "CNN" and "model" does not make a point.
GENERIC = frozenset(
    stem(word)
    for word in """cnn model models network networks neural image images task tasks performance
    learning learn learned use used using new data computer vision deep improve improves
    improved approach approaches technique techniques method methods based result
    results effective efficient common typical""".split()  # noqa: SIM905
)


def _weight(token: str) -> float:
    return 0.1 if token in GENERIC else 1.0


# --- Checking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PointCheck:
    text: str
    #: 0–1: how strongly the typed answer makes this point.
    strength: float
    lexical: float
    semantic: float

    @property
    def mentioned(self) -> bool:
        return self.strength >= MENTIONED


@dataclass(frozen=True)
class Check:
    points: tuple[PointCheck, ...]

    @property
    def score(self) -> int:
        """The recall score, 0–100: the mean strength of the points."""
        if not self.points:
            return 0
        return round(100 * sum(p.strength for p in self.points) / len(self.points))

    @property
    def mentioned_count(self) -> int:
        return sum(p.mentioned for p in self.points)


def _typo_allowance(token: str) -> int:
    """Edits forgiven in a word this long: none up to five letters, one up to eight,
    then two."""
    return 0 if len(token) < 6 else 1 if len(token) < 9 else 2


class TypedWords:
    """The stems of a typed answer, indexed once for every point's lexical match: the set,
    those of five letters or more, and every beginning of those of five to fourteen."""

    def __init__(self, stems: Iterable[str]) -> None:
        self.stems = set(stems)
        self.long = [t for t in self.stems if len(t) >= 5]
        self.beginnings = {t[:n] for t in self.long for n in range(5, min(len(t), 14) + 1)}


def lexical_match(point: Sequence[str], typed: TypedWords) -> float:
    """The weighted share of the point's stems found among the typed stems. A stem of
    five letters or more also matches a typed word it begins ("activ", "activatons"), and
    one of six or more a typed stem within a typo (one edit, two from nine letters on,
    a swap of neighbours counting one)."""
    wanted = dict.fromkeys(point)  # once each, in order
    total = sum(_weight(t) for t in wanted)
    if not total:
        return 0.0
    found = 0.0
    for token in wanted:
        if token in typed.stems:
            found += _weight(token)
        elif len(token) >= 5 and (
            token in typed.beginnings
            or (
                _typo_allowance(token)
                and process.extractOne(
                    token, typed.long, scorer=OSA.distance, score_cutoff=_typo_allowance(token)
                )
            )
        ):
            found += 0.8 * _weight(token)
    return found / total


#: Cosine similarities of WordLlama below LOW are unrelated text; HIGH and above say
#: the same thing. Measured on the seed bank (bench/answer_check.py).
SEMANTIC_LOW = 0.40
SEMANTIC_HIGH = 0.75


def _scale(value: float, low: float, high: float) -> float:
    return min(1.0, max(0.0, (value - low) / (high - low)))


def check_answer(typed: str, key_points: Sequence[str]) -> Check:
    """Check `typed` against `key_points`: each point's strength, and so the score."""
    typed = typed[:MAX_TYPED].strip()
    stems = content_stems(typed)
    if not stems or not key_points:
        return Check(tuple(PointCheck(p, 0.0, 0.0, 0.0) for p in key_points))
    words = TypedWords(stems)
    similarities = semantic.best_similarities(key_points, typed)
    checks = []
    for point, similarity in zip(key_points, similarities, strict=True):
        lexical = lexical_match(content_stems(point), words)
        meaning = _scale(similarity, SEMANTIC_LOW, SEMANTIC_HIGH)
        strength = max(_scale(lexical, 0.1, 0.7), 0.5 * _scale(lexical, 0.0, 0.6) + 0.5 * meaning)
        checks.append(
            PointCheck(point, round(strength, 3), round(lexical, 3), round(similarity, 3))
        )
    return Check(tuple(checks))
