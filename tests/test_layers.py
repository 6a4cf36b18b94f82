"""Every import of the broker's own code is at the top of its module, where the import contract
(pyproject.toml, `make lint`) sees it: an import inside a function hides a cycle instead of
breaking it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"broker", "scopes"}


def imports_inside_functions(source: str) -> list[int]:
    """Lines inside a function body importing the broker's own code (a library's optional
    part, such as a database dialect, may be imported where it is needed)."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [node.lineno for node in ast.walk(function) if _own(node)]
    return sorted(set(found))


def _own(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] in PACKAGES
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] in PACKAGES for alias in node.names)
    return False


def test_no_import_of_the_broker_hides_inside_a_function():
    hidden = [
        f"{path.relative_to(ROOT).as_posix()}:{line}"
        for package in ("broker", "scopes")
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in imports_inside_functions(path.read_text())
    ]
    assert hidden == []


def test_an_import_inside_a_function_is_found():
    source = (
        "import json\n\ndef create_app():\n    from . import cli\n"
        "    from sqlalchemy.dialects import sqlite\n    import broker.web\n"
    )
    assert imports_inside_functions(source) == [4, 6]


def test_no_domain_module_reads_the_request_or_looks_up_the_app():
    """Only the web layer (and create_app, and the commands) reads the request or finds the
    app's services; domain modules are handed what they need."""
    outside_web = [
        path
        for path in sorted((ROOT / "broker").glob("*.py"))
        if path.name not in {"__init__.py", "cli.py"}
    ]
    found = [
        f"{path.relative_to(ROOT).as_posix()}: {name}"
        for path in outside_web
        for name in ("current_app", "request", "session")
        if _imports_from_flask(path.read_text(), name)
    ]
    assert found == []


def _imports_from_flask(source: str, name: str) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "flask"
        and any(alias.name == name for alias in node.names)
        for node in ast.walk(ast.parse(source))
    )
