"""The layering, read from the imports: the base knows no app, sources knows no events, and no
module of the project takes part in an import cycle.

`conflictdb/` is the shared base under the apps. Whatever it needs to know about the domain the
apps declare and register in their AppConfig.ready() (conflictdb.registry); a module of the base
that imports an app — at the top or inside a function — would make the base the top again.
The project's entry points (settings, the root URLconf, WSGI/ASGI) sit above the apps and may.
"""

import ast
from pathlib import Path

import pytest

from tests.paths import ROOT

ENTRY_POINTS = {"settings.py", "test_settings.py", "urls.py", "wsgi.py", "asgi.py"}


PROJECT_PACKAGES = ("conflictdb", "events", "sources")


def imported_modules(path: Path):
    """Every module a file imports, at any depth (function-local imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:  # `from events import consensus` imports events.consensus
                yield node.lineno, f"{node.module}.{alias.name}"


def modules_of(package: str, skip=()):
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts or (len(relative.parts) == 2 and relative.name in skip):
            continue
        yield relative, path


def imports_of(package: str, forbidden: tuple[str, ...], skip=()):
    found = []
    for relative, path in modules_of(package, skip):
        for line, module in imported_modules(path):
            if module.split(".")[0] in forbidden:
                found.append(f"{relative}:{line} imports {module}")
    return found


@pytest.mark.parametrize(
    ("package", "forbidden", "skip"),
    [
        ("conflictdb", ("events", "sources"), ENTRY_POINTS),
        ("sources", ("events",), ()),
    ],
    ids=["the base imports no app", "sources imports no events"],
)
def test_layering(package, forbidden, skip):
    assert imports_of(package, forbidden, skip) == []


def test_the_check_sees_function_local_imports(tmp_path):
    """The rule must not be fooled by an import hidden inside a function."""
    module = tmp_path / "module.py"
    module.write_text("def f():\n    from events.models import Event\n    return Event\n", encoding="utf-8")
    assert "events.models" in [module for _, module in imported_modules(module)]


def module_graph() -> dict[str, set[str]]:
    """Project module → the project modules it imports, at any depth; importing a.b.c also runs
    the packages a and a.b. Migrations are left out (they name models by string)."""
    modules = {}
    for package in PROJECT_PACKAGES:
        for relative, path in modules_of(package):
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    graph = {}
    for name, path in modules.items():
        edges = set()
        for _line, module in imported_modules(path):
            parts = module.split(".")
            for depth in range(1, len(parts) + 1):
                prefix = ".".join(parts[:depth])
                if prefix in modules:
                    edges.add(prefix)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
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
                        found.append(sorted(component))
    return found


def test_no_import_cycle_anywhere():
    """Function-local imports count: a cycle held apart by an import inside a function is still
    a cycle (the modules cannot be understood, or loaded, one before the other)."""
    graph = module_graph()
    assert len(graph) > 50  # the walk sees the project
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
