"""BeaconApp's context per envelope is Bolt's own, with one counted Web API client per team."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from app.bolt import BeaconApp
from app.ops.metrics import InstrumentedWebClient


def request(team_id: str) -> AsyncBoltRequest:
    body = {"command": "/incident", "text": "help", "team_id": team_id, "user_id": "UALICE"}
    return AsyncBoltRequest(body=body, mode="socket_mode")


def app_of(cls: type[AsyncApp]) -> AsyncApp:
    client = AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:1/api/")
    return cls(
        name="test-bolt-app",
        client=client,
        request_verification_enabled=False,
        process_before_response=True,
    )


def test_context_is_bolts_own_with_one_counted_client_per_team():
    bolt, beacon = app_of(AsyncApp), app_of(BeaconApp)
    theirs, ours = request("T1"), request("T1")
    bolt._init_context(theirs)
    beacon._init_context(ours)
    # A Bolt upgrade that sets more (or other) context in _init_context shows here.
    assert set(ours.context) == set(theirs.context)
    for key in set(theirs.context) - {"client", "listener_runner"}:
        assert ours.context[key] == theirs.context[key], key
    assert ours.context["listener_runner"] is beacon.listener_runner
    client, plain = ours.context.client, theirs.context.client
    assert isinstance(client, InstrumentedWebClient)
    for attr in ("token", "base_url", "timeout", "ssl", "proxy", "headers", "default_params"):
        assert getattr(client, attr) == getattr(plain, attr), attr
    again, other = request("T1"), request("T2")
    beacon._init_context(again)
    beacon._init_context(other)
    assert again.context.client is client  # no client built per envelope
    assert other.context.client is not client
    assert other.context.client.default_params["team_id"] == "T2"


async def test_listener_errors_reach_the_one_error_path_with_what_it_asks_for():
    """The direct handler passes handle_error exactly its arguments, and its answer (a modal's
    field errors) becomes the ack, as Bolt's own handler would."""
    import inspect
    import json

    from slack_bolt.response import BoltResponse

    from listeners.errors import handle_error

    assert list(inspect.signature(handle_error).parameters) == [
        "error", "body", "client", "response", "context"]
    seen: dict[str, object] = {}

    async def path(**kwargs: object) -> BoltResponse:
        seen.update(kwargs)
        return BoltResponse(status=200, body=json.dumps({"response_action": "errors"}))

    app = app_of(BeaconApp)
    app.error(path)
    req = request("T1")
    response = BoltResponse(status=200, body="")
    await app._async_listener_runner.listener_error_handler.handle(
        error=ValueError("x"), request=req, response=response)
    assert set(seen) == {"error", "body", "client", "response", "context"}
    assert seen["body"] is req.body and seen["context"] is req.context
    assert json.loads(response.body) == {"response_action": "errors"}
