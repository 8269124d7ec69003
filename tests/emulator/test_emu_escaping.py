"""A slash command's text as Slack delivers it: escaped when the command's should_escape is on."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp

from slack_emulator import SlackEmulator
from slack_emulator.driver import DriverError
from slack_emulator.escaping import escape_command_text
from slack_emulator.models import Channel, User

USERS = [User("UBOB", "bob", "Bob", None), User("UANN", "ann.lee", "Ann", None)]
CHANNELS = [Channel("CGEN", "general"), Channel("D1", "", is_im=True)]


@pytest.mark.parametrize(
    ("typed", "escaped"),
    [
        ("assign INC-1 @bob", "assign INC-1 <@UBOB|bob>"),
        ("ask @ann.lee.", "ask <@UANN|ann.lee>."),
        ("see #general, @here", "see <#CGEN|general>, <!here>"),
        ("@channel @Everyone", "<!channel> <!everyone>"),
        ("@nobody in #nowhere", "@nobody in #nowhere"),  # no match: stays text, as in Slack
        ("bob@example.com", "bob@example.com"),
        ("docs https://x.test/a?b=1&c=2", "docs <https://x.test/a?b=1&amp;c=2>"),
        ("A & B <down>", "A &amp; B &lt;down&gt;"),
        ("picked <@UBOB|bob> and <!here>", "picked <@UBOB|bob> and <!here>"),
    ],
)
def test_escaped(typed: str, escaped: str) -> None:
    assert escape_command_text(typed, USERS, CHANNELS, should_escape=True) == escaped


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("assign INC-1 @bob #general", "assign INC-1 @bob #general"),
        ("A & B <down>", "A &amp; B &lt;down&gt;"),
        ("https://x.test/a", "https://x.test/a"),
    ],
)
def test_not_escaped(typed: str, sent: str) -> None:
    assert escape_command_text(typed, USERS, CHANNELS, should_escape=False) == sent


async def test_driver_escapes_as_the_manifest_says(emu: SlackEmulator, app: AsyncApp) -> None:
    texts: list[str] = []

    @app.command("/incident")
    @app.command("/plain")
    async def on_command(ack: Any, command: dict[str, Any]) -> None:
        texts.append(command["text"])
        await ack()

    alice = emu.user("alice")
    await alice.slash_command("/incident", "assign INC-1 @bob")  # nothing declared: as typed
    emu.declare_command("/incident", should_escape=True)
    emu.declare_command("/plain")
    await alice.slash_command("/incident", "assign INC-1 @bob")
    await alice.slash_command("/plain", "assign INC-1 @bob")
    assert texts == ["assign INC-1 @bob", "assign INC-1 <@UBOB|bob>", "assign INC-1 @bob"]
    with pytest.raises(DriverError, match="not a valid command"):
        await alice.slash_command("/other")


async def test_manifest_entries_declare_commands() -> None:
    emu = SlackEmulator(slash_commands=[{"command": "/incident", "should_escape": True}])
    assert emu.workspace.commands == {"/incident": True}
