"""The question editor's forms: writing a question, editing one, previewing answers.

Lengths are checked in clean, not with the inputs' maxlength: a browser quietly cuts
pasted text at maxlength, and nothing a user typed may be lost. The limits are the
importer's, so a question written here can be exported and imported again.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import F, Q
from django.urls import reverse

from authoring.services import QuestionContent, content_from
from questions.forms import LIBRARY
from questions.importing.document import (
    ANSWER_MAX_CHARS,
    QUESTION_MAX_CHARS,
    RELATED_PER_QUESTION_MAX,
    TOPICS_PER_QUESTION_MAX,
)
from questions.key_points import MAX_POINT_LENGTH, MAX_POINTS, split_key_points
from questions.models import Bank, Question, Topic, in_library_or, live_in

MARKDOWN_HELP = (
    "Markdown: **bold**, *italic*, lists (a line starting with “- ”), `code`, "
    "[links](https://example.com); an empty line starts a new paragraph."
)


class TypedText(forms.CharField):
    """Text from a textarea: NUL bytes dropped (PostgreSQL cannot store them), line
    endings made "\\n" before the length is counted; with `one_line`, every run of
    whitespace made one space, as question texts are."""

    def __init__(self, *, limit: int, what: str, one_line: bool = False, **kwargs: Any) -> None:
        self.limit, self.what, self.one_line = limit, what, one_line
        kwargs.setdefault("strip", not one_line)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = (super().to_python(value) or "").replace("\x00", "")
        if self.one_line:
            return " ".join(text.split())
        return text.replace("\r\n", "\n").replace("\r", "\n").strip()

    def validate(self, value: Any) -> None:
        super().validate(value)
        if len(value) > self.limit:
            raise forms.ValidationError(
                f"{self.what} is {len(value):,} characters long; the limit is "
                f"{self.limit:,}. Shorten it and save again: your text is still here.",
                code="too_long",
            )


class TopicChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Topic) -> str:
        return obj.name if obj.bank_id is None else f"{obj.name} (team bank)"


class QuestionChoiceField(forms.ModelMultipleChoiceField):
    """Questions listed by number and text, as the topic pages show them."""

    def label_from_instance(self, obj: Question) -> str:
        return f"Q{obj.position}. {obj.text}"


def bank_value(bank: Bank | None) -> str:
    """How a bank is named in the editor's form and address (?bank=)."""
    return LIBRARY if bank is None else str(bank.pk)


def bank_label(bank: Bank | None) -> str:
    return "Library" if bank is None else f"Team bank: {bank.name}"


class QuestionForm(forms.Form):
    """A question's content, with the topics and related questions of its scope: the
    library and the one bank the question is (or goes) in."""

    text = TypedText(
        label="Question",
        limit=QUESTION_MAX_CHARS,
        what="The question",
        one_line=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the question."},
    )
    concise = TypedText(
        label="Concise answer",
        limit=ANSWER_MAX_CHARS,
        what="The concise answer",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"What a learner checks themselves against. {MARKDOWN_HELP}",
        error_messages={"required": "Write a concise answer."},
    )
    long = TypedText(
        label="Long answer",
        limit=ANSWER_MAX_CHARS,
        what="The long answer",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Optional: a fuller explanation, in Markdown too.",
    )
    key_points = TypedText(
        label="Key points",
        limit=MAX_POINTS * (MAX_POINT_LENGTH + 1),
        what="The key points",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"What a typed answer is checked against: one per line, at most "
        f"{MAX_POINTS}. Leave empty to take them from the concise answer, sentence by sentence.",
    )
    topics = TopicChoiceField(
        label="Topics",
        queryset=Topic.objects.none(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        help_text="At least one: library topics, and those of the team bank it is in.",
        error_messages={
            "required": "Choose at least one topic.",
            "invalid_choice": "“%(value)s” is not a topic of the library or of this bank.",
        },
    )
    related = QuestionChoiceField(
        label="Related questions",
        queryset=Question.objects.none(),
        to_field_name="key",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional: questions that ask much the same, from the library or this bank.",
        error_messages={
            "invalid_choice": "“%(value)s” is not a question of the library or of this bank.",
        },
    )

    def __init__(
        self, *args: Any, scope: Bank | None, question: Question | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.scope, self.question = scope, question
        banks = [scope.pk] if scope is not None else []
        topics = cast(TopicChoiceField, self.fields["topics"])
        topics.queryset = Topic.objects.in_scope(banks).order_by(
            F("bank").asc(nulls_first=True), "position", "name"
        )
        in_scope = live_in(banks)
        if question is not None:  # a retired question it is linked to stays choosable
            in_scope |= Q(pk__in=question.related.values("pk")) & in_library_or(banks)
        related = cast(QuestionChoiceField, self.fields["related"])
        others = Question.objects.filter(in_scope)
        if question is not None:
            others = others.exclude(pk=question.pk)
        related.queryset = others.only("key", "text", "position").order_by("position", "pk")

    def clean_topics(self) -> Any:
        topics = self.cleaned_data["topics"]
        if len(topics) > TOPICS_PER_QUESTION_MAX:
            raise forms.ValidationError(
                f"Choose at most {TOPICS_PER_QUESTION_MAX} topics ({len(topics)} are chosen)."
            )
        return topics

    def clean_related(self) -> Any:
        related = self.cleaned_data["related"]
        if len(related) > RELATED_PER_QUESTION_MAX:
            raise forms.ValidationError(
                f"Choose at most {RELATED_PER_QUESTION_MAX} related questions "
                f"({len(related)} are chosen)."
            )
        return related

    def clean_key_points(self) -> list[str]:
        points = split_key_points(self.cleaned_data["key_points"])
        if len(points) > MAX_POINTS:
            raise forms.ValidationError(
                f"Write at most {MAX_POINTS} key points ({len(points)} are written); "
                "merge or drop some."
            )
        if too_long := [n for n, p in enumerate(points, 1) if len(p) > MAX_POINT_LENGTH]:
            raise forms.ValidationError(
                f"Key point {too_long[0]} is longer than {MAX_POINT_LENGTH} characters: "
                "a point is one statement."
            )
        return points

    def content(self) -> QuestionContent:
        data = self.cleaned_data
        return content_from(
            text=data["text"],
            concise=data["concise"],
            long=data["long"],
            topics=data["topics"],
            related=data["related"],
            key_points=data["key_points"],
        )


class NewQuestionForm(QuestionForm):
    """A new question and where it goes: the library (staff) or a team bank the writer
    instructs. The topics and related questions offered and accepted are those of
    `scope`, the bank chosen: one of another bank, left ticked when the bank was
    changed without JavaScript, is refused with a message saying so."""

    bank = forms.ChoiceField(
        label="Where it goes",
        help_text="A team bank is seen only by the team's members; the library by everyone.",
        error_messages={"invalid_choice": "Choose a bank you may write into."},
    )
    field_order = ["bank", "text", "concise", "long", "key_points", "topics", "related"]

    def __init__(self, *args: Any, banks: list[Bank | None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.banks = {bank_value(b): b for b in banks}
        bank = cast(forms.ChoiceField, self.fields["bank"])
        bank.choices = [(value, bank_label(b)) for value, b in self.banks.items()]
        bank.initial = bank_value(self.scope)
        # Another bank brings its own topics and related questions into the form, with
        # those still ticked that it has too; the text typed so far stays as it is.
        bank.widget.attrs.update(
            {
                "hx-get": reverse("authoring:question_create"),
                "hx-trigger": "change",
                "hx-target": "#scoped-fields",
                "hx-swap": "outerHTML",
                "hx-include": "#scoped-fields",
            }
        )

    @property
    def chosen_bank(self) -> Bank | None:
        return self.banks[self.cleaned_data["bank"]]


class EditQuestionForm(QuestionForm):
    #: The revision the editor was opened on (0: none yet), so a save that would
    #: overwrite someone else's newer one is refused (authoring.services.save_edit).
    revision = forms.IntegerField(min_value=0, max_value=2_147_483_647, widget=forms.HiddenInput)


class AnswerPreviewForm(forms.Form):
    """The answers as typed so far, to be shown as they will read."""

    concise = TypedText(
        label="Concise answer", limit=ANSWER_MAX_CHARS, what="The concise answer", required=False
    )
    long = TypedText(
        label="Long answer", limit=ANSWER_MAX_CHARS, what="The long answer", required=False
    )


class PromoteForm(forms.Form):
    """Library topics for a team question that has none, when it moves to the library."""

    topics = TopicChoiceField(
        label="Library topics",
        queryset=Topic.objects.filter(bank__isnull=True).order_by("position", "name"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The question leaves its team topics; in the library it needs at least one.",
        error_messages={"invalid_choice": "“%(value)s” is not a library topic."},
    )

    def clean_topics(self) -> Any:
        topics = self.cleaned_data["topics"]
        if len(topics) > TOPICS_PER_QUESTION_MAX:
            raise forms.ValidationError(f"Choose at most {TOPICS_PER_QUESTION_MAX} topics.")
        return topics
