"""Custom workflow steps (Slack "functions"): the app's declared steps and their executions.

Slack starts a step by sending `function_executed` with a `bot_access_token` that works as a
bot token; only that token may complete the execution, once (functions.completeSuccess /
completeError in webapi.py, which check outputs against the declared output_parameters).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Parameter types and the JSON values Slack carries for them.
_STRINGS = {
    "string",
    "slack#/types/user_id",
    "slack#/types/channel_id",
    "slack#/types/rich_text",
    "slack#/types/date",
}
_NUMBERS = {"integer", "number", "slack#/types/timestamp"}


@dataclass
class FunctionRun:
    """One execution of a custom step."""

    execution_id: str
    callback_id: str
    inputs: dict[str, Any]
    token: str  # the execution's bot_access_token
    user: str | None  # who ran the workflow
    state: str = "running"  # running, completed, failed
    outputs: dict[str, Any] | None = None
    error: str | None = None
    completions: list[str] = field(default_factory=list)  # every accepted/refused attempt

    @property
    def running(self) -> bool:
        return self.state == "running"


def _type_ok(kind: str, value: Any) -> bool:
    if kind in _STRINGS:
        return isinstance(value, str)
    if kind in _NUMBERS:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return True  # object, array, user_context...: carried as given


def check_parameters(spec: Mapping[str, Any] | None, values: Mapping[str, Any]) -> list[str]:
    """Problems of `values` against input_parameters / output_parameters; empty when fine."""
    if spec is None:
        return []
    props: Mapping[str, Any] = spec.get("properties") or {}
    problems = [f"missing required parameter {n}" for n in spec.get("required") or []
                if values.get(n) in (None, "")]
    for name, value in values.items():
        if name not in props:
            problems.append(f"unknown parameter {name}")
        elif value is not None and not _type_ok(props[name].get("type", ""), value):
            problems.append(f"parameter {name} is not of type {props[name].get('type')}")
    return problems


class Functions:
    """A workspace's custom steps: declared (from the manifest) and executed."""

    def __init__(self) -> None:
        self.declared: dict[str, dict[str, Any]] = {}  # callback_id -> manifest entry
        self.runs: dict[str, FunctionRun] = {}
        self.tokens: dict[str, str] = {}  # bot_access_token -> execution id

    def declare(self, functions: Mapping[str, Mapping[str, Any]]) -> None:
        for callback_id, entry in functions.items():
            self.declared[callback_id] = dict(entry)

    def start(self, callback_id: str, inputs: Mapping[str, Any], user: str | None) -> FunctionRun:
        """A workflow reaches this step: refuses inputs the step's declaration refuses."""
        entry = self.declared.get(callback_id)
        if self.declared and entry is None:
            raise ValueError(f"the app declares no step {callback_id!r}")
        problems = check_parameters((entry or {}).get("input_parameters"), inputs)
        if problems:
            raise ValueError(f"Workflow Builder refuses these inputs: {problems}")
        run = FunctionRun(
            execution_id="Fx" + uuid.uuid4().hex[:10].upper(),
            callback_id=callback_id,
            inputs=dict(inputs),
            token="xwfp-" + uuid.uuid4().hex,
            user=user,
        )
        self.runs[run.execution_id] = run
        self.tokens[run.token] = run.execution_id
        return run

    def function_object(self, app_id: str, callback_id: str) -> dict[str, Any]:
        entry = self.declared.get(callback_id, {})
        params = [
            {"name": name, "type": p.get("type"), "title": p.get("title", name),
             "is_required": name in ((entry.get(part) or {}).get("required") or [])}
            for part in ("input_parameters",)
            for name, p in ((entry.get(part) or {}).get("properties") or {}).items()
        ]
        return {
            "id": "Fn" + callback_id.upper().replace("_", "")[:8],
            "callback_id": callback_id,
            "title": entry.get("title", callback_id),
            "description": entry.get("description", ""),
            "type": "app",
            "input_parameters": params,
            "app_id": app_id,
        }

    def accepts(self, token: str) -> bool:
        return token in self.tokens

    def refusal(self, execution_id: str, token: str) -> str | None:
        """Slack's error for completing this execution with this token; None: go ahead."""
        run = self.runs.get(execution_id)
        if run is None:
            return "function_execution_not_found"
        if token != run.token:
            return "access_denied"  # only the execution's own token completes it
        if not run.running:
            run.completions.append("refused")
            return "execution_not_in_running_state"
        return None
