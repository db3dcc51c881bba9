"""Send the day's reminders: run it once a day from cron (more often does no harm)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from reminders.sending import send_reminders


class Command(BaseCommand):
    help = (
        "E-mail learners about assignments due soon that they have not finished, and "
        "instructors about learners who have not started one. Nothing is sent twice, "
        "however often it runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the job for a worker (manage.py db_worker) instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            from reminders.tasks import send_reminders_task

            result = send_reminders_task.enqueue()
            self.stdout.write(f"Queued the reminders as task {result.id}.")
            return
        try:
            report = send_reminders()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(report))
        if report.failed:
            raise CommandError(f"{report.failed} e-mail(s) could not be sent; see the log.")
