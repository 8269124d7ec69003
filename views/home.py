"""App Home: yours, everything open by severity, who is on call, approvals waiting for you."""

from __future__ import annotations

from typing import Any

from app.config import SEVERITY_ORDER, BeaconConfig
from app.domain.approvals import Approval
from app.domain.models import Incident, Status
from views.approvals import approval_blocks
from views.blocks import Block, actions, button, context, divider, header, section
from views.context import IncidentRef
from views.ids import ActionId, BlockId
from views.incident import incident_line
from views.mrkdwn import escape, truncate

PAGE_SIZE = 25  # incidents per page of "All open": keeps the view far below 100 blocks
MINE_MAX = 10
APPROVALS_MAX = 5


def _act_button(incident: Incident) -> dict[str, Any] | None:
    ref = IncidentRef(incident_id=incident.id).dump()
    if incident.status is Status.TRIGGERED:
        label, action = "Acknowledge", ActionId.ACK
    elif incident.is_open:
        label, action = "Resolve", ActionId.RESOLVE
    else:
        return None
    return button(label, action, ref)


def home_view(
    incidents: list[Incident], config: BeaconConfig, *, user_id: str, now: float,
    oncall: list[str] | None = None, approvals: list[Approval] | None = None, page: int = 0,
) -> dict[str, Any]:
    mine = [i for i in incidents if i.assignee == user_id]
    blocks: list[Block] = [
        header("Beacon — incidents"),
        context("Declare with `/incident` or the ⚡ *Declare incident* shortcut."),
        section(f"*Assigned to you ({len(mine)})*"),
    ]
    blocks += [
        section(incident_line(i, config), accessory=_act_button(i)) for i in mine[:MINE_MAX]
    ]
    if len(mine) > MINE_MAX:
        blocks.append(context(f"…and {len(mine) - MINE_MAX} more assigned to you"))
    if not mine:
        blocks.append(context("Nothing assigned to you."))
    if oncall:
        blocks += [divider(), section("*On call now*\n" + "\n".join(oncall))]
    waiting = [a for a in approvals or [] if user_id in a.approvers]
    if waiting:
        blocks += [divider(), section(f"*Approvals waiting for you ({len(waiting)})*")]
        for approval in waiting[:APPROVALS_MAX]:
            card = approval_blocks(approval, config.approvals, now=now)
            blocks.append(section(f"*{approval.id}* · {approval.risk.value} · "
                                  f"{escape(truncate(approval.operation, 200))}"))
            buttons = [b for b in card if b.get("block_id") == BlockId.APPROVAL_ACTIONS]
            if buttons:  # same buttons as the card; block ids left to Slack (unique per view)
                blocks.append(actions(buttons[0]["elements"]))
    counts = {sev: sum(1 for i in incidents if i.severity == sev) for sev in SEVERITY_ORDER}
    summary = " · ".join(f"{sev}: {n}" for sev, n in counts.items())
    blocks += [divider(), section(f"*All open incidents ({len(incidents)})*  {summary}")]
    ordered = sorted(incidents, key=lambda i: (SEVERITY_ORDER.index(i.severity), -i.created_at))
    pages = max(1, -(-len(ordered) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = ordered[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    blocks += [section(incident_line(i, config), accessory=_act_button(i)) for i in shown]
    if not incidents:
        blocks.append(context("No open incidents. 🎉"))
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(button("← Previous", ActionId.HOME_PAGE, str(page - 1)))
        if page < pages - 1:
            nav.append(button("Next →", ActionId.HOME_NEXT, str(page + 1)))
        blocks.append(context(f"Page {page + 1} of {pages}"))
        blocks.append(actions(nav, block_id=BlockId.HOME_PAGES))
    return {"type": "home", "blocks": blocks}
