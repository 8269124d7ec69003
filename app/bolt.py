"""Builds the Bolt AsyncApp around a Beacon and registers every listener."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from app.container import Beacon
from listeners import register_listeners


def build_app(beacon: Beacon, *, signing_secret: str | None = None) -> AsyncApp:
    app = AsyncApp(
        client=beacon.listener_client,
        signing_secret=signing_secret or None,
        # Socket Mode has no signatures; HTTP mode verifies them.
        request_verification_enabled=bool(signing_secret),
        logger=logging.getLogger("beacon.bolt"),
        # Bolt's default runner can drop an ack when the listener raises within ~10 ms of
        # calling ack(); running the listener to the end before answering keeps the ack and
        # lets the error handler shape it. Listeners stay fast: domain calls are one Lua
        # script, and Slack announcements happen in the notifier, not here.
        process_before_response=True,
    )
    register_listeners(app, beacon)
    return app
