"""No secret or name in any log line (issue 26 item 4, security.md 24 and 74), checked over the
whole test run.

tests/conftest.py calls `start` in every test process (each pytest-xdist worker and the
controller): from then on every log record at DEBUG and above, from any logger, is written by the
production JSON formatter (broker/logs.py) to a file of that process's own in one run folder.
gunicorn servers the tests start keep their standard error there too (`keep`). When the run ends
the controller calls `scan` on that folder, and any finding fails the run, naming the file and
line.

What it looks for:
- the demo's secrets and people (broker/demo.py): its password, client secret and codes, every
  sign-in's username and name, and every other text it writes that has a space or an `@` in it
  (names, phone numbers, addresses, journal entries, letters, notes);
- the test factories' password and default names (tests/factories.py), and every full name the
  tests give the people they make (`make_claimant("Sam Patel")`, `Representative("Jo Morgan")`);
- shapes: any email address or UK mobile number; a JWT (an access token, an ID token, a DPoP
  proof: `eyJ….eyJ…`); the broker's opaque secrets (broker/opaque.py and beside it: refresh tokens,
  authorization and device codes, invitation tokens, session IDs and client secrets are 32 random
  bytes in base64url, 43 characters; PKCE verifiers 64), a staff API key (`dwpstaff_…`), a device
  user code (8 of `device.USER_CODE_ALPHABET`), an adviser code (`NSA-4821`), a password hash, and
  `Basic`/`Bearer` credentials.
A key ID is 43 base64url characters too, and public: written as `kid <value>` it is allowed.
Codes of digits alone (a caller check's 4, a sign-in code's 6) have no shape to find; no log call
formats one.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from broker import demo, logs
from broker.consent import device
from broker.people import staff_keys
from tests import factories

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
DEMO_SOURCE = ROOT / "broker" / "demo.py"

# The functions the tests make people with: their first argument (or `name=`) is a person's name.
PERSON_MAKERS = frozenset(
    {
        "make_claimant",
        "make_adviser",
        "make_staff",
        "Representative",
        "claimant_with_email",
        "contact_grant",
        "waiting_for_demo",
        "create_contact",
        "accept",
    }
)

_URLSAFE = "A-Za-z0-9_-"
_ALPHABET = device.USER_CODE_ALPHABET
SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a JWT", re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}")),
    (
        "a random token (32 or 48 random bytes in base64url)",
        re.compile(
            rf"(?<![{_URLSAFE}])(?=[{_URLSAFE}]*[A-Z])(?=[{_URLSAFE}]*[a-z])(?=[{_URLSAFE}]*[0-9])"
            rf"[{_URLSAFE}]{{40,128}}(?![{_URLSAFE}])"
        ),
    ),
    ("a staff API key", re.compile(re.escape(staff_keys.PREFIX) + rf"[{_URLSAFE}]{{8,}}")),
    (
        "a device user code",
        re.compile(rf"(?<![A-Za-z0-9])[{_ALPHABET}]{{4}}-?[{_ALPHABET}]{{4}}(?![A-Za-z0-9])"),
    ),
    ("an adviser code", re.compile(r"(?<![A-Za-z0-9-])[A-Z]{2,5}-[0-9]{4}(?![0-9])")),
    (
        "an email address",
        re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    ),
    (
        "a UK mobile number",
        re.compile(r"(?<![0-9A-Za-z])(?:\+44 ?7|07)[0-9]{3} ?[0-9]{3} ?[0-9]{3}(?![0-9A-Za-z])"),
    ),
    ("a password hash", re.compile(r"\$argon2(?:id|i|d)\$")),
    ("Basic credentials", re.compile(r"\bBasic [A-Za-z0-9+/]{8,}")),
    ("a bearer token", re.compile(r"\b(?:Bearer|DPoP) [A-Za-z0-9._~+/-]{16,}")),
)
# A key ID (an RFC 7638 thumbprint, published in the JWKS) has a random token's shape.
_KEY_ID_BEFORE = re.compile(r"\bkid[\s=:\"']*$")


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    what: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}: …{self.excerpt}…"


@cache
def forbidden_values() -> dict[str, str]:
    """Each value no log line may hold, with what it is."""
    values: dict[str, str] = {
        demo.DEMO_PASSWORD: "the demo password",
        demo.DEMO_CLIENT_SECRET: "the demo client secret",
        demo.DEMO_REQUEST_CODE: "the demo's contact request code",
        factories.PASSWORD: "the test factories' password",
    }
    for login in demo.LOGINS:
        values[login.username] = f"a demo username ({login.role})"
        values[login.name] = f"a demo person's name ({login.role})"
    for text in _demo_texts():
        values.setdefault(text, "the demo's data (a name, number, address or journal text)")
    for name in _factory_default_names():
        values.setdefault(name, "a test factory's default name")
    for name in _names_the_tests_give():
        values.setdefault(name, "a name the tests give a person")
    return values


def _string_literals(tree: ast.AST) -> Iterator[ast.Constant]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and ast.get_docstring(node, clean=False) is not None
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                yield node


def _demo_texts() -> set[str]:
    """Every text broker/demo.py writes with a space or an `@` in it, and its codes."""
    tree = ast.parse(DEMO_SOURCE.read_text())
    found = set()
    for node in _string_literals(tree):
        text = node.value.strip()
        if len(text) >= 6 and (" " in text or "@" in text):
            found.add(text)
        elif re.fullmatch(r"[A-Z]{2,5}-[0-9A-Z]{4}(?:-[A-Z]{2})?", text):  # NSA-4821, UC-1001-AM
            found.add(text)
    return found


def _factory_default_names() -> set[str]:
    tree = ast.parse(Path(factories.__file__).read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            arguments = node.args.args[len(node.args.args) - len(node.args.defaults) :]
            for argument, default in zip(arguments, node.args.defaults, strict=True):
                if argument.arg == "name" and isinstance(default, ast.Constant):
                    found.add(str(default.value))
    return found


def _names_the_tests_give() -> set[str]:
    """Full names (two words or more) passed to the functions that make people."""
    found = set()
    for path in TESTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else None
            called = called or (function.id if isinstance(function, ast.Name) else None)
            if called not in PERSON_MAKERS:
                continue
            candidates = node.args[:1] + [k.value for k in node.keywords if k.arg == "name"]
            for candidate in candidates:
                if isinstance(candidate, ast.Constant) and isinstance(candidate.value, str):
                    name = candidate.value.strip()
                    if " " in name and "@" not in name:
                        found.add(name)
    return found


def findings_in(text: str) -> list[tuple[str, str]]:
    """What `text` (one log line) holds that no log line may: (what, excerpt) pairs, one for
    each different value found."""
    found: dict[tuple[str, str], str] = {}

    def note(what: str, start: int, end: int) -> None:
        excerpt = text[max(0, start - 20) : end + 20].replace("\n", " ")
        found.setdefault((what, text[start:end]), excerpt)

    for value, what in forbidden_values().items():
        if value in text:  # a hundred `in`s are faster than one pattern of a hundred choices
            at = text.find(value)
            note(what, at, at + len(value))
    for what, shape in SHAPES:
        for match in shape.finditer(text):
            if what.startswith("a random token") and _KEY_ID_BEFORE.search(
                text[max(0, match.start() - 10) : match.start()]
            ):
                continue
            note(what, match.start(), match.end())
    return [(what, excerpt) for (what, _value), excerpt in found.items()]


def _readable(line: str) -> str:
    """The line, and for a JSON line with escapes also its decoded values (an escaped name, or
    a journal entry over several lines, is still there)."""
    if "\\" not in line:
        return line
    try:
        data = json.loads(line)
    except ValueError:
        return line
    return line + "\n" + "\n".join(_strings(data))


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def scan(paths: Iterable[Path]) -> list[Finding]:
    """Every finding in these files, by file and line."""
    findings = []
    for path in sorted(paths):
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                for what, excerpt in findings_in(_readable(line.rstrip("\n"))):
                    findings.append(Finding(path, number, what, excerpt))
    return findings


# The run's folder and this process's handler (set by `start`).
run_dir: Path | None = None
_handler: logging.Handler | None = None


# The tests' own servers, standing in for the world outside the broker: what they log is what
# they received (aiosmtpd, the SMTP server the email tests send to, logs each mail at DEBUG), not a
# line the broker wrote.
TEST_SIDE = ("mail.log",)


class RunFileHandler(logging.FileHandler):
    """This test process's log file, in the production JSON format. It counts as the broker's
    own handler, so create_app adds no stderr handler of its own beside it."""

    broker_logs = True

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(TEST_SIDE):
            return False
        return bool(super().filter(record))


def start(folder: Path, name: str) -> Path:
    """Write every record from every logger, DEBUG and up, to `folder/<name>.jsonl`."""
    global run_dir, _handler
    run_dir = folder
    path = folder / f"{name}.jsonl"
    _handler = RunFileHandler(path, encoding="utf-8")
    _handler.setFormatter(logs.JsonFormatter())
    _handler.addFilter(logs.RequestIdFilter())
    _handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(_handler)
    root.setLevel(logging.DEBUG)
    logs.quieten()  # as create_app does: what production would never write is not written here
    return path


def still_capturing() -> bool:
    return _handler is not None and _handler in logging.getLogger().handlers


def stop() -> None:
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()


def keep(log_file: Path, name: str) -> None:
    """Keep a server's standard error (gunicorn's lines and the app's) with the run's logs."""
    if run_dir is not None and log_file.exists():
        shutil.copyfile(log_file, run_dir / f"{name}.log")
