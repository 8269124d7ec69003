"""Fixtures for the emulator's own tests: a running emulator, a real AsyncWebClient and a real
Bolt AsyncApp connected over Socket Mode."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from slack_emulator import DEFAULT_SCOPES, SlackEmulator

# Read scopes the emulator tests need on top of Beacon's default manifest scopes.
TEST_SCOPES = [
    *DEFAULT_SCOPES,
    "channels:history",
    "groups:history",
    "im:history",
    "channels:join",
    "bookmarks:read",
]


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator(
        scopes=TEST_SCOPES, ack_timeout=1.0, event_retry_delays=(0.0, 0.05, 0.05)
    )
    emulator.add_user("UALICE", name="alice", real_name="Alice Example", email="alice@example.com")
    emulator.add_user("UBOB", name="bob", real_name="Bob Example", email="bob@example.com")
    emulator.add_user("UCAROL", name="carol", real_name="Carol Hidden", email=None)
    emulator.add_channel("general", members=["UALICE", "UBOB"])
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=emu.bot_token, base_url=emu.base_url)


@pytest.fixture
async def app(emu: SlackEmulator) -> AsyncIterator[AsyncApp]:
    """A real Bolt app connected over Socket Mode; tests register listeners on it."""
    bolt = AsyncApp(client=AsyncWebClient(token=emu.bot_token, base_url=emu.base_url))
    handler = AsyncSocketModeHandler(bolt, emu.app_token)
    await handler.connect_async()
    await emu.wait_connected(1, timeout=5)
    try:
        yield bolt
    finally:
        await handler.close_async()
