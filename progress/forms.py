from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone

from progress.models import Assignment, Confidence, TopicSet
from questions.models import Question, Topic


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

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\x00", "").replace("\r\n", "\n")


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


class TopicSetForm(forms.ModelForm):
    class Meta:
        model = TopicSet
        fields = ("name", "description", "topics", "questions")
        labels = {"name": "Name", "topics": "Whole topics", "questions": "Single questions"}
        help_texts = {"name": "For example “Week 3: deployment and robustness”."}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "topics": forms.CheckboxSelectMultiple,
            "questions": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = Topic.objects.order_by("position", "name")
        self.fields["questions"].queryset = Question.objects.order_by("position")
        self.fields["questions"].label_from_instance = lambda q: f"Q{q.position}. {q.text}"

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("topics") and not cleaned.get("questions"):
            raise forms.ValidationError("Choose at least one topic or question.")
        return cleaned


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ("topic_set", "due_date")
        labels = {"topic_set": "Topic set", "due_date": "Due date"}
        help_texts = {"due_date": "Optional."}
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic_set"].queryset = team.topic_sets.all()
        self.fields["topic_set"].empty_label = None
        if self.instance.due_date is None or self.instance.due_date >= timezone.localdate():
            # Date pickers grey out the past (the server checks it too, clean_due_date).
            self.fields["due_date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean_due_date(self):
        """A new due date in the past would show every learner the set as overdue at
        once. A date already saved may stay, so an assignment whose date has passed can
        still be edited."""
        due = self.cleaned_data["due_date"]
        if due is not None and due < timezone.localdate() and due != self.instance.due_date:
            raise forms.ValidationError(
                "Choose today or a later date: a due date in the past would show as "
                "overdue to every learner at once."
            )
        return due
