"""App Home: yours, everything open by severity, who is on call, approvals waiting for you."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.config import SEVERITY_ORDER, BeaconConfig
from app.domain.approvals import Approval
from app.domain.listing import OpenCounts
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


@dataclass(frozen=True)
class OpenSection:
    """What Home shows of the open incidents, read from the indexes for one viewer."""

    counts: OpenCounts
    shown: list[Incident]  # this page of "All open", by severity then newest
    page: int
    mine: list[Incident]  # the newest assigned to the viewer, at most MINE_MAX
    mine_total: int

    @property
    def pages(self) -> int:
        return pages_for(self.counts.total)


def pages_for(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def home_view(
    open_: OpenSection, config: BeaconConfig, *, user_id: str, now: float,
    oncall: list[str] | None = None, approvals: list[Approval] | None = None,
) -> dict[str, Any]:
    mine, counts, page = open_.mine, open_.counts, open_.page
    blocks: list[Block] = [
        header("Beacon — incidents"),
        context("Declare with `/incident` or the ⚡ *Declare incident* shortcut."),
        section(f"*Assigned to you ({open_.mine_total})*"),
    ]
    blocks += [
        section(incident_line(i, config), accessory=_act_button(i)) for i in mine[:MINE_MAX]
    ]
    if open_.mine_total > MINE_MAX:
        blocks.append(context(f"…and {open_.mine_total - MINE_MAX} more assigned to you"))
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
    summary = " · ".join(f"{sev}: {counts.by_severity.get(sev, 0)}" for sev in SEVERITY_ORDER)
    blocks += [divider(), section(f"*All open incidents ({counts.total})*  {summary}")]
    blocks += [section(incident_line(i, config), accessory=_act_button(i)) for i in open_.shown]
    if not counts.total:
        blocks.append(context("No open incidents. 🎉"))
    pages = open_.pages
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(button("← Previous", ActionId.HOME_PAGE, str(page - 1)))
        if page < pages - 1:
            nav.append(button(f"Next {PAGE_SIZE} →", ActionId.HOME_NEXT, str(page + 1)))
        blocks.append(context(f"Page {page + 1} of {pages}"))
        blocks.append(actions(nav, block_id=BlockId.HOME_PAGES))
    return {"type": "home", "blocks": blocks}
