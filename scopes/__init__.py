"""The scope catalogue: loaded once per process from catalogue.toml, looked up by name.

A scope says what a grant lets an adviser see or do. The catalogue is data so that
wording and limits change without code; the rules here only read it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOGUE_PATH = Path(__file__).with_name("catalogue.toml")
SENSITIVE_WORDS_PATH = Path(__file__).with_name("sensitive_words.toml")

# The broker's own cap: no grant, of any scope, lasts longer than six calendar months.
GRANT_CAP_MONTHS = 6


class UnknownScope(ValueError):
    """A scope name that is not in the catalogue."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(names)
        super().__init__(f"Unknown scope: {', '.join(self.names)}")


@dataclass(frozen=True, slots=True)
class Scope:
    name: str
    access: str  # "read" or "write"
    sensitive: bool
    max_months: int
    title: dict[str, str]
    sentence: dict[str, str]
    # The title in the third person, for staff and adviser pages (English only); empty when the
    # claimant's own English title already reads right about someone else ("Appointments").
    staff: str = ""

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title["en"]

    def staff_title(self) -> str:
        """What staff and advisers call it: "Their payments" where the claimant reads "Your
        payments"."""
        return self.staff or self.title["en"]

    def sentence_in(self, language: str) -> str:
        return self.sentence.get(language) or self.sentence["en"]


@cache
def catalogue() -> dict[str, Scope]:
    """Every scope, in catalogue order; read from disk once per process."""
    with CATALOGUE_PATH.open("rb") as f:
        data = tomllib.load(f)
    result: dict[str, Scope] = {}
    for name, entry in data["scopes"].items():
        scope = Scope(
            name=name,
            access=entry["access"],
            sensitive=bool(entry["sensitive"]),
            max_months=min(int(entry["max_months"]), GRANT_CAP_MONTHS),
            title=dict(entry["title"]),
            sentence=dict(entry["sentence"]),
            staff=str(entry.get("staff", "")),
        )
        if scope.access not in ("read", "write"):
            raise ValueError(f"scope {name}: access must be read or write")
        result[name] = scope
    return result


@cache
def sensitive_words() -> dict[str, tuple[str, ...]]:
    """The words that make a journal entry sensitive, by topic (health, domestic_abuse), English
    and Welsh together; read from disk once per process."""
    with SENSITIVE_WORDS_PATH.open("rb") as f:
        data = tomllib.load(f)
    return {
        topic: tuple(word for language in ("en", "cy") for word in lists[language])
        for topic, lists in data.items()
    }


def lookup(name: str) -> Scope:
    """The scope called `name`; UnknownScope if the catalogue has none."""
    try:
        return catalogue()[name]
    except KeyError:
        raise UnknownScope([name]) from None


def parse(value: str | Iterable[str]) -> tuple[str, ...]:
    """Scope names from a space-separated string or a list, in catalogue order, no repeats.

    Raises UnknownScope naming every unknown one, so a caller can say exactly what was wrong.
    """
    names = value.split() if isinstance(value, str) else list(value)
    known = catalogue()
    unknown = {n for n in names if n not in known}
    if unknown:
        raise UnknownScope(unknown)
    wanted = set(names)
    return tuple(n for n in known if n in wanted)


def longest_months(names: Iterable[str]) -> int:
    """The longest a grant of these scopes may last, in months: the smallest maximum among them."""
    return min((lookup(n).max_months for n in names), default=GRANT_CAP_MONTHS)


def named(names: Iterable[str], *, contact: bool = False) -> list[Scope]:
    """The entries for these names, from the catalogue or (`contact`) the nominated-contact
    list; names in neither are left out."""
    table = CONTACT_SCOPES if contact else catalogue()
    return [table[name] for name in names if name in table]


# A nominated contact's own scopes: how DWP may communicate through the named person. They are
# kept out of the adviser catalogue because no token is ever issued under a contact grant.
CONTACT_SCOPES: dict[str, Scope] = {
    scope.name: scope
    for scope in (
        Scope(
            "contact:phone",
            "read",
            False,
            GRANT_CAP_MONTHS,
            {"en": "Talk about your claim on the phone", "cy": "Siarad am eich hawliad ar y ffôn"},
            {
                "en": "We can talk to them about your claim on the phone.",
                "cy": "Gallwn siarad â nhw am eich hawliad ar y ffôn.",
            },
            staff="Talk about their claim on the phone",
        ),
        Scope(
            "contact:letters",
            "read",
            False,
            GRANT_CAP_MONTHS,
            {"en": "Letters and messages", "cy": "Llythyrau a negeseuon"},
            # Issue 23: what is sent, and where, is spelled out where they are chosen.
            {
                "en": "We send them a copy of the messages you choose.",
                "cy": "Rydyn ni'n anfon copi o'r negeseuon rydych chi'n eu dewis atyn nhw.",
            },
        ),
        Scope(
            "contact:appointments",
            "read",
            False,
            GRANT_CAP_MONTHS,
            {"en": "Appointments", "cy": "Apwyntiadau"},
            {
                "en": "We arrange your appointments with them.",
                "cy": "Rydyn ni'n trefnu eich apwyntiadau gyda nhw.",
            },
        ),
    )
}
