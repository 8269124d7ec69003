"""`investigations:` in beacon.yml: where investigators' progress updates go."""

from __future__ import annotations

from app.config.base import Strict


class InvestigationsConfig(Strict):
    # Unset: each update is a reply in the incident card's thread. Set (a channel like
    # "#ai-investigations"): a thread per incident there, so the card thread stays for people.
    updates_channel: str | None = None
