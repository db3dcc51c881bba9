"""Account workflows: password reset."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.background import run_after_response
from accounts.models import RateCounter


class TooManyResetRequests(Exception):
    """One client asked for more reset e-mails than PASSWORD_RESET_REQUESTS_PER_CLIENT."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(f"Too many password-reset requests until {retry_at:%H:%M}")
        self.retry_at = retry_at


def request_password_reset(*, email: str, client: str | None, domain: str, use_https: bool) -> None:
    """Ask for a reset e-mail to `email`, on behalf of the client at address `client`.

    A client over its limit is told so (TooManyResetRequests). Otherwise the request
    does the same work whatever `email` is: it counts the address, and unless that
    address has had its e-mails for this window, leaves the look-up and the sending to
    the background worker, after the response. So neither the answer, nor its timing,
    nor the queries behind it tell whether the address has an account or was throttled.
    """
    window = settings.PASSWORD_RESET_WINDOW
    client_key = f"reset-client:{client or 'unknown'}"
    limit = settings.PASSWORD_RESET_REQUESTS_PER_CLIENT
    if not RateCounter.objects.hit(client_key, limit=limit, window=window):
        retry_at = RateCounter.objects.resets_at(client_key) or timezone.now() + window
        raise TooManyResetRequests(retry_at)
    # Counted under a keyed hash of the address: the table never holds anyone's address.
    address = salted_hmac(
        "accounts.password-reset", email.strip().lower(), algorithm="sha256"
    ).hexdigest()
    # Per address and client, so that nobody can use up another person's e-mails by
    # asking for them; and per address over all clients, so an inbox is never flooded.
    per_client = settings.PASSWORD_RESET_EMAILS_PER_ADDRESS
    per_address = settings.PASSWORD_RESET_EMAILS_PER_ADDRESS_ALL_CLIENTS
    if RateCounter.objects.hit(
        f"reset-address:{address}:{client or 'unknown'}", limit=per_client, window=window
    ) and RateCounter.objects.hit(f"reset-address:{address}", limit=per_address, window=window):
        run_after_response(
            partial(send_password_reset, email=email, domain=domain, use_https=use_https)
        )


def send_password_reset(*, email: str, domain: str, use_https: bool) -> None:
    """E-mail a reset link to each active account using `email` (none: nothing is sent)."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=domain,
            use_https=use_https,
            subject_template_name="accounts/password_reset_subject.txt",
            email_template_name="accounts/password_reset_email.txt",
        )
