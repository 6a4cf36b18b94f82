"""The one boundary where untrusted text becomes values (security.md 30): JSON and `next`.

Every caller that turns a client's JSON into values (a request body, `authorization_details`, an
uploaded statement) goes through `load_json`, and every redirect to a path a client chose goes
through `safe_next`. Both refuse what would otherwise surface later as a 500: a structure nested
past Python's recursion limit, a lone surrogate (valid JSON, but no UTF-8 can carry it, so the
database, the audit chain or the response would fail on it), a NUL (PostgreSQL text refuses
it), text that is not UTF-8, and control characters in a header. `visible` is the one check
that free text shows something; `UNIVERSAL_CREDIT_BEGAN` the earliest date of a claim's event.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

MAX_DEPTH = 32  # our deepest document (a statement) nests 6 levels
_LONE_SURROGATE_OR_NUL = re.compile("[\ud800-\udfff\x00]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadInput(ValueError):
    """Input that is refused; the message says what is wrong in words a client can act on."""


def load_json(raw: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The value of `raw` as JSON, or BadInput: UTF-8 only, nested at most `max_depth` deep,
    and no string (or key) holding a lone surrogate or a NUL."""
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("The JSON is not UTF-8 text") from None
    try:
        value = json.loads(raw)
    except RecursionError:
        raise BadInput(f"The JSON is nested more than {max_depth} levels deep") from None
    except ValueError:
        raise BadInput("The JSON is not valid") from None
    _check(value, max_depth)
    return value


def _check(value: Any, max_depth: int) -> None:
    """Walk the value without recursion: depth, and every string and key."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE_OR_NUL.search(item):
                raise BadInput("The JSON holds a NUL or a lone surrogate (U+D800 to U+DFFF)")
        elif isinstance(item, dict | list):
            if depth > max_depth:
                raise BadInput(f"The JSON is nested more than {max_depth} levels deep")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


# In a form or query value: tabs and line breaks may lay out a textarea or pretty-printed
# authorization_details; nothing else below space may appear, nor a lone surrogate.
_UNSAFE_FIELD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def unsafe_field(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The name of the first (name, value) pair holding a character no field may hold."""
    for name, value in pairs:
        if _UNSAFE_FIELD.search(name) or _UNSAFE_FIELD.search(value):
            return _CONTROL.sub("?", name)[:40]
    return None


def safe_next(target: str | None) -> str | None:
    """`target` if it is a local path safe to redirect to after a form, else None.

    security.md 2: no scheme, no host, no `//` or `\\` that a browser reads as another host; and
    security.md 30: no control character (a CR/LF would split the Location header).
    """
    if not target or _CONTROL.search(target) or _LONE_SURROGATE_OR_NUL.search(target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


# Free text a person or a system sends (a letter, a note, a reason, an MR request) must show
# something: text of only spaces, zero-width characters or other marks that print nothing is
# refused as if empty (security.md 70). Categories that print nothing by themselves: controls,
# format characters (U+200B ZERO WIDTH SPACE, U+2060, U+FEFF, bidi marks, soft hyphen), private
# use, unassigned, separators and lone combining marks; and letters and symbols drawn blank.
_PRINTS_NOTHING = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # Hangul fillers, blank braille


def visible(text: str) -> bool:
    """Whether `text` has at least one character that prints something."""
    return any(
        unicodedata.category(c) not in _PRINTS_NOTHING and c not in _BLANK_GLYPHS for c in text
    )


# A date a staff system gives about a claim cannot be before Universal Credit began.
UNIVERSAL_CREDIT_BEGAN = date(2013, 4, 29)


_MOBILE = re.compile(r"(?:\+447|447|07)(\d{9})")


def uk_mobile(number: str) -> str | None:
    """A UK mobile number as +447..., or None if it is not one."""
    digits = re.sub(r"[\s()-]", "", number)
    match = _MOBILE.fullmatch(digits)
    return f"+447{match.group(1)}" if match else None
