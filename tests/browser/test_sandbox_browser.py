"""The sandbox page in real headless Chromium: declare, acknowledge, resolve, as a person would.

Skipped only when Chromium is missing on a developer machine; with CI=true it must be there
(scripts/test.sh installs it). It takes the README's screenshot when BEACON_SCREENSHOT is set.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.domain.models import Status
from app.main import Runtime
from sandbox.world import Sandbox
from tests.browser.cdp import Browser, chromium_path

ROOT = Path(__file__).resolve().parents[2]
# The README's picture is refreshed on request only, so a test run leaves the tree clean:
# BEACON_SCREENSHOT=docs/sandbox.png scripts/test.sh tests/browser
_SHOT = os.environ.get("BEACON_SCREENSHOT")
SCREENSHOT = ROOT / _SHOT if _SHOT else Path(tempfile.mkdtemp()) / "sandbox.png"
CHROMIUM = chromium_path()

if CHROMIUM is None and os.environ.get("CI") != "true":
    pytestmark = pytest.mark.skip(
        reason="chromium is not installed: run `scripts/bootstrap.sh --browser` "
        "(apt-get install chromium) to run the browser test"
    )


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox(Runtime, port=0)
    await sb.start()
    yield sb
    await sb.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed: scripts/bootstrap.sh --browser")
    b = Browser(CHROMIUM)
    await b.start()
    yield b
    await b.close()


def button(label: str, within: str = "document") -> str:
    """JS for the first visible button whose text is `label`."""
    return (
        f"[...{within}.querySelectorAll('button')]"
        f".find(b => b.textContent.trim() === {json.dumps(label)} && b.offsetParent)"
    )


def card_js(status: str) -> str:
    """JS: the incident card in the main pane once its fields show `status`."""
    return (
        "[...document.querySelectorAll('#messages .msg')].find(m => "
        "m.textContent.includes('INC-1') && m.querySelector('.bk-actions') && "
        f"m.textContent.includes({json.dumps(status)}))"
    )


async def test_declare_acknowledge_resolve_in_the_browser(sandbox: Sandbox, browser: Browser):
    await browser.goto(f"{sandbox.url}?user=alice")
    await browser.wait("document.querySelector('#live.on')")
    await browser.click_at("document.querySelector('#channels a[data-channel=\"incidents\"]')")
    await browser.wait("document.querySelector('#channel-header').textContent.includes('incid')")

    # The message box runs the slash command; the declare form opens as a dialog.
    await browser.type_into("document.querySelector('#composer-input')", "/incident")
    await browser.press_enter()
    await browser.wait("document.querySelector('.modal[aria-label=\"Declare incident\"]')")

    # Submitting with the title empty is refused on the field, as Slack's client does.
    await browser.click_at(button("Declare", "document.querySelector('.modal')"))
    error = await browser.wait(
        "document.querySelector('.modal [data-block-id=\"title\"] .error')?.textContent"
    )
    assert "required" in error

    await browser.type_into(
        "document.querySelector('.modal [data-label=\"Title\"]')", "Checkout returns 500s"
    )
    await browser.eval(
        "(() => { const s = document.querySelector('.modal [data-label=\"Severity\"]');"
        " s.value = [...s.options].find(o => o.value.startsWith('P2')).value;"
        " s.dispatchEvent(new Event('change')); })()"
    )
    await browser.click_at(button("Declare", "document.querySelector('.modal')"))
    await browser.wait("!document.querySelector('.modal')")

    # The card arrives live (server-sent events), rendered from Block Kit with its buttons.
    await browser.wait(card_js("Triggered"), timeout=15)
    card_text = await browser.eval(f"{card_js('Triggered')}.textContent")
    assert "Checkout returns 500s" in card_text
    assert "@alice" in card_text  # <@UALICE> rendered as a mention
    assert "<!date" not in card_text  # Slack date tokens are formatted in the page
    colour = await browser.eval(
        f"getComputedStyle({card_js('Triggered')}.querySelector('.attachment .bar'))"
        ".backgroundColor"
    )
    assert colour == "rgb(224, 30, 90)"  # P2 is HIGH urgency: red bar

    # The notifier's last step for a new card adds its View link; the page re-renders the card
    # then, and a click that lands on the replaced element is lost. Click once it has settled.
    await browser.wait(button("View", card_js("Triggered")), timeout=15)
    await browser.click_at(button("Acknowledge", card_js("Triggered")))
    await browser.wait(card_js("Acknowledged"), timeout=15)
    await browser.click_at(f"{card_js('Acknowledged')}.querySelector('.thread-link')")
    reply = await browser.wait(
        "[...document.querySelectorAll('#thread-messages .msg')]"
        ".map(m => m.textContent).find(t => t.includes('Acknowledged by'))",
        timeout=15,
    )
    assert "@alice" in reply
    png = await browser.screenshot(SCREENSHOT)  # the README's picture: card, buttons, thread

    # Resolve through the modal, with a note.
    await browser.click_at(button("Resolve", card_js("Acknowledged")))
    await browser.wait("document.querySelector('.modal[aria-label=\"Resolve INC-1\"]')")
    await browser.type_into(
        "document.querySelector('.modal [data-label=\"Resolution note\"]')",
        "Rolled back the deploy",
    )
    await browser.click_at(button("Resolve", "document.querySelector('.modal')"))
    await browser.wait("!document.querySelector('.modal')")
    await browser.wait(
        "[...document.querySelectorAll('#thread-messages .msg')]"
        ".some(m => m.textContent.includes('Rolled back the deploy'))",
        timeout=15,
    )
    await browser.wait(card_js("Resolved"), timeout=15)

    # What the page shows is what the emulated Slack holds.
    incident = await sandbox.runtime.beacon.incidents.get("INC-1")
    assert incident.status == Status.RESOLVED
    assert len(png) > 10_000
    assert not [c for c in browser.console if "Error" in c], browser.console
