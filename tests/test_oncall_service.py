"""The on-call and status services with in-memory ports, and their Slack wording: pure tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.clock import FakeClock
from app.config import BeaconConfig, load_config
from app.domain.errors import InvalidInput, UnknownName
from app.domain.oncall_service import NotScheduleAdmin, OnCallService, OverrideRequest
from app.domain.status import StatusService
from listeners.commands.oncall import parse_override
from views.errors import error_text
from views.oncall import dry_run_text, oncall_text, override_text, status_text

CONFIG = """\
default_channel: "#incidents"
services:
  payments: {name: Payments, channel: "#payments-oncall", escalation_policy: standard}
  search: {name: Search}
schedules:
  primary:
    layers:
      - {name: weekly, users: [UALICE, bob@example.com], rotation: 7d, start: 2027-01-04}
    admins: [carol@example.com]
escalation_policies:
  standard:
    levels:
      - {targets: [{schedule: primary}], delay_minutes: 5}
      - {targets: [{user: UCAROL}, {group: SOPS}], delay_minutes: 10}
"""
NOW = 1_800_000_000.0  # Friday 2027-01-15 08:00 UTC: bob's week


class Overrides:
    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[str, float]]] = {}

    async def add_override(self, schedule: str, override_json: str, end: float) -> None:
        self.rows.setdefault(schedule, []).append((override_json, end))

    async def overrides(self, schedule: str, now: float) -> list[str]:
        return [row for row, end in self.rows.get(schedule, []) if end > now]


class People:
    async def user_id(self, ref: str) -> str | None:
        return {"bob@example.com": "UBOB", "carol@example.com": "UCAROL"}.get(ref, ref)


@pytest.fixture
def config(tmp_path: Path) -> BeaconConfig:
    path = tmp_path / "beacon.yml"
    path.write_text(CONFIG)
    return load_config(path)


@pytest.fixture
def oncall(config: BeaconConfig) -> OnCallService:
    return OnCallService(config, FakeClock(NOW), Overrides(), People())


async def test_lookup_by_schedule_service_or_nothing(oncall: OnCallService):
    text = oncall_text(await oncall.lookup(None))
    assert text.startswith("*On call now*\n*primary*: <@UBOB> until <!date^")
    assert text.endswith(", then <@UALICE>")
    assert oncall_text(await oncall.lookup("payments")) == text
    assert oncall_text(await oncall.lookup("search")) == (
        "Service search pages no schedule (no escalation policy).")
    with pytest.raises(UnknownName) as unknown:
        await oncall.lookup("<!here>")
    assert error_text(unknown.value) == (
        "No schedule or service called `&lt;!here&gt;`. Known: primary, payments, search.")


async def test_only_a_schedules_admins_add_overrides(oncall: OnCallService):
    request = parse_override(["<@UDAN|dan>", "until", "2h"], oncall.config.schedules)
    assert request == OverrideRequest("UDAN", None, after_s=7200)
    with pytest.raises(NotScheduleAdmin) as refused:
        await oncall.add_override("UALICE", request)
    assert error_text(refused.value) == (
        "Only the admins of schedule primary can add overrides (<@UCAROL>).")
    added = await oncall.add_override("UCAROL", request)
    assert override_text(added).startswith("<@UDAN> is on call for *primary* until <!date^")
    assert (await oncall.now("primary")).user == "UDAN"


async def test_an_unreadable_end_is_refused_after_who_may(oncall: OnCallService):
    request = parse_override(["<@UDAN>", "until", "soon", "primary"], oncall.config.schedules)
    assert request == OverrideRequest("UDAN", "primary")
    with pytest.raises(NotScheduleAdmin):
        await oncall.add_override("UALICE", request)
    with pytest.raises(InvalidInput, match="When should the override end"):
        await oncall.add_override("UCAROL", request)
    far = parse_override(["<@UDAN>", "until", "2030-01-01 09:00"], oncall.config.schedules)
    with pytest.raises(InvalidInput, match="within 60 days"):
        await oncall.add_override("UCAROL", far)


async def test_dry_run_names_the_card_channel_and_who_is_paged(oncall: OnCallService):
    text = dry_run_text(await oncall.dry_run("payments", "P2"))
    assert "• Card: #payments-oncall (rule: service payments)" in text
    assert "1. primary (now <@UBOB>) — then after 5 min" in text
    assert "2. <@UCAROL>, group SOPS — then after 10 min" in text
    with pytest.raises(UnknownName):
        await oncall.dry_run("nope", "P2")
    no_policy = dry_run_text(await oncall.dry_run("search", "P3"))
    assert no_policy.endswith("• Escalation: none (no policy for this service and no default)")


async def test_status_reads_the_database_first_and_skips_incidents_when_it_is_down(
    oncall: OnCallService, config: BeaconConfig
):
    class Down:
        async def ping_error(self) -> str:
            return "Connection refused"

    class Incidents:
        async def list_open(self) -> list:
            raise AssertionError("not read while the database is down")

    service = StatusService(Incidents(), oncall, Down(), lambda: None)  # type: ignore[arg-type]
    text = status_text(await service.report(), config)
    assert "• Open incidents: 0 (P1: 0 · P2: 0 · P3: 0 · P4: 0)" in text
    assert "• On call (primary): <@UBOB> until <!date^" in text
    assert text.endswith("• Redis: ✗ unreachable (Connection refused)\n• Slack: HTTP mode")
