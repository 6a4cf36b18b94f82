"""Journal-safe writes (issue 27, security.md 78): what an adviser sends into a claimant's journal
is screened before it is drafted or lodged.

A journal must never hold an NI number, a phone number, an email address, bank details, an
address or another person's data: in a couple claim the partner reads it too. Text that holds one
is refused, naming what was found and where (field and characters, counted from 1), never the
text itself, so that the refusal can be shown, audited and logged without repeating it. Text that
mentions health or domestic abuse (scopes/sensitive_words.toml, English and Welsh) is allowed but
marked sensitive, so a partner, and any token without journal:sensitive, never reads it.

The patterns are deliberately narrow: a date is not a phone number, a claim reference such as
UC-1001-AM is not a postcode, an amount is not an account number. A name is found only where the
text gives it as someone's ("my partner John Smith", "her son's name is Ioan").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import scopes

# What each kind is called in the refusal ("Remove the phone number from reasons, ...").
KINDS = {
    "bank_details": "bank details (a sort code with an account number)",
    "ni_number": "National Insurance number",
    "email": "email address",
    "phone": "phone number",
    "postcode": "postcode",
    "name": "another person's name",
}

# Not next to another digit, letter or the separators a date or reference uses, so that a date
# (01/02/2025, 2025-02-01) or a reference never yields a number from its middle.
_EDGE_BEFORE = r"(?<![\w/.\-])"
_EDGE_AFTER = r"(?![\w/\-]|\.\d)"

_SORT_CODE = r"\d{2}[- ]\d{2}[- ]\d{2}|(?i:sort code:?\s*)\d{6}"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # A sort code with an account number (8 digits) after it, within a short phrase, or before it.
    (
        "bank_details",
        re.compile(
            rf"{_EDGE_BEFORE}(?:{_SORT_CODE})(?!\d)\D{{1,30}}?(?<!\d)\d{{8}}(?!\d)"
            rf"|(?<!\d)\d{{8}}(?!\d)\D{{1,30}}?(?<![\d-])(?:{_SORT_CODE}){_EDGE_AFTER}"
        ),
    ),
    # Two prefix letters (never D, F, I, Q, U or V; O not second), six digits, perhaps in pairs,
    # and perhaps the suffix letter A to D.
    (
        "ni_number",
        re.compile(r"(?i)\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2}(?: ?[A-D])?\b"),
    ),
    ("email", re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")),
    # +44 or 0, then a non-zero digit and 8 or 9 more (UK numbers are 10 or 11 digits with the
    # 0), spaces or hyphens between; a slash never, so a date is never one.
    (
        "phone",
        re.compile(
            rf"{_EDGE_BEFORE}(?:\+44[ \-]?(?:\(0\)[ \-]?)?|\(?0)[1-9](?:(?:\) ?|[ \-])?\d){{8,9}}"
            r"(?![ \-]?\d)(?!\w)"
        ),
    ),
    # The outward code (letters then a digit), a space or none, the inward code (a digit and two
    # letters from the ones Royal Mail uses).
    (
        "postcode",
        re.compile(r"(?i)\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b"),
    ),
)

# A person named as someone's: a possessive, a relation, perhaps "'s name is" or "called", then
# one to three capitalised words. The relation is matched whatever its case; the name must be
# capitalised, so "my son is ill" names nobody.
_OWNERS_EN = r"my|his|her|their|our|your|the claimant's|the client's|client's|claimant's"
_RELATIONS_EN = (
    r"(?:ex-?)?(?:partner|husband|wife|spouse|son|daughter|child|stepson|stepdaughter|mother|"
    r"father|mum|dad|brother|sister|boyfriend|girlfriend|carer|friend|neighbour|landlord|"
    r"landlady|grandson|granddaughter|grandmother|grandfather)"
)
_OWNERS_CY = r"fy|ei|eu|ein"
_RELATIONS_CY = (
    r"partner|mhartner|bartner|phartner|gŵr|ngŵr|wr|ŵr|gwraig|ngwraig|wraig|mab|fab|merch|ferch|"
    r"plentyn|mhlentyn|blentyn|mam|fam|nhad|tad|dad|brawd|mrawd|frawd|chwaer|ffrind|"
    r"cymydog|nghymydog|gymydog|landlord"
)
_NAMED_AS = r"(?:'s name is|’s name is| is called| called| named| o'r enw| o’r enw|,)?"
_NAME = r"(?-i:[A-ZÀ-Ý][a-zà-ÿŵŷ'’\-]+(?: [A-ZÀ-Ý][a-zà-ÿŵŷ'’\-]+){0,2})"
_PERSON = re.compile(
    rf"(?i)\b(?:(?:{_OWNERS_EN}) {_RELATIONS_EN}|(?:{_OWNERS_CY}) (?:{_RELATIONS_CY})){_NAMED_AS}"
    rf" (?P<name>{_NAME})"
)
# Capitalised words that follow a relation without naming anyone.
_NOT_NAMES = frozenset(
    "I Is Was Has Had Who Which That And But Or The A An DWP UC ESA PIP MR"
    " Universal Credit Jobcentre Mae Roedd Sydd Ac Ond Neu Y Yr".split()
)

# A title names someone only with a name after it ("my partner, Mr Smith").
_TITLES = frozenset("Mr Mrs Ms Miss Dr".split())


@dataclass(frozen=True, slots=True)
class Finding:
    """Something a journal may not hold: its kind, the field and where (characters from 1)."""

    kind: str
    field: str
    first: int
    last: int

    def sentence(self) -> str:
        return (
            f"Remove the {KINDS[self.kind]} from {self.field}"
            f" (characters {self.first} to {self.last})"
        )

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "field": self.field, "first": self.first, "last": self.last}


class Refused(ValueError):
    """The text holds what a journal may not; `findings` say what and where, never the text."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(self.description())

    def description(self) -> str:
        said = "; ".join(finding.sentence() for finding in self.findings)
        return (
            f"A journal must not hold personal details: the claimant's partner may read it. {said}."
        )


def findings(fields: Iterable[tuple[str, str]]) -> list[Finding]:
    """Everything a journal may not hold in these (field, text) pairs, in order of place."""
    found: list[Finding] = []
    for field, text in fields:
        taken: list[tuple[int, int]] = []
        for kind, pattern in _PATTERNS:
            for match in pattern.finditer(text):
                _keep(found, taken, kind, field, match.start(), match.end())
        for match in _PERSON.finditer(text):
            name = match.group("name")
            words = name.split(" ")
            while words and words[-1] in _NOT_NAMES:
                words.pop()
            if not words or words[0] in _NOT_NAMES or words[-1] in _TITLES:
                continue
            start = match.start("name")
            _keep(found, taken, "name", field, start, start + len(" ".join(words)))
    return sorted(found, key=lambda f: (f.field, f.first))


def _keep(
    found: list[Finding], taken: list[tuple[int, int]], kind: str, field: str, start: int, end: int
) -> None:
    """One finding per stretch of text: bank details are not also a phone number."""
    if any(start < other_end and other_start < end for other_start, other_end in taken):
        return
    taken.append((start, end))
    found.append(Finding(kind, field, start + 1, end))


def messages_by_field(found: Iterable[dict[str, object]]) -> dict[str, str]:
    """The API's `found` list as one message per field, for a form's error summary."""
    messages: dict[str, list[str]] = {}
    for item in found:
        first, last = int(str(item["first"])), int(str(item["last"]))
        finding = Finding(str(item["kind"]), str(item["field"]), first, last)
        messages.setdefault(finding.field, []).append(finding.sentence())
    return {field: "; ".join(said) for field, said in messages.items()}


def check(fields: Iterable[tuple[str, str]]) -> None:
    """Refused if any of these (field, text) pairs holds what a journal may not."""
    found = findings(fields)
    if found:
        raise Refused(found)


def sensitive(*texts: str) -> bool:
    """Whether the text mentions health or domestic abuse, in English or Welsh."""
    return any(_sensitive_words().search(text) for text in texts)


@cache
def _sensitive_words() -> re.Pattern[str]:
    alternatives = []
    for words in scopes.sensitive_words().values():
        for word in words:
            stem = re.escape(word.rstrip("*")).replace(r"\ ", r"\s+")
            alternatives.append(stem + (r"[\w'’\-]*" if word.endswith("*") else ""))
    # Longest first, so that a phrase is tried before a word inside it.
    alternatives.sort(key=len, reverse=True)
    return re.compile(rf"(?<![\w\-])(?:{'|'.join(alternatives)})(?![\w\-])", re.IGNORECASE)
