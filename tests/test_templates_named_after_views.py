"""Views render templates named after them: `templates/<blueprint>/<view>.html`, or
`<view>_<variant>.html` for a second page of the same view (a result, an inactive client).
Partials start with `_`; the error pages are the error handlers'. A reader who finds a page finds
its view, and the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "broker" / "web"
TEMPLATES = ROOT / "templates"


def rendered(source: str) -> tuple[str | None, list[str]]:
    """The blueprint a module defines and the page templates it renders by name."""
    tree = ast.parse(source)
    blueprint = None
    pages = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            if name == "Blueprint":
                blueprint = first.value
            elif name == "render_template":
                pages.append(first.value)
    return blueprint, pages


def misnamed(app: Flask, modules: dict[str, str]) -> list[str]:
    views: dict[str, set[str]] = {}
    for endpoint in app.view_functions:
        blueprint, _, view = endpoint.rpartition(".")
        views.setdefault(blueprint, set()).add(view)
    found = []
    for module, source in modules.items():
        blueprint, pages = rendered(source)
        for page in pages:
            folder, _, file = page.partition("/")
            stem = file.removesuffix(".html")
            named = any(stem == v or stem.startswith(f"{v}_") for v in views.get(folder, ()))
            if folder != blueprint or not named:
                found.append(f"{module}: {page}")
    return found


def sources() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(WEB.glob("*.py"))}


def test_every_page_is_named_after_the_view_that_renders_it(app: Flask):
    assert misnamed(app, sources()) == []


def test_every_page_template_is_rendered_by_a_view():
    pages = {page for source in sources().values() for page in rendered(source)[1]}
    files = {
        path.relative_to(TEMPLATES).as_posix()
        for path in TEMPLATES.glob("*/*.html")
        if not path.name.startswith("_") and path.parent.name != "errors"
    }
    assert files - pages == set()


def test_a_page_named_after_nothing_is_found(app: Flask):
    module = 'bp = Blueprint("claimant", __name__)\nrender_template("claimant/contact.html")\n'
    assert misnamed(app, {"claimant.py": module}) == ["claimant.py: claimant/contact.html"]
