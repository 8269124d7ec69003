"""Storm rollups: one message listing many new incidents, and one page DM per person per storm.

Pure: rollup state and incidents in, Block Kit out; the same functions render the first post
and every update, so a rollup never disagrees with the incidents it lists.
"""

from __future__ import annotations

from typing import Any

from app.config import BeaconConfig
from app.domain.models import Incident, Status
from views.blocks import Block, actions, button, confirm_dialog, context, option, section
from views.context import RollupAction, RollupRef
from views.ids import ActionId, BlockId, RollupVerb
from views.incident import SEVERITY_EMOJI, status_text
from views.mrkdwn import date_time, escape, truncate, user

SECTION_MAX = 3000


def _row_text(incident: Incident, config: BeaconConfig, now: float) -> str:
    sev = config.severity(incident.severity)
    service = config.services.get(incident.service or "")
    where = f" · {escape(service.name)}" if service else ""
    line = (f"{SEVERITY_EMOJI[sev.urgency]} *{incident.id}* · {incident.severity} · "
            f"{escape(truncate(incident.title, 120))}{where}")
    state = status_text(incident, now)
    return f"{line}\n{'🔔 ' if incident.status is Status.TRIGGERED else ''}{state}"


def _option(label: str, incident_id: str, verb: RollupVerb) -> dict[str, Any]:
    return option(label, RollupAction(incident_id=incident_id, verb=verb).dump())


def _row(incident: Incident, config: BeaconConfig, now: float) -> dict[str, Any]:
    options = []
    if incident.status is Status.TRIGGERED:
        options.append(_option("Acknowledge", incident.id, RollupVerb.ACK))
    if incident.is_open:
        options.append(_option("Resolve…", incident.id, RollupVerb.RESOLVE))
    options.append(_option("Details", incident.id, RollupVerb.DETAILS))
    return section(
        _row_text(incident, config, now),
        block_id=f"rollup-row-{incident.id}",
        accessory={"type": "overflow", "action_id": ActionId.ROLLUP_ROW, "options": options},
    )


def rollup_text(incidents: list[Incident], started: float) -> str:
    ids = ", ".join(i.id for i in incidents[:20]) + ("…" if len(incidents) > 20 else "")
    return f"🌩 {len(incidents)} new incidents since {date_time(started)}: {ids}"


def rollup_blocks(
    rid: str, incidents: list[Incident], config: BeaconConfig, *, started: float, now: float,
    continued: bool = False,
) -> list[dict[str, Any]]:
    waiting = sum(1 for i in incidents if i.status is Status.TRIGGERED)
    head = f"*🌩 {len(incidents)} new incidents since {date_time(started)}*"
    if continued:
        head += " (continued)"
    if waiting:
        head += f" · {waiting} not acknowledged"
    blocks: list[Block] = [
        section(head, block_id=BlockId.ROLLUP_HEAD),
        context(
            "More incidents arrived than Slack lets Beacon post here, so they are listed on this "
            "message and kept current. Act on one with its ⋯ menu; replies go in this thread."
        ),
    ]
    if waiting:
        confirm = confirm_dialog(
            "Acknowledge all?",
            f"You take the {waiting} incidents on this list that nobody has "
            "acknowledged yet; paging stops for them.",
            confirm="Acknowledge all",
        )
        ack_all = button(
            f"Acknowledge all {waiting}",
            ActionId.ROLLUP_ACK_ALL,
            RollupRef(rollup_id=rid).dump(),
            style="primary",
            confirm=confirm,
        )
        blocks.append(actions([ack_all], block_id=BlockId.ROLLUP_ACTIONS))
    blocks += [_row(i, config, now) for i in incidents]
    return blocks


def storm_page_text(count: int) -> str:
    return f"📟 You are paged for {count} incident{'s' if count != 1 else ''} in a storm"


def storm_page_blocks(
    incidents: list[Incident], config: BeaconConfig, *, permalink: str, now: float
) -> list[dict[str, Any]]:
    """One DM per person per storm: everything they are paged for, kept current."""
    waiting = [i for i in incidents if i.status is Status.TRIGGERED]
    head = f"*{storm_page_text(len(incidents))}* · {len(waiting)} not acknowledged"
    blocks: list[Block] = [section(head)]
    chunk = ""
    for incident in incidents:
        line = _row_text(incident, config, now).replace("\n", " — ") + "\n"
        if len(chunk) + len(line) > SECTION_MAX:
            blocks.append(section(chunk))
            chunk = ""
        chunk += line
        if len(blocks) >= 47:
            break
    if chunk:
        blocks.append(section(chunk))
    if permalink:
        blocks.append(actions([button("Open the rollup", ActionId.VIEW, url=permalink)]))
    return blocks


def ack_all_answer(done: list[str], skipped: list[str]) -> str:
    """What the person who pressed Acknowledge all is told."""
    if not done:
        return "Nothing to acknowledge: every incident on this list was already acknowledged."
    text = f"✓ You acknowledged {len(done)} incident{'s' if len(done) != 1 else ''}"
    return text + (f"; {len(skipped)} already were." if skipped else ".")


def ack_all_reply(actor: str) -> str:
    return f"✓ {user(actor)} acknowledged every incident on this list that was waiting."
