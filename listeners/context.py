"""How listeners reach Beacon's objects: Bolt's context, filled by one middleware."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.domain.answers import Answer

if TYPE_CHECKING:
    from app.cells import Cells
    from app.container import Beacon

BEACON = "beacon"  # the envelope's Beacon (its workspace's cell in multi-workspace mode)
WORKSPACES = "workspaces"  # multi-workspace mode: app/cells.Cells


def beacon_of(context: Any) -> Beacon:
    return context[BEACON]


def workspaces_of(context: Any) -> Cells | None:
    return context.get(WORKSPACES)


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, dict):
        return user["id"]
    return body.get("user_id") or (body.get("event") or {}).get("user", "")


def channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel")
    if isinstance(channel, dict):
        return channel.get("id")
    return body.get("channel_id") or (body.get("container") or {}).get("channel_id")


def response_url_of(body: dict[str, Any]) -> str | None:
    """The envelope's response_url (a modal's first one, when it asked for one)."""
    return body.get("response_url") or next(
        (u.get("response_url") for u in body.get("response_urls") or []), None
    )


def answer_for(
    body: dict[str, Any],
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    *,
    channel: str | None = None,
    replace_original: bool = False,
) -> Answer:
    """An answer to whoever sent `body`, back where they acted."""
    return Answer(
        user=user_of(body),
        text=text,
        blocks=blocks or None,
        response_url=response_url_of(body),
        channel=channel or channel_of(body),
        replace_original=replace_original,
    )


async def answer(
    context: Any,
    body: dict[str, Any],
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    **where: Any,
) -> None:
    """Hand the answer to the notifier (recorded in Redis): a listener never writes to Slack
    after its ack, so Slack being slow or down never holds an ack up or loses an answer."""
    await beacon_of(context).answers.tell(answer_for(body, text, blocks, **where))
