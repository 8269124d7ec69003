"""Daily digest, App Home with more incidents than fit, /incident status."""

from __future__ import annotations

from app.domain.digest import compute
from app.domain.models import Incident, NewIncident, Status
from tests.e2e.conftest import World

DAY = 86400.0
NOW = 1_800_000_000.0


def inc(n: int, created: float, *, sev: str = "P2", service: str | None = "payments",
        ack: float | None = None, res: float | None = None, fired: int = 1) -> Incident:
    return Incident(
        id=f"INC-{n}", number=n, title=f"t{n}", description="", service=service, severity=sev,
        status=Status.RESOLVED if res else Status.ACKNOWLEDGED if ack else Status.TRIGGERED,
        reporter="U1", assignee=None, created_at=created,
        acknowledged_at=created + ack if ack else None,
        resolved_at=created + res if res else None, fired_count=fired,
    )


def totals(incidents: list[Incident]) -> dict[int, dict[str, float]]:
    """What the transition scripts would have counted for these incidents, per bucket."""
    out: dict[int, dict[str, float]] = {}
    for i in incidents:
        b = out.setdefault(int(i.created_at // 900), {})

        def add(name: str, by: float, b: dict[str, float] = b) -> None:
            b[name] = b.get(name, 0.0) + by

        add("declared", 1)
        add("alerts", max(1, i.fired_count))
        add(f"sev:{i.severity}", 1)
        add(f"svc:{i.service or ''}", 1)
        if i.acknowledged_at:
            add("ack_n", 1)
            add("ack_sum", i.acknowledged_at - i.created_at)
        if i.resolved_at:
            add("res_n", 1)
            add("res_sum", i.resolved_at - i.created_at)
    return out


def test_digest_numbers_on_known_data():
    today = [inc(1, NOW - 3600, ack=120, res=1800, fired=3),
             inc(2, NOW - 7200, sev="P1", ack=60, res=600),
             inc(3, NOW - 60, sev="P4", service=None)]
    yesterday = [inc(4, NOW - DAY - 100, ack=600, res=7200)]
    older = [inc(5, NOW - 3 * DAY)]
    d = compute(now=NOW, totals=totals(today + yesterday + older), open_now={"P4": 1, "P1": 0},
                accuracy=0.75, votes=4)
    assert d.today.incidents == 3 and d.yesterday.incidents == 1
    assert d.today.alerts == 5  # INC-1 fired three times
    assert d.today.by_severity == {"P1": 1, "P2": 1, "P4": 1}
    assert d.today.by_service == {"payments": 2, "(none)": 1}
    assert d.today.mtta_s == 90 and d.today.mttr_s == 1200
    assert d.yesterday.mtta_s == 600 and d.open_now == {"P4": 1} and not d.quiet
    assert compute(now=NOW, totals=totals(older), open_now={}).quiet


async def test_daily_digest_posts_once_a_day_and_on_demand(world: World):
    beacon = world.runtime.beacon
    for n, sev in enumerate(("P1", "P3")):
        await beacon.incidents.declare(NewIncident(title=f"d{n}", severity=sev,
                                                   reporter="UALICE"))
    await beacon.incidents.acknowledge("INC-2", "UBOB")
    await world.settle()
    channel = world.channel("incidents")

    def digests() -> list:
        return [m for m in world.emu.messages(channel) if "Daily incident digest" in m.all_text()]

    assert digests() == []
    await world.clock.advance(3600)  # the clock starts at 08:00 UTC; the digest is at 09:00
    first = await world.emu.wait_for(digests, timeout=10)
    text = first[0].all_text()
    assert "*Incidents*\n2 (▲2)" in text and "P1: 1 (▲1)" in text and "*Open now*  P1: 1" in text
    await world.clock.advance(600)
    await world.settle()
    assert len(digests()) == 1
    stores = beacon.stores  # the digest's "notified" mark expires (one event per digest id)
    marks = [k async for k in world.redis.scan_iter(match=stores.keys.notified("DIGEST-*"))]
    assert len(marks) == 1 and 0 < await world.redis.ttl(marks[0]) <= 7 * DAY
    await world.clock.advance(DAY)
    await world.emu.wait_for(lambda: len(digests()) == 2, timeout=10)
    await world.alice.slash_command("/incident", "digest", channel=channel)
    mine = await world.alice.wait_ephemeral("Daily incident digest", channel)
    assert "*MTTA*" in mine.all_text()


async def test_quiet_day_says_so(world: World):
    await world.alice.slash_command("/incident", "digest", channel=world.channel("random"))
    msg = await world.alice.wait_ephemeral("A quiet day", world.channel("random"))
    assert "no incidents in the last 24 h" in msg.all_text()


async def test_app_home_pages_and_acts(world: World):
    beacon = world.runtime.beacon
    for n in range(60):
        await beacon.incidents.declare(NewIncident(
            title=f"Home {n}", severity=("P1", "P2", "P3", "P4")[n % 4], reporter="UBOB",
            assignee="UALICE" if n < 3 else None))
    await world.settle()
    await world.alice.open_app_home()
    home = await world.emu.wait_for(world.alice.home_view, timeout=10)
    assert len(home.blocks) <= 100
    text = home.all_text()
    assert "*Assigned to you (3)*" in text and "*All open incidents (60)*" in text
    assert "Page 1 of 3" in text and "P1: 15 · P2: 15 · P3: 15 · P4: 15" in text
    await world.alice.click(home, "Next 25 →")
    page2 = await world.emu.wait_for(
        lambda: (v := world.alice.home_view()) and "Page 2 of 3" in v.all_text() and v,
        timeout=10)
    assert "← Previous" in page2.buttons()
    first_ack = next(b for b in home.blocks if b.get("accessory", {}).get("text", {}).get(
        "text") == "Acknowledge")
    assert "INC-" in first_ack["text"]["text"]
    await world.alice.click(world.alice.home_view(), "Acknowledge")
    await world.settle()
    acked = [i for i in await beacon.incidents.list_open() if i.acknowledged_by == "UALICE"]
    assert len(acked) == 1
    # the open Home tab is republished after the change, once its debounce has passed
    await world.clock.advance(beacon.notifier.home.min_interval_s + 0.1)
    await world.emu.wait_for(
        lambda: "acknowledged" in world.alice.home_view().all_text(), timeout=10)


async def test_status_command(world: World):
    await world.runtime.beacon.incidents.declare(NewIncident(title="s", severity="P2",
                                                             reporter="UALICE"))
    await world.alice.slash_command("/incident", "status", channel=world.channel("random"))
    msg = await world.alice.wait_ephemeral("*Beacon status*", world.channel("random"))
    assert "Open incidents: 1 (P1: 0 · P2: 1 · P3: 0 · P4: 0)" in msg.text
    assert "Redis: ✓ reachable" in msg.text and "Slack: ✓ connected (Socket Mode)" in msg.text
