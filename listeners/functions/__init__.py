"""Workflow Builder custom steps (manifest.yml `functions`), one module per step."""

from slack_bolt.async_app import AsyncApp

from listeners.functions.acknowledge_incident import handle_acknowledge_step
from listeners.functions.declare_incident import handle_declare_step
from listeners.functions.get_oncall import handle_oncall_step
from listeners.functions.post_incident_update import handle_update_step
from listeners.functions.resolve_incident import handle_resolve_step
from views.ids import StepId


def register(app: AsyncApp) -> None:
    app.function(StepId.DECLARE)(handle_declare_step)
    app.function(StepId.ACKNOWLEDGE)(handle_acknowledge_step)
    app.function(StepId.RESOLVE)(handle_resolve_step)
    app.function(StepId.UPDATE)(handle_update_step)
    app.function(StepId.ONCALL)(handle_oncall_step)
