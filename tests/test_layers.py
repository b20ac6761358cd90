"""The packages form layers: no package imports one that imports it back.

Read from the sources (module-level imports; `if TYPE_CHECKING:` blocks and imports inside
functions are not dependencies at import time), so a new cycle fails here with its path.
"""

from __future__ import annotations

import ast
from pathlib import Path

import agentic_recsys

ROOT = Path(agentic_recsys.__file__).parent


def _unit(module: str) -> str:
    """The package (or top-level module) a dotted module name belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def package_imports() -> dict[str, set[str]]:
    """Which packages each package imports at module level."""
    edges: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        source = _unit(".".join(rel.parts))
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                target = _unit(name) if name.startswith("agentic_recsys.") else ""
                if target and target != source:
                    edges.setdefault(source, set()).add(target)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path (first == last), or [] when the graph is acyclic."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for nxt in sorted(edges.get(node, ())):
            if cycle := visit(nxt, [*path, node]):
                return cycle
        done.add(node)
        return []

    for start in sorted(edges):
        if cycle := visit(start, []):
            return cycle
    return []


def test_packages_import_no_cycle() -> None:
    cycle = find_cycle(package_imports())
    assert cycle == [], " -> ".join(cycle)


def test_agents_and_tools_receive_resources_not_the_app() -> None:
    edges = package_imports()
    assert "app" not in edges["agents"] | edges["tools"]
    assert {"agents", "graphs", "session"}.isdisjoint(edges["understanding"] | edges["memory"])


def test_the_cycle_finder_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) == []
