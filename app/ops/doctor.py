"""`python -m app doctor`: checks an install end to end, one line per check with its fix.

Exit status 0 only when every check passes, so it can gate a deploy. Also `python -m app config
check`, which validates the config and prints where each service x severity lands.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from app.clock import SystemClock
from app.config import SEVERITY_ORDER, BeaconConfig, EventKind, load_config
from app.domain.escalation import start_levels
from app.domain.routing import event_enabled, route
from app.settings import _HOW_TO, APPS_PAGE, Mode, Settings, StartupError, load_settings
from app.store.connect import MemoryFacts, ServerProbe, connect
from app.store.installations import InstallationStore, Sealer, SecretKeyError, split_owner
from app.store.keys import Keys
from views import doctor as doctor_views

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
MIN_REDIS = (6, 2)  # XAUTOCLAIM, used by the notifier to take over a dead instance's events
REINSTALL = (
    f"add them at {APPS_PAGE} > your app > 'OAuth & Permissions' > Scopes (or paste "
    "manifest.yml again), reinstall the app and copy the new bot token"
)
# Config keys whose values name people (schedules, escalation, approvals).
PEOPLE_KEYS = {"users", "user", "approvers", "approver", "members", "member", "notify_users"}
_PERSON = re.compile(r"^(@[\w.\-]+|[^@\s]+@[^@\s]+\.[^@\s]+|[UW][A-Z0-9]{6,})$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class Check:
    ok: bool | None  # None: not applicable here (does not fail the run)
    what: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "✓", False: "✗", None: "–"}[self.ok]
        return f"{mark} {self.what}" + (f" — fix: {self.fix}" if self.fix and not self.ok else "")


def manifest_scopes(path: Path = MANIFEST) -> list[str]:
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(manifest["oauth_config"]["scopes"]["bot"])


# --- pieces --------------------------------------------------------------------------------


def check_config(settings: Settings) -> tuple[Check, BeaconConfig | None]:
    path = settings.beacon_config
    try:
        config = load_config(path)
    except StartupError as exc:
        return Check(False, f"config file: {exc}".replace("\n", "; "), "fix the lines named"), None
    return (
        Check(True, f"config file {path} is valid ({len(config.services)} services)"),
        config,
    )


def check_tokens(settings: Settings) -> list[Check]:
    fields = [] if settings.multi_workspace else ["slack_bot_token"]
    if settings.beacon_mode is Mode.SOCKET:
        fields.append("slack_app_token")
    out = []
    for field in fields:
        var, prefix, how = _HOW_TO[field]
        value = getattr(settings, field).strip()
        if not value:
            out.append(Check(False, f"{var} is not set", how))
        elif not value.startswith(prefix) or not re.fullmatch(r"[A-Za-z0-9-]+", value):
            out.append(
                Check(
                    False, f"{var} looks wrong (starts '{value[:5]}…', expected '{prefix}…')", how
                )
            )
        else:
            out.append(Check(True, f"{var} is set and looks like a {prefix}… token"))
    return out


def _slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return f"{type(exc).__name__}: {exc}"


async def check_auth(client: AsyncWebClient, wanted: list[str]) -> tuple[list[Check], bool]:
    """auth.test, then the bot's scopes from Slack's x-oauth-scopes header."""
    try:
        resp = await client.auth_test()
    except SlackApiError as exc:
        code = _slack_error(exc)
        return [
            Check(
                False,
                f"Slack rejected SLACK_BOT_TOKEN ({code})",
                "copy the Bot User OAuth Token again from your app's 'OAuth & Permissions' page",
            )
        ], False
    except Exception as exc:
        return [
            Check(
                False,
                f"Slack API at {client.base_url} is unreachable ({_slack_error(exc)})",
                "check the network, proxy or SLACK_API_URL",
            )
        ], False
    checks = [Check(True, f"bot token is valid: @{resp.get('user')} in {resp.get('team')}")]
    header = next((v for k, v in resp.headers.items() if k.lower() == "x-oauth-scopes"), "")
    if isinstance(header, list):
        header = ",".join(header)
    granted = {s.strip() for s in str(header).split(",") if s.strip()}
    missing = [s for s in wanted if s not in granted]
    if missing:
        checks.append(Check(False, f"bot token lacks scopes: {', '.join(missing)}", REINSTALL))
    else:
        checks.append(Check(True, f"bot scopes cover manifest.yml ({len(wanted)} scopes)"))
    return checks, True


async def check_socket(settings: Settings) -> Check:
    """apps.connections.open with the app token, then wait for Slack's `hello` on the socket."""
    client = AsyncWebClient(base_url=settings.slack_api_url)
    try:
        resp = await client.apps_connections_open(app_token=settings.slack_app_token)
    except SlackApiError as exc:
        code = _slack_error(exc)
        fix = _HOW_TO["slack_app_token"][2]
        if code in ("missing_scope", "not_allowed_token_type"):
            fix = "generate an app-level token with the connections:write scope: " + fix
        return Check(False, f"Socket Mode: apps.connections.open failed ({code})", fix)
    except Exception as exc:
        return Check(False, f"Socket Mode: {_slack_error(exc)}", "check the network or proxy")
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(str(resp["url"]), timeout=aiohttp.ClientWSTimeout(ws_close=2)) as ws,
        ):
            async with asyncio.timeout(10):
                frame = await ws.receive_json()
    except Exception as exc:
        return Check(
            False,
            f"Socket Mode: the WebSocket did not open ({_slack_error(exc)})",
            "allow outbound WebSocket (wss, port 443) to Slack through the firewall or proxy",
        )
    if frame.get("type") != "hello":
        reason = frame.get("reason") or frame.get("type")
        return Check(
            False,
            f"Socket Mode: Slack answered '{reason}' instead of hello",
            "too_many_websockets: stop other instances (Slack allows 10 per app)"
            if reason == "too_many_websockets"
            else "try again; if it persists, check Slack's status page",
        )
    return Check(True, "Socket Mode connection opens (hello received)")


def configured_channels(config: BeaconConfig) -> list[str]:
    refs: list[str | None] = [config.default_channel]
    refs += [s.channel for s in config.severities.values()]
    refs += [s.channel for s in config.services.values()]
    refs += list(config.channels)
    approvals = getattr(config, "approvals", None)
    refs.append(getattr(approvals, "channel", None))
    refs.append(config.investigations.updates_channel)
    out: list[str] = []
    for ref in refs:
        if ref and ref not in out:
            out.append(ref)
    return out


async def _all(client: AsyncWebClient, method: str, key: str, **args: Any) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        resp = await client.api_call(method, params={**args, "limit": 200, "cursor": cursor})
        items += resp.get(key) or []
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return items


async def check_channels(client: AsyncWebClient, refs: list[str]) -> list[Check]:
    try:
        chans = await _all(
            client,
            "conversations.list",
            "channels",
            types="public_channel,private_channel",
            exclude_archived="true",
        )
    except Exception as exc:
        return [Check(False, f"could not list channels ({_slack_error(exc)})", REINSTALL)]
    by_name = {c["name"]: c for c in chans}
    by_id = {c["id"]: c for c in chans}
    out = []
    for ref in refs:
        ch = by_id.get(ref) if _CHANNEL_ID.match(ref) else by_name.get(ref.lstrip("#"))
        shown = ref if ref.startswith("#") or _CHANNEL_ID.match(ref) else f"#{ref}"
        if ch is None:
            out.append(
                Check(
                    False,
                    f"channel {shown} not found",
                    f"create it, or if it is private, type /invite @Beacon in {shown}",
                )
            )
        elif not ch.get("is_member"):
            out.append(
                Check(False, f"Beacon is not in {shown}", f"type /invite @Beacon in {shown}")
            )
        else:
            kind = "private" if ch.get("is_private") else "public"
            out.append(Check(True, f"channel {shown} exists ({kind}) and Beacon is a member"))
    return out


def people_in(raw: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(reference, config path) for every person named under a people key of the raw YAML."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            sub = f"{path}.{key}" if path else str(key)
            if str(key) in PEOPLE_KEYS:
                values = value if isinstance(value, list) else [value]
                for v in values:
                    if isinstance(v, str) and _PERSON.match(v.strip()):
                        yield v.strip(), sub
            else:
                yield from people_in(value, sub)
    elif isinstance(raw, list):
        for i, item in enumerate(raw):
            yield from people_in(item, f"{path}.{i}")


async def check_people(client: AsyncWebClient, config_path: Path) -> list[Check]:
    """People named in the config resolve; user emails are visible (users:read.email)."""
    try:
        members = await _all(client, "users.list", "members")
    except Exception as exc:
        return [Check(False, f"could not list users ({_slack_error(exc)})", REINSTALL)]
    humans = [
        m
        for m in members
        if not m.get("is_bot") and not m.get("deleted") and m["id"] != "USLACKBOT"
    ]
    known: set[str] = set()
    for m in humans:
        profile = m.get("profile") or {}
        known |= {m["id"], "@" + m["name"], "@" + str(profile.get("display_name") or m["name"])}
        if profile.get("email"):
            known.add(str(profile["email"]).lower())
    out = []
    with_email = [m for m in humans if (m.get("profile") or {}).get("email")]
    if humans and not with_email:
        out.append(
            Check(
                False,
                "user emails are not visible, so people cannot be matched by email",
                "add the users:read.email scope: " + REINSTALL,
            )
        )
    else:
        out.append(Check(True, f"user emails visible ({len(with_email)} of {len(humans)} people)"))
    try:
        text = await asyncio.to_thread(config_path.read_text, encoding="utf-8")
        raw = yaml.safe_load(text) or {}
    except (OSError, yaml.YAMLError):
        return out  # the config check already says what is wrong
    refs = list(people_in(raw))
    if not refs:
        out.append(Check(None, "no people named in the config (schedules, approvers)"))
        return out
    unknown = [
        f"{ref} ({where})"
        for ref, where in refs
        if (ref.lower() if "@" in ref[1:] else ref) not in known
    ]
    if unknown:
        out.append(
            Check(
                False,
                f"people in the config Slack does not know: {', '.join(unknown)}",
                "use their Slack handle (@name), email or user id, and make sure they are in "
                "the workspace",
            )
        )
    else:
        out.append(Check(True, f"all {len(refs)} people named in the config resolve"))
    return out


ARCHIVE_ENTRY_BYTES = 600  # bench/scale.py: an archived incident's compressed entry


def memory_check(facts: MemoryFacts, resolved_days: int | None) -> Check:
    """Redis memory per incident and where a year at the recent rate takes it."""
    per = facts.used_bytes / max(1, facts.incidents)
    rate = facts.declared_per_day
    kept_days = min(365, resolved_days) if resolved_days else 365
    year = facts.used_bytes + rate * (kept_days * per + (365 - kept_days) * ARCHIVE_ENTRY_BYTES)
    bound = (
        f"retention keeps {resolved_days} days, then archives"
        if resolved_days
        else "no retention: nothing is ever removed (set retention.resolved_days to bound it)"
    )
    return Check(
        None if resolved_days is None else True,
        f"Redis memory {facts.used_bytes / 1e6:.1f} MB for {facts.incidents} incidents "
        f"(≈ {per / 1024:.1f} KB each with Redis's own overhead; {facts.archived} archived); "
        f"at {rate:.0f} incidents/day ≈ {year / 1e6:.0f} MB in a year ({bound})",
    )


async def check_redis(
    settings: Settings, beacon_config: BeaconConfig | None = None
) -> list[Check]:
    if not settings.redis_url and not settings.redis_sentinels:
        if shutil.which("redis-server") is None:
            return [
                Check(
                    False,
                    "REDIS_URL is not set and redis-server is not installed",
                    "apt-get install redis-server (scripts/bootstrap.sh does), or set REDIS_URL",
                )
            ]
        return [
            Check(
                True,
                "REDIS_URL is not set: Beacon runs its own redis-server (AOF on, fsync always, "
                "noeviction)",
            )
        ]
    try:
        server = await ServerProbe.connect(settings, settings.redis_url)
    except StartupError as exc:
        return [Check(False, str(exc))]  # the message already says how to fix it
    out: list[Check] = []
    try:
        version = await server.version()
        parts = tuple(int(p) for p in re.findall(r"\d+", version)[:2])
        if parts and parts < MIN_REDIS:
            out.append(
                Check(False, f"Redis {version} is too old", "use Redis 6.2 or newer (XAUTOCLAIM)")
            )
        else:
            out.append(Check(True, f"Redis reachable, version {version}"))
        facts = await server.memory(Keys(settings.redis_prefix), SystemClock().now())
        days = beacon_config.retention.resolved_days if beacon_config is not None else None
        out.append(memory_check(facts, days))
        try:
            config = await server.durability()
        except Exception as exc:  # managed Redis often disables CONFIG
            out.append(
                Check(
                    None,
                    f"cannot read Redis settings ({exc}); check in your provider's console that "
                    "AOF persistence is on and maxmemory-policy is noeviction",
                )
            )
            return out
        if config.get("appendonly") == "yes":
            out.append(Check(True, "Redis persistence: appendonly yes"))
        else:
            out.append(
                Check(
                    False,
                    "Redis persistence is off (appendonly no): a restart loses every incident",
                    "set `appendonly yes` and `appendfsync always` in redis.conf "
                    "(or CONFIG SET appendonly yes, then CONFIG REWRITE)",
                )
            )
        policy = config.get("maxmemory-policy")
        if policy == "noeviction":
            out.append(Check(True, "Redis maxmemory-policy noeviction"))
        else:
            out.append(
                Check(
                    False,
                    f"Redis maxmemory-policy is {policy}: Redis may delete incidents when full",
                    "set `maxmemory-policy noeviction` in redis.conf",
                )
            )
    finally:
        await server.close()
    return out


async def send_test_message(
    client: AsyncWebClient, channel: str, config: BeaconConfig | None = None
) -> Check:
    """Posts a test card (a sample incident marked TEST, no buttons) and deletes nothing."""
    ref = channel if _CHANNEL_ID.match(channel) else channel.lstrip("#")
    shown = channel if _CHANNEL_ID.match(channel) else "#" + ref
    try:
        if not _CHANNEL_ID.match(ref):
            chans = await _all(
                client, "conversations.list", "channels", types="public_channel,private_channel"
            )
            found = next((c["id"] for c in chans if c["name"] == ref), None)
            if found is None:
                return Check(
                    False,
                    f"test message: channel {shown} not found",
                    f"create it, or if it is private, type /invite @Beacon in {shown}",
                )
            ref = found
        sample = config or BeaconConfig(default_channel=shown)
        resp = await client.chat_postMessage(
            channel=ref,
            text=doctor_views.TEST_TEXT,
            blocks=doctor_views.test_message_blocks(),
            attachments=doctor_views.test_card_attachments(sample, now=SystemClock().now()),
        )
    except SlackApiError as exc:
        code = _slack_error(exc)
        fix = f"type /invite @Beacon in {shown}" if code == "not_in_channel" else REINSTALL
        return Check(False, f"test message to {shown} failed ({code})", fix)
    return Check(True, f"posted a test card to {shown} (ts {resp.get('ts')}); delete it by hand")


async def check_workspaces(settings: Settings, config: BeaconConfig | None) -> list[Check]:
    """Multi-workspace mode: every installation in Redis, its token, scopes and channels."""
    install = f"http://{settings.install_host}:{settings.install_port}/slack/install"
    if not settings.redis_url and not settings.redis_sentinels:
        return [Check(None, "installed workspaces not checked: they are in Beacon's embedded "
                            "Redis; set REDIS_URL to check them from here")]
    try:
        sealer = Sealer.from_key(settings.beacon_secret_key)
        redis = await connect(settings, settings.redis_url)
    except (SecretKeyError, StartupError) as exc:
        return [Check(False, str(exc))]
    store = InstallationStore(redis, Keys(settings.redis_prefix), sealer=sealer)
    out: list[Check] = []
    try:
        owners = await store.owners()
        if not owners:
            return [Check(False, "no workspace is installed yet", f"open {install} in a browser")]
        for owner in owners:
            enterprise_id, team_id = split_owner(owner)
            bot = await store.async_find_bot(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=not team_id
            )
            if bot is None:
                continue
            name = f"workspace {bot.team_name or bot.enterprise_name} ({team_id or enterprise_id})"
            client = AsyncWebClient(token=bot.bot_token, base_url=settings.slack_api_url)
            auth, valid = await check_auth(client, manifest_scopes())
            for check in auth:
                what = check.what.replace("SLACK_BOT_TOKEN", "its token")
                fix = f"add Beacon to it again at {install}" if not check.ok else ""
                out.append(Check(check.ok, f"{name}: {what}", fix))
            if valid and config is not None and team_id:
                wanted = configured_channels(config.for_workspace(team_id, bot.team_name))
                for check in await check_channels(client, wanted):
                    out.append(Check(check.ok, f"{name}: {check.what}", check.fix))
    except SecretKeyError as exc:
        out.append(Check(False, str(exc)))
    finally:
        await store.close()
    return out


async def diagnose(settings: Settings, *, send_to: str | None = None) -> list[Check]:
    config_check, config = check_config(settings)
    if settings.multi_workspace:
        checks = [config_check, *check_tokens(settings)]
        if checks[-1].ok:
            checks.append(await check_socket(settings))
        checks += await check_workspaces(settings, config)
        return checks + await check_redis(settings, config)
    tokens = check_tokens(settings)
    checks = [config_check, *tokens]
    if tokens[0].ok:
        client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        auth, valid = await check_auth(client, manifest_scopes())
        checks += auth
        if settings.beacon_mode is Mode.SOCKET and tokens[1].ok:
            checks.append(await check_socket(settings))
        if valid:
            if config is not None:
                checks += await check_channels(client, configured_channels(config))
            checks += await check_people(client, settings.beacon_config)
            if send_to:
                checks.append(await send_test_message(client, send_to, config))
    else:
        checks.append(Check(False, "Slack checks skipped: fix SLACK_BOT_TOKEN first"))
    checks += await check_redis(settings, config)
    return checks


def run_doctor(*, send_test_message: str | None = None) -> int:
    settings = load_settings()
    checks = asyncio.run(diagnose(settings, send_to=send_test_message))
    for check in checks:
        print(check.line(), flush=True)
    failed = [c for c in checks if c.ok is False]
    print(
        f"{len(failed)} problem(s) found." if failed else "All checks passed.",
        flush=True,
    )
    return 1 if failed else 0


# --- config check --------------------------------------------------------------------------


def routing_table(config: BeaconConfig) -> list[tuple[str, str, str, str, str, str]]:
    """(service, severity, channel, rule, policy, events) for every service x severity."""
    rows = []
    services: list[str | None] = [*config.services, None]
    for service in services:
        for severity in SEVERITY_ORDER:
            r = route(config, service=service, severity=severity)
            if r.channel is None:
                channel, events = "(nowhere: filtered out)", "-"
            else:
                channel = r.channel
                on = [k.value for k in EventKind if event_enabled(config, r.channel, k)]
                events = "all" if len(on) == len(EventKind) else ", ".join(on) or "none"
            found = config.policy_for(service)
            policy = "-"
            if found:
                name, pol = found
                policy = f"{name} ({start_levels(pol, severity)} of {len(pol.levels)} at once)"
            rows.append((service or "(no service)", severity, channel, r.rule, policy, events))
    return rows


def config_check() -> int:
    settings = load_settings()
    config = load_config(settings.beacon_config)  # StartupError: the caller prints it
    print(f"✓ config file {settings.beacon_config} is valid")
    header = ("service", "severity", "channel", "rule", "escalation", "events on")
    rows = [header, *routing_table(config)]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:5])) + "  " + row[5])
    return 0
