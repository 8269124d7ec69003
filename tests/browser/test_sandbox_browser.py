"""The sandbox page in real headless Chromium: declare, acknowledge, resolve, as a person would.

Skipped only when Chromium is missing on a developer machine; with CI=true it must be there
(scripts/test.sh installs it). README's picture is taken by scripts/screenshot.py, not here.
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
from tests.browser.flows import (
    acknowledge_and_open_thread,
    button,
    card_js,
    channel_link,
    declare,
    open_channel,
)

CHROMIUM = chromium_path()

if CHROMIUM is None and os.environ.get("CI") != "true":
    pytestmark = pytest.mark.skip(
        reason="chromium is not installed: run `scripts/bootstrap.sh test --browser` "
        "(apt-get install chromium) to run the browser test"
    )

MODAL = "document.querySelector('.modal')"
TOAST = "document.querySelector('#toast')"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = Sandbox(Runtime, port=0)
    await sb.start()
    yield sb
    await sb.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("CI=true but chromium is not installed: scripts/bootstrap.sh test --browser")
    b = Browser(CHROMIUM)
    await b.start()
    yield b
    await b.close()


async def press(browser: Browser, key: str) -> None:
    for kind in ("keyDown", "keyUp"):
        await browser.send("Input.dispatchKeyEvent", type=kind, key=key, code=key)


async def click_point(browser: Browser, x: float, y: float) -> None:
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        await browser.send(
            "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
        )


async def test_declare_acknowledge_resolve_in_the_browser(sandbox: Sandbox, browser: Browser):
    await open_channel(browser, sandbox.url, "incidents")

    # Submitting with the title empty is refused on the field, as Slack's client does.
    await browser.type_into("document.querySelector('#composer-input')", "/incident")
    await browser.press_enter()
    await browser.wait("document.querySelector('.modal[aria-label=\"Declare incident\"]')")
    await browser.click_at(button("Declare", MODAL))
    error = await browser.wait(
        "document.querySelector('.modal [data-block-id=\"title\"] .error')?.textContent"
    )
    assert "required" in error
    await browser.click_at(button("Cancel", MODAL))
    await browser.wait(f"!{MODAL}")

    # The card arrives live (server-sent events), rendered from Block Kit with its buttons.
    await declare(browser, "Checkout returns 500s")
    card_text = await browser.eval(f"{card_js('Triggered')}.textContent")
    assert "Checkout returns 500s" in card_text
    assert "@alice" in card_text  # <@UALICE> rendered as a mention
    assert "<!date" not in card_text  # Slack date tokens are formatted in the page
    colour = await browser.eval(
        f"getComputedStyle({card_js('Triggered')}.querySelector('.attachment .bar'))"
        ".backgroundColor"
    )
    assert colour == "rgb(224, 30, 90)"  # P2 is HIGH urgency: red bar

    # View carries the card's permalink: the page opens it in place, from another channel too.
    url = await browser.eval(f"{button('View', card_js('Triggered'))}.title")
    await browser.click_at(channel_link("general"))
    await browser.wait("!document.querySelector('#messages .msg')")
    # A link to the card posted in #general (as someone pasting it) opens it in the page too.
    sandbox.emu.post_message(
        sandbox.emu.channel_by_name("general"), "UBOB", f"see <{url}|the card>"
    )
    await browser.click_at("document.querySelector('#messages a.permalink')")
    highlighted = await browser.wait(
        "document.querySelector('#channel-header').textContent.includes('incidents') &&"
        " document.querySelector('#messages .msg.highlight')?.textContent"
    )
    assert "Checkout returns 500s" in highlighted
    await browser.wait("!document.querySelector('#thread').hidden")
    await browser.wait(
        "document.querySelector('#thread-messages .msg')?.textContent.includes('INC-1')"
    )
    # And the card's own View button: the same, the thread beside it.
    await browser.click_at("document.querySelector('#thread-close')")
    await browser.wait("document.querySelector('#thread').hidden")
    await browser.click_at(button("View", card_js("Triggered")))
    await browser.wait("!document.querySelector('#thread').hidden")
    await browser.wait("document.querySelector('#messages .msg.highlight')")

    reply = await acknowledge_and_open_thread(browser)
    assert "@alice" in reply
    png = await browser.screenshot(Path(tempfile.mkdtemp()) / "sandbox.png")

    # The timeline, asked for in the channel, arrives as a file: listed there and readable.
    await browser.type_into("document.querySelector('#composer-input')", "/incident timeline INC-1")
    await browser.press_enter()
    await browser.click_at("document.querySelector('#messages .file-chip')")
    text = await browser.wait("document.querySelector('.file-viewer pre')?.textContent", 15)
    assert "INC-1" in text and "Checkout returns 500s" in text
    await press(browser, "Escape")
    await browser.wait("!document.querySelector('.file-viewer')")
    header = await browser.eval("document.querySelector('#channel-header').textContent")
    assert header == "# incidents📎 1 file", header
    await browser.click_at("document.querySelector('#files-button')")
    await browser.click_at(button("📄 INC-1 timeline", "document.querySelector('.menu')"))
    await browser.wait("document.querySelector('.file-viewer pre')?.textContent.includes('INC-1')")
    await click_point(browser, 20, 400)  # the backdrop
    await browser.wait("!document.querySelector('.file-viewer')")

    # Resolve through the modal, with a note.
    await browser.click_at(button("Resolve", card_js("Acknowledged")))
    await browser.wait("document.querySelector('.modal[aria-label=\"Resolve INC-1\"]')")
    await browser.type_into(
        "document.querySelector('.modal [data-label=\"Resolution note\"]')",
        "Rolled back the deploy",
    )
    await browser.click_at(button("Resolve", MODAL))
    await browser.wait(f"!{MODAL}")
    await browser.wait(
        "[...document.querySelectorAll('#thread-messages .msg')]"
        ".some(m => m.textContent.includes('Rolled back the deploy'))",
        timeout=15,
    )
    await browser.wait(card_js("Resolved"), timeout=15)

    # App Home has no message box.
    await browser.click_at("document.querySelector('#home-link')")
    await browser.wait("document.querySelector('#messages .home')", timeout=15)
    assert await browser.eval("document.querySelector('#composer').offsetParent === null")
    await browser.click_at(channel_link("incidents"))
    await browser.wait("document.querySelector('#composer').offsetParent !== null")

    # What the page shows is what the emulated Slack holds.
    incident = await sandbox.runtime.beacon.incidents.get("INC-1")
    assert incident.status == Status.RESOLVED
    assert len(png) > 10_000
    assert not [c for c in browser.console if "Error" in c], browser.console


async def test_modal_closes_unread_marks_and_a_failed_click(sandbox: Sandbox, browser: Browser):
    await open_channel(browser, sandbox.url, "incidents")
    alice = sandbox.emu.user("alice")

    # Esc closes the modal, and so does a click on the backdrop; the emulator's stack empties.
    for close in ("escape", "backdrop"):
        await browser.type_into("document.querySelector('#composer-input')", "/incident")
        await browser.press_enter()
        await browser.wait(MODAL)
        await browser.wait("document.activeElement?.closest('.modal')")
        if close == "escape":
            await press(browser, "Escape")
        else:
            await click_point(browser, 20, 400)
        await browser.wait(f"!{MODAL}")
        await sandbox.emu.wait_for(lambda: not alice.views, timeout=5)
    # A click inside the dialog does not close it.
    await browser.type_into("document.querySelector('#composer-input')", "/incident")
    await browser.press_enter()
    await browser.click_at(f"{MODAL}?.querySelector('.modal-head span')")
    assert await browser.eval(f"!!{MODAL}")
    await press(browser, "Escape")
    await browser.wait(f"!{MODAL}")

    # A message in another channel: bold with a count; opening the channel clears it.
    general = sandbox.emu.channel_by_name("general")
    sandbox.emu.post_message(general, "UBOB", "anyone seeing checkout errors?")
    sandbox.emu.post_message(general, "UCAROL", "yes")
    count = await browser.wait(
        f"{channel_link('general')}.classList.contains('unread') &&"
        f" {channel_link('general')}.querySelector('.unread-count').textContent"
    )
    assert count == "2"
    assert not await browser.eval(f"{channel_link('incidents')}.classList.contains('unread')")
    await browser.click_at(channel_link("general"))
    await browser.wait(f"!{channel_link('general')}.querySelector('.unread-count')")
    await sandbox.emu.wait_for(lambda: sandbox.last_read.get("UALICE", {}).get(general.id), 5)
    await browser.click_at(channel_link("random"))
    await browser.wait(f"!{channel_link('general')}.classList.contains('unread')")

    # The server goes away: a click says so, and the button comes back for another try.
    await browser.click_at(channel_link("incidents"))
    await declare(browser, "Search is slow")
    assert sandbox.runner is not None
    await sandbox.runner.cleanup()
    sandbox.runner = None
    await browser.click_at(button("Acknowledge", card_js("Triggered")))
    said = await browser.wait(f"!{TOAST}.hidden && {TOAST}.textContent")
    assert "did not answer" in said
    assert await browser.eval(f"{TOAST}.classList.contains('error')")
    state = await browser.wait(
        f"(() => {{ const b = {button('Acknowledge', card_js('Triggered'))};"
        " return b && !b.disabled && !b.classList.contains('busy') && 'ready'; })()"
    )
    assert state == "ready"
    assert (await sandbox.runtime.beacon.incidents.get("INC-1")).status == Status.TRIGGERED
    assert not [c for c in browser.console if "Error" in c and "ERR_CONNECTION" not in c], (
        browser.console
    )


@pytest.fixture
async def two_workspaces() -> AsyncIterator[Sandbox]:
    async with Sandbox(Runtime, port=0, workspaces=2) as sb:
        yield sb


def rail(name: str) -> str:
    return f"document.querySelector('#workspaces .ws[aria-label={json.dumps(name)}]')"


async def test_add_a_second_workspace_and_switch_to_it(
    two_workspaces: Sandbox, browser: Browser
) -> None:
    sandbox = two_workspaces
    await open_channel(browser, sandbox.url, "incidents")
    assert await browser.eval("document.querySelector('#team').textContent") == "Acme"
    assert await browser.wait(f"{rail('Globex')}.classList.contains('not-installed')")
    assert await browser.eval(f"{rail('Acme')}.classList.contains('active')")

    # "Add to Slack" leads to Beacon's install page; this browser follows it to the end.
    install = await browser.eval("document.querySelector('#add-to-slack').href")
    assert install == sandbox.install_url
    await browser.send("Page.navigate", url=install)  # not the sandbox page: no goto()
    await browser.wait("location.href.includes('/slack/install')")
    await browser.click_at("document.querySelector('#add-to-slack')")
    await browser.wait("document.querySelector('#allow-T0GLOBEX')")
    await browser.click_at("document.querySelector('#allow-T0GLOBEX')")
    done = await browser.wait(
        "document.body && document.body.textContent.includes('Beacon is installed in') &&"
        " document.body.textContent"
    )
    assert "Beacon is installed in Globex" in done

    # Back on the page: switch to Globex, whose people and channels are its own.
    await open_channel(browser, sandbox.url, "incidents")
    await browser.wait(f"{rail('Globex')} && !{rail('Globex')}.classList.contains('not-installed')")
    await browser.click_at(rail("Globex"))
    await browser.wait("document.querySelector('#team').textContent === 'Globex'")
    await browser.wait(channel_link("globex-launch"))
    assert not await browser.eval(channel_link("random"))
    assert await browser.eval("document.querySelector('#user-picker').value") == "erin"
    await browser.click_at(channel_link("incidents"))
    await declare(browser, "Globex checkout down")
    globex = sandbox.emu.team("T0GLOBEX")
    card = await globex.wait_message("incidents", "Globex checkout down", timeout=10)
    assert card.team == "T0GLOBEX"
    assert not sandbox.emu.workspace.messages("incidents")

    # And back to Acme: its channels, alice again, no Globex card.
    await browser.click_at(rail("Acme"))
    await browser.wait(channel_link("random"))
    assert await browser.eval("document.querySelector('#user-picker').value") == "alice"
    assert not await browser.eval(channel_link("globex-launch"))
    assert not await browser.eval(card_js("Triggered"))


async def test_a_workflow_step_runs_from_the_toolbar(sandbox: Sandbox, browser: Browser):
    await open_channel(browser, sandbox.url, "incidents")
    await browser.click_at("document.querySelector('#steps-button')")
    await browser.click_at(button("Declare an incident", "document.querySelector('.menu')"))
    form = "document.querySelector('.step-form')"
    await browser.wait(form)
    await browser.type_into(f"{form}.elements['title']", "Queue backlog")
    await browser.type_into(f"{form}.elements['severity']", "P2")
    await browser.click_at(button("Run step", form))
    said = await browser.wait(
        f"!{TOAST}.hidden && {TOAST}.textContent.includes('✓') && {TOAST}.textContent",
        timeout=20,
    )
    assert '"incident_id":"INC-1"' in said
    await browser.wait(card_js("Triggered"), timeout=15)
    incident = await sandbox.runtime.beacon.incidents.get("INC-1")
    assert incident.title == "Queue backlog" and incident.severity == "P2"
