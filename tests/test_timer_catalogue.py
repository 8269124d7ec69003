"""The timer catalogue: every kind has a handler, and the Lua scripts write only known kinds."""

from __future__ import annotations

import re
from pathlib import Path

from app.domain.escalation import Step
from app.domain.timers import (
    HANDLERS,
    TimerKind,
    escalation_id,
    escalation_timer,
    handler_for,
    sla_timer,
)
from app.scheduler import TimerWork

LUA = Path(__file__).parent.parent / "app" / "store" / "lua"


def test_every_kind_has_a_handler_and_unknown_kinds_have_none():
    work = TimerWork(stores=None, clock=None)  # type: ignore[arg-type]  # only looked up
    assert set(HANDLERS) == set(TimerKind)
    for kind in TimerKind:
        handler = handler_for(kind.value, work)
        assert handler is not None and getattr(handler, "__self__", None) is work, kind
    assert handler_for("nonsense", work) is None


def test_lua_scripts_arm_only_catalogued_kinds():
    written = {
        kind
        for script in LUA.glob("*.lua")
        for kind in re.findall(r"'kind',\s*'([a-z_]+)'", script.read_text())
    }
    assert written, "the pattern no longer finds the scripts' HSET of 'kind'"
    assert written <= {k.value for k in TimerKind}


def test_escalation_ids_carry_the_reopen_epoch_and_suffix():
    assert escalation_id("INC-1", Step(2, 0)) == "esc:INC-1:0:2"
    spec = escalation_timer("INC-1", Step(1, 1), 60.0, suffix=":w5", epoch="7")
    assert spec == {
        "id": "esc:INC-1:1:1:o7:w5",
        "due": 60.0,
        "fields": {
            "kind": "escalate", "incident_id": "INC-1", "from_level": 1, "from_round": 1,
            "epoch": "7",
        },
    }
    assert sla_timer("INC-1", "ack", 5, 100.0)["id"] == "sla:INC-1:ack"
    assert sla_timer("INC-1", "ack", 5, 100.0)["due"] == 400.0
