"""argparse value types shared by the commands: nonsense numbers are a one-line usage error (exit 2)."""

from __future__ import annotations

import argparse
import math


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds")
    return value


def workers(text: str) -> int:
    """A count of concurrent calls: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def dashboard_interval(text: str) -> float:
    """Seconds between the dashboard's polls; 0 means manual polling (only `r` rescans)."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (manual polling) or more seconds, not {text}")
    return value


def watch_interval(text: str) -> float:
    """Seconds between `watch` polls: at least 1, as for the config's interval_seconds. watch runs
    unattended, so the dashboard's 0 (manual polling) has no meaning there and is refused, not rounded."""
    value = _number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be at least 1 second, not {text} (0 means manual polling only in the dashboard; "
            "for a single poll use --once)")
    return value
