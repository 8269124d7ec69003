"""Web API method handlers, refusing what Slack refuses. Each handler gets the workspace and a
Call, returns the success body (without ``ok``) or raises ApiError."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from . import blockkit
from .functions import FunctionRun, check_parameters
from .models import Channel, Message
from .state import Workspace

MAX_TEXT = 40_000


class ApiError(Exception):
    """An `ok: false` answer; `extra` is merged into the body."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str
    scopes: list[str]

    def need(self, *scopes: str) -> None:
        """Raise missing_scope unless one of `scopes` is granted."""
        if not any(s in self.scopes for s in scopes):
            raise ApiError("missing_scope", needed=",".join(scopes), provided=",".join(self.scopes))

    def req(self, name: str, error: str = "invalid_arguments") -> Any:
        value = self.args.get(name)
        if value is None or value == "":
            raise ApiError(error)
        return value

    def opt(self, name: str, default: Any = None) -> Any:
        value = self.args.get(name)
        return default if value is None or value == "" else value

    def flag(self, name: str) -> bool:
        return as_bool(self.args.get(name))

    def json(self, name: str, error: str = "invalid_arguments") -> Any:
        """A JSON argument that may arrive as real JSON or as a JSON-encoded string."""
        value = self.args.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ApiError(error) from exc
        return value


def schema_error(error: str, errors: list[str]) -> ApiError:
    """Slack's answer to a payload its schema refuses: the code, each problem with its place."""
    body = blockkit.error_body(error, errors)
    return ApiError(error, errors=body["errors"], response_metadata=body["response_metadata"])


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


Handler = Callable[[Workspace, Call], Awaitable[dict[str, Any]]]


@dataclass
class MethodSpec:
    handler: Handler
    token: str  # "bot", "app" or "any"


METHODS: dict[str, MethodSpec] = {}


def method(name: str, token: str = "bot") -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name] = MethodSpec(fn, token)
        return fn

    return register


# --- helpers -------------------------------------------------------------------------------


def _channel_scope(call: Call, ch: Channel, public: str, private: str, im: str) -> None:
    call.need(im if ch.is_im else private if ch.is_private else public)


def _visible_channel(ws: Workspace, cid: Any) -> Channel:
    """A channel the bot can see: private channels it is not in do not exist for it."""
    ch = ws.channels.get(str(cid or ""))
    if ch is None or ((ch.is_private or ch.is_im) and ws.bot_user_id not in ch.members):
        raise ApiError("channel_not_found")
    return ch


def _find_message(ch: Channel, ts: Any) -> Message:
    for msg in ch.messages:
        if msg.ts == ts and not msg.deleted:
            return msg
    raise ApiError("message_not_found")


def _message_content(call: Call) -> dict[str, Any]:
    """text/blocks/attachments/metadata present in the call, validated."""
    out: dict[str, Any] = {}
    if "text" in call.args and call.args["text"] is not None:
        out["text"] = str(call.args["text"])[:MAX_TEXT]
    blocks = call.json("blocks", "invalid_blocks_format")
    if blocks is not None:
        if not isinstance(blocks, list):
            raise ApiError("invalid_blocks_format")
        out["blocks"] = blocks
    attachments = call.json("attachments", "invalid_attachments")
    if attachments is not None:
        if not isinstance(attachments, list):
            raise ApiError("invalid_attachments")
        out["attachments"] = [
            {"id": i + 1, **a} if isinstance(a, dict) else a for i, a in enumerate(attachments)
        ]
    metadata = call.json("metadata", "invalid_metadata_format")
    if metadata is not None:
        errors = blockkit.validate_metadata(metadata)
        if errors:
            raise schema_error("invalid_metadata_format", errors)
        out["metadata"] = {
            "event_type": metadata["event_type"],
            "event_payload": metadata["event_payload"],
        }
    errors = blockkit.validate_message(out.get("blocks"), out.get("attachments"))
    if errors:
        raise schema_error("invalid_blocks", errors)
    return out


def _writable_channel(ws: Workspace, call: Call, cid: Any) -> Channel:
    if isinstance(cid, str) and cid.startswith(("U", "W")):
        if cid not in ws.users:
            raise ApiError("channel_not_found")
        return ws.dm_channel(cid)
    ch = _visible_channel(ws, cid)
    if ch.is_archived:
        raise ApiError("is_archived")
    if ws.bot_user_id not in ch.members and "chat:write.public" not in call.scopes:
        raise ApiError("not_in_channel")
    return ch


def _user(ws: Workspace, uid: Any, error: str = "user_not_found") -> str:
    if not isinstance(uid, str) or uid not in ws.users:
        raise ApiError(error)
    return uid


# --- auth / socket mode --------------------------------------------------------------------


@method("auth.test", token="any")
async def auth_test(ws: Workspace, call: Call) -> dict[str, Any]:
    body = {
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_name,
        "user": ws.users[ws.bot_user_id].name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }
    if call.token == ws.app_token:
        # App-level tokens identify the app, not a bot user.
        body = {"app_name": "Beacon", "app_id": ws.app_id}
    return body


@method("apps.connections.open", token="app")
async def apps_connections_open(ws: Workspace, call: Call) -> dict[str, Any]:
    ticket = str(uuid.uuid4())
    ws.tickets.add(ticket)
    origin = ws.origin.replace("http", "ws", 1)
    return {"url": f"{origin}/link/?ticket={ticket}&app_id={ws.app_id}"}


# --- chat ----------------------------------------------------------------------------------


@method("chat.postMessage")
async def chat_post_message(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("chat:write")
    cid = call.req("channel", "channel_not_found")
    ch = _writable_channel(ws, call, cid)
    content = _message_content(call)
    if not (content.get("text") or content.get("blocks") or content.get("attachments")):
        raise ApiError("no_text")
    thread_ts = call.opt("thread_ts")
    if thread_ts is not None:
        parent = next((m for m in ch.messages if m.ts == str(thread_ts)), None)
        if parent is None or parent.deleted:
            raise ApiError("thread_not_found")
        # Replying to a reply threads under the real parent, as Slack does.
        thread_ts = parent.thread_ts or parent.ts
    msg = ws.post_message(
        ch,
        user=ws.bot_user_id,
        thread_ts=thread_ts,
        reply_broadcast=call.flag("reply_broadcast"),
        **content,
    )
    return {"channel": ch.id, "ts": msg.ts, "message": msg.to_api()}


@method("chat.update")
async def chat_update(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("chat:write")
    ch = _visible_channel(ws, call.req("channel", "channel_not_found"))
    msg = _find_message(ch, call.req("ts", "message_not_found"))
    if msg.user != ws.bot_user_id:
        raise ApiError("cant_update_message")
    if ch.is_archived:
        raise ApiError("is_archived")
    content = _message_content(call)
    if not content:
        raise ApiError("no_text")
    for key, value in content.items():
        setattr(msg, key, value)
    msg.edited = {"user": ws.bot_id, "ts": ws.next_ts()}
    ws.notify()
    return {"channel": ch.id, "ts": msg.ts, "text": msg.text, "message": msg.to_api()}


@method("chat.delete")
async def chat_delete(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("chat:write")
    ch = _visible_channel(ws, call.req("channel", "channel_not_found"))
    msg = _find_message(ch, call.req("ts", "message_not_found"))
    if msg.user != ws.bot_user_id:
        raise ApiError("cant_delete_message")
    msg.deleted = True
    ws.notify()
    return {"channel": ch.id, "ts": msg.ts}


@method("chat.postEphemeral")
async def chat_post_ephemeral(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("chat:write")
    ch = _writable_channel(ws, call, call.req("channel", "channel_not_found"))
    uid = _user(ws, call.req("user", "user_not_found"))
    if uid not in ch.members:
        raise ApiError("user_not_in_channel")
    content = _message_content(call)
    if not (content.get("text") or content.get("blocks") or content.get("attachments")):
        raise ApiError("no_text")
    msg = ws.add_ephemeral(uid, ch.id, thread_ts=call.opt("thread_ts"), **content)
    return {"message_ts": msg.ts}


@method("chat.getPermalink")
async def chat_get_permalink(ws: Workspace, call: Call) -> dict[str, Any]:
    ch = ws.channels.get(str(call.req("channel", "channel_not_found")))
    if ch is None:
        raise ApiError("channel_not_found")
    msg = _find_message(ch, call.req("message_ts", "message_not_found"))
    link = f"https://{ws.team_domain}.slack.com/archives/{ch.id}/p{msg.ts.replace('.', '')}"
    if msg.is_reply:
        link += f"?thread_ts={msg.thread_ts}&cid={ch.id}"
    return {"channel": ch.id, "permalink": link}


# --- views ---------------------------------------------------------------------------------


def _view_arg(call: Call, types: tuple[str, ...]) -> dict[str, Any]:
    view = call.json("view")
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments")
    errors = blockkit.validate_view(view)
    if not errors and view.get("type") not in types:
        errors = [f"must be one of: {', '.join(types)} [json-pointer:/view/type]"]
    if errors:
        raise schema_error("invalid_arguments", errors)
    return view


def _use_trigger(ws: Workspace, call: Call) -> str:
    """Exchange a trigger_id; returns the user it was issued to."""
    trigger = ws.triggers.get(str(call.req("trigger_id")))
    if trigger is None:
        raise ApiError("invalid_trigger_id")
    if trigger.used:
        raise ApiError("exchanged_trigger_id")
    if time.monotonic() - trigger.issued_at > ws.trigger_ttl:
        raise ApiError("expired_trigger_id")
    trigger.used = True
    return trigger.user_id


def _check_external_id(ws: Workspace, view: dict[str, Any], keep: str | None = None) -> None:
    ext = view.get("external_id")
    if ext and any(v.external_id == ext and v.id != keep for v in ws.all_views()):
        raise ApiError("duplicate_external_id")


@method("views.open")
async def views_open(ws: Workspace, call: Call) -> dict[str, Any]:
    view = _view_arg(call, ("modal",))
    _check_external_id(ws, view)
    uid = _use_trigger(ws, call)
    v = ws.new_view(uid, view)
    # A fresh views.open starts a new modal stack for that user.
    ws.view_stacks[uid] = [v]
    ws.notify()
    return {"view": v.to_api()}


@method("views.push")
async def views_push(ws: Workspace, call: Call) -> dict[str, Any]:
    view = _view_arg(call, ("modal",))
    _check_external_id(ws, view)
    trigger = ws.triggers.get(str(call.req("trigger_id")))
    stack = ws.view_stacks.get(trigger.user_id, []) if trigger else []
    if len(stack) >= 3:
        raise ApiError("push_limit_reached")
    uid = _use_trigger(ws, call)
    stack = ws.view_stacks.setdefault(uid, [])
    prev = stack[-1] if stack else None
    v = ws.new_view(
        uid, view, root=prev.root_view_id if prev else None, previous=prev.id if prev else None
    )
    stack.append(v)
    ws.notify()
    return {"view": v.to_api()}


@method("views.update")
async def views_update(ws: Workspace, call: Call) -> dict[str, Any]:
    view_id, external_id = call.opt("view_id"), call.opt("external_id")
    if not view_id and not external_id:
        raise ApiError("invalid_arguments")
    view = _view_arg(call, ("modal", "home"))
    target = next(
        (
            v
            for v in ws.all_views()
            if (view_id and v.id == view_id) or (external_id and v.external_id == external_id)
        ),
        None,
    )
    if target is None:
        raise ApiError("not_found")
    expected = call.opt("hash")
    if expected is not None and expected != target.hash:
        raise ApiError("hash_conflict")
    _check_external_id(ws, view, keep=target.id)
    ws.replace_view(target, view)
    return {"view": target.to_api()}


@method("views.publish")
async def views_publish(ws: Workspace, call: Call) -> dict[str, Any]:
    uid = _user(ws, call.req("user_id", "user_not_found"))
    view = _view_arg(call, ("home",))
    current = ws.home_views.get(uid)
    expected = call.opt("hash")
    if current is not None and expected is not None and expected != current.hash:
        raise ApiError("hash_conflict")
    if current is None:
        ws.home_views[uid] = ws.new_view(uid, view)
        ws.notify()
    else:
        ws.replace_view(current, view)
    return {"view": ws.home_views[uid].to_api()}


# --- conversations -------------------------------------------------------------------------

NAME_OK = re.compile(r"^[a-z0-9_\-]+$")


def check_channel_name(name: str) -> None:
    if not name:
        raise ApiError("invalid_name_required")
    if len(name) > 80:
        raise ApiError("invalid_name_maxlength")
    if not NAME_OK.match(name):
        raise ApiError("invalid_name_specials")
    if not re.search(r"[a-z0-9]", name):
        raise ApiError("invalid_name_punctuation")


def _member_channel(ws: Workspace, call: Call, manage: bool = True) -> Channel:
    ch = _visible_channel(ws, call.req("channel", "channel_not_found"))
    if manage:
        _channel_scope(call, ch, "channels:manage", "groups:write", "im:write")
    if ws.bot_user_id not in ch.members:
        raise ApiError("not_in_channel")
    return ch


@method("conversations.create")
async def conversations_create(ws: Workspace, call: Call) -> dict[str, Any]:
    private = call.flag("is_private")
    call.need("groups:write" if private else "channels:manage")
    name = str(call.opt("name", ""))
    check_channel_name(name)
    if any(c.name == name for c in ws.channels.values() if not c.is_im):
        raise ApiError("name_taken")
    cid = ws.add_channel(name, is_private=private, bot_is_member=True)
    ch = ws.channels[cid]
    ch.creator = ws.bot_user_id
    return {"channel": {**ch.to_api(ws.team_id, ws.bot_user_id), "priority": 0}}


@method("conversations.invite")
async def conversations_invite(ws: Workspace, call: Call) -> dict[str, Any]:
    ch = _member_channel(ws, call)
    if ch.is_archived:
        raise ApiError("is_archived")
    raw = call.req("users", "no_user")
    ids = [u.strip() for u in (raw if isinstance(raw, list) else str(raw).split(",")) if u.strip()]
    for uid in ids:
        if uid == ws.bot_user_id:
            raise ApiError("cant_invite_self")
        if uid not in ws.users or ws.users[uid].deleted:
            raise ApiError("user_not_found")
        if uid in ch.members:
            raise ApiError("already_in_channel")
    ch.members.update(ids)
    ws.notify()
    return {"channel": ch.to_api(ws.team_id, ws.bot_user_id)}


async def _set_field(ws: Workspace, call: Call, field_name: str) -> dict[str, Any]:
    ch = _member_channel(ws, call)
    if ch.is_archived:
        raise ApiError("is_archived")
    value = str(call.opt(field_name, ""))
    if len(value) > 250:
        raise ApiError("too_long")
    setattr(
        ch, field_name, {"value": value, "creator": ws.bot_user_id, "last_set": int(time.time())}
    )
    ws.notify()
    return {"channel": ch.to_api(ws.team_id, ws.bot_user_id)}


@method("conversations.setTopic")
async def conversations_set_topic(ws: Workspace, call: Call) -> dict[str, Any]:
    return await _set_field(ws, call, "topic")


@method("conversations.setPurpose")
async def conversations_set_purpose(ws: Workspace, call: Call) -> dict[str, Any]:
    return await _set_field(ws, call, "purpose")


@method("conversations.archive")
async def conversations_archive(ws: Workspace, call: Call) -> dict[str, Any]:
    ch = _visible_channel(ws, call.req("channel", "channel_not_found"))
    _channel_scope(call, ch, "channels:manage", "groups:write", "im:write")
    if ch.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    if ch.is_archived:
        raise ApiError("already_archived")
    if ws.bot_user_id not in ch.members:
        raise ApiError("not_in_channel")
    ch.is_archived = True
    ws.notify()
    return {}


@method("conversations.info")
async def conversations_info(ws: Workspace, call: Call) -> dict[str, Any]:
    ch = _visible_channel(ws, call.req("channel", "channel_not_found"))
    _channel_scope(call, ch, "channels:read", "groups:read", "im:read")
    return {"channel": ch.to_api(ws.team_id, ws.bot_user_id, call.flag("include_num_members"))}


@method("conversations.list")
async def conversations_list(ws: Workspace, call: Call) -> dict[str, Any]:
    types = set(str(call.opt("types", "public_channel")).split(","))
    if "public_channel" in types:
        call.need("channels:read")
    if "private_channel" in types:
        call.need("groups:read")
    skip_archived = call.flag("exclude_archived")
    found = []
    for ch in ws.channels.values():
        kind = "im" if ch.is_im else "private_channel" if ch.is_private else "public_channel"
        if kind not in types or (skip_archived and ch.is_archived):
            continue
        if kind != "public_channel" and ws.bot_user_id not in ch.members:
            continue  # private conversations the bot is not in are invisible to it
        found.append(ch.to_api(ws.team_id, ws.bot_user_id))
    page, extra = _page(found, call, 100)
    return {"channels": page, **extra}


@method("conversations.join")
async def conversations_join(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("channels:join")
    ch = _visible_channel(ws, call.req("channel", "channel_not_found"))
    if ch.is_private or ch.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    if ch.is_archived:
        raise ApiError("is_archived")
    extra: dict[str, Any] = {}
    if ws.bot_user_id in ch.members:
        extra = {
            "warning": "already_in_channel",
            "response_metadata": {"warnings": ["already_in_channel"]},
        }
    ch.members.add(ws.bot_user_id)
    ws.notify()
    return {"channel": ch.to_api(ws.team_id, ws.bot_user_id), **extra}


def _readable_channel(ws: Workspace, call: Call) -> Channel:
    ch = _visible_channel(ws, call.req("channel", "channel_not_found"))
    _channel_scope(call, ch, "channels:history", "groups:history", "im:history")
    if ws.bot_user_id not in ch.members:
        raise ApiError("not_in_channel")
    return ch


def _page(items: list[Any], call: Call, default: int) -> tuple[list[Any], dict[str, Any]]:
    limit = int(call.opt("limit", default) or default)
    start = int(call.opt("cursor", 0) or 0)
    page = items[start : start + limit]
    more = start + limit < len(items)
    return page, {
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


@method("conversations.history")
async def conversations_history(ws: Workspace, call: Call) -> dict[str, Any]:
    ch = _readable_channel(ws, call)
    meta = call.flag("include_all_metadata")
    oldest, latest = float(call.opt("oldest", 0)), float(call.opt("latest", 1e12))
    top = [m for m in ws.messages(ch.id) if oldest <= float(m.ts) <= latest]
    page, extra = _page(list(reversed(top)), call, 100)
    return {"messages": [m.to_api(meta) for m in page], "pin_count": len(ch.pins), **extra}


@method("conversations.replies")
async def conversations_replies(ws: Workspace, call: Call) -> dict[str, Any]:
    ch = _readable_channel(ws, call)
    msg = next((m for m in ch.messages if m.ts == call.opt("ts") and not m.deleted), None)
    if msg is None:
        raise ApiError("thread_not_found")
    parent_ts = msg.thread_ts or msg.ts
    parent = _find_message(ch, parent_ts)
    thread = [parent, *ws.thread(ch.id, parent_ts)]
    page, extra = _page(thread, call, 1000)
    meta = call.flag("include_all_metadata")
    return {"messages": [m.to_api(meta) for m in page], **extra}


@method("conversations.open")
async def conversations_open(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("im:write")
    if call.opt("channel"):
        ch = _visible_channel(ws, call.args["channel"])
    else:
        raw = call.req("users", "users_list_not_supplied")
        ids = [u.strip() for u in str(raw).split(",") if u.strip()]
        if len(ids) != 1:
            # Group DMs are not emulated.
            raise ApiError("not_implemented")
        ch = ws.dm_channel(_user(ws, ids[0]))
    if call.flag("return_im"):
        return {"channel": ch.to_api(ws.team_id, ws.bot_user_id)}
    return {"channel": {"id": ch.id}}


@method("conversations.members")
async def conversations_members(ws: Workspace, call: Call) -> dict[str, Any]:
    ch = _visible_channel(ws, call.req("channel", "channel_not_found"))
    _channel_scope(call, ch, "channels:read", "groups:read", "im:read")
    page, extra = _page(sorted(ch.members), call, 100)
    extra.pop("has_more")
    return {"members": page, **extra}


# --- users ---------------------------------------------------------------------------------


@method("users.info")
async def users_info(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("users:read")
    user = ws.users[_user(ws, call.req("user", "user_not_found"))]
    return {"user": user.to_api("users:read.email" in call.scopes)}


@method("users.list")
async def users_list(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("users:read")
    email = "users:read.email" in call.scopes  # profile.email is omitted without the scope
    members = [u.to_api(email) for u in ws.users.values()]
    return {
        "members": members,
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": ""},
    }


@method("users.lookupByEmail")
async def users_lookup_by_email(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("users:read.email")
    email = str(call.req("email", "users_not_found")).lower()
    for user in ws.users.values():
        if user.email and user.email.lower() == email:
            return {"user": user.to_api(True)}
    raise ApiError("users_not_found")


@method("usergroups.users.list")
async def usergroups_users_list(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("usergroups:read")
    members = ws.usergroups.get(str(call.req("usergroup", "no_such_subteam")))
    if members is None:
        raise ApiError("no_such_subteam")
    return {"users": list(members)}


# --- bookmarks / reactions / pins ----------------------------------------------------------


@method("bookmarks.add")
async def bookmarks_add(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("bookmarks:write")
    ch = _visible_channel(ws, call.req("channel_id", "channel_not_found"))
    title = call.req("title")
    btype = call.req("type")
    if btype != "link":
        raise ApiError("invalid_bookmark_type")
    link = call.req("link", "invalid_link")
    now = int(time.time())
    bookmark = {
        "id": ws.new_id("Bk"),
        "channel_id": ch.id,
        "title": title,
        "link": link,
        "emoji": call.opt("emoji"),
        "icon_url": None,
        "type": "link",
        "entity_id": None,
        "date_created": now,
        "date_updated": 0,
        "rank": f"{len(ch.bookmarks):04d}",
        "last_updated_by_user_id": ws.bot_user_id,
        "last_updated_by_team_id": ws.team_id,
        "shortcut_id": None,
        "app_id": ws.app_id,
    }
    ch.bookmarks.append(bookmark)
    ws.notify()
    return {"bookmark": bookmark}


@method("bookmarks.list")
async def bookmarks_list(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("bookmarks:read")
    ch = _visible_channel(ws, call.req("channel_id", "channel_not_found"))
    return {"bookmarks": [dict(b) for b in ch.bookmarks]}


@method("reactions.add")
async def reactions_add(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("reactions:write")
    ch = _visible_channel(ws, call.req("channel", "channel_not_found"))
    msg = _find_message(ch, call.req("timestamp", "message_not_found"))
    name = str(call.req("name", "invalid_name")).strip(":")
    entry = next((r for r in msg.reactions if r["name"] == name), None)
    if entry is None:
        entry = {"name": name, "users": [], "count": 0}
        msg.reactions.append(entry)
    if ws.bot_user_id in entry["users"]:
        raise ApiError("already_reacted")
    entry["users"].append(ws.bot_user_id)
    entry["count"] += 1
    ws.notify()
    return {}


@method("pins.add")
async def pins_add(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("pins:write")
    ch = _visible_channel(ws, call.req("channel", "channel_not_found"))
    msg = _find_message(ch, call.req("timestamp", "message_not_found"))
    if msg.ts in ch.pins:
        raise ApiError("already_pinned")
    ch.pins.append(msg.ts)
    ws.notify()
    return {}


# --- files upload v2 -----------------------------------------------------------------------


@method("files.getUploadURLExternal")
async def files_get_upload_url_external(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("files:write")
    filename = str(call.req("filename", "invalid_arguments"))
    length = int(call.req("length", "invalid_arguments"))
    if length < 1:
        raise ApiError("invalid_arguments")
    file_id = ws.new_id("F")
    ws.files[file_id] = {"id": file_id, "name": filename, "length": length, "content": None}
    return {"upload_url": f"{ws.origin}/upload/{file_id}", "file_id": file_id}


@method("files.completeUploadExternal")
async def files_complete_upload_external(ws: Workspace, call: Call) -> dict[str, Any]:
    call.need("files:write")
    items = call.json("files")
    if not isinstance(items, list) or not items:
        raise ApiError("invalid_arguments")
    shared: list[dict[str, Any]] = []
    for item in items:
        entry = ws.files.get(str(item.get("id")))
        if entry is None or entry["content"] is None:
            raise ApiError("file_not_found")
        if len(entry["content"]) != entry["length"]:
            raise ApiError("file_size_mismatch")
        entry["title"] = item.get("title") or entry["name"]
        shared.append(
            {
                "id": entry["id"],
                "name": entry["name"],
                "title": entry["title"],
                "size": entry["length"],
                "mimetype": "text/plain",
            }
        )
    cid = call.opt("channel_id")
    if cid:
        ch = _writable_channel(ws, call, cid)
        if not ch.is_im and ws.bot_user_id not in ch.members:
            raise ApiError("not_in_channel")  # sharing a file needs membership, unlike posts
        thread_ts = call.opt("thread_ts")
        if thread_ts:
            _find_message(ch, thread_ts)
        msg = ws.post_message(
            ch,
            ws.bot_user_id,
            str(call.opt("initial_comment", "") or ""),
            thread_ts=thread_ts or None,
        )
        msg.files = shared
    return {"files": shared}


# --- custom workflow steps (functions.py) ---------------------------------------------------


def _running(ws: Workspace, call: Call) -> FunctionRun:
    execution_id = str(call.req("function_execution_id"))
    refused = ws.functions.refusal(execution_id, call.token)
    if refused:
        raise ApiError(refused)
    return ws.functions.runs[execution_id]


@method("functions.completeSuccess")
async def functions_complete_success(ws: Workspace, call: Call) -> dict[str, Any]:
    run = _running(ws, call)
    outputs = call.json("outputs") or {}
    if not isinstance(outputs, dict):
        raise ApiError("invalid_arguments")
    spec = ws.functions.declared.get(run.callback_id, {}).get("output_parameters")
    problems = check_parameters(spec, outputs)
    if problems:
        raise ApiError("parameter_validation_failed", errors=problems)
    run.state, run.outputs = "completed", outputs
    run.completions.append("success")
    ws.notify()
    return {}


@method("functions.completeError")
async def functions_complete_error(ws: Workspace, call: Call) -> dict[str, Any]:
    run = _running(ws, call)
    run.state, run.error = "failed", str(call.req("error"))
    run.completions.append("error")
    ws.notify()
    return {}
