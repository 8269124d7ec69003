"""The intake API refuses what its OpenAPI document refuses, in plain words naming the field:
control characters, blank text, JSON of the wrong type, parameters out of range, channels Beacon
cannot post in. What it accepts but Slack then refuses shows on the resource (delivery_error)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.intake import Api, api, api_settings

__all__ = ["api", "api_settings"]  # fixtures: the World with the intake API on a free port

AM = {"version": "4", "alerts": [{"status": "firing", "labels": {"alertname": "Disk"}}]}
APPROVAL = {"operation": "Restart db", "risk": "low", "approvers": ["UALICE"]}
INVESTIGATION = {"alert_summary": "Checkout 5xx"}


async def refused(client: Api, path: str, body: Any, field: str, words: str = "") -> None:
    status, answer = await client.post(path, body)
    assert (status, answer.get("field")) == (422, field), (path, body, answer)
    assert words in answer["error"], answer


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        ("/incidents", {"title": "disk\x00full"}, "title", "control character (U+0000)"),
        ("/incidents", {"title": "two\nlines"}, "title", "U+000A"),
        ("/incidents", {"title": "x", "description": "bell\x07"}, "description", "U+0007"),
        ("/incidents", {"title": "   "}, "title", "blank"),
        ("/incidents", {"title": "\u2003\u3000"}, "title", "blank"),
        ("/incidents", {"title": "x", "dedup_key": "k\x1b"}, "dedup_key", "U+001B"),
        ("/incidents/1/notes", {"text": " \n\t "}, "text", "blank"),
        ("/incidents/1/resolve", {"note": "\x1b[31mred"}, "note", "U+001B"),
        ("/incidents/1/investigation", {"stage": "started", "text": "\x7f"}, "text", "U+007F"),
        ("/approvals", {**APPROVAL, "operation": "run\x85"}, "operation", "U+0085"),
        ("/investigations", {"alert_summary": "\x00"}, "alert_summary", "U+0000"),
        ("/investigations", {**INVESTIGATION, "affected_resources": ["a\nb"]},
         "affected_resources.0", "U+000A"),
    ],
)
async def test_control_characters_and_blank_text_are_refused(api, path, body, field, words):
    world, client = api
    await client.post("/incidents", {"title": "Target"})  # INC-1, for the paths that need it
    await refused(client, path, body, field, words)
    assert [k for k in await world.redis.keys("*") if "INC-2" in k] == []


async def test_multi_line_text_keeps_its_lines(api):
    _, client = api
    status, body = await client.post(
        "/incidents", {"title": "Disk full", "description": "db1\n\tat 99%\r\n"}
    )
    assert status == 201 and body["incident"]["description"] == "db1\n\tat 99%"


async def test_alertmanager_text_is_cleaned_not_refused(api):
    _, client = api
    alert = {"status": "firing", "labels": {"alertname": "Disk\x00Full"},
             "annotations": {"description": "line 1\nline\x072"}}
    status, body = await client.post("/alertmanager", {"alerts": [alert]})
    assert status == 200, body
    _, incident = await client.get(f"/incidents/{body['results'][0]['incident_id']}")
    assert incident["title"] == "Disk Full"
    assert incident["description"] == "line 1\nline 2"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/incidents/1/investigation", {"stage": "started", "text": "x", "confidence": False},
         "confidence"),
        ("/incidents/1/investigation", {"stage": "started", "text": "x", "confidence": "0.5"},
         "confidence"),
        ("/alertmanager", {**AM, "truncatedAlerts": False}, "truncatedAlerts"),
        ("/alertmanager", {**AM, "version": "3"}, "version"),
        ("/alertmanager", {**AM, "version": 4}, "version"),
        ("/approvals", {**APPROVAL, "expires_in": "3600"}, "expires_in"),
        ("/approvals", {**APPROVAL, "expires_in": 3600.5}, "expires_in"),
        ("/incidents", {"title": "x", "severity": 1}, "severity"),
        ("/incidents", {"title": ["x"]}, "title"),
    ],
)
async def test_json_types_are_strict(api, path, body, field):
    _, client = api
    await client.post("/incidents", {"title": "Target"})
    await refused(client, path, body, field)


async def test_a_whole_number_written_as_a_float_is_an_integer(api):
    _, client = api
    status, body = await client.post("/approvals", {**APPROVAL, "expires_in": 1800.0})
    assert status == 201 and body["expires_at"] - body["created_at"] == 1800


@pytest.mark.parametrize(
    ("path", "field"),
    [
        *((f"/approvals/APR-1?wait={w}", "wait") for w in ("61", "inf", "nan", "-1", "1_0", "")),
        *((f"/incidents?limit={n}", "limit") for n in ("1_0", "\u0663", "0", "201", "+5")),
        ("/feedback/stats?days=\u00b2", "days"),
        ("/channels/incidents/messages?limit=\u0663", "limit"),
    ],
)
async def test_query_parameters_out_of_range_or_form_are_refused(api, path, field):
    _, client = api
    await client.post("/approvals", APPROVAL)
    status, body = await client.get(path)
    assert (status, body.get("field")) == (422, field), body


async def test_wait_in_range_is_taken(api):
    _, client = api
    await client.post("/approvals", APPROVAL)
    for wait in ("0", "0.01", "1e-05", "-0.0"):
        status, body = await client.get(f"/approvals/APR-1?wait={wait}")
        assert (status, body["status"]) == (200, "pending"), wait


@pytest.mark.parametrize(
    "path", ["/incidents/INC-\u00b2", "/incidents/%23%231", "/approvals/APR-\u00b2",
             "/investigations/INV-\u0663", "/incidents/1%0A"],
)
async def test_malformed_ids_are_404(api, path):
    _, client = api
    status, body = await client.get(path)
    assert status == 404 and "is not an" in body["error"], body


@pytest.mark.parametrize(
    ("body", "headers", "field"),
    [
        ({"title": "x", "assignee": ""}, {}, "assignee"),
        ({"title": "x", "assignee": "alice"}, {}, "assignee"),
        ({"title": "x", "assignee": "alice@example.com "}, {}, "assignee"),
        ({"title": "x", "service": ""}, {}, "service"),
        ({"title": "x"}, {"Idempotency-Key": "has space"}, "Idempotency-Key"),
    ],
)
async def test_formats_the_document_gives_are_held_to(api, body, headers, field):
    _, client = api
    status, answer, _ = await client.call("POST", "/incidents", body, headers=headers)
    assert (status, answer.get("field")) == (422, field), answer


async def test_an_approval_needs_someone_to_decide(api):
    _, client = api
    await refused(client, "/approvals", {**APPROVAL, "approvers": []}, "approvers", "approver")


@pytest.mark.parametrize("channel", ["#nope", "C0NOPE", "#archived"])
async def test_a_channel_beacon_cannot_post_in_is_a_422_at_once(api, channel):
    world, client = api
    world.emu.channel_by_name("random").is_archived = True
    ref = "#random" if channel == "#archived" else channel
    await refused(client, "/investigations", {**INVESTIGATION, "channel": ref}, "channel")
    assert (await client.get("/investigations/INV-1"))[0] == 404  # nothing was saved


async def test_a_post_slack_refuses_later_shows_as_delivery_error(api):
    world, client = api
    status, body = await client.post("/investigations", {**INVESTIGATION, "channel": "#random"})
    assert status == 201 and body["delivery_error"] is None
    await world.settle()
    assert (await client.get("/investigations/INV-1"))[1]["delivery_error"] is None
    # The default channel (no channel, no incident) is archived after Beacon looked it up.
    world.emu.channel_by_name("incidents").is_archived = True
    status, body = await client.post("/investigations", INVESTIGATION)
    assert status == 201
    await world.settle()
    status, body = await client.get("/investigations/INV-2")
    assert status == 200 and body["channel"] is None
    assert body["delivery_error"] in ("is_archived", "channel_not_found (#incidents)")


async def test_the_document_names_this_servers_services_and_callbacks(api):
    world, client = api
    _, doc = await client.get("/openapi.json", token=None)
    service = doc["components"]["schemas"]["IncidentCreate"]["properties"]["service"]
    assert service["anyOf"][0]["enum"] == sorted(world.runtime.beacon.config.services)
    approval = doc["components"]["schemas"]["ApprovalCreate"]["properties"]
    assert "callback_url" not in approval  # no BEACON_CALLBACK_SECRET here
    for item in doc["paths"].values():
        for op in item.values():
            assert {"400", "414", "431", "503"} <= set(op["responses"]), op["operationId"]


async def test_a_fault_of_beacons_is_a_json_500_with_its_traceback_logged(api, monkeypatch, caplog):
    world, client = api

    async def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(world.runtime.beacon.intake, "page", broken)
    status, body = await client.get("/incidents")
    assert (status, body["status"]) == (500, 500) and "its log has the details" in body["error"]
    logged = [r for r in caplog.records if r.exc_info and "GET /api/v1/incidents" in r.getMessage()]
    assert logged and logged[0].exc_info[1].args == ("boom",)
