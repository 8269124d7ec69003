"""Every listener has the same thin shape: ack, parse, call one service, answer.

Read from the source (ast) and from what each package's register() registers:
- no listener module imports Redis, the store, the notifier or App Home's publisher (services
  are reached through the container's fields);
- none builds a service, store or publisher (a class with async methods), calls a method of the
  container itself, or reaches a `.store` / `.redis` / `.notifier` attribute;
- none reads a modal's `view.state` (the modal's form in views/modals/ does);
- each module registers one listener function;
- every registered listener that Slack waits on acks before it calls Slack's Web API (a
  `client.` call, or anything `client`, `respond` or `say` is handed to);
- no function awaits more than one service call on any one path through it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.container import Beacon

ROOT = Path(__file__).parent.parent
SURFACES = ("actions", "commands", "events", "functions", "shortcuts", "views")
MODULES = sorted(p for s in SURFACES for p in (ROOT / "listeners" / s).glob("*.py"))
FORBIDDEN = ("redis", "app.store", "app.keys", "app.notifier", "app.home", "app.scheduler")
FORBIDDEN_ATTRIBUTES = {"store", "redis", "notifier"}
SLACK_ARGUMENTS = {"client", "respond", "say"}  # handing one of these on may call Slack
CONTAINER_METHODS = {
    n for n, v in vars(Beacon).items() if not n.startswith("__") and inspect.isfunction(v)
} | {"build"}
# Functions allowed more than one awaited service call on one path, and why. (None today.)
MORE_THAN_ONE_SERVICE_CALL: dict[str, str] = {}


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _ids(path: Path) -> str:
    return _name(path).removeprefix("listeners.")


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> 'module.name' for every `from module import name`."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


@pytest.mark.parametrize("path", MODULES, ids=_ids)
def test_imports_no_storage_or_workers(path: Path):
    bad = []
    for node in ast.walk(_tree(path)):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        bad += [m for m in modules if any(m == f or m.startswith(f"{f}.") for f in FORBIDDEN)]
    assert not bad, f"{_name(path)} imports {bad}"


def _is_container(node: ast.AST) -> bool:
    """`beacon` (the commands' name for it) or `beacon_of(context)`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id == "beacon_of"
    return isinstance(node, ast.Name) and node.id == "beacon"


def _has_async_methods(obj: Any) -> bool:
    return inspect.isclass(obj) and any(
        inspect.iscoroutinefunction(v) for _, v in inspect.getmembers(obj, inspect.isfunction)
    )


@pytest.mark.parametrize("path", MODULES, ids=_ids)
def test_builds_no_service_and_reaches_no_storage(path: Path):
    tree = _tree(path)
    imported = _imported_names(tree)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            bad.append(f"line {node.lineno}: .{node.attr}")
        if isinstance(node, ast.Constant) and node.value == "state":
            bad.append(f"line {node.lineno}: reads a modal's state")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in CONTAINER_METHODS:
            if _is_container(func.value):
                bad.append(f"line {node.lineno}: calls the container's {func.attr}()")
        if isinstance(func, ast.Name) and func.id in imported:
            module, _, name = imported[func.id].rpartition(".")
            if _has_async_methods(getattr(importlib.import_module(module), name, None)):
                bad.append(f"line {node.lineno}: builds a {name}")
    assert not bad, f"{_name(path)}: {bad}"


# --- ack before Slack ----------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    kind: str  # action, command, view, shortcut, event
    function: Callable[..., Any]


class _Recorder:
    """Stands in for the AsyncApp in register(): records what each decorator is given."""

    def __init__(self) -> None:
        self.registered: list[Registered] = []

    def __getattr__(self, kind: str) -> Callable[..., Any]:
        def route(*_: Any, **__: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
            def add(function: Callable[..., Any]) -> Callable[..., Any]:
                self.registered.append(Registered(kind, function))
                return function

            return add

        return route


def _registered() -> list[Registered]:
    app = _Recorder()
    for surface in SURFACES:
        importlib.import_module(f"listeners.{surface}").register(app)
    return app.registered


REGISTERED = _registered()


def _is_ack(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Await)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "ack"
    )


def _calls_slack(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Await) and isinstance(node.value, ast.Call)):
        return False
    call = node.value
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.value.id == "client":
            return True
    if isinstance(func, ast.Name) and func.id in SLACK_ARGUMENTS:
        return True
    handed = [*call.args, *(k.value for k in call.keywords)]
    return any(isinstance(a, ast.Name) and a.id in SLACK_ARGUMENTS for a in handed)


def _definition(function: Callable[..., Any]) -> ast.AsyncFunctionDef:
    source = Path(inspect.getsourcefile(function) or "")
    for node in _functions(_tree(source)):
        if node.name == function.__name__ and isinstance(node, ast.AsyncFunctionDef):
            return node
    raise LookupError(function.__qualname__)


def test_every_surface_registers_listeners():
    kinds = {r.kind for r in REGISTERED}
    assert kinds == {"action", "command", "view", "shortcut", "event", "function"}


def test_one_listener_per_module():
    """A module may serve several ids (the feedback buttons), but with one function."""
    by_module: dict[str, set[str]] = {}
    for listener in REGISTERED:
        by_module.setdefault(listener.function.__module__, set()).add(listener.function.__name__)
    crowded = {m: sorted(f) for m, f in by_module.items() if len(f) > 1}
    assert not crowded


@pytest.mark.parametrize(
    "listener", REGISTERED, ids=[f"{r.kind}:{r.function.__name__}" for r in REGISTERED]
)
def test_acks_before_calling_slack(listener: Registered):
    node = _definition(listener.function)
    params = {a.arg for a in [*node.args.args, *node.args.kwonlyargs]}
    if listener.kind == "event":  # Bolt acks events itself, before the listener runs
        assert "ack" not in params
        return
    assert "ack" in params, f"{node.name} takes no ack"
    acks = [n.lineno for n in ast.walk(node) if _is_ack(n)]
    slack = [n.lineno for n in ast.walk(node) if _calls_slack(n)]
    assert acks, f"{node.name} never acks"
    assert all(line > min(acks) for line in slack), (
        f"{node.name} calls Slack on line {min(slack)} before its ack on line {min(acks)}"
    )


# --- one service call ----------------------------------------------------------------------


class _ServiceCalls:
    """Counts awaited calls of a service method (`beacon.<service>.<method>(...)`, directly or
    through a local name for the service) along the path through a function that has the most."""

    def __init__(self, function: ast.AsyncFunctionDef | ast.FunctionDef) -> None:
        params = {a.arg for a in [*function.args.args, *function.args.kwonlyargs]}
        self.containers = {"beacon"} & params
        self.services: set[str] = set()
        for node in ast.walk(function):  # `beacon = beacon_of(context)`, `record = beacon.record`
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and self._container(node.value):
                    self.containers.add(target.id)
                elif isinstance(target, ast.Name) and self._service(node.value):
                    self.services.add(target.id)

    def _container(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return node.func.id == "beacon_of"
        return isinstance(node, ast.Name) and node.id in self.containers

    def _service(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute):
            return self._container(node.value)
        return isinstance(node, ast.Name) and node.id in self.services

    def _is_call(self, node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Await)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and self._service(node.value.func.value)
        )

    def _in(self, node: ast.AST) -> int:
        return sum(1 for n in ast.walk(node) if self._is_call(n))

    def paths(self, body: list[ast.stmt]) -> tuple[float, float]:
        """The most calls on a path that ends in `body` (return, raise), and on one that goes
        on after it; -inf where there is no such path."""
        ended, going = NONE, 0.0
        for stmt in body:
            if going == NONE:
                break  # the rest is never reached
            if isinstance(stmt, ast.Return | ast.Raise):
                ended, going = max(ended, going + self._in(stmt)), NONE
                continue
            if isinstance(stmt, ast.If):
                before = going + self._in(stmt.test)
                branches = [self.paths(stmt.body), self.paths(stmt.orelse)]
            elif isinstance(stmt, ast.Match):
                before = going + self._in(stmt.subject)
                branches = [self.paths(c.body) for c in stmt.cases] + [(NONE, 0.0)]
            elif isinstance(stmt, ast.Try):
                before = going
                rest = [*stmt.orelse, *stmt.finalbody]
                branches = [self.paths([*stmt.body, *rest])]
                branches += [self.paths([*h.body, *stmt.finalbody]) for h in stmt.handlers]
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                continue  # counted as a function of its own
            else:
                going += self._in(stmt)
                continue
            ended = max([ended, *(before + e for e, _ in branches)])
            going = max(before + g for _, g in branches)
        return ended, going

    def most(self, body: list[ast.stmt]) -> int:
        return int(max(self.paths(body)))


NONE = float("-inf")
FUNCTIONS = [(p, f) for p in MODULES for f in _functions(_tree(p))]


@pytest.mark.parametrize(
    ("path", "function"), FUNCTIONS, ids=[f"{_ids(p)}.{f.name}" for p, f in FUNCTIONS]
)
def test_calls_one_service_at_most_on_any_path(path: Path, function: ast.AST):
    assert isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
    most = _ServiceCalls(function).most(function.body)
    key = f"{_name(path)}.{function.name}"
    assert most <= 1 or key in MORE_THAN_ONE_SERVICE_CALL, f"{key} makes {most} service calls"


def test_the_checks_see_what_they_look_for():
    """The walkers on a listener with every fault: Slack before the ack, two service calls on
    one path (an early return ends a path; the branches of a match are paths of their own)."""
    source = (
        "async def handle(ack, body, client, context):\n"
        "    beacon = beacon_of(context)\n"
        "    await client.views_open(view={})\n"
        "    await ack()\n"
        "    if not body:\n"
        "        return await beacon.record.retro_draft('INC-1')\n"
        "    match body:\n"
        "        case 1:\n"
        "            await beacon.incidents.get('INC-1')\n"
        "        case _:\n"
        "            await beacon.incidents.get_open('INC-1')\n"
        "    incidents = beacon.incidents\n"
        "    await incidents.get('INC-1')\n"
    )
    [function] = _functions(ast.parse(source))
    assert [n.lineno for n in ast.walk(function) if _calls_slack(n)] == [3]
    assert [n.lineno for n in ast.walk(function) if _is_ack(n)] == [4]
    assert _ServiceCalls(function).most(function.body) == 2
    one = ast.parse("async def f(beacon):\n    if beacon:\n        return await beacon.a.b()\n"
                    "    return await beacon.a.c()\n")
    [function] = _functions(one)
    assert _ServiceCalls(function).most(function.body) == 1
