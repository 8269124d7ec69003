"""The emulator as tests and the sandbox use it: one aiohttp server in front of the workspace.

Routes: the Web API and response_url / file-upload posts go to the gateway, the Socket Mode
link to socketmode. SlackEmulator composes the parts (state.Workspace, gateway.Gateway,
socketmode.SocketMode) and keeps their API reachable from one object, as tests use it.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from aiohttp import web

from .driver import SlackUser
from .gateway import Answer, Gateway, RateLimitHit
from .models import Ack, ApiCall, Channel, User, View
from .oauth import OAuth, Page
from .socketmode import SocketMode
from .state import ResponseUrl, Trigger, Workspace

log = logging.getLogger("slack_emulator")

P = ParamSpec("P")
R = TypeVar("R")
V = TypeVar("V")


class _Via(Generic[V]):
    """An attribute of one of the emulator's parts, read and set through the emulator."""

    def __init__(self, part: str) -> None:
        self.part = part
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> _Via[V]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> V: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> V | _Via[V]:
        if obj is None:
            return self
        return getattr(getattr(obj, self.part), self.name)

    def __set__(self, obj: object, value: V) -> None:
        setattr(getattr(obj, self.part), self.name, value)


def _on(part: str, method: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """A method of one of the emulator's parts, called through the emulator."""

    @functools.wraps(method)
    def forward(self: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(getattr(self, part), *args, **kwargs)

    return forward


class SlackEmulator:
    """Local Slack: point slack_sdk/slack_bolt at `base_url` and drive it as users via `user()`.

    Its defaults are the only ones: the parts take everything they are given.
    """

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
        slash_commands: Iterable[Mapping[str, Any]] = (),
        functions: Mapping[str, Mapping[str, Any]] | None = None,
        client_id: str = "1111.2222",
        client_secret: str = "emulator-client-secret",
        redirect_urls: list[str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.workspace = Workspace(
            bot_token=bot_token,
            app_token=app_token,
            team_id=team_id,
            team_domain=team_domain,
            team_name=team_name,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            scopes=scopes,
            trigger_ttl=trigger_ttl,
            origin=f"http://{host}:{port}",
        )
        self.slash_commands = list(slash_commands)  # the manifest's features.slash_commands
        for entry in self.slash_commands:
            self.workspace.declare_command(entry["command"], entry.get("should_escape", False))
        # The manifest's `functions` (custom workflow steps): inputs and outputs are checked.
        self.workspace.functions.declare(functions or {})
        # Every team the app may be installed in; the first is `workspace`, installed.
        self.teams: dict[str, Workspace] = {team_id: self.workspace}
        self.gateway = Gateway(self.workspace, self.teams)
        self.socket = SocketMode(
            self.workspace,
            ack_timeout=ack_timeout,
            event_retry_delays=event_retry_delays,
            max_connections=max_connections,
            disconnect_grace=disconnect_grace,
            teams=self.teams,
        )
        self.oauth = OAuth(
            self.teams,
            client_id=client_id,
            client_secret=client_secret,
            redirect_urls=redirect_urls,
        )
        self._runner: web.AppRunner | None = None
        if rate_limits:
            self.gateway.enable_rate_limits(now)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._on_api)
        app.router.add_post("/response/{rid}", self._on_response_url)
        app.router.add_post("/upload/{file_id}", self._on_upload)
        app.router.add_get("/oauth/v2/authorize", self._on_authorize)
        app.router.add_get("/oauth/v2/authorize/approve", self._on_approve)
        app.router.add_get("/link/", self.socket.on_link)
        app.router.add_get("/link", self.socket.on_link)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)  # an asyncio.Server once started
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self.workspace.origin = f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        await self.socket.close()
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

    def user(self, name_or_id: str, team: str | None = None) -> SlackUser:
        """A driver acting as that human user (of the first team, or of `team`)."""
        ws = self.team(team) if team else self.workspace
        return SlackUser(ws, self.socket, ws.find_user(name_or_id))

    # --- more teams, installed by OAuth ----------------------------------------------------

    def add_team(
        self,
        team_id: str,
        team_name: str,
        team_domain: str | None = None,
        *,
        installed: bool = False,
        enterprise_id: str | None = None,
    ) -> Workspace:
        """Another workspace of this Slack, with its own bot user, people and channels; the
        app gets a bot token for it when installed (`installed=True`, or through OAuth)."""
        main = self.workspace
        ws = Workspace(
            bot_token=f"xoxb-{team_id}-uninstalled",
            app_token=main.app_token,
            team_id=team_id,
            team_domain=team_domain or team_id.lower(),
            team_name=team_name,
            bot_user_id=f"U{team_id}BOT",
            bot_id=f"B{team_id}",
            app_id=main.app_id,
            scopes=main.scopes,
            trigger_ttl=main.trigger_ttl,
            origin=main.origin,
            hub=main.hub,
            installed=False,
            enterprise_id=enterprise_id,
        )
        ws.commands = dict(main.commands)  # one app, one manifest: the same slash commands
        ws.functions.declare(main.functions.declared)  # and the same workflow steps
        self.teams[team_id] = ws
        if installed:
            self.oauth.install(ws, main.scopes)
        return ws

    def team(self, team_id: str) -> Workspace:
        try:
            return self.teams[team_id]
        except KeyError:
            raise KeyError(f"no team {team_id!r}; have {list(self.teams)}") from None

    async def uninstall(self, team_id: str) -> None:
        """The app is removed from a team: its token is revoked, then Slack sends
        tokens_revoked and app_uninstalled over Socket Mode, as it does."""
        ws = self.team(team_id)
        self.oauth.uninstall(ws)
        now = time.time()
        events: list[dict[str, Any]] = [
            {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [ws.bot_user_id]}},
            {"type": "app_uninstalled"},
        ]
        for event in events:
            payload = {
                "token": "verification-token",
                "team_id": ws.team_id,
                "enterprise_id": ws.enterprise_id,
                "api_app_id": ws.app_id,
                "event": {**event, "event_ts": f"{now:.6f}"},
                "type": "event_callback",
                "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
                "event_time": int(now),
                "authorizations": [
                    {
                        "enterprise_id": ws.enterprise_id,
                        "team_id": ws.team_id,
                        "user_id": ws.bot_user_id,
                        "is_bot": True,
                        "is_enterprise_install": ws.org_install,
                    }
                ],
            }
            await self.socket.deliver("events_api", payload)

    # --- HTTP ------------------------------------------------------------------------------

    def _json(self, answer: Answer) -> web.Response:
        hdrs = {"x-oauth-scopes": ",".join(self.workspace.scopes), **answer.headers}
        return web.json_response(
            answer.body, status=answer.status, headers=hdrs, content_type="application/json"
        )

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

    async def _on_api(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        args = await self._read_args(request)
        auth = request.headers.get("Authorization", "")
        if name == "oauth.v2.access":  # the app's client id and secret, not a token
            if auth.startswith("Basic "):
                raw = base64.b64decode(auth[6:].strip()).decode(errors="replace")
                args["client_id"], _, args["client_secret"] = raw.partition(":")
            self.gateway.calls.append(ApiCall(name, {"code": args.get("code")}, None, time.time()))
            return web.json_response(self.oauth.access(args))
        field_token = args.pop("token", None)
        token = auth[7:].strip() if auth.startswith("Bearer ") else field_token
        return self._json(await self.gateway.call(name, args, token))

    def _page(self, page: Page) -> web.Response:
        if page.location is not None:
            return web.Response(status=page.status, headers={"Location": page.location})
        return web.Response(status=page.status, text=page.body, content_type="text/html")

    async def _on_authorize(self, request: web.Request) -> web.Response:
        return self._page(self.oauth.authorize_page(dict(request.query)))

    async def _on_approve(self, request: web.Request) -> web.Response:
        return self._page(self.oauth.approve(dict(request.query)))

    async def _on_response_url(self, request: web.Request) -> web.Response:
        ru = self.gateway.response_url(request.match_info["rid"])
        if ru is None:
            return web.Response(status=404, text="expired_url")
        try:
            body = await request.json()
        except ValueError:
            form = await request.post()
            body = json.loads(str(form.get("payload", "{}")))
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        status, text, headers = self.gateway.respond(ru, body)
        return web.Response(status=status, text=text, headers=headers)

    async def _on_upload(self, request: web.Request) -> web.Response:
        status, text = self.gateway.upload(request.match_info["file_id"], await request.read())
        return web.Response(status=status, text=text)

    # --- the parts' API, reachable from the emulator ---------------------------------------

    bot_token = _Via[str]("workspace")
    app_token = _Via[str]("workspace")
    team_id = _Via[str]("workspace")
    team_domain = _Via[str]("workspace")
    team_name = _Via[str]("workspace")
    bot_user_id = _Via[str]("workspace")
    bot_id = _Via[str]("workspace")
    app_id = _Via[str]("workspace")
    scopes = _Via[list[str]]("workspace")
    trigger_ttl = _Via[float]("workspace")
    users = _Via[dict[str, User]]("workspace")
    channels = _Via[dict[str, Channel]]("workspace")
    usergroups = _Via[dict[str, list[str]]]("workspace")
    files = _Via[dict[str, dict[str, Any]]]("workspace")
    view_stacks = _Via[dict[str, list[View]]]("workspace")
    home_views = _Via[dict[str, View]]("workspace")
    triggers = _Via[dict[str, Trigger]]("workspace")
    response_urls = _Via[dict[str, ResponseUrl]]("workspace")
    tickets = _Via[set[str]]("workspace")

    new_id = _on("workspace", Workspace.new_id)
    next_ts = _on("workspace", Workspace.next_ts)
    add_user = _on("workspace", Workspace.add_user)
    add_channel = _on("workspace", Workspace.add_channel)
    add_usergroup = _on("workspace", Workspace.add_usergroup)
    declare_command = _on("workspace", Workspace.declare_command)
    channel_by_name = _on("workspace", Workspace.channel_by_name)
    dm_channel = _on("workspace", Workspace.dm_channel)
    find_user = _on("workspace", Workspace.find_user)
    notify = _on("workspace", Workspace.notify)
    post_message = _on("workspace", Workspace.post_message)
    add_reaction = _on("workspace", Workspace.add_reaction)
    add_ephemeral = _on("workspace", Workspace.add_ephemeral)
    ephemerals = _on("workspace", Workspace.ephemerals)
    issue_trigger = _on("workspace", Workspace.issue_trigger)
    new_response_url = _on("workspace", Workspace.new_response_url)
    new_view = _on("workspace", Workspace.new_view)
    replace_view = _on("workspace", Workspace.replace_view)
    all_views = _on("workspace", Workspace.all_views)
    messages = _on("workspace", Workspace.messages)
    thread = _on("workspace", Workspace.thread)
    message = _on("workspace", Workspace.message)
    dms = _on("workspace", Workspace.dms)
    wait_for = _on("workspace", Workspace.wait_for)
    wait_message = _on("workspace", Workspace.wait_message)

    calls = _Via[list[ApiCall]]("gateway")
    rate_limited = _Via[list[RateLimitHit]]("gateway")
    call_counts = _Via[Counter[tuple[str, str | None]]]("gateway")
    rate_limits_enabled = _Via[bool]("gateway")
    rate_limit = _on("gateway", Gateway.rate_limit)
    fail_method = _on("gateway", Gateway.fail_method)
    clear_faults = _on("gateway", Gateway.clear_faults)
    enable_rate_limits = _on("gateway", Gateway.enable_rate_limits)
    disable_rate_limits = _on("gateway", Gateway.disable_rate_limits)
    rate_limits_drawn = _on("gateway", Gateway.rate_limits_drawn)
    calls_to = _on("gateway", Gateway.calls_to)

    acks = _Via[list[Ack]]("socket")
    envelopes = _Via[list[dict[str, Any]]]("socket")
    ack_timeout = _Via[float]("socket")
    event_retry_delays = _Via[list[float]]("socket")
    max_connections = _Via[int]("socket")
    disconnect_grace = _Via[float]("socket")
    connections = _Via[int]("socket")
    wait_connected = _on("socket", SocketMode.wait_connected)
    deliver = _on("socket", SocketMode.deliver)
    redeliver = _on("socket", SocketMode.redeliver)
    disconnect_all = _on("socket", SocketMode.disconnect_all)
