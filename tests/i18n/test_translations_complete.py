"""Every claimant-facing string has a Welsh translation.

What counts as claimant-facing: the claimant's templates (base, macros, claimant/, auth/,
errors/, oauth/, and issue 23's nominated/ and contact_request/), every string marked for
translation anywhere in broker/, the labels and messages of the forms the claimant's pages use,
the words of the history page, and the scope wording. A template with English text outside _()
fails too, so new wording cannot slip in untranslated; so does a flash() in a claimant route
with an untranslated literal.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po
from jinja2 import Environment

import scopes
from broker import i18n
from broker.config import ROOT

CATALOGUE = ROOT / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
TEMPLATES = ROOT / "templates"
CLAIMANT_TEMPLATES = sorted(
    [TEMPLATES / "base.html", TEMPLATES / "macros.html"]
    + [
        p
        for folder in (
            "claimant",
            "auth",
            "errors",
            "oauth",
            "nominated",
            "contact_request",
            "notices",
            "proof",
        )
        for p in (TEMPLATES / folder).glob("**/*.html")
    ]
)
# Modules whose routes answer the claimant: their forms and flashes are claimant-facing.
CLAIMANT_ROUTES = [
    ROOT / "broker" / "web" / name
    for name in ("claimant.py", "auth.py", "consent.py", "nominated.py", "contact_request.py")
]
TEXT_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder"}


@pytest.fixture(scope="module")
def welsh() -> dict[object, object]:
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f, locale="cy")
    return {m.id: m.string for m in catalogue if m.id and not m.fuzzy}


def _translated(welsh: dict[object, object], message: object) -> bool:
    found = welsh.get(message)
    if isinstance(found, tuple | list):
        return all(found)
    return bool(found)


def _marked_messages() -> set[object]:
    """Every message wrapped in _() (or gettext, ngettext, N_...) in the claimant's templates
    and anywhere in broker/, as `make messages` extracts them."""
    found: set[object] = set()
    jinja = {"extensions": "jinja2.ext.i18n", "silent": "false"}
    for path in CLAIMANT_TEMPLATES:
        for _line, message, _comments, _context in extract_from_file(
            "jinja2", path, keywords=DEFAULT_KEYWORDS, options=jinja
        ):
            found.add(message)
    for path in (ROOT / "broker").glob("**/*.py"):
        for _line, message, _comments, _context in extract_from_file(
            "python", path, keywords=DEFAULT_KEYWORDS
        ):
            found.add(message)
    return found


def test_every_marked_message_has_a_welsh_translation(welsh):
    messages = _marked_messages()
    missing = sorted(str(m) for m in messages if not _translated(welsh, m))

    assert len(messages) > 100
    assert missing == [], "run `make messages`, then translate these in " + str(CATALOGUE)


class _LiteralText(HTMLParser):
    """Text and text-bearing attributes of a template whose Jinja parts are blanked out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in TEXT_ATTRIBUTES and value and re.search(r"[A-Za-z]{2}", value):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        words = re.findall(r"[A-Za-z][A-Za-z']+", data)
        if words and not self._skip:
            self.found.append(" ".join(words))


def test_claimant_templates_have_no_english_outside_translation_calls():
    environment = Environment(extensions=["jinja2.ext.i18n"])  # noqa: S701 (lexing only)
    bare: list[str] = []
    for path in CLAIMANT_TEMPLATES:
        pieces = []
        for _line, kind, value in environment.lex(path.read_text()):
            if kind == "data":
                pieces.append(value)
            elif kind in ("variable_begin", "block_begin"):
                pieces.append("\x00")  # an expression or tag: not literal text
        parser = _LiteralText()
        parser.feed("".join(pieces))
        bare += [f"{path.relative_to(ROOT)}: {text!r}" for text in parser.found]
    assert bare == [], "wrap each in {{ _(...) }} and translate it"


def _claimant_forms() -> list[type]:
    """The form classes the claimant's route modules import from forms.py."""
    from broker.web import forms

    names: set[str] = set()
    for path in CLAIMANT_ROUTES:
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "forms":
                names.update(alias.name for alias in node.names)
    return [getattr(forms, name) for name in sorted(names) if name.endswith("Form")]


def _form_words(form_class: type) -> list[str]:
    """Explicit labels and validator messages: what the claimant reads on a form."""
    words: list[str] = []
    for name in dir(form_class):
        unbound = getattr(form_class, name)
        if not hasattr(unbound, "field_class") or unbound.field_class.__name__ == "HiddenField":
            continue
        label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
        if label:
            words.append(label)
        validators = unbound.args[1] if len(unbound.args) > 1 else unbound.kwargs.get("validators")
        words += [
            v.message
            for v in validators or ()
            if getattr(v, "message", None) and type(v).__name__ == "DataRequired"
        ]
    return words


def test_the_claimant_forms_labels_and_messages_are_translated(welsh):
    forms = _claimant_forms()
    words = [word for form in forms for word in _form_words(form)]
    missing = sorted({w for w in words if not _translated(welsh, w)})

    assert {f.__name__ for f in forms} >= {"SignInForm", "GiveAccessForm"}
    assert missing == []


def test_flash_messages_in_claimant_routes_are_translated():
    untranslated: list[str] = []
    for path in CLAIMANT_ROUTES:
        if not path.exists():
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "flash":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant | ast.JoinedStr):
                    untranslated.append(f"{path.name}:{node.lineno}")
    assert untranslated == [], "wrap these in _() (flask_babel.gettext) with %(name)s"


def test_every_history_action_is_translated(app, welsh):
    from broker.web import wording

    missing = sorted(w for w in wording.ACTIONS.values() if not _translated(welsh, w))
    assert missing == []


def test_every_scope_has_a_welsh_title_and_sentence():

    every = list(scopes.catalogue().values()) + list(scopes.CONTACT_SCOPES.values())
    lacking = [
        s.name
        for s in every
        if not s.title.get("cy")
        or not s.sentence.get("cy")
        or s.title["cy"] == s.title["en"]
        or s.sentence["cy"] == s.sentence["en"]
    ]
    assert lacking == []


def test_translations_keep_every_placeholder(welsh):
    wrong = []
    for message, translation in welsh.items():
        source = " ".join(message) if isinstance(message, tuple) else message
        targets = translation if isinstance(translation, tuple | list) else [translation]
        wanted = set(re.findall(r"%\(\w+\)[sd]", source))
        for target in targets:
            if target and set(re.findall(r"%\(\w+\)[sd]", target)) != wanted:
                wrong.append(source)
    assert wrong == []


def test_the_app_serves_a_compiled_catalogue_that_is_current(app):
    """`make install` compiles the .po files (the app never does: it writes nothing into the
    source tree), and the app serves what it compiled."""
    for po, mo in i18n.catalogue_paths():
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, f"{mo}: make install"
    with app.test_request_context(headers={"Accept-Language": "cy"}):
        assert i18n.current_language() == "cy"
        assert i18n.months(2) != "2 months"  # Welsh words, from the compiled catalogue


def test_the_claimant_template_list_covers_the_claimants_folders():
    names = {str(p.relative_to(TEMPLATES)) for p in CLAIMANT_TEMPLATES}
    assert {"base.html", "claimant/home.html", "auth/sign_in.html", "errors/404.html"} <= names
    assert all(Path(TEMPLATES / n).exists() for n in names)
