from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from progress.models import Confidence, RecallCheck


class ConfidenceForm(forms.Form):
    level = forms.TypedChoiceField(
        choices=Confidence.choices,
        coerce=int,
        error_messages={
            "invalid_choice": "Choose a confidence level from 1 (Not yet) to 5 (Mastered)."
        },
    )


class NoteTextField(forms.CharField):
    """Note text with NUL bytes dropped and line endings normalised before validation
    (PostgreSQL cannot store NUL, and pasted text often carries one)."""

    def to_python(self, value: object) -> str:
        text = super().to_python(value) or ""  # never None: empty_value is ""
        return text.replace("\x00", "").replace("\r\n", "\n")


class NoteForm(forms.Form):
    text = NoteTextField(
        label="Note",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "Markdown: **bold**, *italic*, lists, `code`, [links](https://…). Only you can see it."
        ),
    )
    # The saved state the editor started from (progress.services.note_revision), so a
    # save from a stale tab is refused instead of overwriting newer text.
    version = forms.CharField(required=False, widget=forms.HiddenInput)
    # Sent by static/js/notes.js only: which opening of the editor sent the save, and
    # its number among that editor's saves (progress.services.save_note).
    editor = forms.CharField(
        required=False,
        max_length=64,
        validators=[RegexValidator(r"\A[A-Za-z0-9-]*\Z", "Not an editor id.")],
    )
    seq = forms.IntegerField(required=False, min_value=1, max_value=2_147_483_647)

    def clean_version(self) -> str | None:
        """None when the form did not send a version at all (no check is possible)."""
        if "version" not in self.data:
            return None
        return self.cleaned_data["version"]

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        limit = settings.NOTE_MAX_LENGTH
        if len(text) > limit:
            raise forms.ValidationError(
                f"This note is {len(text):,} characters long; the limit is {limit:,}. "
                "Shorten it and save again — your text is still here.",
                code="max_length",
            )
        return text


class RecallForm(forms.Form):
    """A typed answer to check against the key points (progress.recall.record_check)."""

    text = NoteTextField(
        label="Your answer",
        strip=False,
        error_messages={
            "required": "Type your answer first (or just show the answer): there was nothing "
            "to check."
        },
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": RecallCheck.MAX_LENGTH}),
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError(self.fields["text"].error_messages["required"])
        limit = RecallCheck.MAX_LENGTH
        if len(text) > limit:
            raise forms.ValidationError(
                f"Your answer is {len(text):,} characters long; the limit is {limit:,}. "
                "Shorten it and check again — your text is still here.",
                code="max_length",
            )
        return text


class TypingPreferenceForm(forms.Form):
    """ "Type my answer first" on or off (User.type_answers)."""

    type_answers = forms.TypedChoiceField(
        choices=[("1", "on"), ("0", "off")], coerce=lambda value: value == "1"
    )
