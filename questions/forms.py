from __future__ import annotations

from typing import Any, BinaryIO, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from questions.importing import (
    FORMATS,
    ImportDocument,
    ParseError,
    decode_text,
    parse_import,
    plan_import,
)
from questions.importing.anki import is_notes_text, notes_text, read_anki_package
from questions.models import Bank, Topic

FORMAT_CHOICES = [("auto", "Detect automatically"), *FORMATS.items()]
#: The bank field's value for the library.
LIBRARY = "library"


class TopicChoiceField(forms.ModelMultipleChoiceField):
    """Topics of the library and of team banks, a team's named as such."""

    def label_from_instance(self, obj: Topic) -> str:
        if obj.bank is None:
            return obj.name
        return f"{obj.name} (team bank: {obj.bank.name})"


def line_excerpt(text: str, line: int | None, width: int = 120) -> str:
    """The text of one line (1-based), shortened, to show next to an error about it."""
    if not line:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if line > len(lines):
        return ""
    excerpt = lines[line - 1].strip()
    return excerpt if len(excerpt) <= width else excerpt[: width - 1] + "…"


class ImportUploadForm(forms.Form):
    """A question file and the topics its questions join. Cleaning reads and parses the
    file and plans it against the bank, so every problem with it is a message on the
    form, never a traceback, and a valid form is a file that can be imported."""

    bank = forms.ChoiceField(
        label="Import into",
        required=False,  # left out: the first of the uploader's banks
        help_text="A team bank is seen only by the team's members; the library by everyone.",
    )
    file = forms.FileField(
        label="Question file",
        help_text="Markdown, CSV, JSON, a numbered or notebook text file, a Moodle "
        "question file (GIFT, Aiken or Moodle XML), saved as UTF-8, or an Anki package "
        "(.apkg, .colpkg).",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".md,.markdown,.txt,.csv,.tsv,.json,.gift,.xml,.apkg,.colpkg,text/*,"
                "application/json,application/xml"
            }
        ),
    )
    format = forms.ChoiceField(label="Format", choices=FORMAT_CHOICES, initial="auto")
    topics = TopicChoiceField(
        label="Add every question to these topics",
        queryset=Topic.objects.none(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Questions also join the topics the file names (its sections, or its "
        "topics column); a new topic can also be named below. Every question needs at least "
        "one topic.",
    )
    new_topic = forms.CharField(
        label="New topic",
        required=False,
        max_length=Topic._meta.get_field("name").max_length,
        help_text="Optional: a topic to create for every question of the file, "
        "such as “Week 3: deployment”.",
    )

    def __init__(self, *args: Any, banks: list[Bank | None], **kwargs: Any) -> None:
        """`banks`: where the uploader may import (None for the library), first the default."""
        super().__init__(*args, **kwargs)
        self.banks = {LIBRARY if b is None else str(b.pk): b for b in banks}
        bank_field = cast(forms.ChoiceField, self.fields["bank"])
        bank_field.choices = [
            (value, "The library" if b is None else f"Team bank: {b.name}")
            for value, b in self.banks.items()
        ]
        bank_field.initial = next(iter(self.banks), None)
        if len(self.banks) == 1:
            bank_field.widget = forms.HiddenInput()
        topics = cast("forms.ModelMultipleChoiceField[Topic]", self.fields["topics"])
        bank_ids = [b.pk for b in banks if b is not None]
        in_scope = Topic.objects.in_scope(bank_ids).select_related("bank")
        topics.queryset = in_scope.order_by("position", "name")
        self.fields["file"].help_text += (
            f" Up to {filesizeformat(settings.IMPORT_MAX_BYTES)}; an Anki package up to "
            f"{filesizeformat(settings.IMPORT_ANKI_MAX_BYTES)}."
        )
        self.text = ""
        self.is_anki = False

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        self.is_anki = self.data.get("format") == "anki" or upload.name.lower().endswith(
            (".apkg", ".colpkg")
        )
        limit = settings.IMPORT_ANKI_MAX_BYTES if self.is_anki else settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            advice = (
                "Export it again from Anki without media (untick “Include media”), or fewer "
                "notes at a time."
                if self.is_anki
                else "Split it into smaller files."
            )
            raise forms.ValidationError(
                f"This file is {filesizeformat(upload.size)}; the limit is "
                f"{filesizeformat(limit)}. {advice}",
                code="too_big",
            )
        try:
            if self.is_anki:
                self.text = self._anki_notes(upload)
            else:
                self.text = decode_text(upload.read(), source=upload.name)
        except ParseError as error:
            raise forms.ValidationError(str(error), code="unreadable") from error
        return upload

    def _anki_notes(self, upload: UploadedFile) -> str:
        """The package's notes as the text the import keeps (questions/importing/anki.py)."""
        name = upload.name or "package.apkg"
        upload.seek(0)  # read in place (Django keeps a large upload in a temporary file)
        package = cast(BinaryIO, upload.file)
        text = notes_text(read_anki_package(package, source=name), source=name)
        size = len(text.encode())
        if size > settings.IMPORT_MAX_BYTES:
            raise ParseError(
                name,
                None,
                f"its notes are {filesizeformat(size)} of text; an import takes at most "
                f"{filesizeformat(settings.IMPORT_MAX_BYTES)}: export fewer notes at a time",
            )
        return text

    def clean_bank(self) -> str:
        value = self.cleaned_data["bank"] or next(iter(self.banks), "")
        if value not in self.banks:
            raise forms.ValidationError("Choose where to import.")
        return value

    @property
    def destination(self) -> str:
        """Where the questions go, as a sentence ends: for a form with one bank to offer."""
        bank = next(iter(self.banks.values()), None)
        if bank is None:
            return "the library, which everyone signed in sees"
        return f"the team bank of {bank.name}, which only the team's members see"

    @property
    def chosen_bank(self) -> Bank | None:
        return self.banks.get(self.cleaned_data.get("bank") or "")

    def clean_new_topic(self) -> str:
        return " ".join(self.cleaned_data["new_topic"].split())

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        upload, file_format = cleaned.get("file"), cleaned.get("format")
        if upload is None or file_format is None or "file" in self.errors:
            return cleaned
        if "bank" in self.errors:
            return cleaned
        bank = self.chosen_bank
        elsewhere = [
            t.name for t in cleaned.get("topics", []) if t.bank_id not in (None, bank and bank.pk)
        ]
        if elsewhere:
            self.add_error(
                "topics",
                f"{', '.join(elsewhere)}: a topic of another team bank; choose topics of the "
                "library or of the bank you import into.",
            )
            return cleaned
        try:
            document = parse_import(
                self.text,
                source=upload.name,
                format=file_format,
                max_questions=settings.IMPORT_MAX_QUESTIONS,
            )
        except ParseError as error:
            self.add_error("file", forms.ValidationError(str(error), code="parse"))
            # An Anki package's notes are named by number, not by a line of this text.
            kept_anki = self.is_anki or is_notes_text(self.text)
            if not kept_anki and (excerpt := line_excerpt(self.text, error.line)):
                self.add_error("file", f"Line {error.line} reads: “{excerpt}”")
            return cleaned
        if not self.errors:
            for problem in self._plan_problems(document):
                self.add_error(None, problem)
        return cleaned

    def _plan_problems(self, document: ImportDocument) -> list[str]:
        """What stops this file from being imported as it stands, given the bank."""
        try:
            plan = plan_import(document, topics=self.chosen_topics, bank=self.chosen_bank)
        except ParseError as error:
            return [str(error)]
        return plan.problems

    @property
    def file_name(self) -> str:
        return self.cleaned_data["file"].name[:255]

    @property
    def chosen_topics(self) -> list[str]:
        """The topics for every question, as the planner reads them: slugs and a name."""
        chosen = [topic.slug for topic in self.cleaned_data.get("topics", [])]
        if new_topic := self.cleaned_data.get("new_topic"):
            chosen.append(new_topic)
        return chosen
