"""The layering, read from the imports: the base knows no app, and sources knows no events.

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


def imported_modules(path: Path):
    """Every module a file imports, at any depth (function-local imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


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
    assert [module for _, module in imported_modules(module)] == ["events.models"]
