"""Settings for mypy: django-stubs imports the settings to learn the apps and models.

The real settings refuse to load without a secret key outside debug; type checking needs
none, so it gets a placeholder here and nowhere else.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "only-for-type-checking")

from studyhub.settings import *  # noqa: E402, F403
