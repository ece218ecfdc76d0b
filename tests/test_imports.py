"""The package's import graph: no cycles anywhere, no private names imported across modules, a pure core."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "formcheck"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, imported name or None) for every import in the file, at any depth (lazy imports included)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            out += [(base, alias.name) for alias in node.names]
    return out


def edges(path: Path) -> set[str]:
    """The formcheck modules this one imports (a name that is itself a module counts as that module)."""
    out = set()
    for module, name in imports(path):
        if name and f"{module}.{name}" in MODULES:
            out.add(f"{module}.{name}")
        elif module in MODULES:
            out.add(module)
    out.discard(module_name(path))
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
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

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_graph_finder_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_anywhere_in_the_package():
    graph = {m: edges(p) for m, p in MODULES.items()}
    assert sum(len(e) for e in graph.values()) > 100  # the walk really sees the imports
    assert cycles(graph) == []


def test_no_private_name_is_imported_from_another_module():
    private = [
        (module_name(p), f"{m}.{n}")
        for (p,) in ((p,) for p in MODULES.values())
        for m, n in imports(p)
        if m.startswith("formcheck") and n and n.startswith("_") and not n.startswith("__")
    ]
    assert private == []


def test_the_core_imports_only_numpy_scipy_and_itself():
    allowed = (
        "numpy",
        "scipy",
        "formcheck.core",
        "formcheck.errors",
        "__future__",
        "dataclasses",
        "math",
        "typing",
        "collections",
        "warnings",
        "functools",
        "itertools",
        "enum",
    )
    for name, path in MODULES.items():
        if name.startswith("formcheck.core"):
            bad = [m for m, _ in imports(path) if not m.startswith(allowed)]
            assert bad == [], f"{name} imports {bad}"
