"""The OpenAPI document at /api/v1/openapi.json matches the server: same routes, valid 3.1,
and every example request body is accepted."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from app.intake.http import API_PREFIX
from app.intake.server import build_api
from tests.e2e.intake import api

__all__ = ["api"]  # fixtures: the World with the intake API on a free port

METHODS = {"get", "post", "put", "patch", "delete"}
# Bodies that change state run in this order, so each finds what it needs (INC-1 open).
ORDER = ["createIncident", "postInvestigationUpdate", "addIncidentNote", "acknowledgeIncident"]
LAST = ["resolveIncident"]


@pytest.fixture
def api_settings() -> dict[str, Any]:
    # Approval examples carry a callback_url, which needs the signing secret.
    return {"beacon_callback_secret": "test-secret"}


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): op
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


async def test_document_is_valid_openapi_31_and_lists_exactly_the_routes(api):
    world, client = api
    status, doc = await client.get("/openapi.json", token=None)
    assert status == 200
    validate(doc)  # raises with the JSON path of the first fault
    assert doc["openapi"].startswith("3.1")
    assert world.runtime.beacon is not None
    app = build_api(world.runtime.beacon, world.runtime.settings)
    served = {
        (resource.canonical, route.method.lower())
        for resource in app.router.resources()
        for route in resource
        if resource.canonical.startswith(API_PREFIX) and route.method.lower() in METHODS
    }
    documented = set(operations(doc))
    assert served - documented == set(), "routes missing from the OpenAPI document"
    assert documented - served == set(), "documented operations the server does not have"
    ids = [op["operationId"] for op in operations(doc).values()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    for op in operations(doc).values():  # every operation documents its success answer
        assert any(code.startswith("2") for code in op["responses"]), op["operationId"]


def _path_with_examples(path: str, op: dict[str, Any]) -> str:
    for param in op.get("parameters", []):
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", str(param.get("example", "x")))
    return path.removeprefix(API_PREFIX)


async def test_example_request_bodies_are_accepted(api):
    world, client = api
    _, doc = await client.get("/openapi.json", token=None)
    with_examples = {
        op["operationId"]: (path, method, op)
        for (path, method), op in operations(doc).items()
        if "example" in (op.get("requestBody", {}).get("content", {}).get("application/json", {}))
    }
    assert set(ORDER + LAST) <= set(with_examples)
    rest = sorted(set(with_examples) - set(ORDER) - set(LAST))
    tried = []
    for op_id in ORDER + rest + LAST:
        path, method, op = with_examples[op_id]
        example = op["requestBody"]["content"]["application/json"]["example"]
        status, body, _ = await client.call(method.upper(), _path_with_examples(path, op), example)
        # 404/409 are about state (another module's example may need its own records); a
        # refused body would be 400, 413 or 422.
        assert status not in (400, 413, 422), (op_id, status, body)
        assert str(status) in op["responses"], (op_id, status, "status not documented")
        tried.append((op_id, status))
    assert tried[: len(ORDER)] == [
        ("createIncident", 201),
        ("postInvestigationUpdate", 201),
        ("addIncidentNote", 201),
        ("acknowledgeIncident", 200),
    ]
    assert ("alertmanagerWebhook", 200) in tried and tried[-1] == ("resolveIncident", 200)
    await world.settle()
