"""Forms for proposing a question, and for accepting (perhaps edited) or declining one."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from authoring.forms import QuestionChoiceField
from authoring.proposals import ANSWER_MAX, REASON_MAX, TEXT_MAX, TOPICS_MAX
from questions.models import Question, Topic


class TypedText(forms.CharField):
    """Text from a textarea, line endings made "\\n" before its length is checked (a
    browser sends "\\r\\n", which would count twice); with `collapse`, all whitespace
    runs made one space, as question texts are."""

    def __init__(self, *, collapse: bool = False, **kwargs: Any) -> None:
        self.collapse = collapse
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        """No maxlength: a browser would cut pasted text without a word, where the
        server says how long it is and keeps it all."""
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        if self.collapse:
            return " ".join(text.split())
        return text.replace("\r\n", "\n").replace("\r", "\n")


def _too_long(what: str, limit: int) -> str:
    return f"Keep {what} to {limit:,} characters or fewer (it has %(show_value)d)."


def question_field() -> TypedText:
    return TypedText(
        label="Question",
        collapse=True,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Write the question.",
            "max_length": _too_long("the question", TEXT_MAX),
        },
    )


def answer_field() -> TypedText:
    return TypedText(
        label="Answer",
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A concise answer, as you would give it in an interview.",
        error_messages={
            "required": "Write an answer: it is what learners check themselves against.",
            "max_length": _too_long("the answer", ANSWER_MAX),
        },
    )


def long_answer_field() -> TypedText:
    return TypedText(
        label="Long answer",
        required=False,
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Optional: a fuller explanation.",
        error_messages={"max_length": _too_long("the long answer", ANSWER_MAX)},
    )


def _topics_field(*, required: bool, help_text: str) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label="Topics",
        queryset=Topic.objects.none(),
        required=required,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
        error_messages={
            "required": "Choose at least one topic: every question belongs to one.",
            "invalid_choice": "Choose topics from the list.",
            "invalid_pk_value": "Choose topics from the list.",
        },
    )


class _TopicsInScope(forms.Form):
    """A form whose topics are the library's and one team bank's."""

    def __init__(self, *args: Any, bank_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topics = cast("forms.ModelMultipleChoiceField[Topic]", self.fields["topics"])
        topics.queryset = Topic.objects.in_scope([bank_id]).order_by("position", "name")

    def clean_topics(self) -> QuerySet[Topic]:
        topics = self.cleaned_data["topics"]
        if len(topics) > TOPICS_MAX:
            raise forms.ValidationError(f"Choose at most {TOPICS_MAX} topics.")
        return topics


class ProposalForm(_TopicsInScope):
    text = question_field()
    answer = answer_field()
    long_answer = long_answer_field()
    topics = _topics_field(required=False, help_text="Optional: the instructors may choose others.")
    send_anyway = forms.BooleanField(
        label="Send it anyway: my question asks something these do not",
        required=False,
    )

    def __init__(self, *args: Any, bank_id: int, duplicates_url: str, **kwargs: Any) -> None:
        super().__init__(*args, bank_id=bank_id, **kwargs)
        # As the learner types, the likely duplicates appear below the question
        # (authoring.proposal_views.proposal_duplicates), the newest request winning.
        self.fields["text"].widget.attrs.update(
            {
                # A POST: a question of 1,000 characters in a non-Latin script is
                # about 9 KB URL-encoded, past a server's request-line limit.
                "hx-post": duplicates_url,
                "hx-trigger": "input changed delay:500ms",
                "hx-target": "#duplicates",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                "hx-include": "#duplicates",
            }
        )


class ReviewForm(_TopicsInScope):
    """The proposal as the question it becomes, which the instructor may edit."""

    text = question_field()
    answer = answer_field()
    long_answer = long_answer_field()
    topics = _topics_field(required=True, help_text="")
    related = QuestionChoiceField(
        label="Related questions",
        queryset=Question.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Questions like this one in the library and the team bank; each ticked one "
            "is linked to it as a related question."
        ),
        error_messages={
            "invalid_choice": "Choose related questions from the list.",
            "invalid_pk_value": "Choose related questions from the list.",
        },
    )

    def __init__(self, *args: Any, bank_id: int, suggested: list[int], **kwargs: Any) -> None:
        super().__init__(*args, bank_id=bank_id, **kwargs)
        related = cast("QuestionChoiceField", self.fields["related"])
        related.queryset = Question.objects.live_in([bank_id]).filter(pk__in=suggested)


class DeclineForm(forms.Form):
    reason = TypedText(
        label="Reason",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The learner who proposed it reads this.",
        error_messages={
            "required": "Give a reason: the learner who proposed it reads it.",
            "max_length": _too_long("the reason", REASON_MAX),
        },
    )
