"""The emulator: aiohttp server (Web API, response_url, Socket Mode) plus in-memory workspace."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from aiohttp import WSMsgType, web

from . import blockkit
from .models import Ack, ApiCall, Channel, Message, User, View, iter_elements
from .ratelimits import (
    POST_BURST,
    POST_METHODS,
    POST_PER_SECOND,
    POST_WORKSPACE_PER_MINUTE,
    RateLimitConfig,
    RateLimiter,
    retry_after,
)
from .webapi import METHODS, ApiError, Call

if TYPE_CHECKING:
    from .driver import SlackUser

log = logging.getLogger("slack_emulator")

DEFAULT_SCOPES = (
    "chat:write",
    "chat:write.public",
    "commands",
    "channels:read",
    "channels:manage",
    "groups:read",
    "groups:write",
    "im:write",
    "users:read",
    "users:read.email",
    "bookmarks:write",
    "reactions:read",
    "reactions:write",
    "pins:write",
)
T = TypeVar("T")


class EmulatorError(RuntimeError):
    """Misuse of the emulator or a state the test did not expect (e.g. no socket connection)."""


@dataclass
class Trigger:
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    user_id: str
    channel_id: str
    message_ts: str | None
    expires_at: float
    uses_left: int = 5


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


class RateLimitHit(NamedTuple):
    """One 429 drawn from the emulated Slack rate limits (not from `rate_limit()` faults)."""

    method: str
    channel: str | None  # the call's channel arg (resolved for chat.postMessage), else None
    at: float  # rate-limit clock time (the `now` given to the emulator)


@dataclass
class _Failure:
    times: int
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class SlackEmulator:
    """Local Slack: point slack_sdk/slack_bolt at `base_url` and drive it as users via `user()`."""

    def __init__(
        self,
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-1-test-token",
        team_id: str = "T0BEACON",
        team_domain: str = "beacon-test",
        bot_user_id: str = "UBEACONBOT",
        bot_id: str = "BBEACON",
        app_id: str = "ABEACON",
        scopes: Iterable[str] | None = None,
        ack_timeout: float = 3.0,
        host: str = "127.0.0.1",
        port: int = 0,
        trigger_ttl: float = 3.0,
        event_retry_delays: Sequence[float] = (0.0, 60.0, 300.0),
        max_connections: int = 10,
        disconnect_grace: float = 0.2,
        team_name: str = "Beacon Test",
        rate_limits: bool = False,
        now: Callable[[], float] | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.scopes: list[str] = list(DEFAULT_SCOPES if scopes is None else scopes)
        self.ack_timeout = ack_timeout
        self.host = host
        self.port = port
        self.trigger_ttl = trigger_ttl
        # Delay before retry n (1-based) of an un-acked events_api envelope; len = max retries.
        self.event_retry_delays = list(event_retry_delays)
        self.max_connections = max_connections
        self.disconnect_grace = disconnect_grace

        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, list[str]] = {}  # user group id (S...) -> member ids
        self.files: dict[str, dict[str, Any]] = {}  # files upload v2: id -> name, content, ...
        self.view_stacks: dict[str, list[View]] = {}
        self.home_views: dict[str, View] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.tickets: set[str] = set()
        self.calls: list[ApiCall] = []
        self.acks: list[Ack] = []
        self.envelopes: list[dict[str, Any]] = []
        # Emulated Slack rate limits (off unless rate_limits=True / enable_rate_limits()).
        self.rate_limited: list[RateLimitHit] = []
        # (method, channel or None) -> calls that passed the limits and reached the method.
        self.call_counts: Counter[tuple[str, str | None]] = Counter()
        self._limiter: RateLimiter | None = None

        self._ephemerals: dict[tuple[str, str], list[Message]] = {}
        self._dms: dict[str, str] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._sent: dict[str, _Sent] = {}
        self._conns: list[_Conn] = []
        self._conn_seq = 0
        self._rr = 0
        self._id_seq = 0
        self._ts_sec = 0
        self._ts_seq = 0
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None

        self.users[bot_user_id] = User(
            bot_user_id, "beacon", "Beacon", None, is_bot=True, team_id=team_id
        )
        if rate_limits:
            self.enable_rate_limits(now)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._on_api)
        app.router.add_post("/response/{rid}", self._on_response_url)
        app.router.add_post("/upload/{file_id}", self._on_upload)
        app.router.add_get("/link/", self._on_link)
        app.router.add_get("/link", self._on_link)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if server is not None and getattr(server, "sockets", None):
            self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self._conns):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(), 1.0)
        if self._runner is not None:
            # aiohttp waits for handlers still running (a client that never closed its socket);
            # a test's teardown must not hang on that.
            try:
                await asyncio.wait_for(self._runner.cleanup(), 5.0)
            except TimeoutError:
                log.warning("emulator: handlers still running at stop were abandoned")
            self._runner = None

    async def __aenter__(self) -> SlackEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/"

    # --- workspace setup -------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        self._id_seq += 1
        return f"{prefix}{self._id_seq:08X}"

    def next_ts(self) -> str:
        # Seconds never go backwards and the counter always grows: ts is strictly increasing.
        self._ts_sec = max(self._ts_sec, int(time.time()))
        self._ts_seq += 1
        return f"{self._ts_sec}.{self._ts_seq:06d}"

    def add_user(
        self,
        user_id: str | None = None,
        name: str = "alice",
        real_name: str = "Alice Example",
        email: str | None = "alice@example.com",
        deleted: bool = False,
        tz: str = "Europe/London",
        is_bot: bool = False,
    ) -> str:
        uid = user_id or self.new_id("U")
        self.users[uid] = User(uid, name, real_name, email, deleted, tz, is_bot, self.team_id)
        return uid

    def add_channel(
        self,
        name: str,
        is_private: bool = False,
        members: Iterable[str] | None = None,
        bot_is_member: bool = True,
    ) -> str:
        cid = self.new_id("C")
        ch = Channel(
            cid,
            name,
            is_private=is_private,
            members=set(members or ()),
            created=int(time.time()),
            creator=self.bot_user_id,
        )
        if bot_is_member:
            ch.members.add(self.bot_user_id)
        self.channels[cid] = ch
        self.notify()
        return cid

    def add_usergroup(self, members: Iterable[str], group_id: str | None = None) -> str:
        """A user group (S...) for usergroups.users.list."""
        gid = group_id or self.new_id("S")
        self.usergroups[gid] = list(members)
        return gid

    def channel_by_name(self, name: str) -> Channel:
        for ch in self.channels.values():
            if ch.name == name.lstrip("#"):
                return ch
        have = [c.name for c in self.channels.values() if not c.is_im]
        raise KeyError(f"no channel named {name!r}; have {have}")

    def dm_channel(self, user_id: str) -> Channel:
        """The bot's DM with a user (created on first use)."""
        cid = self._dms.get(user_id)
        if cid is None:
            cid = self.new_id("D")
            self.channels[cid] = Channel(
                cid,
                "",
                is_im=True,
                im_user=user_id,
                members={user_id, self.bot_user_id},
                created=int(time.time()),
            )
            self._dms[user_id] = cid
        return self.channels[cid]

    def find_user(self, name_or_id: str) -> User:
        if name_or_id in self.users:
            return self.users[name_or_id]
        for u in self.users.values():
            if u.name == name_or_id.lstrip("@"):
                return u
        raise KeyError(f"no user {name_or_id!r}; have {[u.name for u in self.users.values()]}")

    def user(self, name_or_id: str) -> SlackUser:
        """A driver acting as that human user."""
        from .driver import SlackUser

        return SlackUser(self, self.find_user(name_or_id))

    # --- test switches ---------------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        self._failures.setdefault(method, []).append(
            _Failure(
                times, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
            )
        )

    def fail_method(
        self, method: str, error: str = "internal_error", status: int = 500, times: int = 1
    ) -> None:
        self._failures.setdefault(method, []).append(
            _Failure(times, status, {"ok": False, "error": error}, {})
        )

    def clear_faults(self, method: str | None = None) -> None:
        """Stop answering with injected errors (all methods, or one)."""
        if method is None:
            self._failures.clear()
        else:
            self._failures.pop(method, None)

    def enable_rate_limits(
        self,
        now: Callable[[], float] | None = None,
        *,
        post_per_second: float = POST_PER_SECOND,
        post_burst: float = POST_BURST,
        post_workspace_per_minute: float | None = POST_WORKSPACE_PER_MINUTE,
        method_limits: Mapping[str, float | None] | None = None,
    ) -> None:
        """Answer like Slack when the app calls too fast (see ratelimits.py for the table).

        `now` is the time source (default `time.monotonic`; pass a fake clock's `now` to move
        time by hand). chat.postMessage: `post_per_second` sustained per conversation with bursts
        up to `post_burst`, plus `post_workspace_per_minute` across the workspace (None = off).
        `method_limits` overrides per-minute limits per method (None = unlimited). Calling this
        again starts with full buckets. Injected faults (`rate_limit`, `fail_method`) still win.
        """
        config = RateLimitConfig(
            post_per_second=post_per_second,
            post_burst=post_burst,
            post_workspace_per_minute=post_workspace_per_minute,
            method_limits=dict(method_limits) if method_limits is not None else None,
        )
        self._limiter = RateLimiter(config, now or time.monotonic)

    def disable_rate_limits(self) -> None:
        self._limiter = None

    @property
    def rate_limits_enabled(self) -> bool:
        return self._limiter is not None

    def rate_limits_drawn(self, method: str | None = None, channel: str | None = None) -> int:
        """429s drawn from the emulated limits, optionally for one method and/or conversation
        (a user id means the bot's DM with that user)."""
        want = self._conversation_key(channel) if channel is not None else None
        return sum(
            1
            for hit in self.rate_limited
            if (method is None or hit.method == method)
            and (want is None or self._conversation_key(hit.channel) == want)
        )

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    # --- state mutation used by handlers and driver ----------------------------------------

    def notify(self) -> None:
        """Wake every wait_for(); a fresh Event per generation avoids missed wake-ups."""
        self._changed.set()
        self._changed = asyncio.Event()

    def post_message(
        self,
        ch: Channel,
        user: str,
        text: str = "",
        blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
    ) -> Message:
        is_bot = user == self.bot_user_id
        msg = Message(
            channel=ch.id,
            ts=self.next_ts(),
            user=user,
            text=text,
            blocks=blocks or [],
            attachments=attachments or [],
            thread_ts=thread_ts,
            metadata=metadata,
            bot_id=self.bot_id if is_bot else None,
            app_id=self.app_id if is_bot else None,
            team=self.team_id,
            reply_broadcast=bool(thread_ts) and reply_broadcast,
        )
        if thread_ts:
            parent = next(m for m in ch.messages if m.ts == thread_ts)
            parent.thread_ts = parent.ts
            parent.replies.append(msg.ts)
        ch.messages.append(msg)
        self.notify()
        return msg

    def add_reaction(self, msg: Message, user_id: str, name: str) -> bool:
        """Record `user_id`'s reaction on `msg`; False when they had already reacted so."""
        entry = next((r for r in msg.reactions if r["name"] == name), None)
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            msg.reactions.append(entry)
        if user_id in entry["users"]:
            return False
        entry["users"].append(user_id)
        entry["count"] += 1
        self.notify()
        return True

    def add_ephemeral(
        self,
        user_id: str,
        channel_id: str,
        text: str = "",
        blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        msg = Message(
            channel=channel_id,
            ts=self.next_ts(),
            user=self.bot_user_id,
            text=text,
            blocks=blocks or [],
            attachments=attachments or [],
            thread_ts=thread_ts,
            metadata=metadata,
            bot_id=self.bot_id,
            app_id=self.app_id,
            team=self.team_id,
            ephemeral=True,
        )
        self._ephemerals.setdefault((user_id, channel_id), []).append(msg)
        self.notify()
        return msg

    def ephemerals(self, user_id: str, channel: str | None = None) -> list[Message]:
        out = [
            m
            for (uid, cid), msgs in self._ephemerals.items()
            if uid == user_id and (channel is None or cid == channel)
            for m in msgs
            if not m.deleted
        ]
        return sorted(out, key=lambda m: m.ts)

    def issue_trigger(self, user_id: str) -> str:
        tid = f"{int(time.time() * 1000)}.{self._id_seq + 1}.{uuid.uuid4().hex}"
        self._id_seq += 1
        self.triggers[tid] = Trigger(user_id, time.monotonic())
        return tid

    def new_response_url(self, user_id: str, channel_id: str, message_ts: str | None) -> str:
        rid = str(uuid.uuid4())
        self.response_urls[rid] = ResponseUrl(
            user_id, channel_id, message_ts, time.monotonic() + 1800
        )
        return f"http://{self.host}:{self.port}/response/{rid}"

    def new_view(
        self,
        user_id: str,
        body: dict[str, Any],
        root: str | None = None,
        previous: str | None = None,
    ) -> View:
        vid = self.new_id("V")
        return View(
            id=vid,
            team_id=self.team_id,
            user_id=user_id,
            type=body.get("type", "modal"),
            body=copy.deepcopy(body),
            hash=self._hash(),
            root_view_id=root or vid,
            previous_view_id=previous,
            app_id=self.app_id,
            bot_id=self.bot_id,
        )

    def replace_view(self, target: View, body: dict[str, Any]) -> None:
        """Swap a view's content in place; keep typed values whose block/action still exist."""
        external_id = target.external_id
        target.body = copy.deepcopy(body)
        if external_id and not target.body.get("external_id"):
            # The view keeps its external_id unless the update sets a new one.
            target.body["external_id"] = external_id
        target.type = body.get("type", target.type)
        target.hash = self._hash()
        present = {(b.get("block_id"), e.get("action_id")) for b, e in iter_elements(target.blocks)}
        target.values = {
            bid: {aid: v for aid, v in acts.items() if (bid, aid) in present}
            for bid, acts in target.values.items()
        }
        target.values = {k: v for k, v in target.values.items() if v}
        self.notify()

    def all_views(self) -> list[View]:
        views = [v for stack in self.view_stacks.values() for v in stack]
        return views + list(self.home_views.values())

    def _hash(self) -> str:
        return f"{time.time():.6f}.{uuid.uuid4().hex[:8]}"

    # --- reading back ----------------------------------------------------------------------

    def _channel(self, channel: str) -> Channel:
        if channel in self.channels:
            return self.channels[channel]
        return self.channel_by_name(channel)

    def messages(self, channel: str) -> list[Message]:
        """Top-level messages (and thread broadcasts), oldest first."""
        return [
            m
            for m in self._channel(channel).messages
            if not m.deleted and (not m.is_reply or m.reply_broadcast)
        ]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """Replies to `ts`, oldest first (without the parent)."""
        return [
            m
            for m in self._channel(channel).messages
            if m.is_reply and m.thread_ts == ts and not m.deleted
        ]

    def message(self, channel: str, ts: str) -> Message | None:
        return next(
            (m for m in self._channel(channel).messages if m.ts == ts and not m.deleted), None
        )

    def dms(self, user_id: str) -> list[Message]:
        cid = self._dms.get(self.find_user(user_id).id)
        return self.messages(cid) if cid else []

    async def wait_for(
        self,
        predicate: Callable[[], T | Awaitable[T]],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> T:
        """Re-evaluate `predicate` on every state change until it returns something truthy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result  # type: ignore[return-value]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_message(
        self,
        channel: str,
        contains: str = "",
        thread_ts: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Message:
        def find() -> Message | None:
            pool = self.thread(channel, thread_ts) if thread_ts else self.messages(channel)
            return next((m for m in pool if contains in m.all_text()), None)

        try:
            return await self.wait_for(find, timeout)
        except TimeoutError:
            have = [m.all_text()[:80] for m in self.messages(channel)]
            raise TimeoutError(
                f"no message containing {contains!r} in {channel}; have {have}"
            ) from None

    # --- Web API ---------------------------------------------------------------------------

    def _json(
        self, body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        hdrs = {"x-oauth-scopes": ",".join(self.scopes), **(headers or {})}
        return web.json_response(body, status=status, headers=hdrs, content_type="application/json")

    async def _read_args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                if isinstance(body, dict):
                    args.update(body)
            else:
                form = await request.post()
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
        return args

    async def _on_upload(self, request: web.Request) -> web.Response:
        """Step 2 of files upload v2: the bytes, posted to the URL getUploadURLExternal gave."""
        entry = self.files.get(request.match_info["file_id"])
        if entry is None or entry.get("content") is not None:
            return web.Response(status=404, text="unknown or used upload URL")
        entry["content"] = await request.read()
        return web.Response(status=200, text="OK - " + str(len(entry["content"])))

    async def _on_api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        args = await self._read_args(request)
        auth = request.headers.get("Authorization", "")
        field_token = args.pop("token", None)
        token = auth[7:].strip() if auth.startswith("Bearer ") else field_token
        self.calls.append(ApiCall(name, args, token, time.time()))
        self.notify()
        if not token:
            return self._json({"ok": False, "error": "not_authed"})
        kind = {self.bot_token: "bot", self.app_token: "app"}.get(token)
        if kind is None:
            return self._json({"ok": False, "error": "invalid_auth"})
        failures = self._failures.get(name)
        if failures:
            failure = failures[0]
            failure.times -= 1
            if failure.times <= 0:
                failures.pop(0)
            return self._json(dict(failure.body), failure.status, failure.headers)
        spec = METHODS.get(name)
        if spec is None:
            return self._json({"ok": False, "error": "unknown_method"})
        if spec.token != "any" and spec.token != kind:
            return self._json({"ok": False, "error": "not_allowed_token_type"})
        channel = self._call_channel(name, args)
        if self._limiter is not None:
            key = self._conversation_key(channel) if name in POST_METHODS else None
            wait = self._limiter.check(self.team_id, name, key)
            if wait > 0:
                self.rate_limited.append(RateLimitHit(name, channel, self._limiter.now()))
                self.notify()
                return self._json(
                    {"ok": False, "error": "ratelimited"},
                    429,
                    {"Retry-After": str(retry_after(wait))},
                )
        try:
            body = await spec.handler(self, Call(name, args, token, self.scopes))
        except ApiError as exc:
            return self._json({"ok": False, "error": exc.error, **exc.extra})
        finally:
            if channel is not None and name in POST_METHODS:
                channel = self._call_channel(name, args)  # a DM the post just opened
            self.call_counts[(name, channel)] += 1
        return self._json({"ok": True, **body})

    def _call_channel(self, method: str, args: dict[str, Any]) -> str | None:
        """The conversation a call is about: for chat.postMessage the id the method resolves the
        `channel` arg to (a user id -> the bot's DM with them, if it exists yet), else the raw
        `channel` / `channel_id` arg. Never creates anything."""
        raw = args.get("channel") if "channel" in args else args.get("channel_id")
        if raw is None or raw == "":
            return None
        raw = str(raw)
        if method in POST_METHODS and raw.startswith(("U", "W")):
            return self._dms.get(raw, raw)
        return raw

    def _conversation_key(self, channel: str | None) -> str | None:
        """One key per conversation: a DM is keyed by its user, so posts to `U…` and to the
        `D…` id share a bucket even before the DM exists."""
        if channel is None:
            return None
        ch = self.channels.get(channel)
        if ch is not None and ch.is_im and ch.im_user:
            return ch.im_user
        return channel

    # --- response_url ----------------------------------------------------------------------

    async def _on_response_url(self, request: web.Request) -> web.Response:
        ru = self.response_urls.get(request.match_info["rid"])
        if ru is None or ru.uses_left <= 0 or time.monotonic() > ru.expires_at:
            return web.Response(status=404, text="expired_url")
        try:
            body = await request.json()
        except ValueError:
            form = await request.post()
            body = json.loads(str(form.get("payload", "{}")))
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        ru.uses_left -= 1
        self.calls.append(ApiCall("response_url", body, None, time.time()))
        text = str(body.get("text") or "")[:40_000]
        blocks, attachments = body.get("blocks"), body.get("attachments")
        errors = blockkit.validate_message(blocks, attachments)
        if errors:
            return web.Response(status=400, text="invalid_blocks")
        original = self._original(ru)
        if body.get("delete_original"):
            if original is not None:
                original.deleted = True
                self.notify()
            return web.Response(text="ok")
        if not (text or blocks or attachments):
            return web.Response(status=400, text="no_text")
        if body.get("replace_original") and original is not None:
            original.text, original.blocks = text, blocks or []
            original.attachments = attachments or []
            if not original.ephemeral:
                original.edited = {"user": self.bot_id, "ts": self.next_ts()}
            self.notify()
        elif body.get("response_type") == "in_channel":
            ch = self.channels[ru.channel_id]
            thread_ts = body.get("thread_ts")
            if thread_ts and not self.message(ch.id, thread_ts):
                thread_ts = None
            self.post_message(ch, self.bot_user_id, text, blocks, attachments, thread_ts=thread_ts)
        else:
            self.add_ephemeral(
                ru.user_id,
                ru.channel_id,
                text,
                blocks,
                attachments,
                thread_ts=body.get("thread_ts"),
            )
        return web.Response(text="ok")

    def _original(self, ru: ResponseUrl) -> Message | None:
        if ru.message_ts is None:
            return None
        msg = self.message(ru.channel_id, ru.message_ts)
        if msg is None:
            msg = next(
                (m for m in self.ephemerals(ru.user_id, ru.channel_id) if m.ts == ru.message_ts),
                None,
            )
        return msg

    # --- Socket Mode -----------------------------------------------------------------------

    @property
    def connections(self) -> int:
        """Live, not-being-closed Socket Mode connections."""
        return sum(1 for c in self._conns if not c.closing and not c.ws.closed)

    async def _on_link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self.tickets.discard(ticket)
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
                "connection_info": {"app_id": self.app_id},
            }
        )
        self.notify()
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    self._on_frame(frame.data, conn.id)
        finally:
            if conn in self._conns:
                self._conns.remove(conn)
            self.notify()
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
        )
        self.acks.append(ack)
        if env.get("type") == "slash_commands" and ack.payload:
            self._show_command_ack(env["payload"], ack.payload)
        if sent and not sent.acked.done():
            sent.acked.set_result(ack)
        self.notify()

    def _show_command_ack(self, command: dict[str, Any], body: dict[str, Any]) -> None:
        """A slash-command ack with a body is shown like a response_url reply, at ack time."""
        if not (body.get("text") or body.get("blocks") or body.get("attachments")):
            return
        cid, uid = command.get("channel_id", ""), command.get("user_id", "")
        text = str(body.get("text") or "")
        if body.get("response_type") == "in_channel" and cid in self.channels:
            self.post_message(
                self.channels[cid],
                self.bot_user_id,
                text,
                body.get("blocks"),
                body.get("attachments"),
            )
        else:
            self.add_ephemeral(uid, cid, text, body.get("blocks"), body.get("attachments"))

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
        await self.wait_for(lambda: self.connections >= n, timeout)

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
        self.notify()
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
        self.notify()
        await asyncio.sleep(self.disconnect_grace)
        for conn in conns:
            # The client normally closes first (it reconnects on `disconnect`); don't hang.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(), 1.0)
