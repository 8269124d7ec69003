"""The Declare incident modal: its builder and the parser of its submission."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from app.config import BeaconConfig
from app.domain.models import DESCRIPTION_MAX, TITLE_MAX, NewIncident
from views.blocks import input_block, modal, option, plain_text
from views.context import DeclareContext
from views.ids import ActionId, BlockId, CallbackId, OptionValue
from views.modals import state
from views.mrkdwn import truncate

_MARKUP = re.compile(r"<([@#!]?)([^>|]+)(?:\|([^>]+))?>")


def _option(label: str, value: str) -> dict[str, Any]:
    return option(truncate(label, 75), value)


def severity_option(config: BeaconConfig, key: str) -> dict[str, Any]:
    sev = config.severity(key)
    return _option(f"{key} · {sev.label} ({sev.urgency.value})", key)


def plain(text: str) -> str:
    """Slack markup to readable text for a prefilled input: <@U1> -> @U1, <url|x> -> x."""
    return _MARKUP.sub(lambda m: m.group(3) or (m.group(1) + m.group(2)), text).strip()


def declare_modal(
    config: BeaconConfig,
    *,
    context: DeclareContext,
    title: str = "",
    description: str = "",
    severity: str = "P3",
    service: str | None = None,
    assignee: str | None = None,
) -> dict[str, Any]:
    title_el: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ActionId.TITLE,
        "max_length": TITLE_MAX,
        "placeholder": plain_text("What is broken, in a few words"),
    }
    if title:
        title_el["initial_value"] = truncate(title, TITLE_MAX)
    desc_el: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ActionId.DESCRIPTION,
        "multiline": True,
        "max_length": DESCRIPTION_MAX,
    }
    if description:
        desc_el["initial_value"] = truncate(description, DESCRIPTION_MAX)
    sev_el: dict[str, Any] = {
        "type": "static_select",
        "action_id": ActionId.SEVERITY,
        "placeholder": plain_text("Pick a severity"),
        "options": [severity_option(config, key) for key in config.severities],
        "initial_option": severity_option(config, severity),
    }
    blocks = [
        input_block(BlockId.TITLE, "Title", title_el),
        input_block(BlockId.DESCRIPTION, "Description", desc_el, optional=True),
    ]
    if config.services:
        svc_options = [_option(svc.name, key) for key, svc in list(config.services.items())[:100]]
        svc_el: dict[str, Any] = {
            "type": "static_select",
            "action_id": ActionId.SERVICE,
            "placeholder": plain_text("Pick a service"),
            "options": svc_options,
        }
        if service in config.services:
            svc_el["initial_option"] = _option(config.services[service].name, service)
        blocks.append(input_block(BlockId.SERVICE, "Service", svc_el, optional=True))
    blocks.append(input_block(BlockId.SEVERITY, "Severity", sev_el))
    assignee_el: dict[str, Any] = {
        "type": "users_select",
        "action_id": ActionId.ASSIGNEE,
        "placeholder": plain_text("Pick a person"),
    }
    if assignee:
        assignee_el["initial_user"] = assignee
    blocks.append(input_block(BlockId.ASSIGNEE, "Assignee", assignee_el, optional=True))
    blocks.append(
        input_block(
            BlockId.OPTIONS,
            "Options",
            {
                "type": "checkboxes",
                "action_id": ActionId.OPTIONS,
                "options": [_option("Create a dedicated channel", OptionValue.DEDICATED_CHANNEL)],
            },
            optional=True,
        )
    )
    return modal(
        "Declare incident",
        blocks,
        callback_id=CallbackId.DECLARE_MODAL,
        submit="Declare",
        private_metadata=context.dump(),
    )


def message_prefill(text: str) -> dict[str, str]:
    """The title (its first line) and description a message's text prefills, as plain text."""
    text = plain(text)
    return {"title": text.splitlines()[0] if text else "", "description": text}


@dataclass(frozen=True)
class DeclareForm:
    title: str
    description: str
    service: str | None
    severity: str
    assignee: str | None
    wants_channel: bool

    FIELDS: ClassVar[dict[str, BlockId]] = {
        "title": BlockId.TITLE,
        "description": BlockId.DESCRIPTION,
        "service": BlockId.SERVICE,
        "severity": BlockId.SEVERITY,
        "assignee": BlockId.ASSIGNEE,
    }

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> DeclareForm:
        checked = state.element(view, BlockId.OPTIONS, ActionId.OPTIONS).get("selected_options")
        return cls(
            title=state.text(view, BlockId.TITLE, ActionId.TITLE),
            description=state.text(view, BlockId.DESCRIPTION, ActionId.DESCRIPTION),
            service=state.selected(view, BlockId.SERVICE, ActionId.SERVICE),
            severity=state.selected(view, BlockId.SEVERITY, ActionId.SEVERITY) or "",
            assignee=state.element(view, BlockId.ASSIGNEE, ActionId.ASSIGNEE).get("selected_user"),
            wants_channel=any(
                o.get("value") == OptionValue.DEDICATED_CHANNEL for o in checked or []
            ),
        )

    def new_incident(self, reporter: str, context: DeclareContext) -> NewIncident:
        """The declaration: this form's fields, who submitted it, the message it came from."""
        return NewIncident(
            title=self.title,
            description=self.description,
            service=self.service,
            severity=self.severity,
            assignee=self.assignee,
            reporter=reporter,
            wants_channel=self.wants_channel,
            source_channel=context.source_channel,
            source_ts=context.source_ts,
            source_permalink=context.source_permalink,
        )
