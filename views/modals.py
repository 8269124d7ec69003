"""Modals: declare, resolve, custom snooze."""

from __future__ import annotations

from typing import Any

from app.config import BeaconConfig
from app.domain.models import DESCRIPTION_MAX, NOTE_MAX, TITLE_MAX, Incident
from views.context import DeclareContext, IncidentModalContext
from views.ids import ActionId, BlockId, CallbackId, OptionValue
from views.incident import show_blocks
from views.mrkdwn import truncate


def _pt(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def _input(
    block: BlockId,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "input",
        "block_id": block,
        "label": _pt(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        out["hint"] = _pt(hint)
    return out


def _option(label: str, value: str) -> dict[str, Any]:
    return {"text": _pt(truncate(label, 75)), "value": value}


def severity_option(config: BeaconConfig, key: str) -> dict[str, Any]:
    sev = config.severity(key)
    return _option(f"{key} · {sev.label} ({sev.urgency.value})", key)


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
        "placeholder": _pt("What is broken, in a few words"),
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
        "placeholder": _pt("Pick a severity"),
        "options": [severity_option(config, key) for key in config.severities],
        "initial_option": severity_option(config, severity),
    }
    blocks = [
        _input(BlockId.TITLE, "Title", title_el),
        _input(BlockId.DESCRIPTION, "Description", desc_el, optional=True),
    ]
    if config.services:
        svc_options = [_option(svc.name, key) for key, svc in list(config.services.items())[:100]]
        svc_el: dict[str, Any] = {
            "type": "static_select",
            "action_id": ActionId.SERVICE,
            "placeholder": _pt("Pick a service"),
            "options": svc_options,
        }
        if service in config.services:
            svc_el["initial_option"] = _option(config.services[service].name, service)
        blocks.append(_input(BlockId.SERVICE, "Service", svc_el, optional=True))
    blocks.append(_input(BlockId.SEVERITY, "Severity", sev_el))
    assignee_el: dict[str, Any] = {
        "type": "users_select",
        "action_id": ActionId.ASSIGNEE,
        "placeholder": _pt("Pick a person"),
    }
    if assignee:
        assignee_el["initial_user"] = assignee
    blocks.append(_input(BlockId.ASSIGNEE, "Assignee", assignee_el, optional=True))
    blocks.append(
        _input(
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
    return {
        "type": "modal",
        "callback_id": CallbackId.DECLARE_MODAL,
        "title": _pt("Declare incident"),
        "submit": _pt("Declare"),
        "close": _pt("Cancel"),
        "blocks": blocks,
        "private_metadata": context.dump(),
    }


def resolve_modal(incident_id: str, title: str, *, context: IncidentModalContext) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CallbackId.RESOLVE_MODAL,
        "title": _pt(truncate(f"Resolve {incident_id}", 24)),
        "submit": _pt("Resolve"),
        "close": _pt("Cancel"),
        "private_metadata": context.dump(),
        "blocks": [
            {"type": "section", "text": {"type": "plain_text", "text": truncate(title, 2000)}},
            _input(
                BlockId.NOTE,
                "Resolution note",
                {
                    "type": "plain_text_input",
                    "action_id": ActionId.NOTE,
                    "multiline": True,
                    "max_length": NOTE_MAX,
                    "placeholder": _pt("What fixed it? (optional)"),
                },
                optional=True,
            ),
        ],
    }


def snooze_modal(incident_id: str, *, context: IncidentModalContext) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CallbackId.SNOOZE_MODAL,
        "title": _pt(truncate(f"Snooze {incident_id}", 24)),
        "submit": _pt("Snooze"),
        "close": _pt("Cancel"),
        "private_metadata": context.dump(),
        "blocks": [
            _input(
                BlockId.SNOOZE_FOR,
                "Snooze for",
                {
                    "type": "plain_text_input",
                    "action_id": ActionId.SNOOZE_FOR,
                    "placeholder": _pt("e.g. 45m, 2h, 1h30m, 1d"),
                },
                hint="Reminders stay quiet until then; the assignee is paged again after.",
            )
        ],
    }


def details_modal(incident: Incident, config: BeaconConfig, *, now: float) -> dict[str, Any]:
    """An incident's card in a modal (a storm rollup row's Details), without buttons."""
    return {
        "type": "modal",
        "title": _pt(truncate(incident.id, 24)),
        "close": _pt("Close"),
        "blocks": show_blocks(incident, config, now=now),
    }
