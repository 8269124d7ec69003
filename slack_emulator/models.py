"""Plain data objects held by the emulator and handed to tests."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

BOT_ICONS = {
    "image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png",
    "image_48": "https://a.slack-edge.com/80588/img/plugins/app/bot_48.png",
    "image_72": "https://a.slack-edge.com/80588/img/plugins/app/service_72.png",
}


@dataclass
class User:
    id: str
    name: str
    real_name: str
    email: str | None
    deleted: bool = False
    tz: str = "Europe/London"
    is_bot: bool = False
    team_id: str = ""

    def to_api(self, include_email: bool) -> dict[str, Any]:
        first, _, last = self.real_name.partition(" ")
        profile: dict[str, Any] = {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_emoji_display_info": [],
            "status_expiration": 0,
            "avatar_hash": "g0000000000" + self.id[-1:].lower(),
            "first_name": first,
            "last_name": last,
            "team": self.team_id,
        }
        # Slack omits profile.email entirely when hidden or when the scope is missing.
        if include_email and self.email:
            profile["email"] = self.email
        for size in (24, 32, 48, 72, 192, 512):
            profile[f"image_{size}"] = f"https://avatars.slack-edge.com/{self.id}_{size}.png"
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": 0,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1690000000,
            "is_email_confirmed": bool(self.email),
            "who_can_share_contact_card": "EVERYONE",
        }


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    edited: dict[str, Any] | None = None
    bot_id: str | None = None
    app_id: str | None = None
    team: str = ""
    reply_broadcast: bool = False
    ephemeral: bool = False
    reactions: list[dict[str, Any]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    deleted: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)  # shared with files upload v2

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self, include_metadata: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"user": self.user, "type": "message", "ts": self.ts}
        if self.bot_id:
            out["bot_id"] = self.bot_id
            out["app_id"] = self.app_id
        out["text"] = self.text
        out["team"] = self.team
        if self.bot_id:
            out["bot_profile"] = {
                "id": self.bot_id,
                "deleted": False,
                "name": "Beacon",
                "updated": 1690000000,
                "app_id": self.app_id,
                "icons": dict(BOT_ICONS),
                "team_id": self.team,
            }
        if self.blocks:
            out["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments:
            out["attachments"] = copy.deepcopy(self.attachments)
        if self.files:
            out["files"] = copy.deepcopy(self.files)
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.reply_broadcast:
            out["subtype"] = "thread_broadcast"
        if self.replies:
            out["reply_count"] = len(self.replies)
            out["latest_reply"] = self.replies[-1]
        if self.edited:
            out["edited"] = dict(self.edited)
        if self.reactions:
            out["reactions"] = copy.deepcopy(self.reactions)
        if include_metadata and self.metadata:
            out["metadata"] = copy.deepcopy(self.metadata)
        return out

    def all_text(self) -> str:
        """Message text plus every text found in blocks and attachments, newline-joined."""
        parts = [self.text] if self.text else []
        for att in self.attachments:
            for key in ("pretext", "title", "text", "fallback"):
                if att.get(key):
                    parts.append(str(att[key]))
        parts.extend(collect_texts(self.blocks))
        for att in self.attachments:
            parts.extend(collect_texts(att.get("blocks") or []))
        return "\n".join(parts)

    def all_blocks(self) -> list[tuple[str, dict[str, Any]]]:
        """(json-pointer prefix, block) for message blocks and every attachment's blocks."""
        out = [(f"/blocks/{i}", b) for i, b in enumerate(self.blocks)]
        for a, att in enumerate(self.attachments):
            blocks = att.get("blocks") or []
            out += [(f"/attachments/{a}/blocks/{i}", b) for i, b in enumerate(blocks)]
        return out

    def buttons(self) -> list[str]:
        return [label for label, _b, _e in find_buttons([b for _p, b in self.all_blocks()])]


def collect_texts(node: Any) -> list[str]:
    """Every string under a `text` key (text objects, rich_text elements), depth first."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(collect_texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(collect_texts(item))
    return found


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def iter_elements(blocks: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(block, element) for interactive elements in actions blocks and section accessories."""
    out = []
    for block in blocks:
        if block.get("type") == "actions":
            out += [(block, el) for el in block.get("elements") or []]
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            out.append((block, block["accessory"]))
        elif block.get("type") == "input" and isinstance(block.get("element"), dict):
            out.append((block, block["element"]))
    return out


def find_buttons(
    blocks: list[dict[str, Any]],
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [
        (_text_of(el.get("text")), block, el)
        for block, el in iter_elements(blocks)
        if el.get("type") == "button"
    ]


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    members: set[str] = field(default_factory=set)
    created: int = 0
    creator: str = ""
    is_archived: bool = False
    topic: dict[str, Any] = field(
        default_factory=lambda: {"value": "", "creator": "", "last_set": 0}
    )
    purpose: dict[str, Any] = field(
        default_factory=lambda: {"value": "", "creator": "", "last_set": 0}
    )
    im_user: str | None = None
    messages: list[Message] = field(default_factory=list)
    bookmarks: list[dict[str, Any]] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)

    def to_api(self, team_id: str, viewer: str, num_members: bool = False) -> dict[str, Any]:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
                "is_open": True,
            }
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": team_id,
            "updated": self.created * 1000,
            "parent_conversation": None,
            "creator": self.creator,
            "is_ext_shared": False,
            "shared_team_ids": [team_id],
            "pending_connected_team_ids": [],
            "is_member": viewer in self.members,
            "last_read": "0000000000.000000",
            "topic": dict(self.topic),
            "purpose": dict(self.purpose),
            "previous_names": [],
        }
        if num_members:
            out["num_members"] = len(self.members)
        return out


@dataclass
class View:
    id: str
    team_id: str
    user_id: str
    type: str
    body: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None
    app_id: str
    bot_id: str
    # block_id -> action_id -> state value, as Slack reports it in view.state.values
    values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return self.body.get("blocks") or []

    @property
    def callback_id(self) -> str:
        return self.body.get("callback_id") or ""

    @property
    def external_id(self) -> str:
        return self.body.get("external_id") or ""

    @property
    def private_metadata(self) -> str:
        return self.body.get("private_metadata") or ""

    @property
    def title(self) -> str:
        return _text_of(self.body.get("title"))

    @property
    def notify_on_close(self) -> bool:
        return bool(self.body.get("notify_on_close"))

    def all_text(self) -> str:
        return "\n".join(collect_texts(self.blocks))

    def buttons(self) -> list[str]:
        return [label for label, _b, _e in find_buttons(self.blocks)]

    def input_labels(self) -> list[str]:
        return [_text_of(b.get("label")) for b in self.blocks if b.get("type") == "input"]

    def to_api(self) -> dict[str, Any]:
        b = self.body
        return {
            "id": self.id,
            "team_id": self.team_id,
            "type": self.type,
            "blocks": copy.deepcopy(self.blocks),
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "state": {"values": copy.deepcopy(self.values)},
            "hash": self.hash,
            "title": copy.deepcopy(b.get("title"))
            or {"type": "plain_text", "text": "View Title", "emoji": True},
            "clear_on_close": bool(b.get("clear_on_close")),
            "notify_on_close": bool(b.get("notify_on_close")),
            "close": copy.deepcopy(b.get("close")),
            "submit": copy.deepcopy(b.get("submit")),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": self.app_id,
            "external_id": self.external_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }


@dataclass
class ApiCall:
    method: str
    args: dict[str, Any]
    token: str | None
    at: float


@dataclass
class Ack:
    envelope_id: str
    envelope_type: str
    # interactive: payload.type; events_api: event.type; slash_commands: the command
    payload_type: str | None
    payload: dict[str, Any] | None
    received_at: float
    latency_s: float
    connection: int = 0  # which Socket Mode connection acked it
    # Slack's schema errors for the ack's body (blocks, a view); a refused body is not shown
    errors: list[str] = field(default_factory=list)
