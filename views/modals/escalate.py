"""The Escalate now modal (the card's More ⋯): it says who is paged next; submitting pages
them. It has no input, so there is nothing to parse."""

from __future__ import annotations

from typing import Any

from app.domain.escalations import EscalationPlan
from views.blocks import section
from views.context import IncidentModalContext
from views.ids import CallbackId
from views.modals.incident_modal import incident_modal
from views.mrkdwn import escape


def escalate_modal(plan: EscalationPlan, *, context: IncidentModalContext) -> dict[str, Any]:
    again = f" (round {plan.next.round + 1})" if plan.next.round else ""
    text = (
        f"Page level {plan.next.level}{again} of *{escape(plan.policy)}* now, without waiting "
        f"for level {plan.current.level}'s time to run out."
    )
    return incident_modal(
        "Escalate", plan.incident, [section(text)],
        callback_id=CallbackId.ESCALATE_MODAL, submit="Escalate now", context=context,
    )
