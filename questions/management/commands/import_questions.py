from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat

from questions.access import team_bank
from questions.importing import (
    FORMATS,
    ImportPlan,
    ImportRefused,
    ParseError,
    count,
    decode_text,
    parse_import,
    plan_import,
    write_plan,
)
from questions.importing.anki import notes_text, read_anki_package


class Command(BaseCommand):
    help = (
        "Import questions from a Markdown, CSV, JSON, numbered, notebook or Moodle (GIFT, "
        "Aiken, Moodle XML) file into the "
        "question bank (see docs/importing.md). Questions already in the bank are skipped, "
        "so importing a file twice adds nothing; a problem anywhere writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The file to import.")
        parser.add_argument(
            "--format",
            choices=["auto", *FORMATS],
            default="auto",
            help="The file's format (default: detect it from the file).",
        )
        parser.add_argument(
            "--topic",
            action="append",
            default=[],
            dest="topics",
            metavar="SLUG",
            help="A topic every imported question joins: an existing topic's slug or name, "
            "or a new one to create. Repeat for several.",
        )
        parser.add_argument(
            "--team",
            metavar="TEAM",
            help="Import into this team's bank (its id, or its exact name); without it the "
            "questions go into the library, which everyone sees.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be imported; write nothing."
        )
        parser.add_argument(
            "--keep-duplicates",
            action="store_true",
            help="Import likely duplicates too (by default they are skipped).",
        )

    def handle(self, *args: Any, path: Path, topics: list[str], **options: Any) -> None:
        bank = None
        if options["team"] is not None:
            bank = team_bank(options["team"])
            if bank is None:
                raise CommandError(
                    f"Nothing was imported: there is no team “{options['team']}” (give its "
                    "id, or its name exactly; a name two teams share needs the id)."
                )
        try:
            document = parse_import(
                self._read(
                    path,
                    anki=options["format"] == "anki" or path.suffix.lower() in (".apkg", ".colpkg"),
                ),
                source=str(path),
                format=options["format"],
                max_questions=settings.IMPORT_MAX_QUESTIONS,
            )
            plan = plan_import(document, topics=topics, bank=bank)
        except ParseError as error:
            raise CommandError(f"Nothing was imported. {error}") from error
        if options["verbosity"] >= 1:
            where = f"the bank of the team “{bank.name}”" if bank else "the library"
            self.stdout.write(f"Importing into {where}.")
            self._describe(plan, keep_duplicates=options["keep_duplicates"])
        if plan.problems:
            raise CommandError("Nothing was imported. " + " ".join(plan.problems))
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return
        try:
            # The plan shown above is the one written: planning happens outside the
            # write transaction, which checks that the bank has not changed since.
            with transaction.atomic():
                report = write_plan(plan, keep_all_duplicates=options["keep_duplicates"])
        except (ParseError, ImportRefused) as error:
            raise CommandError(f"Nothing was imported. {error}") from error
        except IntegrityError as error:
            raise CommandError(
                "Nothing was imported: the question bank changed while importing. Run it again."
            ) from error
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(str(report)))

    def _read(self, path: Path, *, anki: bool = False) -> str:
        """The file as text; an Anki package's notes as the text the upload page keeps."""
        limit = settings.IMPORT_ANKI_MAX_BYTES if anki else settings.IMPORT_MAX_BYTES
        try:
            size = path.stat().st_size
            if size > limit:
                raise ParseError(
                    str(path),
                    None,
                    f"is {filesizeformat(size)}; the limit is {filesizeformat(limit)}: "
                    "split it into smaller files",
                )
            if not path.is_file():
                raise ParseError(str(path), None, "is not a file")
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                f"Nothing was imported. {path}: cannot be read ({error.strerror})"
            ) from error
        except ParseError as error:
            raise CommandError(f"Nothing was imported. {error}") from error
        try:
            if anki:
                return notes_text(read_anki_package(data, source=str(path)), source=str(path))
            return decode_text(data, source=str(path))
        except ParseError as error:
            raise CommandError(f"Nothing was imported. {error}") from error

    def _describe(self, plan: ImportPlan, *, keep_duplicates: bool) -> None:
        write = self.stdout.write
        for label, value in plan.summary_rows():
            write(f"{label}: {value}")
        for topic in plan.topics:
            state = "new" if topic.is_new else "existing"
            joining = (
                count(topic.new_questions, "new question", "new questions") or "no new questions"
            )
            write(f"Topic {topic.slug} “{topic.name}” ({state}): {joining}")
        duplicates = plan.duplicates
        if duplicates:
            action = "kept (--keep-duplicates)" if keep_duplicates else "skipped"
            write(f"Likely duplicates, {action}:")
            for question in duplicates:
                match = question.match
                assert match is not None  # a likely duplicate always has its bank question
                write(
                    f"  line {question.item.line}: “{question.item.text}” is "
                    f"{question.similarity}% like {match.key} “{match.text}”"
                )
        for warning in plan.warnings:
            write(self.style.WARNING(f"Warning: {warning}"))
