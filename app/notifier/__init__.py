"""The delivery engine: turns outbox events into what Slack shows."""

from app.notifier.engine import GROUP, METADATA_TYPE, Notifier

__all__ = ["GROUP", "METADATA_TYPE", "Notifier"]
