"""A real OpenID Connect provider for the single sign-on tests: panva's oidc-provider
(OpenID Certified), run with Node.js on loopback (tests/browser/oidc_provider/).

It is installed once with `npm ci` from its lock file into var/oidc-provider/, which
needs the npm registry the first time; .ci/run installs Node.js where it is missing."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.sso_config import providers_from_env
from tests.security.own_postgres import free_port

SOURCE = Path(__file__).parent / "browser" / "oidc_provider"
NODE, NPM = shutil.which("node"), shutil.which("npm")
NO_NODE = "Node.js and npm are needed for the single sign-on tests (apt-get install nodejs npm)"

PROVIDER_ID = "acme"
LABEL = "Log in with Acme"
CLIENT_ID, CLIENT_SECRET = "studyhub", "test-only-client-secret"

#: The provider's people, by the login its development log-in form takes.
ACCOUNTS = {
    "alice": {
        "name": "Alice Adams",
        "preferred_username": "alice",
        "email": "alice@example.org",
        "email_verified": True,
    },
    # Lena already has a StudyHub account with this (verified) address.
    "lena-sso": {
        "name": "Lena Park",
        "preferred_username": "lena.park",
        "email": "lena@example.com",
        "email_verified": True,
    },
    # Claims Lena's address without the provider having verified it.
    "mallory": {
        "name": "Mallory Mallet",
        "preferred_username": "mallory",
        "email": "lena@example.com",
        "email_verified": False,
    },
}


def installed_provider() -> Path:
    """var/oidc-provider with oidc-provider installed from the lock file (once; a lock
    serialises the test processes that ask at the same time)."""
    if not (NODE and NPM):
        pytest.skip(NO_NODE)
    target = Path(settings.BASE_DIR) / "var" / "oidc-provider"
    target.mkdir(parents=True, exist_ok=True)
    lock_file = (SOURCE / "package-lock.json").read_bytes()
    with open(target / ".install-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = target / "installed-from-package-lock.json"
        if not stamp.exists() or stamp.read_bytes() != lock_file:
            for name in ("package.json", "package-lock.json"):
                shutil.copy(SOURCE / name, target / name)
            result = subprocess.run(
                [NPM, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=target,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
            stamp.write_bytes(lock_file)
        shutil.copy(SOURCE / "provider.mjs", target / "provider.mjs")
    return target


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen

    def environment(self) -> dict[str, str]:
        """The settings an installation would set for this provider."""
        prefix = f"DJANGO_OIDC_{PROVIDER_ID.upper()}_"
        return {
            "DJANGO_OIDC_PROVIDERS": PROVIDER_ID,
            prefix + "ISSUER": self.issuer,
            prefix + "CLIENT_ID": CLIENT_ID,
            prefix + "CLIENT_SECRET": CLIENT_SECRET,
            prefix + "LABEL": LABEL,
        }

    def apps(self) -> list[dict]:
        return providers_from_env(self.environment())


def start_provider(live_server_url: str) -> OidcProvider:
    folder = installed_provider()
    port = free_port()
    callback = reverse("openid_connect_callback", kwargs={"provider_id": PROVIDER_ID})
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT": json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [live_server_url + callback],
            }
        ),
        "ACCOUNTS": json.dumps(ACCOUNTS),
    }
    process = subprocess.Popen(
        [str(NODE), "provider.mjs"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID provider exited ({process.returncode})")
        try:
            with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2):
                return OidcProvider(issuer, process)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the OpenID provider did not answer in 30 s")
