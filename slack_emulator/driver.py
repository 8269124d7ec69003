"""Test-facing driver: a SlackUser clicks, types and submits the way the Slack client would."""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .escaping import escape_command_text
from .functions import FunctionRun
from .models import Ack, Message, User, View, find_buttons, iter_elements
from .socketmode import SocketMode
from .state import Workspace

TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
SELECTABLE = {"static_select", "overflow", "radio_buttons", "multi_static_select", "checkboxes"}


class DriverError(AssertionError):
    """The simulated user could not do what the test asked (label missing, no ack ...)."""


@dataclass
class CommandResult:
    ack: Ack
    text: str | None
    payload: dict[str, Any]


@dataclass
class ActionResult:
    ack: Ack | None
    payload: dict[str, Any]
    confirm: dict[str, Any] | None = None  # the button's confirm dialog the user saw


@dataclass
class SubmitResult:
    ack: Ack
    response_action: str | None
    view: View
    errors: dict[str, str] = field(default_factory=dict)
    errors_by_label: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)


def _label(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def _options(el: dict[str, Any]) -> list[dict[str, Any]]:
    opts = list(el.get("options") or [])
    for group in el.get("option_groups") or []:
        opts += group.get("options") or []
    return opts


def _pick_option(el: dict[str, Any], label: str) -> dict[str, Any]:
    for opt in _options(el):
        if _label(opt.get("text")) == label:
            return copy.deepcopy(opt)
    have = [_label(o.get("text")) for o in _options(el)]
    raise DriverError(f"option {label!r} not found; options are {have}")


def initial_state(el: dict[str, Any]) -> dict[str, Any]:
    """The state Slack reports for an element the user has not touched."""
    t = el.get("type", "")
    if t in TEXT_INPUTS:
        return {"type": t, "value": el.get("initial_value")}
    if t in ("static_select", "radio_buttons"):
        return {"type": t, "selected_option": el.get("initial_option")}
    if t in ("multi_static_select", "checkboxes"):
        return {"type": t, "selected_options": el.get("initial_options") or []}
    simple = {
        "users_select": ("selected_user", "initial_user"),
        "multi_users_select": ("selected_users", "initial_users"),
        "conversations_select": ("selected_conversation", "initial_conversation"),
        "channels_select": ("selected_channel", "initial_channel"),
        "datepicker": ("selected_date", "initial_date"),
        "timepicker": ("selected_time", "initial_time"),
    }
    if t in simple:
        key, init = simple[t]
        default: Any = [] if t.startswith("multi_") else None
        return {"type": t, key: el.get(init, default)}
    return {"type": t}


def _is_empty(state: dict[str, Any]) -> bool:
    values = [v for k, v in state.items() if k != "type"]
    return all(v in (None, "", []) for v in values)


class SlackUser:
    """One human in the workspace. Every interaction waits for the app's ack."""

    def __init__(self, workspace: Workspace, socket: SocketMode, user: User) -> None:
        self.workspace = workspace
        self.socket = socket  # what the Slack client sends goes out over Socket Mode
        self.user = user

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    # --- payload pieces --------------------------------------------------------------------

    def _user_obj(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.name,
            "name": self.name,
            "team_id": self.workspace.team_id,
        }

    def _team(self) -> dict[str, Any]:
        return {"id": self.workspace.team_id, "domain": self.workspace.team_domain}

    def _common(self, ptype: str) -> dict[str, Any]:
        return {
            "type": ptype,
            "user": self._user_obj(),
            "api_app_id": self.workspace.app_id,
            "token": "verification-token",
            "team": self._team(),
            "enterprise": self._enterprise(),
            "is_enterprise_install": self.workspace.org_install,
        }

    def _enterprise(self) -> dict[str, Any] | None:
        """The Enterprise Grid org of the workspace, as interaction payloads carry it."""
        org = self.workspace.enterprise_id
        return {"id": org, "name": org} if org else None

    def _channel_obj(self, channel_id: str) -> dict[str, Any]:
        ch = self.workspace.channels[channel_id]
        return {"id": ch.id, "name": ch.name or "directmessage"}

    @staticmethod
    def _action_ts() -> str:
        return f"{time.time():.6f}"

    async def _interact(self, payload: dict[str, Any], what: str) -> Ack:
        ack = await self.socket.deliver("interactive", payload)
        if ack is None:
            raise DriverError(
                f"no ack for {what} within {self.socket.ack_timeout}s "
                "(no matching listener, or the app is too slow)"
            )
        return ack

    # --- slash commands and shortcuts ------------------------------------------------------

    async def slash_command(
        self, command: str, text: str = "", channel: str | None = None
    ) -> CommandResult:
        """Type `/command text` in a conversation; Slack rewrites the text as the command's
        `should_escape` says (escaping.py) and the app gets it over Socket Mode."""
        ws = self.workspace
        cid = channel or ws.dm_channel(self.id).id
        if cid not in ws.channels:
            raise DriverError(f"unknown channel {cid}")
        if ws.commands and command not in ws.commands:
            raise DriverError(f"{command} is not a valid command; the app has {list(ws.commands)}")
        sent = escape_command_text(
            text, ws.users.values(), ws.channels.values(), ws.commands.get(command, False)
        )
        ch = self._channel_obj(cid)
        payload = {
            "token": "verification-token",
            "team_id": self.workspace.team_id,
            "team_domain": self.workspace.team_domain,
            "channel_id": cid,
            "channel_name": ch["name"],
            "user_id": self.id,
            "user_name": self.name,
            "command": command,
            "text": sent,
            "api_app_id": self.workspace.app_id,
            **({"enterprise_id": ws.enterprise_id, "enterprise_name": ws.enterprise_id}
               if ws.enterprise_id else {}),
            "is_enterprise_install": "true" if ws.org_install else "false",
            "response_url": self.workspace.new_response_url(self.id, cid, None),
            "trigger_id": self.workspace.issue_trigger(self.id),
        }
        ack = await self.socket.deliver("slash_commands", payload)
        if ack is None:
            raise DriverError(f"no ack for {command} within {self.socket.ack_timeout}s")
        if ack.errors:
            raise DriverError(f"{command}: Slack refused the ack's body: {ack.errors}")
        body = ack.payload or {}
        return CommandResult(ack, body.get("text"), payload)

    async def global_shortcut(self, callback_id: str) -> ActionResult:
        payload = {
            **self._common("shortcut"),
            "action_ts": self._action_ts(),
            "callback_id": callback_id,
            "trigger_id": self.workspace.issue_trigger(self.id),
        }
        return ActionResult(await self._interact(payload, f"shortcut {callback_id}"), payload)

    async def message_shortcut(self, callback_id: str, channel: str, ts: str) -> ActionResult:
        msg = self.workspace.message(channel, ts)
        if msg is None:
            raise DriverError(f"no message {ts} in {channel}")
        payload = {
            **self._common("message_action"),
            "action_ts": self._action_ts(),
            "callback_id": callback_id,
            "trigger_id": self.workspace.issue_trigger(self.id),
            "channel": self._channel_obj(msg.channel),
            "message_ts": msg.ts,
            "message": msg.to_api(),
            "response_url": self.workspace.new_response_url(self.id, msg.channel, msg.ts),
        }
        return ActionResult(
            await self._interact(payload, f"message shortcut {callback_id}"), payload
        )

    # --- block actions ---------------------------------------------------------------------

    def _target_blocks(self, target: Message | View) -> list[dict[str, Any]]:
        if isinstance(target, View):
            return target.blocks
        return [b for _p, b in target.all_blocks()]

    def _block_actions(self, target: Message | View, action: dict[str, Any]) -> dict[str, Any]:
        payload = self._common("block_actions")
        payload["trigger_id"] = self.workspace.issue_trigger(self.id)
        if isinstance(target, View):
            payload["container"] = {"type": "view", "view_id": target.id}
            view = target.to_api()
            view["state"] = {"values": self._view_values(target, inputs_only=False)}
            payload["view"] = view
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": target.ts,
                "channel_id": target.channel,
                "is_ephemeral": target.ephemeral,
            }
            payload["channel"] = self._channel_obj(target.channel)
            payload["message"] = target.to_api()
            payload["state"] = {"values": self._message_values(target)}
            payload["response_url"] = self.workspace.new_response_url(
                self.id, target.channel, target.ts
            )
        payload["actions"] = [action]
        return payload

    def _message_values(self, msg: Message) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for block, el in iter_elements(self._target_blocks(msg)):
            if block.get("type") == "input" and el.get("action_id"):
                values.setdefault(block.get("block_id", ""), {})[el["action_id"]] = initial_state(
                    el
                )
        return values

    async def click(
        self, target: Message | View, label: str, *, confirm: bool = True
    ) -> ActionResult:
        """Click the button labelled `label` in a message (incl. attachments) or a view.

        A button with a `confirm` dialog is sent only when the user confirms (the default);
        `confirm=False` presses the dialog's deny button: Slack sends nothing.
        """
        buttons = find_buttons(self._target_blocks(target))
        match = next(((b, e) for text, b, e in buttons if text == label), None)
        if match is None:
            raise DriverError(f"no button {label!r}; buttons are {[t for t, _b, _e in buttons]}")
        block, el = match
        dialog = copy.deepcopy(el.get("confirm"))
        if dialog is not None and not confirm:
            return ActionResult(None, {}, dialog)
        action = {
            "action_id": el.get("action_id", ""),
            "block_id": block.get("block_id", ""),
            "text": copy.deepcopy(el.get("text")),
            "type": "button",
            "action_ts": self._action_ts(),
        }
        for key in ("value", "style", "url"):
            if key in el:
                action[key] = el[key]
        payload = self._block_actions(target, action)
        return ActionResult(await self._interact(payload, f"click {label!r}"), payload, dialog)

    async def select(
        self,
        target: Message | View,
        option_label: str,
        *,
        placeholder: str | None = None,
        block_id: str | None = None,
    ) -> ActionResult:
        """Pick an option in a static_select / overflow / radio group outside input blocks."""
        candidates = [
            (b, e)
            for b, e in iter_elements(self._target_blocks(target))
            if e.get("type") in SELECTABLE
            and b.get("type") != "input"
            and (placeholder is None or _label(e.get("placeholder")) == placeholder)
            and (block_id is None or b.get("block_id") == block_id)
        ]
        if not candidates:
            raise DriverError("no select menu matches (placeholder/block_id) in target")
        for block, el in candidates:  # noqa: B007 - block is used after the loop
            labels = [_label(o.get("text")) for o in _options(el)]
            if option_label in labels:
                break
        else:
            have = [[_label(o.get("text")) for o in _options(e)] for _b, e in candidates]
            raise DriverError(f"option {option_label!r} not found; select menus offer {have}")
        option = _pick_option(el, option_label)
        etype = el["type"]
        if isinstance(target, View) and etype != "overflow":
            # Selections in a view are part of its state, as in the static-select sample.
            key = (
                "selected_options"
                if etype in ("checkboxes", "multi_static_select")
                else ("selected_option")
            )
            value = [option] if key == "selected_options" else option
            target.values.setdefault(block.get("block_id", ""), {})[el.get("action_id", "")] = {
                "type": etype,
                key: value,
            }
        action: dict[str, Any] = {
            "type": etype,
            "action_id": el.get("action_id", ""),
            "block_id": block.get("block_id", ""),
            "action_ts": self._action_ts(),
        }
        if etype in ("checkboxes", "multi_static_select"):
            action["selected_options"] = [option]
        else:
            action["selected_option"] = option
        if "placeholder" in el:
            action["placeholder"] = copy.deepcopy(el["placeholder"])
        payload = self._block_actions(target, action)
        return ActionResult(await self._interact(payload, f"select {option_label!r}"), payload)

    # --- ephemerals ------------------------------------------------------------------------

    def ephemerals(self, channel: str | None = None) -> list[Message]:
        return self.workspace.ephemerals(self.id, channel)

    async def wait_ephemeral(
        self,
        contains: str,
        channel: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Message:
        def find() -> Message | None:
            return next((m for m in self.ephemerals(channel) if contains in m.all_text()), None)

        try:
            return await self.workspace.wait_for(find, timeout)
        except TimeoutError:
            have = [m.all_text()[:80] for m in self.ephemerals(channel)]
            raise DriverError(f"no ephemeral containing {contains!r}; have {have}") from None

    # --- views -----------------------------------------------------------------------------

    @property
    def views(self) -> list[View]:
        return list(self.workspace.view_stacks.get(self.id, []))

    def current_view(self) -> View | None:
        stack = self.workspace.view_stacks.get(self.id) or []
        return stack[-1] if stack else None

    def _require_view(self) -> View:
        view = self.current_view()
        if view is None:
            raise DriverError(f"{self.name} has no open modal")
        return view

    def _input_block(self, view: View, label: str) -> dict[str, Any]:
        for block in view.blocks:
            if block.get("type") == "input" and _label(block.get("label")) == label:
                return block
        raise DriverError(f"no input labelled {label!r}; labels are {view.input_labels()}")

    async def fill(self, labels: dict[str, Any]) -> None:
        """Type into / pick in the current modal's inputs, found by their label text."""
        view = self._require_view()
        for label, value in labels.items():
            block = self._input_block(view, label)
            el = block.get("element") or {}
            view.values.setdefault(block.get("block_id", ""), {})[el.get("action_id", "")] = (
                self._state_for(el, value, label)
            )
        self.workspace.notify()

    def _state_for(self, el: dict[str, Any], value: Any, label: str) -> dict[str, Any]:
        t = el.get("type", "")
        if t in TEXT_INPUTS:
            text = str(value)
            if el.get("max_length") and len(text) > int(el["max_length"]):
                raise DriverError(f"{label!r} allows at most {el['max_length']} characters")
            return {"type": t, "value": text}
        if t in ("static_select", "radio_buttons"):
            return {"type": t, "selected_option": _pick_option(el, str(value))}
        if t in ("checkboxes", "multi_static_select"):
            return {"type": t, "selected_options": [_pick_option(el, str(v)) for v in value]}
        if t in ("users_select", "multi_users_select"):
            ids = [value] if t == "users_select" else list(value)
            for uid in ids:
                if uid not in self.workspace.users:
                    raise DriverError(f"unknown user {uid!r} for {label!r}")
            if t == "users_select":
                return {"type": t, "selected_user": value}
            return {"type": t, "selected_users": ids}
        keys = {
            "datepicker": "selected_date",
            "timepicker": "selected_time",
            "conversations_select": "selected_conversation",
            "channels_select": "selected_channel",
        }
        if t in keys:
            return {"type": t, keys[t]: value}
        raise DriverError(f"element type {t!r} of {label!r} is not supported by fill()")

    def _view_values(self, view: View, inputs_only: bool = True) -> dict[str, Any]:
        """state.values as Slack sends it: every input (touched or not) plus touched selects."""
        values: dict[str, Any] = {}
        for block in view.blocks:
            el = block.get("element")
            if block.get("type") == "input" and isinstance(el, dict):
                bid, aid = block.get("block_id", ""), el.get("action_id", "")
                state = view.values.get(bid, {}).get(aid) or initial_state(el)
                values.setdefault(bid, {})[aid] = copy.deepcopy(state)
        for bid, acts in view.values.items():
            for aid, state in acts.items():
                values.setdefault(bid, {}).setdefault(aid, copy.deepcopy(state))
        return values

    async def submit(self) -> SubmitResult:
        """Press the modal's submit button and apply the app's response_action."""
        view = self._require_view()
        if view.type != "modal" or not view.body.get("submit"):
            raise DriverError(f"view {view.title!r} has no submit button")
        values = self._view_values(view)
        missing = [
            _label(b.get("label"))
            for b in view.blocks
            if b.get("type") == "input"
            and not b.get("optional")
            and _is_empty(
                values[b.get("block_id", "")][(b.get("element") or {}).get("action_id", "")]
            )
        ]
        if missing:
            # The Slack client refuses to submit with required fields empty.
            raise DriverError(f"required fields are empty: {missing}")
        api_view = view.to_api()
        api_view["state"] = {"values": values}
        payload = {
            **self._common("view_submission"),
            "trigger_id": self.workspace.issue_trigger(self.id),
            "view": api_view,
            "response_urls": [],
        }
        ack = await self._interact(payload, f"submit of {view.callback_id or view.title!r}")
        body = ack.payload or {}
        action = body.get("response_action")
        result = SubmitResult(ack, action, view, payload=payload)
        stack = self.workspace.view_stacks.setdefault(self.id, [])
        if ack.errors:
            # Slack keeps the modal as it was and shows the user an error.
            raise DriverError(f"response_action {action} refused by Slack: {ack.errors}")
        if action == "errors":
            result.errors = dict(body.get("errors") or {})
            labels = {b.get("block_id"): _label(b.get("label")) for b in view.blocks}
            result.errors_by_label = {labels.get(k) or k: v for k, v in result.errors.items()}
        elif action in ("update", "push"):
            new = body.get("view")
            assert isinstance(new, dict)
            if action == "update":
                self.workspace.replace_view(view, new)
            else:
                if len(stack) >= 3:
                    raise DriverError("push_limit_reached: root + 2 views already open")
                stack.append(
                    self.workspace.new_view(self.id, new, root=view.root_view_id, previous=view.id)
                )
        elif action == "clear":
            stack.clear()
        else:
            if view in stack:
                stack.remove(view)
        self.workspace.notify()
        return result

    async def close_view(self) -> Ack | None:
        """Press Close/Cancel: pops the top view; sends view_closed only if notify_on_close."""
        view = self._require_view()
        stack = self.workspace.view_stacks[self.id]
        stack.remove(view)
        self.workspace.notify()
        if not view.notify_on_close:
            return None
        payload = {**self._common("view_closed"), "view": view.to_api(), "is_cleared": False}
        return await self.socket.deliver("interactive", payload)

    # --- reactions -------------------------------------------------------------------------

    async def react(self, message: Message, name: str) -> Ack | None:
        """Add an emoji reaction; the app gets `reaction_added` (if it has reactions:read)."""
        name = name.strip(":")
        msg = self.workspace.message(message.channel, message.ts)
        if msg is None:
            raise DriverError(f"no message {message.ts} in {message.channel}")
        if not self.workspace.add_reaction(msg, self.id, name):
            raise DriverError(f"{self.name} already reacted :{name}: to that message")
        if "reactions:read" not in self.workspace.scopes:
            return None  # Slack sends reaction events only to apps with the scope
        now = time.time()
        event: dict[str, Any] = {
            "type": "reaction_added",
            "user": self.id,
            "reaction": name,
            "item": {"type": "message", "channel": msg.channel, "ts": msg.ts},
            "event_ts": f"{now:.6f}",
        }
        if msg.user:
            event["item_user"] = msg.user
        return await self.socket.deliver("events_api", self._event_callback(event, now))

    def _event_callback(self, event: dict[str, Any], now: float) -> dict[str, Any]:
        return {
            "token": "verification-token",
            "team_id": self.workspace.team_id,
            "api_app_id": self.workspace.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(now),
            "enterprise_id": self.workspace.enterprise_id,
            "authorizations": [
                {
                    "enterprise_id": self.workspace.enterprise_id,
                    "team_id": self.workspace.team_id,
                    "user_id": self.workspace.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": self.workspace.org_install,
                }
            ],
            "is_ext_shared_channel": False,
        }

    # --- App Home --------------------------------------------------------------------------

    async def open_app_home(self) -> Ack | None:
        """Deliver app_home_opened (tab home); returns the Ack or None if the app ignored it."""
        now = time.time()
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": self.id,
            "channel": self.workspace.dm_channel(self.id).id,
            "tab": "home",
            "event_ts": f"{now:.6f}",
        }
        home = self.workspace.home_views.get(self.id)
        if home is not None:
            event["view"] = home.to_api()
        return await self.socket.deliver("events_api", self._event_callback(event, now))

    def home_view(self) -> View | None:
        return self.workspace.home_views.get(self.id)

    # --- workflow steps --------------------------------------------------------------------

    async def run_function(
        self, callback_id: str, inputs: dict[str, Any], *, wait_ack: bool = True
    ) -> tuple[FunctionRun, Ack | None]:
        """Run a workflow that reaches the app's custom step `callback_id` with `inputs` (as
        the workflow maps them): the app gets `function_executed` with the execution's
        bot_access_token. Returns the execution (see `wait_function`) and the ack."""
        ws = self.workspace
        run = ws.functions.start(callback_id, inputs, self.id)
        now = time.time()
        event: dict[str, Any] = {
            "type": "function_executed",
            "function": ws.functions.function_object(ws.app_id, callback_id),
            "inputs": dict(inputs),
            "function_execution_id": run.execution_id,
            "workflow_execution_id": "Wx" + uuid.uuid4().hex[:10].upper(),
            "event_ts": f"{now:.6f}",
            "bot_access_token": run.token,
        }
        ack = await self.socket.deliver(
            "events_api", self._event_callback(event, now), wait_ack=wait_ack
        )
        return run, ack

    async def wait_function(self, run: FunctionRun, timeout: float = 10.0) -> FunctionRun:  # noqa: ASYNC109
        """The execution once the app has completed or failed it."""
        return await self.workspace.wait_for(lambda: None if run.running else run, timeout)

