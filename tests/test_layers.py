"""Nothing outside app/store talks to Redis: no module in app/ (but app/store), listeners/,
views/ or sandbox/ imports `redis` or calls a method on something named `redis` (an attribute
`x.redis.get(…)` or a variable `redis.ping()`). They go through a store's method; failures are
named by app/store/errors.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SCOPE = ("app", "listeners", "views", "sandbox")
STORE = ROOT / "app" / "store"

# Modules allowed to break the rule, each with the reason. Keep it empty if you can: a new
# entry needs a reason a reviewer accepts, and an entry that no longer breaks it fails below.
EXCEPTIONS: dict[str, str] = {}


def _modules() -> list[Path]:
    found = []
    for top in SCOPE:
        for path in sorted((ROOT / top).rglob("*.py")):
            if not path.is_relative_to(STORE):
                found.append(path)
    return found


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def redis_uses(tree: ast.AST) -> list[str]:
    """Each place, in line order, the source imports redis (TYPE_CHECKING and function-local
    imports too) or calls a method on something named `redis`."""
    uses: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            uses += [
                (node.lineno, f"import {a.name}")
                for a in node.names
                if a.name == "redis" or a.name.startswith("redis.")
            ]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            module = node.module or ""
            if module == "redis" or module.startswith("redis."):
                uses.append((node.lineno, f"from {module} import …"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            named = (isinstance(owner, ast.Name) and owner.id == "redis") or (
                isinstance(owner, ast.Attribute) and owner.attr == "redis"
            )
            if named:
                uses.append((node.lineno, f"{ast.unparse(node.func)}()"))
    return [f"line {line}: {what}" for line, what in sorted(uses)]


def test_the_scope_is_not_empty():
    names = {_name(p) for p in _modules()}
    assert {"app/main.py", "app/container.py", "listeners/commands/status.py"} <= names
    assert not any(n.startswith("app/store/") for n in names)


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_module_does_not_talk_to_redis(path: Path):
    uses = redis_uses(ast.parse(path.read_text(), filename=str(path)))
    if _name(path) in EXCEPTIONS:
        assert uses, f"{_name(path)} no longer needs its exception: remove it from EXCEPTIONS"
        return
    assert not uses, f"{_name(path)} talks to Redis outside app/store: {uses}"


def test_the_walk_sees_imports_and_calls_anywhere():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from redis.asyncio import Redis\n"
        "import redis.exceptions\n"
        "async def f(beacon, redis):\n"
        "    await beacon.redis.ping()\n"
        "    await redis.hget('k', 'f')\n"
        "    await beacon.stores.ping()\n"  # a store's method: fine
        "    return beacon.redis_url\n"
    )
    uses = redis_uses(ast.parse(source))
    assert [u.split(":")[0] for u in uses] == ["line 3", "line 4", "line 6", "line 7"], uses


def test_every_exception_names_a_module_in_scope():
    names = {_name(p) for p in _modules()}
    assert set(EXCEPTIONS) <= names
