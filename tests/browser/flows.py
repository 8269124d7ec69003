"""What a person does on the sandbox page, shared by the browser test and scripts/screenshot.py."""

from __future__ import annotations

import json

from tests.browser.cdp import Browser


def button(label: str, within: str = "document") -> str:
    """JS for the first visible button whose text is `label`."""
    return (
        f"[...{within}.querySelectorAll('button')]"
        f".find(b => b.textContent.trim() === {json.dumps(label)} && b.offsetParent)"
    )


def card_js(status: str, incident_id: str = "INC-1") -> str:
    """JS: the incident card in the main pane once its fields show `status`."""
    return (
        "[...document.querySelectorAll('#messages .msg')].find(m => "
        f"m.textContent.includes({json.dumps(incident_id)}) && m.querySelector('.bk-actions') && "
        f"m.textContent.includes({json.dumps(status)}))"
    )


def channel_link(name: str) -> str:
    return f"document.querySelector('#channels a[data-channel={json.dumps(name)}]')"


async def open_channel(browser: Browser, url: str, name: str, user: str = "alice") -> None:
    await browser.goto(f"{url}?user={user}")
    await browser.wait("document.querySelector('#live.on')")
    await browser.click_at(channel_link(name))
    await browser.wait(
        f"document.querySelector('#channel-header').textContent.includes({json.dumps(name)})"
    )


async def declare(browser: Browser, title: str, severity: str = "P2") -> None:
    """/incident in the message box, the form filled and submitted; the card has its View."""
    await browser.type_into("document.querySelector('#composer-input')", "/incident")
    await browser.press_enter()
    await browser.wait("document.querySelector('.modal[aria-label=\"Declare incident\"]')")
    await browser.type_into("document.querySelector('.modal [data-label=\"Title\"]')", title)
    await browser.eval(
        "(() => { const s = document.querySelector('.modal [data-label=\"Severity\"]');"
        f" s.value = [...s.options].find(o => o.value.startsWith({json.dumps(severity)})).value;"
        " s.dispatchEvent(new Event('change')); })()"
    )
    await browser.click_at(button("Declare", "document.querySelector('.modal')"))
    await browser.wait("!document.querySelector('.modal')")
    await browser.wait(card_js("Triggered"), timeout=15)
    # The notifier's last step for a new card adds its View link; the page re-renders the card
    # then, and a click that lands on the replaced element is lost. Act once it has settled.
    await browser.wait(button("View", card_js("Triggered")), timeout=15)


async def acknowledge_and_open_thread(browser: Browser) -> str:
    """Acknowledge the card, open its thread; the reply that says who acknowledged."""
    await browser.click_at(button("Acknowledge", card_js("Triggered")))
    await browser.wait(card_js("Acknowledged"), timeout=15)
    await browser.click_at(f"{card_js('Acknowledged')}.querySelector('.thread-link')")
    reply: str = await browser.wait(
        "[...document.querySelectorAll('#thread-messages .msg')]"
        ".map(m => m.textContent).find(t => t.includes('Acknowledged by'))",
        timeout=15,
    )
    return reply
