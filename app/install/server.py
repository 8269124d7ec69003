"""GET /slack/install and GET /slack/oauth_redirect on INSTALL_HOST:INSTALL_PORT: Bolt's
AsyncOAuthFlow with the Redis stores, Beacon's own success and failure pages.

Only the installing admin's browser reaches these pages; Slack never calls them, so this works
behind a firewall next to Socket Mode.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

from aiohttp import web
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.web.async_client import AsyncWebClient

from app.settings import Settings, StartupError
from app.store.installations import InstallationStore, OAuthStateStore

log = logging.getLogger("beacon.install")

# The bot scopes of manifest.yml (tests/test_install_pages.py keeps them equal).
BOT_SCOPES = (
    "chat:write", "chat:write.public", "commands", "channels:read", "channels:manage",
    "channels:history", "groups:read", "groups:write", "groups:history", "im:write",
    "users:read", "users:read.email", "usergroups:read", "bookmarks:write", "reactions:read",
    "reactions:write", "pins:write", "files:write",
)
STATE_TTL_S = 600

# Why an install failed, in the admin's words, with what to do next.
FAILURES = {
    "access_denied": "The installation was cancelled on Slack's page.",
    "invalid_browser": "This page was opened in another browser than the one that started the "
                       "install, or the install took longer than 10 minutes.",
    "invalid_state": "This install link was already used or has expired.",
    "missing_code": "Slack sent no authorization code.",
    "invalid_code": "Slack did not accept the authorization code: it was already used or has "
                    "expired.",
    "storage_error": "Beacon could not save the installation (is Redis up?).",
}

OnInstalled = Callable[[Installation], Awaitable[None]]


def _page(title: str, body: str, status: int = 200) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body style='font-family:sans-serif;max-width:40em;margin:3em auto'>"
        f"<h1>{title}</h1>{body}</body></html>",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )


def _install_page(url: str) -> str:
    return (
        "<p>Add Beacon to a Slack workspace: Slack asks you to pick the workspace and allow "
        "what Beacon needs.</p>"
        f'<p><a id="add-to-slack" href="{html.escape(url)}">Add to Slack</a></p>'
    )


class BeaconOAuthFlow(AsyncOAuthFlow):
    """Bolt's flow with Beacon's install page (the rest is Bolt's: state in a cookie and in
    Redis, oauth.v2.access, the installation saved)."""

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        return _install_page(url)


def build_flow(
    settings: Settings,
    installations: InstallationStore,
    states: OAuthStateStore,
    client: AsyncWebClient,
    on_installed: OnInstalled,
) -> BeaconOAuthFlow:
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        inst = args.installation
        await on_installed(inst)
        where = inst.enterprise_name if inst.is_enterprise_install else inst.team_name
        key = inst.enterprise_id if inst.is_enterprise_install else inst.team_id
        log.info("installed in %s (%s) by %s", where, key, inst.user_id)
        return _page(
            f"Beacon is installed in {html.escape(where or key or 'your workspace')}",
            "<p>What to do next:</p><ol>"
            "<li>Invite Beacon to your incident channels: <code>/invite @Beacon</code>.</li>"
            "<li>Run <code>/incident</code> in any channel to declare one.</li>"
            "<li>Settings for this workspace only go under <code>workspaces: "
            f"{html.escape(key or '')}:</code> in beacon.yml; without them it uses the "
            "file's top level.</li></ol>"
            '<p><a href="install">Add Beacon to another workspace</a></p>',
        )

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        reason = args.reason
        log.warning("install failed: %s%s", reason, f" ({args.error})" if args.error else "")
        status = args.suggested_status_code
        return _page(
            "Beacon was not installed",
            f"<p id=reason>{html.escape(FAILURES.get(reason, reason))}</p>"
            '<p><a href="install">Start again</a></p>',
            503 if status >= 500 else status,  # no 500s: the page says what went wrong
        )

    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.redirect_uri,
        redirect_uri_path=urlparse(settings.redirect_uri).path or "/slack/oauth_redirect",
        authorization_url=settings.authorize_url,
        installation_store=installations,
        state_store=states,
        state_expiration_seconds=STATE_TTL_S,
        callback_options=AsyncCallbackOptions(success=success, failure=failure),
        logger=log,
    )
    return BeaconOAuthFlow(client=client, settings=oauth, logger=log)


async def _to_bolt(request: web.Request) -> AsyncBoltRequest:
    return AsyncBoltRequest(
        body="", query=request.query_string, headers=dict(request.headers)
    )


def _to_aiohttp(request: web.Request, resp: BoltResponse) -> web.Response:
    out = web.Response(
        status=resp.status,
        body=resp.body,
        headers=resp.first_headers_without_set_cookie(),
    )
    for cookie in resp.cookies():
        for name, c in cookie.items():
            out.set_cookie(
                name, c.value, max_age=c.get("max-age"), path=c.get("path") or "/",
                # Secure only over https: a browser on http://127.0.0.1 must send it back.
                secure=request.secure, httponly=True, samesite="Lax",
            )
    return out


class InstallServer:
    """The install pages' HTTP server (aiohttp)."""

    def __init__(self, flow: BeaconOAuthFlow, host: str, port: int) -> None:
        self.flow = flow
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def _install(self, request: web.Request) -> web.Response:
        return _to_aiohttp(request, await self.flow.handle_installation(await _to_bolt(request)))

    async def _redirect(self, request: web.Request) -> web.Response:
        return _to_aiohttp(request, await self.flow.handle_callback(await _to_bolt(request)))

    async def _home(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(self.flow.install_path)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(self.flow.install_path, self._install)
        app.router.add_get(self.flow.redirect_uri_path, self._redirect)
        app.router.add_get("/", self._home)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise StartupError(
                f"INSTALL_PORT {self.port} on {self.host} is not available ({exc.strerror}): "
                "pick a free port"
            ) from None
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("add Beacon to a workspace at http://%s:%s%s", self.host, self.port,
                 self.flow.install_path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
