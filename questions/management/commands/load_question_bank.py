from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.importing import ParseError
from questions.services import DEFAULT_TOPIC_MAP, load_question_bank, read_seed_bank


class Command(BaseCommand):
    help = (
        "Load the seed question bank (fixtures/) into the database. Safe to run again: "
        "it updates text in place and never touches learners' confidence or notes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--topic-map",
            type=Path,
            default=DEFAULT_TOPIC_MAP,
            help="Topic map JSON; the seed documents it names are read from its folder.",
        )

    def handle(self, *args: Any, topic_map: Path, **options: Any) -> None:
        try:
            bank = read_seed_bank(topic_map)
        except ParseError as error:
            raise CommandError(f"Nothing was loaded. {error}") from error
        report = load_question_bank(bank)
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(str(report)))
