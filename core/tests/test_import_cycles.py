"""No import cycles among the modules of core (``pyworkflow.*``).

Every ``import`` statement counts, also those inside functions (a lazy import hides a cycle
from the interpreter but not from the design), except those under ``if TYPE_CHECKING:``,
which never run. A package's ``__init__`` re-exporting its submodules is not a cycle: only an
edge to the module an import names is drawn, not to the packages above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pyworkflow

ROOT = Path(pyworkflow.__file__).parent

#: Cycles known today, in code other helpers are changing; each must be removed, not grown.
KNOWN: set[frozenset[str]] = set()


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in out if m in known and m != module}


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[frozenset[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                result.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return result


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(name, path, known) for name, path in known.items()}


def test_the_checker_sees_a_cycle() -> None:
    # The checker itself can fail: a two-module cycle and a self-contained module.
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [frozenset({"a", "b"})]


def test_the_graph_sees_lazy_imports() -> None:
    # storage.from_url imports the registry inside a function; it must still be an edge.
    assert "pyworkflow.registry" in _graph()["pyworkflow.storage.base"]


def test_core_has_no_new_import_cycle() -> None:
    cycles = set(_cycles(_graph()))
    new = cycles - KNOWN
    assert not new, f"import cycles in core: {[sorted(c) for c in new]}"
    gone = KNOWN - cycles
    assert not gone, f"remove from KNOWN, they are fixed: {[sorted(c) for c in gone]}"


def test_core_imports_neither_conformance_nor_benchmarks() -> None:
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            for imported in names:
                top = imported.split(".")[0]
                assert top not in {"pyworkflow_conformance", "pyworkflow_benchmarks"}, name
