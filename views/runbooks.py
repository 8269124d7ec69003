"""Runbook messages: the failed-step notice with its Retry button, the list."""

from __future__ import annotations

from typing import Any

from app.config.runbooks import Runbook
from views.blocks import button, section
from views.context import _Ctx
from views.ids import ActionId, BlockId
from views.incident_channel import FIXES
from views.mrkdwn import escape, user

# Beacon's own reasons a step cannot run, with what to do.
STEP_FIXES = {
    "no_incident_channel": "add a `create_channel` step before this one, or declare with "
    "*Create a dedicated channel*",
    "no_card": "the incident card is not posted yet (check the routing in the config)",
    "no_link": "the card has no link yet: retry in a moment",
    "channel_not_found": "check the channel name in the runbook, and invite @Beacon to it",
    "user_not_found": "check the people named in the runbook (ids or emails)",
    "runbook_removed": "the runbook is no longer loaded: nothing to retry",
    "invalid_blocks": "fix the blocks in the runbook file (Slack refused them)",
}


class RunbookStepRef(_Ctx):
    """The Retry step button's value: which run, which step."""

    incident_id: str
    run: str
    step: int


def _why(error: str) -> str:
    code = error.split(" ")[0]
    fix = STEP_FIXES.get(code) or FIXES.get(code) or "see the Beacon logs for details"
    return f"Slack or Beacon said `{escape(error)}`: {fix}."


def failure_text(runbook: str, step: int, step_type: str, error: str) -> str:
    return (
        f"⚠️ Runbook *{escape(runbook)}* stopped at step {step + 1} (`{step_type}`). "
        f"{_why(error)} The later steps wait until this one works."
    )


def failure_blocks(
    incident_id: str, run: str, runbook: str, step: int, step_type: str, error: str
) -> list[dict[str, Any]]:
    ref = RunbookStepRef(incident_id=incident_id, run=run, step=step).dump()
    return [
        section(
            failure_text(runbook, step, step_type, error),
            block_id=BlockId.RUNBOOK_FAILURE,
            accessory=button("Retry step", ActionId.RUNBOOK_RETRY, ref),
        )
    ]


def retried_text(runbook: str, step: int, step_type: str, actor: str) -> str:
    return (
        f"🔁 Runbook *{escape(runbook)}*: step {step + 1} (`{step_type}`) retried by {user(actor)}."
    )


def list_text(runbooks: tuple[Runbook, ...], folder: str | None) -> str:
    if not runbooks:
        where = f" in `{escape(folder)}`" if folder else " (set `runbooks_dir:` in the config)"
        return f"No runbooks are loaded{where}."
    lines = [f"*Runbooks ({len(runbooks)})*"]
    for rb in runbooks:
        steps = " → ".join(s.type for s in rb.steps)
        lines.append(f"• *{escape(rb.name)}* — {escape(rb.describe())}\n    {steps}")
    return "\n".join(lines)
