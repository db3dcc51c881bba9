"""Forms for teams, invites, topic sets and assignments."""

from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils import timezone

from questions.models import Question, Topic
from studyhub.http import id_or_none
from teams.models import Assignment, Team, TopicSet


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ("name",)
        labels = {"name": "Team name"}
        help_texts = {"name": "For example “CV interview prep, spring cohort”."}

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the team a name.")
        return name


class InviteCodeForm(forms.Form):
    code = forms.CharField(
        label="Invite code",
        max_length=300,
        help_text="The 8-character code your instructor shared, e.g. K7QP2XMA.",
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        # Accept a pasted invite link as well as the bare code.
        code = code.rstrip("/").rsplit("/", 1)[-1].upper()
        try:
            self.team = Team.objects.get(invite_code=code)
        except Team.DoesNotExist:
            raise forms.ValidationError(
                "No team has this invite code. Check it with your instructor; "
                "codes change when an instructor renews the invite link."
            ) from None
        return code


class QuestionChoiceField(forms.ModelMultipleChoiceField):
    """Questions listed by number and text, as the topic pages show them."""

    def label_from_instance(self, obj: Question) -> str:
        return f"Q{obj.position}. {obj.text}"


class TopicSetForm(forms.ModelForm):
    class Meta:
        model = TopicSet
        fields = ("name", "description", "topics", "questions")
        field_classes = {"questions": QuestionChoiceField}
        labels = {"name": "Name", "topics": "Whole topics", "questions": "Single questions"}
        help_texts = {"name": "For example “Week 3: deployment and robustness”."}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "topics": forms.CheckboxSelectMultiple,
            "questions": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, team: Team, browse: Topic | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What the team sees: the library and its own bank.
        self.banks = [team.bank_id]
        self.browse = browse
        topics = cast("forms.ModelMultipleChoiceField[Topic]", self.fields["topics"])
        questions = cast("forms.ModelMultipleChoiceField[Question]", self.fields["questions"])
        topics.queryset = Topic.objects.in_scope(self.banks).order_by("position", "name")
        # Any question of the scope may be chosen; the form lists only the chosen ones and
        # those of the topic browsed, not all 5,000 of a large bank (read when rendered).
        questions.queryset = Question.objects.live_in(self.banks).order_by("position")
        questions.widget.choices = self._questions_shown

    def _questions_shown(self) -> list[tuple[int, str]]:
        """The chosen single questions and those of the topic browsed, in bank order."""
        chosen = [n for v in self["questions"].value() or [] if (n := id_or_none(v)) is not None]
        shown = Q(pk__in=chosen)
        if self.browse is not None:
            shown |= Q(pk__in=self.browse.questions.values("pk"))
        questions = Question.objects.live_in(self.banks).filter(shown).order_by("position", "pk")
        field = cast(QuestionChoiceField, self.fields["questions"])
        return [(q.pk, field.label_from_instance(q)) for q in questions.only("position", "text")]

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def question_count(self) -> int:
        """How many questions the ticked topics and questions hold (before the form is
        sent, the saved ones): the picker's live count."""
        topic_ids, question_ids = (
            [n for v in self[name].value() or [] if (n := id_or_none(v)) is not None]
            for name in ("topics", "questions")
        )
        if not topic_ids and not question_ids:
            return 0
        held = Question.objects.live_in(self.banks).in_selection(
            topic_ids=topic_ids, question_ids=question_ids
        )
        return held.count()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
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

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic_set = cast("forms.ModelChoiceField[TopicSet]", self.fields["topic_set"])
        topic_set.queryset = team.topic_sets.all()
        topic_set.empty_label = None
        if self.instance.due_date is None or self.instance.due_date >= timezone.localdate():
            # Date pickers grey out the past (the server checks it too, clean_due_date).
            self.fields["due_date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean_due_date(self) -> date | None:
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


def _on_off(label: str) -> forms.TypedChoiceField:
    """A switch posted by a button as "true" or "false". Only "true" is on: nothing
    posted is "", anything else makes the form invalid, and the views take both for
    "off", so nobody is ever shown by mistake."""
    return forms.TypedChoiceField(
        label=label,
        choices=[("true", "On"), ("false", "Off")],
        coerce=lambda value: value == "true",
        required=False,
    )


class ShareProgressForm(forms.Form):
    """A learner's own choice to share their progress with the team."""

    share = _on_off("Share my progress with the team")


class TeamVisibilityForm(forms.Form):
    """The instructors' switch for the team progress page."""

    members_see_progress = _on_off("Let members see the team's progress")
