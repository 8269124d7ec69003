"""`/incident status` and `/incident digest`: the state of things, ephemeral."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from views.digest import digest_blocks, digest_text
from views.oncall import status_text

if TYPE_CHECKING:
    from app.container import Beacon


async def status(beacon: Beacon) -> str:
    assert beacon.status is not None  # built with the container
    return status_text(await beacon.status.report(), beacon.config)


async def digest(beacon: Beacon) -> tuple[str, list[dict[str, Any]]]:
    assert beacon.digest is not None
    built = await beacon.digest.build()
    return digest_text(built), digest_blocks(built, beacon.config)
