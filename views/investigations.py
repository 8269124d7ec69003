"""An investigation result message, with feedback buttons and the vote counts."""

from __future__ import annotations

from typing import Any

from app.domain.investigations import RATING_LABEL, Investigation, Rating
from views.blocks import Block, actions, button, context, header, section
from views.context import FeedbackVote
from views.ids import ActionId, BlockId
from views.mrkdwn import escape, truncate

RATING_ACTION = {
    Rating.ACCURATE: ActionId.FEEDBACK_ACCURATE,
    Rating.PARTIALLY_ACCURATE: ActionId.FEEDBACK_PARTIAL,
    Rating.NEEDS_IMPROVEMENT: ActionId.FEEDBACK_NEEDS_WORK,
}
RATING_EMOJI = {
    Rating.ACCURATE: "👍",
    Rating.PARTIALLY_ACCURATE: "🤏",
    Rating.NEEDS_IMPROVEMENT: "👎",
}


def _capped_section(text: str) -> Block:
    """Long user text is cut at Slack's limit for a section."""
    return section(truncate(text, 3000))


def fallback_text(inv: Investigation) -> str:
    return f"Investigation result {inv.id}: {escape(truncate(inv.alert_summary, 200))}"


def counts_text(inv: Investigation) -> str:
    parts = [f"{RATING_EMOJI[r]} {RATING_LABEL[r]}: {inv.votes.get(r, 0)}" for r in Rating]
    return "Feedback · " + " · ".join(parts)


def result_blocks(inv: Investigation) -> list[dict[str, Any]]:
    title = f"🔎 Investigation result · {inv.id}"
    if inv.incident_id:
        title += f" · {inv.incident_id}"
    blocks: list[Block] = [
        header(truncate(title, 150)),
        _capped_section("*Alert*\n" + escape(truncate(inv.alert_summary, 2900))),
        _capped_section(
            "*Root cause*\n" + (escape(truncate(inv.root_cause, 2900)) or "_not found_")
        ),
    ]
    if inv.affected_resources:
        lines = "\n".join(f"• {escape(truncate(r, 200))}" for r in inv.affected_resources)
        blocks.append(_capped_section("*Affected resources*\n" + lines))
    if inv.recommended_actions:
        blocks.append(_capped_section("*Recommended actions*"))
        for n, action in enumerate(inv.recommended_actions, start=1):
            text = f"{n}. {escape(truncate(action.text, 1000))}"
            if action.command:
                text += f"\n```{escape(truncate(action.command, 1800))}```"
            blocks.append(_capped_section(text))
    blocks.append(context(counts_text(inv), block_id=BlockId.INVESTIGATION_COUNTS))
    vote = [
        button(
            RATING_LABEL[r],
            RATING_ACTION[r],
            FeedbackVote(investigation_id=inv.id, rating=r.value).dump(),
        )
        for r in Rating
    ]
    blocks.append(actions(vote, block_id=BlockId.INVESTIGATION_FEEDBACK))
    return blocks  # at most 3 + 1 + 1 + LIST_MAX + 2 blocks: under Slack's 50
