"""Settings for `make bench` (bench/run.py): production's, with the benchmark's views."""

from studyhub.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
