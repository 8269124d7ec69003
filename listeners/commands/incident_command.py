"""`/incident ...`: acks at once, then runs the sub-command and answers ephemerally."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from app.domain.answers import ReplyTo
from app.domain.errors import InvalidInput
from app.domain.incidents import normalise_id
from app.domain.listing import IncidentState
from app.domain.models import NewIncident
from listeners.commands import incident_record, incident_updates, oncall
from listeners.commands import runbooks as runbooks_cmd
from listeners.commands import status as status_cmd
from listeners.commands.parse import SUBCOMMANDS, ParsedCommand, parse, user_id_from
from listeners.context import answer, beacon_of
from views import incident as card
from views.context import DeclareContext
from views.modals.declare import declare_modal
from views.mrkdwn import escape, parse_duration

Reply = str | tuple[str, list[dict[str, Any]]] | None


async def handle_incident_command(
    ack: AsyncAck,
    command: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    parsed = parse(command.get("text", ""))
    if parsed.name == "help":
        await ack(text=card.HELP_TEXT)
        return
    await ack()
    beacon = beacon_of(context)
    user = command["user_id"]
    if parsed.name == "":
        await _open_declare(client, command, beacon)
        return
    if parsed.name not in SUBCOMMANDS:
        raise InvalidInput(
            f"I don't know `/incident {escape(parsed.name)}`. Try `/incident help` for the list."
        )
    handler = _HANDLERS[parsed.name]
    reply = await handler(beacon, parsed, user, command, client)
    if isinstance(reply, tuple):
        await answer(context, command, *reply)
    elif reply is not None:
        await answer(context, command, reply)


async def _open_declare(
    client: AsyncWebClient, command: dict[str, Any], beacon: Any, **prefill: Any
) -> None:
    ctx = DeclareContext(
        channel_id=command.get("channel_id"), response_url=command.get("response_url"),
        at=beacon.clock.now(),
    )
    view = declare_modal(beacon.config, context=ctx, **prefill)
    await client.views_open(trigger_id=command["trigger_id"], view=view)


def _one_id(parsed: ParsedCommand, usage: str) -> tuple[str, str]:
    words = parsed.rest.split(maxsplit=1)
    if not words:
        raise InvalidInput(f"Which incident? Usage: `{usage}`")
    return normalise_id(words[0]), (words[1] if len(words) > 1 else "")


async def _create(beacon, parsed, user, command, client) -> Reply:
    flags = parsed.flags
    if parsed.unknown_flags:
        raise InvalidInput(
            f"Unknown option `--{parsed.unknown_flags[0]}`. Use --sev, --service, --assignee "
            "or --desc."
        )
    assignee = None
    if flags.get("assignee"):
        assignee = user_id_from(flags["assignee"])
        if assignee is None:
            raise InvalidInput("Name the assignee as a mention, like `--assignee @alice`.")
    if "severity" not in flags:
        await _open_declare(
            client,
            command,
            beacon,
            title=parsed.rest,
            service=flags.get("service"),
            assignee=assignee,
            description=flags.get("description", ""),
        )
        return None
    new = NewIncident(
        title=parsed.rest,
        severity=flags["severity"].upper(),
        reporter=user,
        description=flags.get("description", ""),
        service=flags.get("service"),
        assignee=assignee,
        # The confirmation with the card's link comes back here once the card is out.
        reply_to=ReplyTo(user, channel=command.get("channel_id"),
                         response_url=command.get("response_url"), at=beacon.clock.now()),
    )
    incident = await beacon.incidents.declare(new)
    return f"{card.declared_text(incident)} The card is on its way."


async def _list(beacon, parsed, user, command, client) -> Reply:
    page = await beacon.incidents.page(IncidentState.OPEN, card.LIST_PAGE)
    return card.list_blocks(page, beacon.config)


async def _show(beacon, parsed, user, command, client) -> Reply:
    incident_id, _ = _one_id(parsed, "/incident show INC-42")
    incident = await beacon.incidents.get(incident_id)
    blocks = card.show_blocks(incident, beacon.config, now=beacon.clock.now())
    return card.fallback_text(incident, beacon.config), blocks


async def _ack(beacon, parsed, user, command, client) -> Reply:
    incident_id, _ = _one_id(parsed, "/incident ack INC-42")
    await beacon.incidents.acknowledge(incident_id, user)
    return f"You acknowledged *{incident_id}*."


async def _resolve(beacon, parsed, user, command, client) -> Reply:
    incident_id, note = _one_id(parsed, "/incident resolve INC-42 [note]")
    await beacon.incidents.resolve(incident_id, user, note)
    return f"You resolved *{incident_id}*."


async def _snooze(beacon, parsed, user, command, client) -> Reply:
    incident_id, when = _one_id(parsed, "/incident snooze INC-42 30m")
    seconds = parse_duration(when)
    if seconds is None:
        raise InvalidInput("How long? Usage: `/incident snooze INC-42 30m` (or 2h, 1h30m, 1d).")
    await beacon.incidents.snooze(incident_id, user, seconds)
    return f"Snoozed *{incident_id}* for {when.strip()}."


async def _note(beacon, parsed, user, command, client) -> Reply:
    incident_id, text = _one_id(parsed, "/incident note INC-42 <text>")
    await beacon.incidents.add_note(incident_id, user, text)
    return f"Note added to *{incident_id}*."


async def _assign(beacon, parsed, user, command, client) -> Reply:
    incident_id, who = _one_id(parsed, "/incident assign INC-42 @user")
    assignee = user_id_from(who)
    if assignee is None:
        raise InvalidInput("Who? Usage: `/incident assign INC-42 @user`.")
    await beacon.incidents.assign(incident_id, user, assignee)
    return f"*{incident_id}* is now assigned to <@{assignee}>."


async def _severity(beacon, parsed, user, command, client) -> Reply:
    incident_id, severity = _one_id(parsed, "/incident severity INC-42 P2")
    if not severity.strip():
        raise InvalidInput("Which severity? Usage: `/incident severity INC-42 P2`.")
    incident = await beacon.incidents.set_severity(incident_id, user, severity.strip())
    return f"*{incident_id}* is now {incident.severity}."


async def _oncall(beacon, parsed, user, command, client) -> Reply:
    return await oncall.oncall(beacon, parsed, user)


async def _route(beacon, parsed, user, command, client) -> Reply:
    return await oncall.route_test(beacon, parsed)


async def _status(beacon, parsed, user, command, client) -> Reply:
    return await status_cmd.status(beacon)


async def _digest(beacon, parsed, user, command, client) -> Reply:
    return await status_cmd.digest(beacon)


_HANDLERS: dict[str, Callable[..., Awaitable[Any]]] = {
    "status": _status,
    "digest": _digest,
    "oncall": _oncall,
    "route": _route,
    "create": _create,
    "declare": _create,
    "list": _list,
    "show": _show,
    "ack": _ack,
    "acknowledge": _ack,
    "resolve": _resolve,
    "snooze": _snooze,
    "note": _note,
    "assign": _assign,
    "severity": _severity,
    "sev": _severity,
    "update": incident_updates.update,
    "reopen": incident_updates.reopen,
    "timeline": incident_updates.timeline,
    "runbooks": runbooks_cmd.runbooks,
    "followup": incident_record.followup,
    "role": incident_record.role,
}
