"""Hostile and broken requests to the intake API get a JSON 4xx (never a 500 or an ERROR
traceback), and slow, silent or too many clients are cut off. Raw sockets, so nothing between
the test and the server tidies a request up; the few waits here are real but bounded by the
small timeouts each test configures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import pytest

from app.intake.http import MAX_JSON_DEPTH, MAX_NUMBER_CHARS
from tests.e2e.intake import CI, Api, api

__all__ = ["api"]  # fixtures: the World with the intake API on a free port

HEAD_S, BODY_S = 0.4, 0.4  # the timeouts under test; every wait below is bounded by them
AUTH = f"Authorization: Bearer {CI}\r\n"


@pytest.fixture
def api_settings() -> dict[str, Any]:
    return {"api_header_timeout_s": HEAD_S, "api_body_timeout_s": BODY_S}


@pytest.fixture(autouse=True)
def no_error_logs(caplog: pytest.LogCaptureFixture) -> Any:
    """A client's fault is never logged as Beacon's (no ERROR, no traceback)."""
    caplog.set_level(logging.INFO)
    yield
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], [r.getMessage() for r in loud]


def address(client: Api) -> tuple[str, int]:
    url = urlsplit(client.base)
    assert url.hostname and url.port
    return url.hostname, url.port


async def exchange(client: Api, data: bytes) -> tuple[int, dict[str, str], Any]:
    """Send raw bytes, read the answer to the end: (status, headers, JSON body)."""
    reader, writer = await asyncio.open_connection(*address(client))
    writer.write(data)
    await writer.drain()
    async with asyncio.timeout(5):
        raw = await reader.read()
    writer.close()
    return parse(raw)


def parse(raw: bytes) -> tuple[int, dict[str, str], Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    assert headers["content-type"].startswith("application/json"), raw[:300]
    return status, headers, json.loads(body)


def post(path: str, body: bytes, extra: str = "") -> bytes:
    return (
        f"POST /api/v1{path} HTTP/1.1\r\nHost: beacon\r\n{AUTH}Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n"
    ).encode() + body


JSON_ENDPOINTS = [
    "/incidents",
    *(f"/incidents/1/{verb}" for verb in ("acknowledge", "resolve", "notes", "investigation")),
    "/alertmanager",
    "/approvals",
    "/investigations",
]
HOSTILE_BODIES = {
    "nested 1000 deep (2 KB)": b"[" * 1000 + b"]" * 1000,
    "nested one too deep": b'{"title": ' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}",
    "an integer of 4301 digits": b'{"title": "x", "severity": ' + b"9" * 4301 + b"}",
    "a number too long": b'{"title": "x", "n": 0.' + b"1" * MAX_NUMBER_CHARS + b"}",
    "a number out of range": b'{"title": "x", "confidence": 1e400}',
    "NaN": b'{"title": "x", "n": NaN}',
    "-Infinity": b'{"title": "x", "n": -Infinity}',
    "a lone surrogate": b'{"title": "x\\ud800"}',
    "a lone surrogate as a key": b'{"\\udc00": 1}',
    "not UTF-8": b'{"title": "\xff"}',
    "not JSON": b"{title: x}",
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
async def test_hostile_json_is_a_json_400_on_every_json_endpoint(api, body):
    world, client = api
    for path in JSON_ENDPOINTS:
        status, _, answer = await exchange(client, post(path, body))
        assert status == 400, (path, answer)
        assert answer["status"] == 400 and answer["error"]
    assert await world.redis.keys("*incident:*") == []


async def test_json_at_the_limits_is_read(api):
    _, client = api
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    body = f'{{"title": "x", "n": {nested}}}'.encode()
    status, _, answer = await exchange(client, post("/incidents", body))
    assert (status, answer["field"]) == (422, "n")  # read, then refused as an unknown field
    number = b"1" * MAX_NUMBER_CHARS
    status, _, answer = await exchange(client, post("/incidents/1/notes", b'{"text": ' + number))
    assert status == 400 and "not valid JSON" in answer["error"]  # cut short, not too long


async def test_a_url_over_8_kib_is_a_json_414(api):
    _, client = api
    path = "/api/v1/incidents?status=" + "a" * 8200
    status, _, answer = await exchange(  # answered, and closed: exchange reads to the end
        client, f"GET {path} HTTP/1.1\r\nHost: beacon\r\n{AUTH}\r\n".encode()
    )
    assert status == 414 and answer["status"] == 414 and "URL" in answer["error"]


@pytest.mark.parametrize(
    "headers",
    ["X-Big: " + "a" * 9000 + "\r\n", "".join(f"X-{n}: {n}\r\n" for n in range(130))],
    ids=["one header over 8 KiB", "130 headers"],
)
async def test_oversized_headers_are_a_json_431(api, headers):
    _, client = api
    status, _, answer = await exchange(
        client, f"GET /api/v1/healthz HTTP/1.1\r\nHost: beacon\r\n{headers}\r\n".encode()
    )
    assert status == 431 and answer["status"] == 431


@pytest.mark.parametrize(
    "request_bytes",
    [b"GET /api/v1/healthz HTTP/1.1\r\nBad Header\r\n\r\n", b"\x16\x03\x01\x02\x00\r\n\r\n"],
    ids=["header without a colon", "TLS on the plain port"],
)
async def test_garbage_is_a_json_400(api, request_bytes):
    _, client = api
    status, _, answer = await exchange(client, request_bytes)
    assert status == 400 and answer["error"].startswith("The request is not valid HTTP")


@pytest.mark.parametrize(
    "framing",
    ["Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
     "Content-Encoding: gzip\r\nContent-Length: 7\r\n\r\ngarbage"],
    ids=["bad chunk size", "not gzip"],
)
async def test_a_badly_framed_body_is_a_json_400(api, framing):
    _, client = api
    status, _, answer = await exchange(
        client, f"POST /api/v1/incidents HTTP/1.1\r\nHost: beacon\r\n{AUTH}{framing}".encode()
    )
    assert status == 400 and answer["status"] == 400


async def test_405_names_the_allowed_methods(api):
    _, client = api
    for method, path, allowed in [
        ("DELETE", "/incidents", "GET, HEAD, POST"),
        ("PUT", "/incidents/INC-1/acknowledge", "POST"),
        ("OPTIONS", "/healthz", "GET, HEAD"),
    ]:
        status, body, headers = await client.call(method, path)
        assert status == 405 and headers["Allow"] == allowed, (method, path)
        assert body["error"] == f"{method} is not allowed here; use {allowed}."


async def drip(client: Api, first: bytes, then: bytes) -> tuple[float, bytes]:
    """Send `first`, then `then` a byte every 0.05 s until the server answers or closes:
    (seconds that took, what it answered)."""
    reader, writer = await asyncio.open_connection(*address(client))
    writer.write(first)
    loop = asyncio.get_running_loop()
    start = loop.time()
    answer = b""
    try:
        async with asyncio.timeout(HEAD_S + BODY_S + 3):
            for byte in then:
                writer.write(bytes([byte]))
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    answer = await asyncio.wait_for(reader.read(1 << 16), 0.05)
                    break  # an answer, or b"" for the server's close
            took = loop.time() - start
            answer += await reader.read()  # the rest, up to the close
    except ConnectionError:  # the close reset what was still on its way
        took = loop.time() - start
    writer.close()
    return took, answer


async def test_a_client_dripping_its_head_is_cut_off(api):
    _, client = api
    head = f"GET /api/v1/incidents HTTP/1.1\r\nHost: beacon\r\n{AUTH}X-Pad: ".encode()
    took, answer = await drip(client, head, b"a" * 1000)
    assert HEAD_S / 2 <= took < HEAD_S + 1.5
    assert answer == b""  # no request to answer: closed


async def test_a_client_dripping_its_body_gets_a_json_408_and_is_cut_off(api):
    _, client = api
    head = post("/incidents", b"x" * 500).split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    took, answer = await drip(client, head, b" " * 500)
    assert BODY_S / 2 <= took < BODY_S + 1.5
    status, headers, body = parse(answer)
    assert status == 408 and body["status"] == 408 and headers["connection"] == "close"


async def test_silent_connections_are_closed_after_the_head_timeout(api):
    _, client = api
    conns = [await asyncio.open_connection(*address(client)) for _ in range(50)]
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with asyncio.timeout(HEAD_S + 3):
        assert [await reader.read() for reader, _ in conns] == [b""] * 50
    assert loop.time() - start < HEAD_S + 1.5
    for _, writer in conns:
        writer.close()


async def test_a_kept_alive_connection_serves_requests_then_idles_out(api):
    _, client = api
    reader, writer = await asyncio.open_connection(*address(client))
    for _ in range(2):
        writer.write(b"GET /api/v1/healthz HTTP/1.1\r\nHost: beacon\r\n\r\n")
        assert (await reader.readuntil(b'{"status": "ok"}')).startswith(b"HTTP/1.1 200")
    async with asyncio.timeout(HEAD_S + 3):
        assert await reader.read() == b""
    writer.close()


@pytest.mark.parametrize(
    "api_settings", [{"api_max_connections": 3, "api_header_timeout_s": 30}]
)
async def test_connections_over_the_cap_get_a_json_503(api):
    _, client = api
    held = [await asyncio.open_connection(*address(client)) for _ in range(3)]
    reader, writer = await asyncio.open_connection(*address(client))
    async with asyncio.timeout(5):
        status, headers, body = parse(await reader.read())
    assert status == 503 and body["status"] == 503 and headers["retry-after"] == "1"
    assert "API_MAX_CONNECTIONS" in body["error"]
    writer.close()
    held.pop()[1].close()  # one leaves: the next comes in

    async def served() -> bool:
        status, _, _ = await exchange(
            client, b"GET /api/v1/healthz HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"
        )
        return status == 200

    async with asyncio.timeout(5):
        while not await served():  # noqa: ASYNC110 - the close reaches the server in its time
            await asyncio.sleep(0.01)
    for _, w in held:
        w.close()


async def test_a_long_poll_outlives_the_head_timeout(api):
    _, client = api
    approval = {"operation": "Restart db", "risk": "low", "approvers": ["UALICE"]}
    assert (await client.post("/approvals", approval))[0] == 201
    loop = asyncio.get_running_loop()
    start = loop.time()
    status, body = await client.get(f"/approvals/APR-1?wait={HEAD_S * 2}")
    assert (status, body["status"]) == (200, "pending")
    assert loop.time() - start >= HEAD_S * 2
