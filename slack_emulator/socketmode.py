"""Socket Mode, Slack's side: WebSocket connections, envelopes out, acks back, retries.

Everything the app receives (slash commands, interactions, events) goes out here as an envelope
to one live connection; the ack that comes back is recorded and handed to whoever waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import blockkit
from .models import Ack
from .state import EmulatorError, Workspace

log = logging.getLogger("slack_emulator")


@dataclass
class _Conn:
    id: int
    ws: web.WebSocketResponse
    connected_at: float
    closing: bool = False


@dataclass
class _Sent:
    envelope: dict[str, Any]
    sent_at: float
    acked: asyncio.Future[Ack] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class SocketMode:
    """The app's Socket Mode connections and every envelope sent over them."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        ack_timeout: float,
        event_retry_delays: Sequence[float],
        max_connections: int,
        disconnect_grace: float,
        teams: dict[str, Workspace] | None = None,
    ) -> None:
        self.workspace = workspace
        self.teams = teams if teams is not None else {workspace.team_id: workspace}
        self.ack_timeout = ack_timeout
        # Delay before retry n (1-based) of an un-acked events_api envelope; len = max retries.
        self.event_retry_delays = list(event_retry_delays)
        self.max_connections = max_connections
        self.disconnect_grace = disconnect_grace
        self.acks: list[Ack] = []
        self.envelopes: list[dict[str, Any]] = []
        self._sent: dict[str, _Sent] = {}
        self._conns: list[_Conn] = []
        self._conn_seq = 0
        self._rr = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    async def close(self) -> None:
        """Stop retrying events and close every connection."""
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self._conns):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(), 1.0)

    @property
    def connections(self) -> int:
        """Live, not-being-closed Socket Mode connections."""
        return sum(1 for c in self._conns if not c.closing and not c.ws.closed)

    async def on_link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.workspace.tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self.workspace.tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        debug = {
            "host": "emulator-applink",
            "build_number": 1,
            "approximate_connection_time": 18060,
        }
        if self.connections >= self.max_connections:
            await ws.send_json(
                {
                    "type": "disconnect",
                    "reason": "too_many_websockets",
                    "debug_info": {"host": "emulator-applink"},
                }
            )
            await ws.close()
            return ws
        self._conn_seq += 1
        conn = _Conn(self._conn_seq, ws, time.time())
        self._conns.append(conn)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": self.connections,
                "debug_info": debug,
                "connection_info": {"app_id": self.workspace.app_id},
            }
        )
        self.workspace.notify()
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    self._on_frame(frame.data, conn.id)
        finally:
            if conn in self._conns:
                self._conns.remove(conn)
            self.workspace.notify()
        return ws

    def _on_frame(self, data: str, conn_id: int = 0) -> None:
        try:
            frame = json.loads(data)
        except ValueError:
            log.warning("non-JSON frame from client: %r", data[:200])
            return
        eid = frame.get("envelope_id") if isinstance(frame, dict) else None
        if not eid:
            return
        sent = self._sent.get(eid)
        now = time.time()
        env = sent.envelope if sent else {}
        payload = frame.get("payload")
        ack = Ack(
            eid,
            env.get("type", "unknown"),
            self._payload_type(env),
            payload if isinstance(payload, dict) else None,
            now,
            now - sent.sent_at if sent else 0.0,
            conn_id,
            blockkit.validate_ack(payload),
        )
        self.acks.append(ack)
        if ack.errors:
            # Slack shows nothing of a body its schema refuses (the user sees a failure).
            log.warning("ack %s refused: %s", eid, "; ".join(ack.errors))
        elif env.get("type") == "slash_commands" and ack.payload:
            self._show_command_ack(env["payload"], ack.payload)
        if sent and not sent.acked.done():
            sent.acked.set_result(ack)
        self.workspace.notify()

    def _show_command_ack(self, command: dict[str, Any], body: dict[str, Any]) -> None:
        """A slash-command ack with a body is shown like a response_url reply, at ack time."""
        if not (body.get("text") or body.get("blocks") or body.get("attachments")):
            return
        ws = self.teams.get(command.get("team_id", ""), self.workspace)
        cid, uid = command.get("channel_id", ""), command.get("user_id", "")
        text = str(body.get("text") or "")
        if body.get("response_type") == "in_channel" and cid in ws.channels:
            ws.post_message(
                ws.channels[cid],
                ws.bot_user_id,
                text,
                body.get("blocks"),
                body.get("attachments"),
            )
        else:
            ws.add_ephemeral(uid, cid, text, body.get("blocks"), body.get("attachments"))

    @staticmethod
    def _payload_type(envelope: dict[str, Any]) -> str | None:
        payload = envelope.get("payload") or {}
        etype = envelope.get("type")
        if etype == "slash_commands":
            return payload.get("command")
        if etype == "events_api":
            return (payload.get("event") or {}).get("type")
        return payload.get("type")

    async def wait_connected(self, n: int = 1, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await self.workspace.wait_for(lambda: self.connections >= n, timeout)

    async def _send(self, envelope: dict[str, Any]) -> _Sent:
        if self.connections == 0:
            try:
                await self.wait_connected(1, timeout=self.ack_timeout)
            except TimeoutError:
                raise EmulatorError("no live Socket Mode connection to deliver to") from None
        sent = _Sent(envelope, time.time())
        self._sent[envelope["envelope_id"]] = sent
        while True:
            live = [c for c in self._conns if not c.closing and not c.ws.closed]
            if not live:
                raise EmulatorError("no live Socket Mode connection to deliver to")
            self._rr += 1
            conn = live[self._rr % len(live)]
            try:
                await conn.ws.send_str(json.dumps(envelope))
                break
            except (ConnectionError, RuntimeError):
                conn.closing = True
        sent.sent_at = time.time()
        self.envelopes.append(envelope)
        self.workspace.notify()
        if envelope["type"] == "events_api":
            self._spawn(self._watch_event(sent))
        return sent

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch_event(self, sent: _Sent) -> None:
        """Events API retry: an un-acked event comes again with retry_attempt + 1."""
        try:
            await asyncio.wait_for(asyncio.shield(sent.acked), self.ack_timeout)
            return
        except TimeoutError:
            pass
        attempt = int(sent.envelope.get("retry_attempt") or 0)
        if attempt >= len(self.event_retry_delays):
            return
        await asyncio.sleep(self.event_retry_delays[attempt])
        try:
            await self._send(self._retry_envelope(sent.envelope))
        except EmulatorError:
            log.warning("dropping events_api retry: no connection")

    def _retry_envelope(self, envelope: dict[str, Any]) -> dict[str, Any]:
        env = copy.deepcopy(envelope)
        env["envelope_id"] = str(uuid.uuid4())
        env["retry_attempt"] = int(envelope.get("retry_attempt") or 0) + 1
        env["retry_reason"] = "timeout"
        return env

    async def _await(self, sent: _Sent, timeout: float | None) -> Ack | None:  # noqa: ASYNC109
        try:
            return await asyncio.wait_for(
                asyncio.shield(sent.acked), self.ack_timeout if timeout is None else timeout
            )
        except TimeoutError:
            return None

    async def deliver(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        wait_ack: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
        accepts_response_payload: bool | None = None,
    ) -> Ack | None:
        """Send one envelope to one live connection; return its Ack, or None if none came."""
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or (
                payload.get("type") in ("view_submission", "block_suggestion")
            )
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = 0
            envelope["retry_reason"] = ""
        sent = await self._send(envelope)
        return await self._await(sent, timeout) if wait_ack else None

    async def redeliver(
        self,
        envelope_id: str,
        *,
        wait_ack: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Ack | None:
        """Send an earlier envelope again (new id, retry_attempt + 1, retry_reason timeout)."""
        sent = self._sent.get(envelope_id)
        if sent is None:
            raise EmulatorError(f"unknown envelope_id {envelope_id}")
        new = await self._send(self._retry_envelope(sent.envelope))
        return await self._await(new, timeout) if wait_ack else None

    async def disconnect_all(self, reason: str = "refresh_requested") -> None:
        """Send a disconnect frame to every connection, then close them after a short grace."""
        conns = [c for c in self._conns if not c.closing]
        for conn in conns:
            conn.closing = True
            with contextlib.suppress(Exception):
                await conn.ws.send_json(
                    {
                        "type": "disconnect",
                        "reason": reason,
                        "debug_info": {"host": "emulator-applink"},
                    }
                )
        self.workspace.notify()
        await asyncio.sleep(self.disconnect_grace)
        for conn in conns:
            # The client normally closes first (it reconnects on `disconnect`); don't hang.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(), 1.0)
