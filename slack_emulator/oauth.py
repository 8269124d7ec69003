"""Installing the app by OAuth v2, Slack's side: the authorize page a browser opens, the
redirect back with a one-time code, and oauth.v2.access trading that code for the team's bot
token. Refuses what Slack refuses: an unknown client, a redirect URL the app did not register,
a code used twice, expired or issued to another redirect_uri, a wrong client secret.
"""

from __future__ import annotations

import html
import itertools
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .state import Workspace

CODE_TTL_S = 600.0  # Slack's codes expire after ten minutes


@dataclass
class Grant:
    code: str
    team_id: str
    user_id: str
    scopes: list[str]
    redirect_uri: str
    issued_at: float
    used: bool = False


@dataclass
class Page:
    """An HTTP answer to the browser: a page, or a redirect when `location` is set."""

    status: int
    body: str = ""
    location: str | None = None


class OAuth:
    """The app's OAuth credentials and the codes issued to browsers."""

    def __init__(
        self,
        teams: dict[str, Workspace],
        *,
        client_id: str,
        client_secret: str,
        redirect_urls: list[str] | None = None,
    ) -> None:
        self.teams = teams
        self.client_id = client_id
        self.client_secret = client_secret
        # The app's registered Redirect URLs; None accepts any (the sandbox's random ports).
        self.redirect_urls = redirect_urls
        self.grants: dict[str, Grant] = {}
        self._tokens = itertools.count(1)

    # --- the browser -----------------------------------------------------------------------

    def _check(self, query: dict[str, str]) -> str | None:
        if query.get("client_id") != self.client_id:
            return "invalid_client_id"
        redirect = query.get("redirect_uri", "")
        if self.redirect_urls is not None and redirect and redirect not in self.redirect_urls:
            return "bad_redirect_uri"
        if not redirect and not self.redirect_urls:
            return "bad_redirect_uri"  # nowhere to send the browser back to
        if not query.get("scope"):
            return "invalid_scope"
        return None

    def authorize_page(self, query: dict[str, str]) -> Page:
        """GET /oauth/v2/authorize: one Allow link per team (or the one `team` names)."""
        error = self._check(query)
        if error:
            return Page(400, f"<h1>Something went wrong</h1><p id=error>{error}</p>")
        teams = [t for t in self.teams.values() if query.get("team") in (None, t.team_id)]
        scopes = html.escape(query["scope"])
        links = "".join(
            f'<li><a id="allow-{t.team_id}" href="/oauth/v2/authorize/approve?'
            f'{html.escape(urlencode({**query, "team": t.team_id}))}">Allow</a> '
            f"Beacon in {html.escape(t.team_name)}</li>"
            for t in teams
        )
        # An Enterprise Grid org: install once for all its workspaces (an org admin's choice).
        links += "".join(
            f'<li><a id="allow-{org}" href="/oauth/v2/authorize/approve?'
            f'{html.escape(urlencode({**query, "team": org}))}">Allow</a> '
            f"Beacon in every workspace of the org {html.escape(org)}</li>"
            for org in self.orgs() if query.get("team") in (None, org)
        )
        cancel = html.escape(urlencode({**query, "deny": "1"}))
        return Page(
            200,
            f"<h1>Beacon is requesting permission</h1><p id=scopes>{scopes}</p><ul>{links}</ul>"
            f'<a id="cancel" href="/oauth/v2/authorize/approve?{cancel}">Cancel</a>',
        )

    def approve(self, query: dict[str, str]) -> Page:
        """The Allow (or Cancel) link: back to the app's redirect URL with a code, or an error."""
        error = self._check(query)
        org = self.org_teams(query.get("team", ""))
        team = self.teams.get(query.get("team", "")) or (org[0] if org else None)
        if error or team is None:
            return Page(400, f"<p id=error>{error or 'team_not_found'}</p>")
        redirect = query.get("redirect_uri") or (self.redirect_urls or [""])[0]
        back: dict[str, str] = {"state": query.get("state", "")}
        if query.get("deny"):
            back["error"] = "access_denied"
        else:
            installer = query.get("user") or next(
                u.id for u in team.users.values() if not u.is_bot
            )
            grantee = query["team"] if org else team.team_id  # an org-wide install: the org
            code = f"{grantee}.{secrets.token_hex(12)}"
            self.grants[code] = Grant(
                code, grantee, installer, query["scope"].split(","),
                query.get("redirect_uri", ""), time.monotonic(),
            )
            back["code"] = code
        sep = "&" if "?" in redirect else "?"
        return Page(302, location=redirect + sep + urlencode(back))

    # --- oauth.v2.access -------------------------------------------------------------------

    def access(self, args: dict[str, Any]) -> dict[str, Any]:
        """Trade a code for the team's bot token (the answer's body, with `ok`)."""
        if args.get("client_id") != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if args.get("client_secret") != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        grant = self.grants.get(str(args.get("code") or ""))
        if grant is None or grant.used or time.monotonic() - grant.issued_at > CODE_TTL_S:
            return {"ok": False, "error": "invalid_code"}
        if (args.get("redirect_uri") or "") != grant.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        grant.used = True
        org = self.org_teams(grant.team_id)
        if org:
            return self._access_org(grant, org)
        ws = self.teams[grant.team_id]
        self.install(ws, grant.scopes)
        return {
            "ok": True,
            "access_token": ws.bot_token,
            "token_type": "bot",
            "scope": ",".join(ws.scopes),
            "bot_user_id": ws.bot_user_id,
            "app_id": ws.app_id,
            "team": {"id": ws.team_id, "name": ws.team_name},
            "enterprise": {"id": ws.enterprise_id, "name": ws.enterprise_id}
            if ws.enterprise_id else None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.user_id},
        }

    # --- Enterprise Grid -------------------------------------------------------------------

    def orgs(self) -> list[str]:
        """The enterprise ids of the orgs some team belongs to."""
        return sorted({t.enterprise_id for t in self.teams.values() if t.enterprise_id})

    def org_teams(self, enterprise_id: str) -> list[Workspace]:
        """The workspaces of an org (none when `enterprise_id` is not one)."""
        return [t for t in self.teams.values()
                if enterprise_id and t.enterprise_id == enterprise_id]

    def _access_org(self, grant: Grant, teams: list[Workspace]) -> dict[str, Any]:
        """An org-wide install: one bot token for every workspace of the org, as Slack answers
        it (no team, the enterprise, is_enterprise_install)."""
        self.install_org(grant.team_id, grant.scopes)
        first = teams[0]
        return {
            "ok": True,
            "access_token": first.bot_token,
            "token_type": "bot",
            "scope": ",".join(first.scopes),
            "bot_user_id": first.bot_user_id,
            "app_id": first.app_id,
            "team": None,
            "enterprise": {"id": grant.team_id, "name": grant.team_id},
            "is_enterprise_install": True,
            "authed_user": {"id": grant.user_id},
        }

    def install_org(self, enterprise_id: str, scopes: list[str]) -> str:
        """The app installed org-wide: every workspace of the org shares one bot token (a
        working one is kept on reinstall). Returns it."""
        teams = self.org_teams(enterprise_id)
        tokens = {t.bot_token for t in teams if t.installed and t.org_install}
        token = next(iter(tokens)) if len(tokens) == 1 else ""
        if not token or any(token in t.revoked_tokens for t in teams):
            token = f"xoxb-{enterprise_id}-{next(self._tokens)}-{secrets.token_hex(6)}"
        for ws in teams:
            ws.bot_token, ws.installed, ws.org_install = token, True, True
            ws.scopes = list(scopes)
            ws.notify()
        return token

    def install(self, ws: Workspace, scopes: list[str]) -> None:
        """The app is (again) installed in `ws`: a bot token that works, the scopes granted.
        A reinstall keeps a working token, as Slack does."""
        if not ws.installed or ws.bot_token in ws.revoked_tokens:
            ws.bot_token = f"xoxb-{ws.team_id}-{next(self._tokens)}-{secrets.token_hex(6)}"
        ws.installed = True
        ws.scopes = list(scopes)
        ws.notify()

    def uninstall(self, ws: Workspace) -> str:
        """The app is removed from `ws`: its bot token stops working. Returns that token."""
        token = ws.bot_token
        ws.installed = False
        ws.revoked_tokens.add(token)
        ws.notify()
        return token
