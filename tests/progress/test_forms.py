import pytest

from progress.forms import ConfidenceForm, NoteForm


@pytest.mark.parametrize("value", ["1", "3", "5"])
def test_confidence_form_accepts_1_to_5_as_numbers(value):
    form = ConfidenceForm({"level": value})
    assert form.is_valid()
    assert form.cleaned_data["level"] == int(value)


@pytest.mark.parametrize("value", ["0", "6", "3.5", "three", "-1"])
def test_confidence_form_refuses_other_levels_with_a_clear_message(value):
    form = ConfidenceForm({"level": value})
    assert not form.is_valid()
    assert form.errors["level"] == ["Choose a confidence level from 1 (Not yet) to 5 (Mastered)."]


def test_note_form_keeps_the_text_as_typed_apart_from_line_endings():
    form = NoteForm({"text": "  indented\r\nnext line  "})
    assert form.is_valid()
    assert form.cleaned_data["text"] == "  indented\nnext line  "


def test_note_form_allows_an_empty_note():
    form = NoteForm({"text": ""})
    assert form.is_valid()
    assert form.cleaned_data["text"] == ""


def test_note_form_accepts_exactly_the_limit():
    form = NoteForm({"text": "x" * 20_000})
    assert form.is_valid()


def test_note_form_refuses_text_over_the_limit_and_says_the_limit():
    form = NoteForm({"text": "x" * 20_001})
    assert not form.is_valid()
    (message,) = form.errors["text"]
    assert "20,001 characters" in message
    assert "the limit is 20,000" in message


def test_note_limit_follows_the_setting(settings):
    settings.NOTE_MAX_LENGTH = 10
    assert NoteForm({"text": "x" * 10}).is_valid()
    form = NoteForm({"text": "x" * 11})
    assert not form.is_valid()
    assert "the limit is 10" in form.errors["text"][0]


def test_note_limit_counts_windows_line_endings_once():
    assert NoteForm({"text": "x" * 19_998 + "\r\n"}).is_valid()


def test_note_form_strips_null_bytes():
    form = NoteForm({"text": "a\x00b"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["text"] == "ab"
