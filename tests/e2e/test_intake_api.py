"""The intake HTTP API through real HTTP, against Beacon on the emulator and Redis."""

from __future__ import annotations

import copy

import pytest

from app.intake.routes.alertmanager import EXAMPLE as AM_EXAMPLE
from app.main import Runtime
from app.settings import Settings, StartupError
from tests.e2e.conftest import World
from tests.e2e.intake import BOT, Api, api, api_settings, api_world

__all__ = ["api", "api_settings"]  # fixtures: the World with the intake API on a free port

START_ISO = "2027-01-15T08:00:00Z"  # FakeClock's start


def top_level_cards(world: World, channel: str) -> list:
    return [m for m in world.emu.messages(world.channel(channel)) if "*INC-" in m.all_text()]


async def declare(client: Api, title: str = "Checkout errors", **extra) -> dict:
    status, body = await client.post("/incidents", {"title": title, **extra})
    assert status == 201, body
    return body["incident"]


# --- auth and errors ------------------------------------------------------------------------
async def test_tokens_missing_wrong_and_good(api):
    _, client = api
    status, body, headers = await client.call("GET", "/incidents", token=None)
    assert status == 401 and "Bearer" in body["error"]
    assert headers["WWW-Authenticate"].startswith("Bearer")
    status, body, _ = await client.call(
        "GET", "/incidents", token=None, headers={"Authorization": "Basic czNjcmV0"}
    )
    assert status == 401
    status, body = await client.get("/incidents", token="s3cret-ci-not")
    assert status == 403 and body == {
        "error": "That API token is not one of BEACON_API_TOKEN's; check it.",
        "status": 403,
    }
    assert (await client.get("/incidents", token=BOT)) == (
        200, {"incidents": [], "total": 0, "response_metadata": {"next_cursor": ""}})
    # the document and the health check need no token
    status, doc = await client.get("/openapi.json", token=None)
    assert status == 200 and doc["openapi"] == "3.1.0"
    assert await client.get("/healthz", token=None) == (200, {"status": "ok"})
    status, body = await client.get("/nothing-here")
    assert status == 404 and body["error"] == "No such endpoint: GET /api/v1/nothing-here."
    status, body, _ = await client.call("DELETE", "/incidents")
    assert status == 405 and "use GET, HEAD, POST" in body["error"]


async def test_bad_bodies_name_the_field_and_change_nothing(api):
    world, client = api
    cases = [
        ({"description": "no title"}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x", "severity": "P9"}, "severity"),
        ({"title": "x", "colour": "red"}, "colour"),
        ({"title": "x", "service": "nope"}, "service"),
        ({"title": "x", "assignee": "nobody@example.com"}, "assignee"),
        ({"title": "x", "assignee": "alice"}, "assignee"),
        ({"title": "x" * 151}, "title"),
        (["title"], "(body)"),
    ]
    for body, field in cases:
        status, answer = await client.post("/incidents", body)
        assert (status, answer.get("field")) == (422, field), (body, answer)
        assert answer["error"]
    status, answer = await client.post("/incidents", data=b"{not json")
    assert status == 400 and "not valid JSON" in answer["error"]
    status, answer = await client.post("/incidents", data=b"")
    assert status == 422 and answer["field"] == "(body)"
    big = b'{"title": "' + b"x" * (300 * 1024) + b'"}'
    status, answer = await client.post("/incidents", data=big)
    assert status == 413 and "256 KiB" in answer["error"]
    assert (await client.get("/incidents?status=all"))[1] == {
        "incidents": [], "total": 0, "response_metadata": {"next_cursor": ""}}
    assert top_level_cards(world, "incidents") == []


# --- declare, idempotency, dedup --------------------------------------------------------------
async def test_declare_posts_the_card_with_api_attribution(api):
    world, client = api
    incident = await declare(
        client, "Checkout <!channel> errors", severity="P2", assignee="bob@example.com"
    )
    assert incident["id"] == "INC-1" and incident["status"] == "triggered"
    assert incident["assignee"] == "UBOB" and incident["reporter"] == "api:ci"
    assert incident["created_at"] == START_ISO and incident["fired_count"] == 1
    card = await world.card("incidents")
    assert "Reported by *ci* (API)" in card.all_text()
    assert "&lt;!channel&gt;" in card.text  # mrkdwn text escaped (the header is plain text)
    await world.settle()
    status, full = await client.get("/incidents/inc-1")
    assert status == 200 and full["permalink"] and full["channel"] == world.channel("incidents")
    assert [t["type"] for t in full["timeline"]] == ["incident.triggered"]
    assert full["timeline"][0] == {
        "seq": 1,
        "type": "incident.triggered",
        "actor": "api:ci",
        "at": START_ISO,
        "data": {"severity": "P2", "assignee": "UBOB"},
    }
    dm = world.emu.dms("UBOB")[-1]
    assert "declared by *ci* (API)" in dm.text


async def test_idempotency_key_replays_the_first_response(api):
    world, client = api
    key = {"Idempotency-Key": "deploy-42-alert"}
    first = await client.call("POST", "/incidents", {"title": "Disk full"}, headers=key)
    again = await client.call("POST", "/incidents", {"title": "Disk full"}, headers=key)
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert again[2].get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first[2]
    # a refusal is replayed too, and a different body under the same key is refused
    bad = {"Idempotency-Key": "bad-one"}
    assert (await client.post("/incidents", {"title": ""}, headers=bad))[0] == 422
    assert (await client.post("/incidents", {"title": ""}, headers=bad))[0] == 422
    status, body = await client.post("/incidents", {"title": "Other"}, headers=key)
    assert status == 409 and body["field"] == "Idempotency-Key"
    # keys belong to a token: another token with the same key acts
    status, body = await client.post("/incidents", {"title": "Disk full"}, headers=key, token=BOT)
    assert status == 201 and body["incident"]["id"] == "INC-2"
    status, body = await client.post(
        "/incidents", {"title": "x"}, headers={"Idempotency-Key": "a b"}
    )
    assert status == 422 and body["field"] == "Idempotency-Key"
    ids = [i["id"] for i in (await client.get("/incidents"))[1]["incidents"]]
    assert ids == ["INC-2", "INC-1"]
    await world.settle()
    assert len(top_level_cards(world, "incidents")) == 2


async def test_repeat_dedup_key_says_fired_again_in_the_thread(api):
    world, client = api
    first = await declare(client, "Queue backlog", dedup_key="queue-backlog")
    card = await world.card("incidents")
    status, body = await client.post(
        "/incidents", {"title": "Queue backlog", "dedup_key": "queue-backlog"}
    )
    assert status == 200 and body["created"] is False
    assert body["incident"]["id"] == first["id"] and body["incident"]["fired_count"] == 2
    await world.reply("incidents", card, "fired again (×2)")
    await client.post("/incidents", {"title": "Queue backlog", "dedup_key": "queue-backlog"})
    await world.reply("incidents", card, "fired again (×3)")
    await world.settle()
    assert len(top_level_cards(world, "incidents")) == 1
    # once resolved, the same key is a new incident
    assert (await client.post(f"/incidents/{first['id']}/resolve"))[0] == 200
    again = await declare(client, "Queue backlog", dedup_key="queue-backlog")
    assert again["id"] == "INC-2" and again["fired_count"] == 1


# --- acting on incidents ------------------------------------------------------------------------
async def test_list_get_acknowledge_notes_resolve(api):
    world, client = api
    one = await declare(client, "One")
    two = await declare(client, "Two", severity="P3")
    card = await world.card("incidents", "INC-2")
    await world.clock.advance(120)
    status, acked = await client.post(f"/incidents/{two['id']}/acknowledge", token=BOT)
    assert status == 200 and acked["status"] == "acknowledged"
    assert (
        acked["acknowledged_by"] == "api:bot" and acked["acknowledged_at"] == "2027-01-15T08:02:00Z"
    )
    await world.reply("incidents", card, "Acknowledged by *bot* (API) after 2 min")
    status, body = await client.post(f"/incidents/{two['id']}/acknowledge")
    assert status == 409 and "already acknowledged by bot (API)" in body["error"]
    assert (body["code"], body["by"], body["at"]) == (
        "already_acknowledged", "api:bot", "2027-01-15T08:02:00Z"
    )
    assert "<" not in body["error"]  # no Slack markup in the API
    status, noted = await client.post(
        f"/incidents/{two['id']}/notes", {"text": "Rolling back <@UBOB>"}
    )
    assert status == 201 and noted["id"] == "INC-2"
    reply = await world.reply("incidents", card, "Note from *ci* (API)")
    assert "Rolling back <@UBOB>" in reply.text  # people stay mentions; broadcasts do not
    status, body = await client.post(f"/incidents/{two['id']}/notes", {"note": "wrong field"})
    assert status == 422 and body["field"] == "text"
    status, resolved = await client.post(f"/incidents/{two['id']}/resolve", {"note": "Rolled back"})
    assert status == 200 and resolved["status"] == "resolved"
    assert resolved["resolution_note"] == "Rolled back" and resolved["resolved_by"] == "api:ci"
    assert (await client.post(f"/incidents/{two['id']}/resolve"))[0] == 409
    lists = {
        s: [i["id"] for i in (await client.get(f"/incidents?status={s}"))[1]["incidents"]]
        for s in ("open", "acknowledged", "resolved", "all")
    }
    assert lists == {
        "open": [one["id"]],
        "acknowledged": [],
        "resolved": ["INC-2"],
        "all": ["INC-2", "INC-1"],
    }
    status, body = await client.get("/incidents?status=closed")
    assert status == 422 and body["field"] == "status"
    assert (await client.get("/incidents?limit=0"))[0] == 422
    status, full = await client.get("/incidents/INC-2")
    assert [t["type"] for t in full["timeline"]] == [
        "incident.triggered",
        "incident.acknowledged",
        "incident.note_added",
        "incident.resolved",
    ]
    for path in ("/incidents/INC-99", "/incidents/not-an-id"):
        status, body = await client.get(path)
        assert status == 404 and body["error"]
    assert (await client.post("/incidents/INC-99/acknowledge"))[0] == 404


async def test_investigation_updates_reply_in_the_thread(api):
    world, client = api
    incident = await declare(client, "Latency")
    card = await world.card("incidents")
    body = {"stage": "started", "text": "Looking at the 10:00 deploy"}
    assert (await client.post(f"/incidents/{incident['id']}/investigation", body))[0] == 201
    await world.reply("incidents", card, "🔎 *Investigation started* from *ci* (API)")
    body = {"stage": "root_cause", "text": "Pool exhausted <!here>\nsee graph", "confidence": 0.85}
    status, _ = await client.post(f"/incidents/{incident['id']}/investigation", body, token=BOT)
    assert status == 201
    reply = await world.reply(
        "incidents", card, "🎯 *Root cause* from *bot* (API) · confidence 85%"
    )
    assert "&lt;!here&gt;" in reply.text and ">see graph" in reply.text
    for bad, field in [
        ({"stage": "guess", "text": "x"}, "stage"),
        ({"stage": "hypothesis", "text": "x", "confidence": 1.5}, "confidence"),
        ({"stage": "hypothesis"}, "text"),
    ]:
        status, answer = await client.post(f"/incidents/{incident['id']}/investigation", bad)
        assert (status, answer["field"]) == (422, field)
    body = {"stage": "hypothesis", "text": "x"}
    assert (await client.post("/incidents/INC-9/investigation", body))[0] == 404


# --- Alertmanager ------------------------------------------------------------------------------
def am_payload(status: str, *alerts: tuple[str, str, dict]) -> dict:
    payload = copy.deepcopy(AM_EXAMPLE)
    payload["status"] = status
    payload["alerts"] = [
        {
            "status": alert_status,
            "labels": labels,
            "annotations": {"summary": f"{labels['alertname']} on {labels.get('instance', '?')}"},
            "startsAt": "2027-01-15T08:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.local:9090/graph",
            "fingerprint": fingerprint,
        }
        for fingerprint, alert_status, labels in alerts
    ]
    return payload


DISK = ("f1", {"alertname": "DiskFull", "severity": "warning", "instance": "db1"})
ERRORS = ("f2", {"alertname": "HighErrors", "severity": "critical", "service": "payments"})


def thread_texts(world: World, card) -> list[str]:
    return [m.all_text() for m in world.emu.thread(card.channel, card.ts)[1:]]


def pages(world: World, user: str) -> list[str]:
    return [m.text for m in world.emu.dms(user) if "You are paged" in m.all_text()]


PAGING = """\
default_channel: "#incidents"
services:
  payments: {name: Payments, channel: "#payments-oncall", escalation_policy: standard}
channels:
  "#payments-oncall": {min_severity: P4}
schedules:
  primary:
    timezone: UTC
    layers:
      - {name: all, users: [UBOB], rotation: 7d, handoff: "09:00", start: 2027-01-04}
escalation_policies:
  standard:
    levels:
      - {targets: [{schedule: primary}], delay_minutes: 5}
"""
DB = [(f"f{n}", {"alertname": "DiskFull", "severity": "warning", "service": "payments",
                 "instance": f"db{n}"}) for n in range(1, 4)]


def group_payload(status: str, *alerts: tuple[str, str, dict], starts: str = START_ISO) -> dict:
    payload = am_payload(status, *alerts)
    payload["groupKey"] = '{}:{alertname="DiskFull"}'
    payload["commonLabels"] = {"alertname": "DiskFull", "severity": "warning",
                               "service": "payments"}
    payload["commonAnnotations"] = {"summary": "Disks filling up"}
    for alert in payload["alerts"]:
        alert["startsAt"] = starts
    return payload


async def test_alertmanager_group_is_one_incident_repeats_are_quiet(
    emu, redis, redis_server, tmp_path, clock
):
    path = tmp_path / "paging.yml"
    path.write_text(PAGING)
    async with api_world(emu, redis, redis_server.url, path, clock) as (world, client):
        firing = group_payload("firing", *[(fp, "firing", labels) for fp, labels in DB])
        status, body = await client.post("/alertmanager", firing)
        assert status == 200, body
        assert body["incidents"] == [{
            "incident_id": "INC-1", "dedup_key": 'am:group:{}:{alertname="DiskFull"}',
            "action": "declared", "firing": 3, "resolved": 0}]
        assert [r["action"] for r in body["results"]] == ["declared"] * 3
        card = await world.card("payments-oncall")
        assert "3 firing · 0 resolved" in card.all_text() and "instance=db2" in card.all_text()
        incident = (await client.get("/incidents/INC-1"))[1]
        assert (incident["title"], incident["service"]) == ("Disks filling up", "payments")
        await world.settle()
        assert len(pages(world, "UBOB")) == 1  # one page for the group, not one per alert
        replies = thread_texts(world, card)
        # Alertmanager's repeat_interval: the same group, the same startsAt
        await clock.advance(60)  # (hours, in life: SLA timers would fire meanwhile)
        status, body = await client.post("/alertmanager", firing)
        assert [r["action"] for r in body["results"]] == ["repeat"] * 3
        assert body["incidents"][0]["action"] == "updated"
        await world.settle()
        assert thread_texts(world, card) == replies and len(pages(world, "UBOB")) == 1
        assert "last notified" in world.fresh(card).all_text()
        assert (await client.get("/incidents"))[1]["total"] == 1
        # one alert resolves: the list says so, and the thread once
        partial = group_payload("firing", (DB[0][0], "resolved", DB[0][1]),
                                *[(fp, "firing", labels) for fp, labels in DB[1:]])
        status, body = await client.post("/alertmanager", partial)
        assert [r["action"] for r in body["results"]] == ["resolved", "repeat", "repeat"]
        await world.reply("payments-oncall", card, "1 alert resolved: instance=db1 · 2 still")
        await client.post("/alertmanager", partial)
        await world.settle()
        assert "2 firing · 1 resolved" in world.fresh(card).all_text()
        assert sum("resolved: instance=db1" in t for t in thread_texts(world, card)) == 1
        # the group resolved: the incident resolves
        done = group_payload("resolved", *[(fp, "resolved", labels) for fp, labels in DB])
        status, body = await client.post("/alertmanager", done)
        assert body["incidents"][0]["action"] == "resolved"
        await world.reply("payments-oncall", card, "Resolved by *ci* (API)")
        assert "0 firing · 3 resolved" in world.fresh(card).all_text()
        assert (await client.get("/incidents/INC-1"))[1]["status"] == "resolved"


async def test_alertmanager_refire_with_a_new_starts_at_says_so_once(api):
    world, client = api
    firing = group_payload("firing", *[(fp, "firing", labels) for fp, labels in DB[:2]])
    await client.post("/alertmanager", firing)
    card = await world.card("payments-oncall")
    await client.post("/alertmanager", group_payload(
        "firing", (DB[0][0], "resolved", DB[0][1]), (DB[1][0], "firing", DB[1][1])))
    again = group_payload("firing", *[(fp, "firing", labels) for fp, labels in DB],
                          starts="2027-01-15T09:00:00Z")
    again["alerts"][1]["startsAt"] = START_ISO  # db2 kept firing all along
    _, body = await client.post("/alertmanager", again)
    assert [r["action"] for r in body["results"]] == ["refired", "repeat", "joined"]
    await world.reply("payments-oncall", card, "1 alert joined: instance=db3")
    await world.reply("payments-oncall", card, "1 alert fired again: instance=db1")
    _, body = await client.post("/alertmanager", again)
    assert [r["action"] for r in body["results"]] == ["repeat"] * 3
    await world.settle()
    assert sum("fired again" in t for t in thread_texts(world, card)) == 1
    assert (await client.get("/incidents/INC-1"))[1]["fired_count"] == 4


def many_alerts(n: int) -> list[dict]:
    return [{"status": "firing", "labels": {"alertname": "Pod", "i": str(i)}} for i in range(n)]


async def test_alertmanager_3000_alerts_are_capped_and_counted(api):
    world, client = api
    payload = {"groupKey": "{}:{alertname=\"Pod\"}", "status": "firing", "truncatedAlerts": 100,
               "commonLabels": {"alertname": "Pod"}, "alerts": many_alerts(3000)}
    status, body = await client.post("/alertmanager", payload)
    assert status == 200, body
    assert (body["not_shown"], body["truncated_alerts"]) == (2900, 100)
    assert len(body["results"]) == 100 and len(body["incidents"]) == 1
    assert body["incidents"][0]["firing"] == 100
    card = await world.card("incidents")
    assert "100 firing · 0 resolved" in card.all_text() and "+90 more" in card.all_text()
    await world.reply("incidents", card, "… and 3,000 more alerts not shown (2,900 over "
                      "alertmanager.max_alerts, 100 truncated by Alertmanager)")
    assert (await client.get("/incidents"))[1]["total"] == 1


async def test_alertmanager_incident_per_alert(emu, redis, redis_server, tmp_path, clock):
    from tests.conftest import TEST_CONFIG

    path = tmp_path / "per-alert.yml"
    path.write_text(TEST_CONFIG + "alertmanager: {incident_per: alert, max_alerts: 5}\n")
    async with api_world(emu, redis, redis_server.url, path, clock) as (world, client):
        firing = am_payload("firing", (DISK[0], "firing", DISK[1]),
                            (ERRORS[0], "firing", ERRORS[1]))
        status, body = await client.post("/alertmanager", firing)
        assert status == 200
        assert [(r["fingerprint"], r["action"], r["incident_id"]) for r in body["results"]] == [
            ("f1", "declared", "INC-1"),
            ("f2", "declared", "INC-2"),
        ]
        disk = (await client.get("/incidents/INC-1"))[1]
        errors = (await client.get("/incidents/INC-2"))[1]
        assert (disk["severity"], disk["service"], disk["title"]) == ("P3", None, "DiskFull on db1")
        assert "http://prometheus.local:9090/graph" in disk["description"]
        assert (errors["severity"], errors["service"]) == ("P1", "payments")
        assert disk["dedup_key"] == "am:f1"
        disk_card = await world.card("incidents", "INC-1")
        await world.card("payments-oncall", "INC-2")
        # Alertmanager repeats the group while it fires: nothing new, no reply
        status, body = await client.post("/alertmanager", firing)
        assert [r["action"] for r in body["results"]] == ["repeat", "repeat"]
        refired = copy.deepcopy(firing)
        refired["alerts"][0]["startsAt"] = "2027-01-15T09:00:00Z"
        status, body = await client.post("/alertmanager", refired)
        assert [r["action"] for r in body["results"]] == ["refired", "repeat"]
        await world.reply("incidents", disk_card, "1 alert fired again: DiskFull on db1")
        resolved = am_payload("resolved", (DISK[0], "resolved", DISK[1]))
        status, body = await client.post("/alertmanager", resolved)
        assert body["results"] == [
            {"fingerprint": "f1", "status": "resolved", "action": "resolved",
             "incident_id": "INC-1"}
        ]
        disk = (await client.get("/incidents/INC-1"))[1]
        assert disk["status"] == "resolved"
        assert disk["resolution_note"] == "resolved by Alertmanager"
        await world.reply("incidents", disk_card, "Resolved by *ci* (API)")
        status, body = await client.post("/alertmanager", resolved)
        assert body["results"][0]["action"] == "no_open_incident"
        assert (await client.get("/incidents/INC-2"))[1]["status"] == "triggered"
        # 3,000 alerts: max_alerts incidents, the rest counted
        status, body = await client.post("/alertmanager", {"alerts": many_alerts(3000)})
        assert status == 200 and (body["not_shown"], len(body["incidents"])) == (2995, 5)
        assert (await client.get("/incidents?status=all"))[1]["total"] == 7
        status, body = await client.post("/alertmanager", {**firing, "version": "3"})
        assert status == 422 and body["field"] == "version"
        status, body = await client.post("/alertmanager", {**firing, "alerts": [{"labels": {}}]})
        assert status == 422 and body["field"] == "alerts.0.status"


async def test_alertmanager_annotates_when_configured(emu, redis, redis_server, tmp_path, clock):
    from tests.conftest import TEST_CONFIG

    path = tmp_path / "annotate.yml"
    path.write_text(
        TEST_CONFIG + "alertmanager:\n  on_resolved: annotate\n  severity_map: {warning: P2}\n"
    )
    async with api_world(emu, redis, redis_server.url, path, clock) as (world, client):
        await client.post("/alertmanager", am_payload("firing", (DISK[0], "firing", DISK[1])))
        card = await world.card("incidents")
        resolved = am_payload("resolved", (DISK[0], "resolved", DISK[1]))
        status, body = await client.post("/alertmanager", resolved)
        assert status == 200 and body["incidents"][0]["action"] == "annotated"
        assert body["results"][0]["action"] == "resolved"
        incident = (await client.get("/incidents/INC-1"))[1]
        assert incident["status"] == "triggered" and incident["severity"] == "P2"
        await world.reply("incidents", card, "Alertmanager says every alert of this group is")


# --- channel messages -----------------------------------------------------------------------------
async def test_channel_messages(api):
    world, client = api
    random = world.emu.channel_by_name("random")
    for text in ("first", "second", "third"):
        world.emu.post_message(random, "UALICE", text)
    status, body = await client.get("/channels/random/messages?limit=2")
    assert status == 200
    assert body["channel"] == {"id": random.id, "name": "random"}
    assert [m["text"] for m in body["messages"]] == ["third", "second"]
    assert body["messages"][0]["user"] == "UALICE" and body["has_more"] is True
    assert body["messages"][0]["time"].endswith("Z")
    status, body = await client.get("/channels/no-such-channel/messages")
    assert status == 404 and "no-such-channel" in body["error"]
    for limit in ("0", "201", "ten"):
        status, body = await client.get(f"/channels/random/messages?limit={limit}")
        assert (status, body["field"]) == (422, "limit")
    world.emu.fail_method("conversations.history", "not_in_channel", status=200)
    status, body = await client.get("/channels/random/messages")
    assert status == 404 and "not_in_channel" in body["error"]
    world.emu.fail_method("conversations.history", "fatal_error", status=200)
    status, body = await client.get("/channels/random/messages")
    assert status == 502 and "fatal_error" in body["error"]


# --- start-up -----------------------------------------------------------------------------------
async def test_api_port_without_token_stops_start_up(config_path):
    runtime = Runtime(Settings(beacon_config=config_path, api_port=18080))
    with pytest.raises(StartupError) as err:
        await runtime.start()
    message = str(err.value)
    assert "\n" not in message and "BEACON_API_TOKEN is not set" in message
    await runtime.stop()


async def test_the_list_pages_through_everything_while_incidents_arrive(api):
    _, client = api
    first = [(await declare(client, f"Disk {n}"))["id"] for n in range(23)]
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        status, body = await client.get("/incidents?limit=5" + (f"&cursor={cursor}" * bool(cursor)))
        assert status == 200, body
        seen += [i["id"] for i in body["incidents"]]
        pages += 1
        if pages == 2:  # new ones arrive meanwhile: they are above the cursor, not in between
            await declare(client, "Arrived while paging")
        cursor = body["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(first))  # newest first, each once, none missing
    assert pages == 5 and body["total"] == 24
    # A cursor belongs to its list, and a made-up one is refused in plain words.
    _, one = await client.get("/incidents?limit=5")
    status, body = await client.get(
        f"/incidents?status=resolved&cursor={one['response_metadata']['next_cursor']}")
    assert status == 422 and body["field"] == "cursor"
    status, body = await client.get("/incidents?cursor=not%20a%20cursor")
    assert status == 422 and body["field"] == "cursor"
