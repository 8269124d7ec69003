"""The sandbox's web page and its small JSON API.

Every user action goes through the emulator's driver (`SlackUser`), so the bot receives exactly
the payloads Slack would send. The page reads one snapshot per user (`GET /api/state`) and
refetches it whenever the emulator's state changes (`GET /api/events`, server-sent events).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web

from slack_emulator import EmulatorError, Message, SlackEmulator, View
from slack_emulator.driver import SlackUser
from slack_emulator.state import Workspace

log = logging.getLogger("beacon.sandbox")

STATIC = Path(__file__).resolve().parent / "static"
SANDBOX_KEY = web.AppKey("sandbox", object)
ALERT_DISABLED = (
    "The intake API is off in this sandbox (API_PORT is unset), so nothing receives alerts."
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Sandbox(Protocol):
    """What the page needs of the sandbox (world.Sandbox, which builds the page)."""

    emu: SlackEmulator
    api_token: str
    shortcuts: dict[str, list[dict[str, str]]]
    view_errors: dict[str, dict[str, str]]  # view id -> block id -> message
    last_read: dict[str, dict[str, str]]  # user id -> channel id -> newest ts they have seen

    @property
    def api_port(self) -> int: ...

    @property
    def install_url(self) -> str | None: ...

    def alert_path(self) -> str | None: ...


class UserError(Exception):
    """Something the person at the page should read (bad label, no modal open...)."""


def _sandbox(request: web.Request) -> Sandbox:
    return request.app[SANDBOX_KEY]  # type: ignore[return-value]


# --- workspaces ----------------------------------------------------------------------------


def _ws(sb: Sandbox, team: object = None) -> Workspace:
    """The workspace a request is about (`team`: its id); the first one when not given."""
    if not team:
        return sb.emu.workspace
    ws = sb.emu.teams.get(str(team))
    if ws is None:
        raise UserError(f"no workspace {str(team)[:40]!r} in this sandbox")
    return ws


def _person(ws: Workspace, name: object = None) -> str:
    """Who acts: the named person, else the workspace's first (alice in the first one)."""
    return str(name or next(u.name for u in ws.users.values() if not u.is_bot))


def _alert_off(sb: Sandbox, ws: Workspace) -> str | None:
    """Why "Fire a test alert" cannot work in `ws`, or None when it can."""
    if sb.alert_path() is None:
        return ALERT_DISABLED
    if ws is not sb.emu.workspace:  # the intake API's token is the first workspace's
        return (f"The intake API's token in this sandbox belongs to {sb.emu.team_name}: "
                "switch to it to fire a test alert.")
    return None


def _workspaces(sb: Sandbox) -> list[dict[str, Any]]:
    """The page's workspace switcher, as Slack's sidebar of workspaces."""
    return [
        {"id": ws.team_id, "name": ws.team_name, "domain": ws.team_domain,
         "installed": ws.installed}
        for ws in sb.emu.teams.values()
    ]


# --- snapshot ------------------------------------------------------------------------------


def _message(sb: Sandbox, msg: Message, *, with_replies: bool = True) -> dict[str, Any]:
    emu = _ws(sb, msg.team)
    author = emu.users.get(msg.user)
    out = {
        "ts": msg.ts,
        "channel": msg.channel,
        "user": msg.user,
        "user_name": "Beacon" if msg.bot_id else (author.name if author else msg.user),
        "is_bot": bool(msg.bot_id),
        "text": msg.text,
        "blocks": msg.blocks,
        "attachments": msg.attachments,
        "thread_ts": msg.thread_ts,
        "edited": bool(msg.edited),
        "ephemeral": msg.ephemeral,
        "reply_count": len(msg.replies),
        "files": [
            {
                "id": f["id"],
                "name": f["name"],
                "title": f.get("title") or f["name"],
                "size": f.get("size", 0),
            }
            for f in msg.files
        ],
    }
    if with_replies and msg.replies:
        out["replies"] = [
            _message(sb, r, with_replies=False) for r in emu.thread(msg.channel, msg.ts)
        ]
    return out


def _view(sb: Sandbox, view: View) -> dict[str, Any]:
    body = view.body
    return {
        "id": view.id,
        "type": view.type,
        "title": view.title,
        "callback_id": view.callback_id,
        "submit": (body.get("submit") or {}).get("text"),
        "close": (body.get("close") or {}).get("text") or "Cancel",
        "blocks": view.blocks,
        "values": view.values,
        "errors": sb.view_errors.get(view.id, {}),
    }


def snapshot(sb: Sandbox, user_id: str | None, team: str | None = None) -> dict[str, Any]:
    emu = _ws(sb, team)
    me = emu.find_user(_person(emu, user_id))
    dm = emu.dm_channel(me.id)
    channels: list[dict[str, Any]] = [
        {
            "id": c.id,
            "name": c.name,
            "is_private": c.is_private,
            "is_member": me.id in c.members,
            "kind": "channel",
        }
        for c in sorted(emu.channels.values(), key=lambda c: c.name)
        if not c.is_im and not c.is_archived and (not c.is_private or me.id in c.members)
    ]
    channels.append({"id": dm.id, "name": "Beacon", "is_member": True, "kind": "dm"})
    messages = {c["id"]: [_message(sb, m) for m in emu.messages(c["id"])] for c in channels}
    read = sb.last_read.get(me.id, {})
    for c in channels:
        seen = float(read.get(c["id"], "0"))
        c["unread"] = sum(
            1 for m in messages[c["id"]] if m["user"] != me.id and float(m["ts"]) > seen
        )
    stack = emu.view_stacks.get(me.id) or []
    home = emu.home_views.get(me.id)
    return {
        "me": {"id": me.id, "name": me.name},
        "team": emu.team_name,
        "team_id": emu.team_id,
        "team_domain": emu.team_domain,
        "installed": emu.installed,
        "workspaces": _workspaces(sb),
        "install_url": sb.install_url,
        "bot_user_id": emu.bot_user_id,
        "users": [
            {"id": u.id, "name": u.name, "real_name": u.real_name, "is_bot": u.is_bot}
            for u in emu.users.values()
            if not u.deleted
        ],
        "people": [u.name for u in emu.users.values() if not u.is_bot and not u.deleted],
        "channels": channels,
        "messages": messages,
        "ephemerals": [_message(sb, m, with_replies=False) for m in emu.ephemerals(me.id)],
        "views": [_view(sb, v) for v in stack],
        "home": _view(sb, home) if home else None,
        "shortcuts": sb.shortcuts,
        "alert": {"enabled": _alert_off(sb, emu) is None,
                  "reason": _alert_off(sb, emu) or ALERT_DISABLED},
        "now": time.time(),
    }


# --- helpers for actions -------------------------------------------------------------------


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, json.JSONDecodeError):
        raise UserError("send a JSON object") from None
    if not isinstance(body, dict):
        raise UserError("send a JSON object")
    return body


def _user(sb: Sandbox, body: dict[str, Any]) -> SlackUser:
    ws = _ws(sb, body.get("team"))
    try:
        return sb.emu.user(_person(ws, body.get("user")), ws.team_id)
    except KeyError as exc:
        raise UserError(str(exc)) from None


def _channel(sb: Sandbox, body: dict[str, Any]) -> str:
    channel = str(body.get("channel") or "")
    if channel not in _ws(sb, body.get("team")).channels:
        raise UserError("pick a channel first")
    return channel


def _target(sb: Sandbox, user: SlackUser, target: dict[str, Any]) -> Message | View:
    """A message (channel + ts, ephemerals included) or one of the user's views."""
    if target.get("view_id"):
        vid = target["view_id"]
        views = [*user.views, *([user.home_view()] if user.home_view() else [])]
        for view in views:
            if view and view.id == vid:
                return view
        raise UserError("that view is no longer open")
    channel, ts = str(target.get("channel", "")), str(target.get("ts", ""))
    ws = user.workspace
    msg = ws.message(channel, ts) if channel in ws.channels else None
    if msg is None:
        msg = next((m for m in user.ephemerals() if m.ts == ts), None)
    if msg is None:
        raise UserError("that message is gone")
    return msg


def _ok(**extra: Any) -> web.Response:
    return web.json_response({"ok": True, **extra})


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (UserError, AssertionError, EmulatorError, KeyError) as exc:
        # AssertionError: the driver's DriverError (no ack, missing label...).
        message = str(exc).strip("'\"") or type(exc).__name__
        return web.json_response({"ok": False, "error": message}, status=400)


# --- routes --------------------------------------------------------------------------------


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def state(request: web.Request) -> web.Response:
    sb = _sandbox(request)
    query = request.query
    return web.json_response(snapshot(sb, query.get("user"), query.get("team")))


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one `change` per burst of emulator state changes."""
    sb = _sandbox(request)
    resp = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await resp.prepare(request)
    await resp.write(b"retry: 500\ndata: change\n\n")
    while True:
        first = True

        def changed() -> bool:
            nonlocal first  # wait_for evaluates once straight away: skip that one
            was_first, first = first, False
            return not was_first

        try:
            await sb.emu.wait_for(changed, timeout=15)
            await asyncio.sleep(0.03)  # let a burst of changes land before the page refetches
            await resp.write(b"data: change\n\n")
        except TimeoutError:
            await resp.write(b": keep-alive\n\n")
        except (ConnectionResetError, RuntimeError):
            return resp


async def command(request: web.Request) -> web.Response:
    """The message box: `/cmd args` runs a slash command, anything else is posted as the user."""
    sb = _sandbox(request)
    body = await _body(request)
    user = _user(sb, body)
    channel = _channel(sb, body)
    text = str(body.get("text") or "").strip()
    if not text:
        raise UserError("type a message or a slash command")
    if text.startswith("/"):
        cmd, _, args = text.partition(" ")
        result = await user.slash_command(cmd, args.strip(), channel=channel)
        return _ok(text=result.text)
    thread_ts = body.get("thread_ts") or None
    ws = user.workspace
    ws.post_message(ws.channels[channel], user.id, text, thread_ts=thread_ts)
    return _ok()


async def click(request: web.Request) -> web.Response:
    sb = _sandbox(request)
    body = await _body(request)
    user = _user(sb, body)
    await user.click(_target(sb, user, body.get("target") or {}), str(body.get("label", "")))
    return _ok()


async def select(request: web.Request) -> web.Response:
    """Static select or overflow outside an input block, or a users select in an actions block."""
    sb = _sandbox(request)
    body = await _body(request)
    user = _user(sb, body)
    target = _target(sb, user, body.get("target") or {})
    block_id = body.get("block_id") or None
    if body.get("user_id"):
        await _select_user(user, target, str(body.get("action_id", "")), str(body["user_id"]))
    else:
        await user.select(target, str(body.get("option", "")), block_id=block_id)
    return _ok()


async def _select_user(user: SlackUser, target: Message | View, action_id: str, uid: str) -> None:
    # The driver has no users_select outside inputs; build the same block_actions payload.
    blocks = target.blocks if isinstance(target, View) else [b for _p, b in target.all_blocks()]
    for block in blocks:
        elements = block.get("elements") or [block.get("accessory") or {}]
        for el in elements:
            if el.get("type") == "users_select" and el.get("action_id") == action_id:
                action = {
                    "type": "users_select",
                    "action_id": action_id,
                    "block_id": block.get("block_id", ""),
                    "selected_user": uid,
                    "action_ts": f"{time.time():.6f}",
                }
                await user._interact(user._block_actions(target, action), "users select")
                return
    raise UserError("that users menu is gone")


async def submit(request: web.Request) -> web.Response:
    """Fill the top modal by label, then press its submit button."""
    sb = _sandbox(request)
    body = await _body(request)
    user = _user(sb, body)
    view = user.current_view()
    if view is None or view.id != body.get("view_id"):
        raise UserError("that form is no longer open")
    values = body.get("values") or {}
    if values:
        await user.fill(values)
    result = await user.submit()
    sb.view_errors.pop(view.id, None)
    if result.errors:
        sb.view_errors[view.id] = result.errors
        sb.emu.notify()
    return _ok(errors=result.errors_by_label)


async def close(request: web.Request) -> web.Response:
    sb = _sandbox(request)
    body = await _body(request)
    user = _user(sb, body)
    view = user.current_view()
    if view is not None and view.id == body.get("view_id"):
        await user.close_view()
    return _ok()


async def shortcut(request: web.Request) -> web.Response:
    sb = _sandbox(request)
    body = await _body(request)
    user = _user(sb, body)
    callback_id = str(body.get("callback_id", ""))
    if body.get("ts"):
        await user.message_shortcut(callback_id, str(body.get("channel")), str(body["ts"]))
    else:
        await user.global_shortcut(callback_id)
    return _ok()


async def home(request: web.Request) -> web.Response:
    sb = _sandbox(request)
    user = _user(sb, await _body(request))
    await user.open_app_home()
    with contextlib.suppress(TimeoutError):
        await sb.emu.wait_for(user.home_view, timeout=3)
    return _ok()


async def alert(request: web.Request) -> web.Response:
    """Post the sample Alertmanager payload to the intake API, like Alertmanager would."""
    sb = _sandbox(request)
    body = await _body(request) if request.can_read_body else {}
    path, off = sb.alert_path(), _alert_off(sb, _ws(sb, body.get("team")))
    if path is None or off:
        raise UserError(off or ALERT_DISABLED)
    payload = json.loads((STATIC.parent / "sample_alert.json").read_text(encoding="utf-8"))
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for item in payload["alerts"]:
        item["startsAt"] = now
    url = f"http://127.0.0.1:{sb.api_port}{path}"
    headers = {"Authorization": f"Bearer {sb.api_token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=payload, headers=headers) as resp,
    ):
        text = await resp.text()
    if resp.status >= 300:
        raise UserError(f"the intake API answered {resp.status}: {text[:300]}")
    return _ok(status=resp.status)


async def seen(request: web.Request) -> web.Response:
    """The person looked at a channel: its messages so far are read (conversations.mark)."""
    sb = _sandbox(request)
    body = await _body(request)
    user = _user(sb, body)
    channel = _channel(sb, body)
    latest = [m.ts for m in user.workspace.messages(channel)]
    if latest:
        sb.last_read.setdefault(user.id, {})[channel] = max(latest, key=float)
        sb.emu.notify()
    return _ok()


_PERMALINK = re.compile(r"/archives/(?P<channel>[A-Z0-9]+)/p(?P<secs>\d+)(?P<micros>\d{6})$")


async def permalink(request: web.Request) -> web.Response:
    """Where a permalink of the emulated workspace points: the page opens it in place."""
    sb = _sandbox(request)
    url = request.query.get("url", "")
    parts = urlsplit(url)
    match = _PERMALINK.match(parts.path)
    ws = next(
        (w for w in sb.emu.teams.values() if parts.hostname == f"{w.team_domain}.slack.com"), None
    )
    if ws is None or match is None:
        raise UserError(f"not a message link of this workspace: {url[:200]}")
    channel, ts = match["channel"], f"{match['secs']}.{match['micros']}"
    msg = ws.message(channel, ts) if channel in ws.channels else None
    if msg is None:
        raise UserError("that message is gone")
    thread_ts = (parse_qs(parts.query).get("thread_ts") or [msg.thread_ts or ""])[0]
    thread = thread_ts if thread_ts not in ("", ts) else None
    return _ok(channel=channel, ts=ts, thread_ts=thread, team=ws.team_id)


async def file(request: web.Request) -> web.Response:
    """An uploaded file's text, as Slack's file viewer shows it."""
    sb = _sandbox(request)
    file_id = request.match_info["file_id"]  # ids never repeat across workspaces
    entry = next((w.files[file_id] for w in sb.emu.teams.values() if file_id in w.files), None)
    if entry is None or entry.get("content") is None:
        return web.json_response({"ok": False, "error": "no such file"}, status=404)
    text = bytes(entry["content"]).decode("utf-8", errors="replace")
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


# --- ⚙ Run workflow step: a workflow reaching one of Beacon's custom steps ----------------------

STEP_WAIT_S = 15.0


async def steps(request: web.Request) -> web.Response:
    """The steps manifest.yml declares, with their inputs, for the page's forms."""
    declared = _sandbox(request).emu.workspace.functions.declared
    return _ok(steps=[
        {
            "callback_id": callback_id,
            "title": entry.get("title", callback_id),
            "required": (entry.get("input_parameters") or {}).get("required") or [],
            "inputs": [
                {"name": name, "title": p.get("title", name), "type": p.get("type", "string")}
                for name, p in ((entry.get("input_parameters") or {}).get("properties")
                                or {}).items()
            ],
        }
        for callback_id, entry in declared.items()
    ])


async def run_step(request: web.Request) -> web.Response:
    """Run the step with the form's inputs, as the person acting; answer how it ended."""
    sb = _sandbox(request)
    body = await _body(request)
    user = _user(sb, body)
    inputs = body.get("inputs")
    if not isinstance(inputs, dict):
        raise UserError("send the step's inputs as an object")
    try:
        execution, _ = await user.run_function(str(body.get("callback_id", "")), inputs)
    except ValueError as exc:  # inputs Workflow Builder itself would refuse
        raise UserError(str(exc)) from None
    try:
        await user.wait_function(execution, timeout=STEP_WAIT_S)
    except TimeoutError:
        raise UserError("the step has not ended yet (no complete or fail from Beacon)") from None
    return _ok(state=execution.state, outputs=execution.outputs, error=execution.error)


def build_web(sb: Sandbox) -> web.Application:
    app = web.Application(middlewares=[_errors])
    app[SANDBOX_KEY] = sb
    app.router.add_get("/", index)
    app.router.add_get("/api/state", state)
    app.router.add_get("/api/events", events)
    app.router.add_post("/api/command", command)
    app.router.add_post("/api/click", click)
    app.router.add_post("/api/select", select)
    app.router.add_post("/api/submit", submit)
    app.router.add_post("/api/close", close)
    app.router.add_post("/api/shortcut", shortcut)
    app.router.add_post("/api/home", home)
    app.router.add_post("/api/alert", alert)
    app.router.add_post("/api/seen", seen)
    app.router.add_get("/api/permalink", permalink)
    app.router.add_get("/api/files/{file_id}", file)
    app.router.add_get("/api/steps", steps)
    app.router.add_post("/api/step", run_step)
    app.router.add_static("/static/", STATIC)
    return app
