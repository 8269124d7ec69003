"""`investigations:` in beacon.yml (issue 8): where investigators' progress updates go."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class InvestigationsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Unset: each update is a reply in the incident card's thread. Set (a channel like
    # "#ai-investigations"): a thread per incident there, so the card thread stays for people.
    updates_channel: str | None = None
