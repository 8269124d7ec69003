"""Names for incident channels under Slack's rules (pure)."""

from __future__ import annotations

import re
import unicodedata

MAX_LEN = 80


def slug(text: str) -> str:
    """'Checkout is DOWN (EU)!' -> 'checkout-is-down-eu'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def channel_name(prefix: str, number: int, title: str, attempt: int = 1) -> str:
    """`inc-42-checkout-is-down`, `-2`, `-3`… on later attempts; at most 80 characters."""
    head = f"{prefix}-{number}"
    tail = f"-{attempt}" if attempt > 1 else ""
    room = MAX_LEN - len(head) - len(tail) - 1
    words = slug(title)[:room].strip("-")
    return f"{head}-{words}{tail}" if words else f"{head}{tail}"
