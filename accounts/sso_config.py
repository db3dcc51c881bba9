"""Single sign-on providers from the environment, for settings (no Django imports: the
settings read it before apps load). accounts/sso.py is the rest of single sign-on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")


def providers_from_env(environ: Mapping[str, str]) -> list[dict[str, Any]]:
    """allauth's APPS for its openid_connect provider, one per id in
    DJANGO_OIDC_PROVIDERS; a missing setting stops start-up with its name."""
    apps = []
    for raw in environ.get("DJANGO_OIDC_PROVIDERS", "").split(","):
        provider_id = raw.strip().lower()
        if not provider_id:
            continue
        if not _ID.match(provider_id):
            raise ValueError(
                f"DJANGO_OIDC_PROVIDERS: {provider_id!r} is not a short id of lower-case "
                "letters, digits, - and _"
            )
        prefix = f"DJANGO_OIDC_{provider_id.upper().replace('-', '_')}_"
        missing = [
            prefix + name
            for name in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")
            if not environ.get(prefix + name, "").strip()
        ]
        if missing:
            raise ValueError(f"Single sign-on {provider_id!r} needs {', '.join(missing)}")
        apps.append(
            {
                "provider_id": provider_id,
                "name": environ.get(prefix + "LABEL", "").strip() or f"Log in with {provider_id}",
                "client_id": environ[prefix + "CLIENT_ID"].strip(),
                "secret": environ[prefix + "CLIENT_SECRET"].strip(),
                "settings": {
                    "server_url": environ[prefix + "ISSUER"].strip(),
                    "oauth_pkce_enabled": True,
                    # The ID token's claims are enough; no second request for them.
                    "fetch_userinfo": False,
                },
            }
        )
    return apps
