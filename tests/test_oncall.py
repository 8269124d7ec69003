"""On-call rotations, layers, overrides and escalation steps: pure tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from app.config.oncall import EscalationPolicy, Layer, Override, Schedule
from app.domain.escalation import Step, next_step, start_levels
from app.domain.oncall import on_call, who_at


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


DAILY = Schedule(
    timezone="Europe/London",
    layers=(Layer(name="daily", users=("UA", "UB"), rotation="1d", handoff="09:00",
                  start=date(2026, 10, 20)),),
)


def test_daily_handoff_stays_at_local_nine_across_dst_end():
    # BST: 09:00 local is 08:00 UTC
    assert who_at(DAILY, at("2026-10-24T07:59")).user == who_at(DAILY, at("2026-10-23T08:00")).user
    saturday = who_at(DAILY, at("2026-10-24T08:00"))
    assert saturday.user != who_at(DAILY, at("2026-10-24T07:59")).user
    # 25 October: clocks go back; GMT 09:00 is 09:00 UTC, so Saturday's shift lasts 25 h
    assert saturday.end == at("2026-10-25T09:00")
    assert who_at(DAILY, at("2026-10-25T08:30")).user == saturday.user
    assert who_at(DAILY, at("2026-10-25T09:00")).user != saturday.user
    now = on_call(DAILY, ts("2026-10-24T12:00"))
    assert now.until == at("2026-10-25T09:00") and now.next_user != now.user


def test_layers_restrictions_and_overrides():
    schedule = Schedule(
        timezone="UTC",
        layers=(
            Layer(name="base", users=("UA", "UB"), rotation="7d", start=date(2026, 1, 5)),
            Layer(name="office", users=("UC",), rotation="7d", start=date(2026, 1, 5),
                  restrict={"days": ("mon", "tue", "wed", "thu", "fri"), "start": "09:00",
                            "end": "17:00"}),
        ),
        overrides=(Override(user="UD", start=at("2026-11-25T12:00"), end=at("2026-11-25T13:00")),),
    )
    assert who_at(schedule, at("2026-11-25T10:00")).user == "UC"  # Wednesday office hours
    assert who_at(schedule, at("2026-11-25T12:30")).user == "UD"  # override wins
    assert who_at(schedule, at("2026-11-25T18:00")).user in ("UA", "UB")
    assert who_at(schedule, at("2026-11-28T10:00")).source == "base"  # Saturday
    state = on_call(schedule, ts("2026-11-25T10:00"))
    assert state.until == at("2026-11-25T12:00") and state.next_user == "UD"


def test_hour_rotation():
    schedule = Schedule(layers=(Layer(users=("UA", "UB", "UC"), rotation="12h", handoff="08:00",
                                      start=date(2026, 1, 1)),))
    assert who_at(schedule, at("2026-01-01T08:00")).user == "UA"
    assert who_at(schedule, at("2026-01-01T20:00")).user == "UB"
    assert who_at(schedule, at("2026-01-02T08:00")).user == "UC"
    assert who_at(schedule, at("2026-01-02T20:00")).user == "UA"


def test_invalid_schedules_say_what_to_fix():
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        Schedule(timezone="Mars/Olympus", layers=(Layer(users=("UA",)),))
    with pytest.raises(ValidationError, match="nobody on call on sat at 00:00"):
        Schedule(layers=(Layer(users=("UA",), restrict={"days": ("mon", "tue", "wed", "thu",
                                                                  "fri")}),))
    with pytest.raises(ValidationError, match="not a shift length"):
        Layer(users=("UA",), rotation="weekly")


def test_escalation_steps():
    policy = EscalationPolicy(
        levels=({"targets": ({"user": "UA"},)}, {"targets": ({"user": "UB"},)}),
        repeat=1, page_at_once={"P1": 2},
    )
    assert start_levels(policy, "P1") == 2 and start_levels(policy, "P3") == 1
    assert next_step(policy, Step(1, 0)) == Step(2, 0)
    assert next_step(policy, Step(2, 0)) == Step(1, 1)
    assert next_step(policy, Step(2, 1)) is None
    with pytest.raises(ValidationError, match="a level has no targets"):
        EscalationPolicy(levels=({"targets": ()},))


def test_config_file_problems_one_line_each(tmp_path):
    from app.config import load_config
    from app.settings import StartupError

    path = tmp_path / "oncall.yml"
    path.write_text(
        "default_channel: '#x'\n"
        "services:\n  pay: {name: Pay, escalation_policy: nope}\n"
        "schedules:\n  bad: {timezone: Nowhere/Land, layers: [{users: [UA]}]}\n"
        "  primary: {layers: [{users: [UA, UB]}]}\n"
        "escalation_policies:\n"
        "  main:\n    levels:\n      - {targets: [{schedule: secondary}]}\n"
        "      - {targets: []}\n"
    )
    with pytest.raises(StartupError) as err:
        load_config(path)
    lines = str(err.value).splitlines()
    assert any("schedules.bad.timezone: unknown time zone 'Nowhere/Land'" in x for x in lines)
    assert any("escalation_policies.main.levels.1.targets: a level has no targets" in x
               for x in lines)
    assert all(x.startswith(str(path)) for x in lines)


def test_config_cross_references_name_path_and_choices(tmp_path):
    from app.config import load_config
    from app.settings import StartupError

    path = tmp_path / "refs.yml"
    path.write_text(
        "default_channel: '#x'\n"
        "services:\n  pay: {name: Pay, escalation_policy: nope}\n"
        "schedules:\n  primary: {layers: [{users: [UA, UB]}]}\n"
        "escalation_policies:\n"
        "  main:\n    levels:\n      - {targets: [{schedule: secondary}]}\n"
    )
    with pytest.raises(StartupError) as err:
        load_config(path)
    lines = str(err.value).splitlines()
    assert f"{path}: escalation_policies.main.levels.1: unknown schedule 'secondary' " \
           "(schedules: primary)" in lines
    assert f"{path}: services.pay.escalation_policy: unknown escalation policy 'nope' " \
           "(policies: main)" in lines
