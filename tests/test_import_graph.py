"""Who imports whom among the project's packages, read from their source with `ast`.

Every import counts: at module level, inside functions, under `if TYPE_CHECKING`. An import of
`pkg.mod` is an edge to `pkg.mod` only, not to `pkg/__init__` too: a package that re-exports
its modules would otherwise be "in a cycle" with each of them.

`python tests/test_import_graph.py` prints every cycle left.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "listeners", "views", "slack_emulator", "sandbox")
APP_CODE = ("app", "listeners", "views")

Graph = dict[str, set[str]]


def _modules() -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package's __init__)."""
    found = {}
    for package in PACKAGES:
        for file in sorted((ROOT / package).rglob("*.py")):
            parts = list(file.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (file, is_package)
    return found


def _imported(node: ast.AST, package: str, known: set[str]) -> list[str]:
    """The names an import statement reaches, before narrowing to known modules."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parent = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*parent, *([node.module] if node.module else [])])
    # `from pkg import mod` imports the module pkg.mod; `from mod import name`, the module mod.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


def import_graph() -> Graph:
    modules = _modules()
    known = set(modules)
    graph: Graph = {name: set() for name in modules}
    for name, (file, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), str(file))):
            for target in _imported(node, package, known):
                while target and target not in known:
                    target = target.rpartition(".")[0]  # pkg.mod.name -> pkg.mod
                if target and target != name:
                    graph[name].add(target)
    return graph


def _reachable(graph: Graph, start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def cycles(graph: Graph) -> list[list[str]]:
    """Groups of modules that each reach all the others (strongly connected, size > 1)."""
    reach = {name: _reachable(graph, name) for name in graph}
    groups = {
        frozenset(other for other in reach[name] if name in reach[other])
        for name in graph
        if name in reach[name]
    }
    return sorted(sorted(group) for group in groups)


def _in(name: str, packages: tuple[str, ...]) -> bool:
    return name.split(".")[0] in packages


def test_no_module_of_the_project_is_in_an_import_cycle() -> None:
    # Type-only imports count too: a Protocol (app/notifier/context.py, app/ops/*.py) names
    # what a module needs of another without importing it back.
    assert cycles(import_graph()) == []


def test_the_emulator_has_no_cycles() -> None:
    mine = [c for c in cycles(import_graph()) if any(_in(m, ("slack_emulator",)) for m in c)]
    assert mine == []


def test_the_emulator_imports_nothing_of_the_app_and_the_app_nothing_of_it() -> None:
    graph = import_graph()
    emulator = {
        (m, t)
        for m in graph
        if _in(m, ("slack_emulator",))
        for t in graph[m]
        if not _in(t, ("slack_emulator",))
    }
    assert emulator == set()
    app = {
        (m, t) for m in graph if _in(m, APP_CODE) for t in graph[m] if _in(t, ("slack_emulator",))
    }
    assert app == set()  # the sandbox is not app code: it may use the emulator


def test_the_sandbox_is_in_no_cycle() -> None:
    assert [c for c in cycles(import_graph()) if any(_in(m, ("sandbox",)) for m in c)] == []


def test_importing_the_emulator_loads_no_app_code() -> None:
    check = (
        "import sys, slack_emulator; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {APP_CODE!r} + ('sandbox',)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


if __name__ == "__main__":
    for group in cycles(import_graph()):
        print(f"{len(group)} modules: {', '.join(group)}")
