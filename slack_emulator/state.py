"""The emulated workspace: users, channels, messages, views, files, and what links to them.

The data and its invariants (ids and ts only grow, a DM per user, a view keeps typed values
only where its inputs still exist), with no transport: the Web API, Socket Mode and the test
driver all change it through here, and `wait_for` wakes on every change.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .functions import Functions
from .models import Channel, Message, User, View, iter_elements

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
    team_id: str = ""


class Hub:
    """What every team of one emulated Slack shares: ids and ts that never repeat across
    teams, and one change signal, so a wait_for on any team wakes on every change."""

    def __init__(self) -> None:
        self.changed = asyncio.Event()
        self.id_seq = 0
        self.ts_sec = 0
        self.ts_seq = 0

    def notify(self) -> None:
        # A fresh Event per generation avoids missed wake-ups.
        self.changed.set()
        self.changed = asyncio.Event()


class Workspace:
    """One Slack workspace with Beacon installed: its people, conversations and app state."""

    def __init__(
        self,
        *,
        bot_token: str,
        app_token: str,
        team_id: str,
        team_domain: str,
        team_name: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        scopes: Iterable[str] | None,  # None: DEFAULT_SCOPES
        trigger_ttl: float,
        origin: str,
        hub: Hub | None = None,
        installed: bool = True,
        enterprise_id: str | None = None,
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
        self.trigger_ttl = trigger_ttl
        # Where this Slack is reached (set by the server once bound): links it hands out use it.
        self.origin = origin

        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, list[str]] = {}  # user group id (S...) -> member ids
        self.files: dict[str, dict[str, Any]] = {}  # files upload v2: id -> name, content, ...
        self.view_stacks: dict[str, list[View]] = {}
        self.home_views: dict[str, View] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.tickets: set[str] = set()  # from apps.connections.open, redeemed by Socket Mode
        # Declared slash commands -> should_escape; none declared: any command, mentions as typed.
        self.commands: dict[str, bool] = {}

        self._ephemerals: dict[tuple[str, str], list[Message]] = {}
        self._dms: dict[str, str] = {}
        self.hub = hub or Hub()
        # Whether the app is installed here: its bot token works only while it is.
        self.installed = installed
        self.enterprise_id = enterprise_id
        # Installed org-wide (Enterprise Grid): one token for every workspace of the org, and
        # envelopes say is_enterprise_install.
        self.org_install = False
        self.revoked_tokens: set[str] = set()
        self.functions = Functions()  # custom workflow steps: declared and executed

        self.users[bot_user_id] = User(
            bot_user_id, "beacon", "Beacon", None, is_bot=True, team_id=team_id
        )

    # --- workspace setup -------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        self.hub.id_seq += 1
        return f"{prefix}{self.hub.id_seq:08X}"

    def next_ts(self) -> str:
        # Seconds never go backwards and the counter always grows: ts is strictly increasing.
        hub = self.hub
        hub.ts_sec = max(hub.ts_sec, int(time.time()))
        hub.ts_seq += 1
        return f"{hub.ts_sec}.{hub.ts_seq:06d}"

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

    def declare_command(self, command: str, should_escape: bool = False) -> None:
        """A slash command of the app, as its manifest's `features.slash_commands` lists it."""
        self.commands[command] = bool(should_escape)

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

    def existing_dm(self, user_id: str) -> str | None:
        """The bot's DM channel id with that user, if one was opened."""
        return self._dms.get(user_id)

    def conversation_key(self, channel: str | None) -> str | None:
        """One key per conversation: a DM is keyed by its user, so posts to `U…` and to the
        `D…` id share a bucket even before the DM exists."""
        if channel is None:
            return None
        ch = self.channels.get(channel)
        if ch is not None and ch.is_im and ch.im_user:
            return ch.im_user
        return channel

    # --- state mutation used by handlers and driver ----------------------------------------

    def notify(self) -> None:
        """Wake every wait_for() (on every team of this Slack)."""
        self.hub.notify()

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
        self.hub.id_seq += 1
        tid = f"{int(time.time() * 1000)}.{self.hub.id_seq}.{uuid.uuid4().hex}"
        self.triggers[tid] = Trigger(user_id, time.monotonic())
        return tid

    def new_response_url(self, user_id: str, channel_id: str, message_ts: str | None) -> str:
        rid = str(uuid.uuid4())
        self.response_urls[rid] = ResponseUrl(
            user_id, channel_id, message_ts, time.monotonic() + 1800, team_id=self.team_id
        )
        return f"{self.origin}/response/{rid}"

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
        cid = self.existing_dm(self.find_user(user_id).id)
        return self.messages(cid) if cid else []

    async def wait_for(
        self,
        predicate: Callable[[], T | Awaitable[T | None] | None],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> T:
        """Re-evaluate `predicate` on every state change until it returns something truthy."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self.hub.changed
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
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
