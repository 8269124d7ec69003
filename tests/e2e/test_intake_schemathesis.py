"""Schemathesis against the live intake API (real Redis, the Slack emulator): every check, every
phase (examples, coverage, fuzzing, and the stateful phase following the document's links), a
bounded number of examples. Any failure fails the test, with its curl command.

The run is seeded (SCHEMATHESIS_SEED, default 1) so a failure is reproducible; set another seed
to explore."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER, HookContext

from app.domain.listing import IncidentState, encode_cursor
from app.intake.fields import (
    CHANNEL_PATTERN,
    CURSOR_PATTERN,
    EMAIL_PATTERN,
    GROUP_ID_PATTERN,
    full_match,
)
from app.intake.routes.approvals import WAIT_MAX_S
from tests.e2e.intake import CI, api, api_settings

__all__ = ["api", "api_settings"]  # fixtures: the World with the intake API on a free port

SEED = int(os.environ.get("SCHEMATHESIS_SEED", "1"))
MAX_EXAMPLES = 12
GROUP = "S0APPROVERS"
# Data that must name something in the workspace is drawn from what exists there.
KNOWN = {
    "assignee": (EMAIL_PATTERN, "alice@example.com"),
    "channel": (CHANNEL_PATTERN, "#incidents"),
    "approver_group": (GROUP_ID_PATTERN, GROUP),
}
WAIT_S = 0.05  # ?wait= long-polls in real seconds
STATES = {s.value for s in IncidentState}


def existing(context: HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    """Valid values that must name something in the workspace name what exists; waits are
    short. Invalid ones are left as drawn, so a case stays as valid as it was."""
    if isinstance(case.body, dict):
        for field, (pattern, known) in KNOWN.items():
            given = case.body.get(field)
            if isinstance(given, str) and full_match(pattern, given):
                case.body[field] = known
    # A list's cursor is opaque, valid only as that list gave it out: a drawn one that fits
    # the pattern is swapped for a real cursor of the list asked for (one below 1,000,000).
    cursor, status = (case.query or {}).get("cursor"), (case.query or {}).get("status", "open")
    if cursor and full_match(CURSOR_PATTERN, str(cursor)) and status in STATES:
        case.query["cursor"] = encode_cursor(IncidentState(status), 1_000_000)
    wait: Any = (case.query or {}).get("wait")
    with contextlib.suppress(TypeError, ValueError):  # drawn as a number or as its text
        if 0 <= float(wait) <= WAIT_MAX_S:
            case.query["wait"] = min(float(wait), WAIT_S)


def report(label: str, phase: str, recorder: Any) -> list[str]:
    out = []
    for case_id, checks in recorder.checks.items():
        interaction = recorder.interactions.get(case_id)
        response = interaction.response if interaction is not None else None
        answer = (
            f"-> {response.status_code} {response.content[:300]!r}" if response else "-> (none)"
        )
        for check in checks:
            info = check.failure_info
            if check.status == Status.FAILURE and info is not None:
                out.append(
                    f"[{phase}] {label} {check.name}: {info.failure.title}\n"
                    f"{info.failure.message}\n{info.code_sample}\n{answer}"
                )
    return out


def run(base_url: str) -> tuple[list[str], float]:
    config = SchemathesisConfig.from_dict(
        {
            "base-url": base_url,
            "headers": {"Authorization": f"Bearer {CI}"},
            "seed": SEED,
            "workers": 1,
            "request-timeout": 10,
            "checks": {"enabled": True},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True, "max-steps": 20},
            },
            "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "database": "none"},
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=config)
    failures: list[str] = []
    start = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.status == Status.FAILURE:
            failures += report(event.recorder.label, event.phase.value, event.recorder)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"{type(event).__name__}: {event}")
        elif isinstance(event, events.EngineFinished):
            failures += [f"after run: {f.title}\n{f.message}" for f in event.failures]
    return failures, time.monotonic() - start


async def test_schemathesis_finds_nothing(api):
    world, client = api
    world.emu.add_usergroup(["UALICE", "UBOB"], GROUP)
    hook = schemathesis.hook("before_call")(existing)  # before_call hooks are global only
    try:
        failures, took = await asyncio.to_thread(run, client.base.removesuffix("/api/v1"))
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(hook)
    print(f"schemathesis: {took:.1f} s, seed {SEED}")
    assert failures == [], "\n\n".join(dict.fromkeys(failures))
