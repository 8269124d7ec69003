"""What the app sends Slack over HTTP passes here first: its token, injected faults, Slack's
rate limits and the call log; then the Web API method (webapi.py), a response_url reply or a
file upload. No HTTP here: the server turns requests into these calls and answers back.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import blockkit
from .models import ApiCall, Message
from .ratelimits import (
    POST_BURST,
    POST_METHODS,
    POST_PER_SECOND,
    POST_WORKSPACE_PER_MINUTE,
    RateLimitConfig,
    RateLimiter,
    retry_after,
)
from .state import ResponseUrl, Workspace
from .webapi import METHODS, ApiError, Call


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


@dataclass
class Answer:
    """A Web API answer: its JSON body, HTTP status and extra headers."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


# Methods that need `team_id` when the token is an org-wide install's (Enterprise Grid).
ORG_TEAM_REQUIRED = frozenset({"conversations.list", "conversations.create", "users.list"})


class Gateway:
    """The Web API's front: who may call, test faults, rate limits; records every call."""

    def __init__(self, workspace: Workspace, teams: dict[str, Workspace] | None = None) -> None:
        self.workspace = workspace
        # Every team the app can be installed in (the first one, `workspace`, by default).
        self.teams = teams if teams is not None else {workspace.team_id: workspace}
        self.calls: list[ApiCall] = []
        # Emulated Slack rate limits (off unless rate_limits=True / enable_rate_limits()).
        self.rate_limited: list[RateLimitHit] = []
        # (method, channel or None) -> calls that passed the limits and reached the method.
        self.call_counts: Counter[tuple[str, str | None]] = Counter()
        self._limiter: RateLimiter | None = None
        self._failures: dict[str, list[_Failure]] = {}

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
        want = self.workspace.conversation_key(channel) if channel is not None else None
        return sum(
            1
            for hit in self.rate_limited
            if (method is None or hit.method == method)
            and (want is None or self.workspace.conversation_key(hit.channel) == want)
        )

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    # --- Web API ---------------------------------------------------------------------------

    async def call(self, name: str, args: dict[str, Any], token: str | None) -> Answer:
        """One Web API call, answered as Slack would."""
        self.calls.append(ApiCall(name, args, token, time.time()))
        self.workspace.notify()
        if not token:
            return Answer({"ok": False, "error": "not_authed"})
        found = self._team_of(token)
        if isinstance(found, str):
            return Answer({"ok": False, "error": found})
        ws, kind = found
        if kind == "bot" and ws.org_install:  # one token for the whole org: which workspace?
            picked = self._org_team(ws, name, args)
            if isinstance(picked, str):
                return Answer({"ok": False, "error": picked})
            ws = picked
        injected = self._injected(name)
        if injected is not None:
            return injected
        spec = METHODS.get(name)
        if spec is None:
            return Answer({"ok": False, "error": "unknown_method"})
        if spec.token != "any" and spec.token != kind:
            return Answer({"ok": False, "error": "not_allowed_token_type"})
        channel = self._call_channel(name, args)
        if self._limiter is not None:
            key = ws.conversation_key(channel) if name in POST_METHODS else None
            wait = self._limiter.check(ws.team_id, name, key)
            if wait > 0:
                self.rate_limited.append(RateLimitHit(name, channel, self._limiter.now()))
                ws.notify()
                return Answer(
                    {"ok": False, "error": "ratelimited"},
                    429,
                    {"Retry-After": str(retry_after(wait))},
                )
        try:
            body = await spec.handler(ws, Call(name, args, token, ws.scopes))
        except ApiError as exc:
            return Answer({"ok": False, "error": exc.error, **exc.extra})
        finally:
            if channel is not None and name in POST_METHODS:
                channel = self._call_channel(name, args)  # a DM the post just opened
            self.call_counts[(name, channel)] += 1
        # The scopes granted in the calling team (each team installed with its own).
        return Answer({"ok": True, **body}, headers={"x-oauth-scopes": ",".join(ws.scopes)})

    def _team_of(self, token: str) -> tuple[Workspace, str] | str:
        """The team a token works in and its kind ('bot' or 'app'), or Slack's error."""
        for ws in self.teams.values():
            if token == ws.app_token:
                return ws, "app"
            if token == ws.bot_token and ws.installed:
                return ws, "bot"
            if ws.functions.accepts(token) and ws.installed:  # a step's bot_access_token
                return ws, "bot"
            if token in ws.revoked_tokens:
                return "token_revoked"
        return "invalid_auth"

    def _injected(self, name: str) -> Answer | None:
        """The next injected fault for `name` (a Web API method or "response_url"), if any."""
        failures = self._failures.get(name)
        if not failures:
            return None
        failure = failures[0]
        failure.times -= 1
        if failure.times <= 0:
            failures.pop(0)
        return Answer(dict(failure.body), failure.status, failure.headers)

    def _org_team(self, ws: Workspace, method: str, args: dict[str, Any]) -> Workspace | str:
        """The workspace an org-wide token's call acts in: its `team_id` argument (required
        where Slack requires it), else the workspace of the conversation it names."""
        org = [t for t in self.teams.values()
               if t.enterprise_id == ws.enterprise_id and t.org_install and t.installed]
        team_id = str(args.get("team_id") or "")
        if team_id:
            found = next((t for t in org if t.team_id == team_id), None)
            return found or "team_access_not_granted"
        if method in ORG_TEAM_REQUIRED:
            return "missing_argument"  # Slack: team_id is required with an org-level token
        raw = args.get("channel") if "channel" in args else args.get("channel_id")
        return next((t for t in org if raw in t.channels or raw in t.users), ws)

    def _call_channel(self, method: str, args: dict[str, Any]) -> str | None:
        """The conversation a call is about: for chat.postMessage the id the method resolves the
        `channel` arg to (a user id -> the bot's DM with them, if it exists yet), else the raw
        `channel` / `channel_id` arg. Never creates anything."""
        raw = args.get("channel") if "channel" in args else args.get("channel_id")
        if raw is None or raw == "":
            return None
        raw = str(raw)
        if method in POST_METHODS and raw.startswith(("U", "W")):
            return self.workspace.existing_dm(raw) or raw
        return raw

    # --- response_url and file uploads -----------------------------------------------------

    def response_url(self, rid: str) -> ResponseUrl | None:
        """The response_url with that id while it can still be used."""
        ru = next(
            (t.response_urls[rid] for t in self.teams.values() if rid in t.response_urls), None
        )
        if ru is None or ru.uses_left <= 0 or time.monotonic() > ru.expires_at:
            return None
        return ru

    def respond(self, ru: ResponseUrl, body: dict[str, Any]) -> tuple[int, str, dict[str, str]]:
        """The app's reply to a response_url: (HTTP status, text, headers) as Slack answers
        it. Faults injected for "response_url" (`fail_method`, `rate_limit`) come first and
        use nothing up."""
        ws = self.teams.get(ru.team_id, self.workspace)
        self.calls.append(ApiCall("response_url", body, None, time.time()))
        fault = self._injected("response_url")
        if fault is not None:
            ws.notify()
            return fault.status, str(fault.body.get("error", "")), fault.headers
        ru.uses_left -= 1
        text = str(body.get("text") or "")[:40_000]
        blocks, attachments = body.get("blocks"), body.get("attachments")
        errors = blockkit.validate_message(blocks, attachments)
        if errors:
            return 400, "invalid_blocks", {}
        original = self._original(ru)
        if body.get("delete_original"):
            if original is not None:
                original.deleted = True
                ws.notify()
            return 200, "ok", {}
        if not (text or blocks or attachments):
            return 400, "no_text", {}
        if body.get("replace_original") and original is not None:
            original.text, original.blocks = text, blocks or []
            original.attachments = attachments or []
            if not original.ephemeral:
                original.edited = {"user": ws.bot_id, "ts": ws.next_ts()}
            ws.notify()
        elif body.get("response_type") == "in_channel":
            ch = ws.channels[ru.channel_id]
            thread_ts = body.get("thread_ts")
            if thread_ts and not ws.message(ch.id, thread_ts):
                thread_ts = None
            ws.post_message(ch, ws.bot_user_id, text, blocks, attachments, thread_ts=thread_ts)
        else:
            ws.add_ephemeral(
                ru.user_id,
                ru.channel_id,
                text,
                blocks,
                attachments,
                thread_ts=body.get("thread_ts"),
            )
        return 200, "ok", {}

    def _original(self, ru: ResponseUrl) -> Message | None:
        ws = self.teams.get(ru.team_id, self.workspace)
        if ru.message_ts is None:
            return None
        msg = ws.message(ru.channel_id, ru.message_ts)
        if msg is None:
            msg = next(
                (m for m in ws.ephemerals(ru.user_id, ru.channel_id) if m.ts == ru.message_ts),
                None,
            )
        return msg

    def upload(self, file_id: str, content: bytes) -> tuple[int, str]:
        """Step 2 of files upload v2: the bytes, posted to the URL getUploadURLExternal gave."""
        entry = next((t.files[file_id] for t in self.teams.values() if file_id in t.files), None)
        if entry is None or entry.get("content") is not None:
            return 404, "unknown or used upload URL"
        entry["content"] = content
        return 200, "OK - " + str(len(content))
