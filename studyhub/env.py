"""Small readers for environment variables, so settings say what they expect."""

import math
import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, *, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_cost(name: str, *, default: str) -> str:
    """A planner cost for PostgreSQL as it is written into a setting ("1.1"), or "" when
    the variable is set empty (the server's own setting stands)."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return ""
    try:
        cost = float(raw)
    except ValueError:
        cost = -1.0
    if not (math.isfinite(cost) and cost > 0):
        raise ValueError(f"{name} must be a number above 0 (1.1 for SSD), or empty; got {raw!r}")
    return str(cost)


def env_int(name: str, *, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"{name} must be a whole number; got {raw!r}") from None
