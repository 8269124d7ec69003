"""Custom workflow steps in the emulator: only the execution's token completes it, once, with
outputs its declaration accepts; inputs Workflow Builder would refuse never start a run."""

from __future__ import annotations

import pytest

from slack_emulator import SlackEmulator

STEP = {
    "title": "Reverse",
    "input_parameters": {
        "properties": {"text": {"type": "string", "title": "Text"},
                       "who": {"type": "slack#/types/user_id", "title": "Who"}},
        "required": ["text"],
    },
    "output_parameters": {
        "properties": {"reversed": {"type": "string", "title": "Reversed"},
                       "length": {"type": "integer", "title": "Length"}},
        "required": ["reversed"],
    },
}


async def call(emu: SlackEmulator, method: str, token: str, **args: object) -> dict:
    return (await emu.gateway.call(method, dict(args), token)).body


async def test_completion_rules() -> None:
    emu = SlackEmulator(functions={"reverse": STEP})
    functions = emu.workspace.functions
    with pytest.raises(ValueError, match="missing required parameter text"):
        functions.start("reverse", {}, "U1")
    with pytest.raises(ValueError, match="unknown parameter colour"):
        functions.start("reverse", {"text": "x", "colour": "red"}, "U1")
    with pytest.raises(ValueError, match="declares no step"):
        functions.start("other", {"text": "x"}, "U1")
    run = functions.start("reverse", {"text": "abc"}, "U1")
    # The execution's token works as a bot token for other methods too.
    assert (await call(emu, "auth.test", run.token))["ok"] is True
    assert await call(emu, "functions.completeSuccess", emu.bot_token,
                      function_execution_id=run.execution_id, outputs={}) == {
        "ok": False, "error": "access_denied"}
    assert await call(emu, "functions.completeSuccess", run.token,
                      function_execution_id="Fx0", outputs={}) == {
        "ok": False, "error": "function_execution_not_found"}
    refused = await call(emu, "functions.completeSuccess", run.token,
                         function_execution_id=run.execution_id,
                         outputs={"reversed": "cba", "length": "3"})
    assert refused["error"] == "parameter_validation_failed" and run.running
    assert refused["errors"] == ["parameter length is not of type integer"]
    ok = await call(emu, "functions.completeSuccess", run.token,
                    function_execution_id=run.execution_id, outputs='{"reversed": "cba"}')
    assert ok["ok"] is True and (run.state, run.outputs) == ("completed", {"reversed": "cba"})
    assert await call(emu, "functions.completeError", run.token,
                      function_execution_id=run.execution_id, error="late") == {
        "ok": False, "error": "execution_not_in_running_state"}
    assert run.completions == ["success", "refused"]
