"""app/domain is pure: no Redis, Slack, HTTP, store or notifier imports, and the store satisfies
the domain's ports."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from app.domain import ports
from app.slack.directory import UserDirectory
from app.store import Stores
from app.store.approvals import ApprovalStore, InvestigationStore
from app.store.incident_channels import ChannelStore
from app.store.incident_record import RecordStore
from app.store.incidents import IncidentStore
from app.store.oncall import OnCallStore
from app.store.runbooks import RunbookStore
from app.store.timers import TimerStore

ROOT = Path(__file__).parent.parent
DOMAIN = ROOT / "app" / "domain"
FORBIDDEN = (
    "redis",
    "slack_sdk",
    "slack_bolt",
    "aiohttp",
    "app.store",
    "app.notifier",
    "app.slack",
    "views",
    "listeners",
)


def _imported(tree: ast.AST, package: str) -> set[str]:
    """Every module a file imports, anywhere in it (functions, TYPE_CHECKING blocks too)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_nothing_impure(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = sorted(n for n in _imported(tree, "app.domain") if _forbidden(n))
    assert not bad, f"{path.name} imports {bad}"


def test_the_walk_sees_imports_inside_functions_and_type_checking():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from app.store import IncidentStore\n"
        "def f():\n    import redis.asyncio\n"
        "from ..notifier import engine\n"
    )
    found = {n for n in _imported(ast.parse(source), "app.domain") if _forbidden(n)}
    assert {"app.store", "redis.asyncio", "app.notifier"} <= found


def test_incidents_import_without_redis_or_slack():
    code = (
        "import sys\n"
        "for name in ('redis', 'slack_sdk', 'slack_bolt', 'aiohttp'):\n"
        "    sys.modules[name] = None\n"
        "import app.domain.incidents\n"
        "import app.domain.approvals, app.domain.incident_record, app.domain.timers\n"
        "assert not any(m.startswith(('app.store', 'app.notifier')) for m in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


IMPLEMENTATIONS = [
    (ports.IncidentRepository, IncidentStore),
    (ports.IntakeRepository, IncidentStore),
    (ports.DigestRepository, IncidentStore),
    (ports.DigestTimers, TimerStore),
    (ports.IncidentUpdateRepository, ChannelStore),
    (ports.RecordRepository, RecordStore),
    (ports.RunbookRepository, RunbookStore),
    (ports.ApprovalRepository, ApprovalStore),
    (ports.InvestigationRepository, InvestigationStore),
    (ports.OverrideRepository, OnCallStore),
    (ports.HealthRepository, Stores),
    (ports.UserLookup, UserDirectory),
]


@pytest.mark.parametrize(
    ("port", "impl"), IMPLEMENTATIONS, ids=[p.__name__ for p, _ in IMPLEMENTATIONS]
)
def test_the_store_implements_each_port(port: type, impl: type):
    """Structural, so nothing else checks it: same methods, parameter names and kinds."""
    for name, wanted in inspect.getmembers(port, inspect.isfunction):
        if name.startswith("_"):
            continue
        have = getattr(impl, name, None)
        assert inspect.iscoroutinefunction(have), f"{impl.__name__}.{name} is missing"
        shape = [(p.name, p.kind) for p in inspect.signature(wanted).parameters.values()]
        actual = [(p.name, p.kind) for p in inspect.signature(have).parameters.values()]
        assert actual[: len(shape)] == shape, f"{impl.__name__}.{name}: {actual} vs {shape}"
