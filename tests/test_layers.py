"""The import graph: no cycles among our modules, and dependencies point down the layers.

Every module's imports are read with ``ast`` (not executed): module-level imports and those
inside functions (a lazy import is still a dependency), but not those under
``if TYPE_CHECKING:`` (annotations only). Relative imports are resolved; ``from . import x``
counts as importing the submodule ``x`` when there is one.
"""

from __future__ import annotations

import ast
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1] / "xlmarketing"

#: The layers, lowest first; a module may import its own layer and the ones below.
LAYERS: list[tuple[str, ...]] = [
    ("core",),                                   # the models: knows nothing of Excel
    ("errors", "catalog", "notices"),            # light: standard library (and core errors)
    ("parsing", "cells"),                        # the cell layer
    ("cache",),                                  # fitted models by content
    ("functions",),                              # the sheet functions and their registry
    ("udfs", "workbook"),                        # xlwings wrappers; the headless engine
    ("samples", "experiment_samples", "samples_media",  # sample data, and the workbooks
     "templates", "demo"),                       # built on the engine
    ("serve", "calc", "cli"),                    # the programs (calc: the Calc extension)
]
#: Same layer, still forbidden: the xlwings module and the headless engine know nothing of
#: each other.
APART = {("udfs", "workbook"), ("workbook", "udfs")}

def _name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in ROOT.rglob("*.py")}


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            for a in node.names:
                if f"{mod}.{a.name}" in MODULES:
                    found.add(f"{mod}.{a.name}")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _rank(room: str) -> int:
    for i, layer in enumerate(LAYERS):
        if room in layer:
            return i
    raise KeyError(room)


def test_every_room_has_a_layer():
    rooms = {_room(m) for m in MODULES} - {""}
    unplaced = sorted(r for r in rooms if not any(r in layer for layer in LAYERS))
    assert not unplaced, f"add these to LAYERS in tests/test_layers.py: {unplaced}"


def test_dependencies_point_down():
    wrong = []
    for module, deps in GRAPH.items():
        room = _room(module)
        if not room:
            continue  # the package itself: its lazy __getattr__ serves the public API
        for dep in deps:
            other = _room(dep)
            if not other or other == room:
                continue
            if _rank(other) > _rank(room) or (room, other) in APART:
                wrong.append(f"{module} -> {dep}")
    assert not wrong, "\n".join(sorted(wrong))


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            strong(v)
    return out


def _is_package_parent(a: str, b: str) -> bool:
    """A package's ``__init__`` importing its own submodules (which import names from it) is
    how a package registers them, not a layering cycle."""
    return b.startswith(a + ".") or a.startswith(b + ".")


def test_no_import_cycles():
    cycles = []
    for comp in _cycles():
        # drop edges between a package and its own submodules, then look again
        inner = {v: {w for w in GRAPH[v] if w in comp and not _is_package_parent(v, w)}
                 for v in comp}
        if _has_cycle(inner):
            cycles.append(comp)
    assert not cycles, cycles


def _has_cycle(graph: dict[str, set[str]]) -> bool:
    state: dict[str, int] = {}

    def visit(v: str) -> bool:
        state[v] = 1
        for w in graph[v]:
            if state.get(w) == 1 or (w not in state and visit(w)):
                return True
        state[v] = 2
        return False

    return any(v not in state and visit(v) for v in graph)
