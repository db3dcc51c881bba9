from typing import Any

from django.core.management.base import BaseCommand, CommandError

from teams.demo import DEMO_PASSWORD, DEMO_PEOPLE, load_demo_data


class Command(BaseCommand):
    help = "Create demo users with some study history (safe to run again) and print their logins."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            people = load_demo_data()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for person in people:
            self.stdout.write(f"  {person.username:<8} {person.display_name:<14} {person.role}")
        for person in DEMO_PEOPLE:
            if person not in people:
                self.stdout.write(
                    self.style.WARNING(
                        f"  {person.username:<8} left alone: this username belongs to an "
                        "account that is not (or no longer) a demo account"
                    )
                )
