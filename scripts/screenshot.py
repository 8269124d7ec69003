"""Take README's picture of the sandbox (docs/sandbox.png) in headless Chromium.

    .venv/bin/python scripts/screenshot.py [docs/sandbox.png]

Starts a sandbox on free ports, declares an incident through the page as alice, acknowledges
it, opens its thread and captures the page. Needs chromium (scripts/bootstrap.sh test --browser).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.main import Runtime  # noqa: E402
from sandbox.world import Sandbox  # noqa: E402
from tests.browser.cdp import Browser, chromium_path  # noqa: E402
from tests.browser.flows import acknowledge_and_open_thread, declare, open_channel  # noqa: E402


async def capture(out: Path) -> int:
    binary = chromium_path()
    if binary is None:
        print("screenshot: chromium is not installed (scripts/bootstrap.sh test --browser)")
        return 2
    sandbox = Sandbox(Runtime, port=0)
    browser = Browser(binary)
    await sandbox.start()
    try:
        await browser.start()
        await open_channel(browser, sandbox.url, "incidents")
        await declare(browser, "Checkout returns 500s")
        await acknowledge_and_open_thread(browser)
        await browser.eval(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        png = await browser.screenshot(out)
    finally:
        await browser.close()
        await sandbox.stop()
    print(f"screenshot: wrote {out} ({len(png)} bytes)")
    return 0


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "sandbox.png"
    sys.exit(asyncio.run(capture(target)))
