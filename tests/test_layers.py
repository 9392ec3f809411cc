"""Import layering of src/stepforge: no cycle between modules, none between the packages of any package,
and asl's subpackages depend on each other in one direction only (query <- compilation <- execution,
validation on query and compilation).

Imports are read statically with :mod:`ast` — every ``import`` at any depth, inside functions and
``if TYPE_CHECKING:`` blocks too: hiding an import does not remove the dependency.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = "stepforge"

#: asl's subpackages and the ones each may import (besides asl's top-level modules).
ASL_LAYERS: dict[str, frozenset[str]] = {
    "stepforge.asl.query": frozenset(),
    "stepforge.asl.compilation": frozenset({"stepforge.asl.query"}),
    "stepforge.asl.execution": frozenset({"stepforge.asl.query", "stepforge.asl.compilation"}),
    "stepforge.asl.validation": frozenset({"stepforge.asl.query", "stepforge.asl.compilation"}),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / ROOT).rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


@functools.cache
def _edges() -> dict[str, set[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = {module: set() for module in modules}
    for module, path in modules.items():
        for target in _imported(module, path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != module and target.startswith(ROOT):
                edges[module].add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Strongly connected components of more than one node (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            child = next(pending, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(tuple(sorted(component)))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def _packages(edges: dict[str, set[str]]) -> set[str]:
    return {module.rpartition(".")[0] for module in edges if "." in module}


def _collapsed(edges: dict[str, set[str]], package: str) -> dict[str, set[str]]:
    """The graph between the direct children (modules and subpackages) of ``package``."""
    prefix = f"{package}."
    depth = package.count(".") + 2

    def child(module: str) -> str | None:
        return ".".join(module.split(".")[:depth]) if module.startswith(prefix) else None

    collapsed: dict[str, set[str]] = {}
    for module, targets in edges.items():
        source = child(module)
        if source is None:
            continue
        found = collapsed.setdefault(source, set())
        found.update(t for t in map(child, targets) if t is not None and t != source)
    return collapsed


def all_cycles() -> list[tuple[str, ...]]:
    """Every import cycle: between modules, and between the children of each package."""
    edges = _edges()
    cycles = set(_cycles(edges))
    for package in _packages(edges):
        cycles.update(_cycles(_collapsed(edges, package)))
    return sorted(cycles)


def test_the_check_sees_imports_hidden_in_functions(tmp_path: Path) -> None:
    module = tmp_path / "y.py"
    module.write_text("def f():\n    from . import z\n    import stepforge.w\n", encoding="utf-8")
    assert list(_imported("stepforge.x.y", module)) == ["stepforge.x", "stepforge.x.z", "stepforge.w"]
    edges = {"stepforge.a": {"stepforge.b"}, "stepforge.b": {"stepforge.a"}, "stepforge.c": {"stepforge.a"}}
    assert _cycles(edges) == [("stepforge.a", "stepforge.b")]


def test_packages_collapse_to_their_direct_children() -> None:
    edges = {"stepforge.p.a.x": {"stepforge.p.b"}, "stepforge.p.b": {"stepforge.p.a.y"}, "stepforge.p.a.y": set()}
    assert _cycles(_collapsed(edges, "stepforge.p")) == [("stepforge.p.a", "stepforge.p.b")]


def test_no_import_cycle_anywhere() -> None:
    cycles = all_cycles()
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(cycle) for cycle in cycles)


def test_asl_subpackages_depend_in_one_direction() -> None:
    edges = _collapsed(_edges(), "stepforge.asl")
    wrong = {(source, target) for source, allowed in ASL_LAYERS.items()
             for target in edges.get(source, set()) if target in ASL_LAYERS and target not in allowed}
    assert wrong == set()


def test_asl_does_not_import_the_layers_above_it() -> None:
    above = ("stepforge.store", "stepforge.tasks", "stepforge.engine", "stepforge.service", "stepforge.api",
             "stepforge.console", "stepforge.cli")
    wrong = {(module, target) for module, targets in _edges().items() if module.startswith("stepforge.asl")
             for target in targets if target.startswith(above)}
    assert wrong == set()
