"""Does the password-reset answer take longer for an address that has an account?

    .venv/bin/python -m bench.password_reset_timing                 # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME \\
        .venv/bin/python -m bench.password_reset_timing             # PostgreSQL

Makes a throw-away database with one account, and an e-mail backend that waits
--smtp-ms (50 by default) before delivering, as an SMTP round trip would. Then posts
--pairs pairs of reset requests, one for the account's address and one for an unknown
address, in alternating order, each from its own client address (the limits are raised
so none applies). Done twice: with the e-mail sent inside the request (BACKGROUND_JOBS
off: what StudyHub did before) and after the response (on: what it does now). Prints the
median milliseconds of each kind and in how many pairs the known address was slower.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from bench import throwaway  # noqa: E402 — sets Django up; must come first

# isort: split
from django.core.mail import EmailMessage  # noqa: E402
from django.core.mail.backends.locmem import EmailBackend  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from accounts.background import wait_until_done  # noqa: E402
from accounts.models import User  # noqa: E402

SMTP_SECONDS = 0.05


class SlowBackend(EmailBackend):
    """locmem delivery after a pause, standing for an SMTP server's round trip."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        time.sleep(SMTP_SECONDS)
        return super().send_messages(messages)


def one_request(email: str, n: int) -> float:
    client = Client()
    began = time.perf_counter()
    response = client.post(
        "/accounts/password/reset/", {"email": email}, REMOTE_ADDR=f"10.{n // 250}.{n % 250}.1"
    )
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 302, response.status_code
    return elapsed


def measure(pairs: int) -> dict:
    known: list[float] = []
    unknown: list[float] = []
    known_slower = 0
    one_request("warm-up@example.com", 0)
    for n in range(pairs):
        order = [("learner@example.com", known), ("nobody@example.com", unknown)]
        if n % 2:
            order.reverse()
        for index, (email, timings) in enumerate(order):
            timings.append(one_request(email, 2 * n + index + 1))
        known_slower += known[-1] > unknown[-1]
    assert wait_until_done(timeout=60)
    return {
        "known_ms": statistics.median(known),
        "unknown_ms": statistics.median(unknown),
        "known_slower": known_slower,
    }


def main() -> None:
    global SMTP_SECONDS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=80)
    parser.add_argument("--smtp-ms", type=int, default=50)
    args = parser.parse_args()
    SMTP_SECONDS = args.smtp_ms / 1000

    with throwaway.throwaway_database():
        User.objects.create_user("learner", "learner@example.com", "a-passphrase-for-bench")
        limits = {
            "PASSWORD_RESET_REQUESTS_PER_CLIENT": 10**6,
            "PASSWORD_RESET_EMAILS_PER_ADDRESS": 10**6,
            "EMAIL_BACKEND": f"{__name__}.SlowBackend",
        }
        print(f"{args.pairs} pairs, e-mail delivery takes {args.smtp_ms} ms")
        print(f"{'e-mail sent':<22} {'known ms':>9} {'unknown ms':>11} {'known slower':>13}")
        for label, background in (("in the request", False), ("after the response", True)):
            with override_settings(BACKGROUND_JOBS=background, **limits):
                result = measure(args.pairs)
            print(
                f"{label:<22} {result['known_ms']:>9.1f} {result['unknown_ms']:>11.1f}"
                f" {result['known_slower']:>7} of {args.pairs}"
            )


if __name__ == "__main__":
    main()
