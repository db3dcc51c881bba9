"""The answer check on hand-written answers: reworded, partial, wrong, empty, long, in
another language, in Markdown and with code; and on any text at all (hypothesis).

The network is off for the whole module (pytest-socket): the embedding model loads from
its package, never from the internet."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import urllib3  # noqa: F401 — on import it opens (never connects) a socket to probe IPv6
import wordllama
from hypothesis import given, settings
from hypothesis import strategies as st
from wordllama import WordLlama

from questions import semantic
from questions.answer_check import MAX_TYPED, check_answer, content_stems, normalise
from questions.key_points import derive_key_points, split_key_points

pytestmark = pytest.mark.disable_socket

#: Q11 of the seed bank, concise answer.
QUANTIZATION = (
    "Model quantization is a technique that reduces the memory footprint of CNN models by "
    "representing weights and activations with lower-precision values. It reduces memory "
    "requirements, speeds up inference, improves energy efficiency, and enables deployment "
    "on resource-constrained devices. However, there may be a trade-off with model accuracy, "
    "requiring careful parameter calibration to maintain a balance between efficiency and "
    "performance."
)
POINTS = derive_key_points(QUANTIZATION)
MEMORY, SPEED, TRADE_OFF = range(3)


def mentioned(check) -> list[bool]:
    return [point.mentioned for point in check.points]


def test_the_key_points_are_the_answers_sentences():
    assert POINTS == [
        "Model quantization is a technique that reduces the memory footprint of CNN models "
        "by representing weights and activations with lower-precision values.",
        "It reduces memory requirements, speeds up inference, improves energy efficiency, "
        "and enables deployment on resource-constrained devices.",
        "However, there may be a trade-off with model accuracy, requiring careful parameter "
        "calibration to maintain a balance between efficiency and performance.",
    ]


def test_key_points_of_a_list_answer_drop_the_lead_in_and_keep_labelled_items():
    answer = (
        "Transfer learning offers the following benefits:\n\n"
        "- **Reduced training time**: starting from learned features saves time.\n"
        "- Better performance with *little* data, e.g. a few hundred images.\n\n"
        "```python\nmodel = resnet50(weights='IMAGENET1K_V2')\n```\n"
        "See [the docs](https://example.com) for more."
    )
    assert derive_key_points(answer) == [
        "Reduced training time: starting from learned features saves time.",
        "Better performance with little data, e.g. a few hundred images.",
        "model = resnet50(weights='IMAGENET1K_V2')",
        "See the docs for more.",
    ]


def test_key_points_come_from_the_long_answer_when_there_is_no_concise_one():
    assert derive_key_points("", "Pooling downsamples feature maps. It adds invariance.") == [
        "Pooling downsamples feature maps.",
        "It adds invariance.",
    ]
    assert derive_key_points("  ", None) == []


def test_key_points_are_at_most_eight_and_none_is_overlong():
    answer = " ".join(f"Statement number {n} is a separate point." for n in range(20))
    answer += " " + "word " * 200 + "end."
    points = derive_key_points(answer)
    assert len(points) == 8
    long = derive_key_points("word " * 200 + "end.")[0]
    assert len(long) <= 300 and long.endswith("…")


def test_instructor_key_points_are_one_per_line():
    assert split_key_points("- first point\n\n* second point\n1. third\nfirst point\n") == [
        "first point",
        "second point",
        "third",
    ]


def test_normalising_makes_the_fields_spellings_one():
    assert normalise("Pre-trained ConvNets quantise to INT8") == "pretrain cnn quantize to quantiz"
    assert content_stems("The CNN's kernels") == content_stems(
        "convolutional neural network filter"
    )


def test_a_correct_answer_in_other_words_makes_every_point():
    typed = (
        "Quantisation stores the weights and activations in fewer bits, such as int8 "
        "instead of float32, so the model takes much less memory. It runs faster and uses "
        "less power, which lets you deploy it on phones and edge hardware. The catch is "
        "some loss of accuracy, so you calibrate it carefully."
    )
    check = check_answer(typed, POINTS)
    assert mentioned(check) == [True, True, True], check
    assert check.score >= 60


def test_a_partly_correct_answer_makes_some_points():
    check = check_answer("Quantization shrinks a model by storing its weights in 8 bits.", POINTS)
    assert check.points[MEMORY].mentioned
    assert not check.points[TRADE_OFF].mentioned
    assert 20 <= check.score < 70


def test_a_wrong_answer_on_the_same_topic_makes_no_point():
    typed = (
        "Quantization removes the neurons whose weights are close to zero and then retrains "
        "the network so that it becomes sparse."
    )  # that is pruning
    check = check_answer(typed, POINTS)
    assert mentioned(check) == [False, False, False], check
    assert check.score < 40


def test_an_answer_to_another_question_scores_low():
    typed = (
        "Anchor boxes are predefined boxes of several scales and aspect ratios; the detector "
        "predicts offsets and a class score for each one."
    )
    assert check_answer(typed, POINTS).score < 20


@pytest.mark.parametrize("typed", ["", "   ", "\n\n", "the of and", "?!", "…"])
def test_an_empty_answer_scores_zero(typed):
    check = check_answer(typed, POINTS)
    assert check.score == 0
    assert mentioned(check) == [False, False, False]


def test_a_very_long_answer_is_read_up_to_the_limit():
    padding = "Convolutions slide filters over the image. " * 200
    check = check_answer(padding + QUANTIZATION, POINTS)
    assert len(padding) > MAX_TYPED
    assert check.score < 40  # the answer past the limit is not read
    assert check_answer(QUANTIZATION + " " + padding, POINTS).score == 100


def test_an_answer_in_another_language_gives_a_result():
    german = (
        "Quantisierung speichert Gewichte und Aktivierungen mit weniger Bits, "
        "das spart Speicher und macht die Inferenz schneller."
    )
    check = check_answer(german, POINTS)
    assert 0 <= check.score <= 100 and len(check.points) == 3
    # The check reads English: the same answer in English does better.
    english = (
        "Quantization stores weights and activations with fewer bits, "
        "which saves memory and makes inference faster."
    )
    assert check_answer(english, POINTS).score > check.score
    assert check_answer("量子化はモデルを小さくします。", POINTS).score < 30


def test_markdown_is_read_as_its_words():
    plain = "Weights use lower precision, so memory shrinks. Inference is faster on devices."
    markdown = (
        "## My answer\n\n- **Weights** use *lower precision*, so `memory` shrinks.\n"
        "- Inference is [faster](https://example.com) on devices.\n"
    )
    assert abs(check_answer(markdown, POINTS).score - check_answer(plain, POINTS).score) <= 5


def test_code_in_an_answer_counts_its_words():
    prose = "It makes the model smaller and faster."
    with_code = prose + (
        "\n\n```python\nq = torch.quantization.quantize_dynamic(model, {nn.Linear}, "
        "dtype=torch.qint8)  # weights to int8, lower memory\n```"
    )
    assert check_answer(with_code, POINTS).score > check_answer(prose, POINTS).score


def test_typos_are_forgiven():
    typed = "Quantizaton represents the wieghts and activatons with lower-precision values."
    assert check_answer(typed, POINTS).points[MEMORY].mentioned


def test_no_key_points_is_no_score():
    check = check_answer("anything", [])
    assert check.score == 0 and check.points == ()


def test_the_model_loads_from_its_package_with_the_network_off(monkeypatch):
    monkeypatch.setattr(semantic, "_model", None)
    monkeypatch.setattr(semantic, "_failed", False)
    assert semantic.model() is not None  # a download would have raised SocketBlockedError
    [same, other] = semantic.best_similarities(
        ["Quantization lowers numeric precision.", "Anchors are prior boxes."],
        "Weights are stored with fewer bits.",
    )
    assert same > other


def test_the_table_is_shared_not_copied():
    """The weights stay a read-only map of the wheel's file, shared by every worker through
    the page cache, and loading imports neither the wordllama package nor its HTTP client
    (30 MB a process): docs/performance.md, worker memory."""
    loaded = semantic.model()
    assert isinstance(loaded.embedding, np.memmap)
    assert not loaded.embedding.flags.writeable
    assert loaded.embedding.shape[1] == 256
    script = (
        "import sys; from questions import semantic; assert semantic.model() is not None; "
        "print(sorted({'wordllama', 'requests', 'pydantic'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]"


def test_a_table_of_the_wrong_size_is_refused(tmp_path):
    header = json.dumps(
        {"embedding.weight": {"dtype": "F16", "shape": [4, 2], "data_offsets": [0, 8]}}
    ).encode()
    path = tmp_path / "short.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(8))
    with pytest.raises(ValueError, match="is not 4x2 F16"):
        semantic.map_table(path)


def test_the_similarity_is_wordllamas_own():
    """best_similarities sums token vectors itself (no padding); it must agree with
    WordLlama's embed, should a new release change how that works."""
    point, typed = "Pooling downsamples feature maps.", "Max pooling keeps the largest value."
    [ours] = semantic.best_similarities([point], typed)
    # A model of its own: the shared one's tokenizer no longer pads, which embed() needs.
    vectors = WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent, disable_download=True
    ).embed([point, typed], norm=True)
    assert ours == pytest.approx(float(vectors[0] @ vectors[1]), abs=1e-5)


def test_without_the_model_the_check_is_lexical(monkeypatch, caplog):
    monkeypatch.setattr(semantic, "_model", None)
    monkeypatch.setattr(semantic, "_failed", True)
    check = check_answer(QUANTIZATION, POINTS)
    assert check.score == 100
    assert all(point.semantic == 0 for point in check.points)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=MAX_TYPED + 100))
def test_any_text_gives_a_score_from_0_to_100(typed):
    check = check_answer(typed, POINTS)
    assert 0 <= check.score <= 100
    assert len(check.points) == len(POINTS)
    assert all(0 <= point.strength <= 1 for point in check.points)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2_000), st.lists(st.text(max_size=400), max_size=10))
def test_any_answer_against_any_points(typed, points):
    check = check_answer(typed, points)
    assert 0 <= check.score <= 100 and len(check.points) == len(points)
