"""The evidence bundle (issue 27 item 1): the journal entries and MR decisions an adviser chose
for an appeal, read in the guard's transaction by the very rule the API's single reads use.

Each chosen item must be the claimant's, inside the grant's date window, under a scope the token
holds (`journal:read` for entries, `journal:sensitive` too for a sensitive one; `mr:read` for
decisions), exactly as GET /journal/<id> and GET /mr-decisions/<id> decide. Any item that is not
is NotReadable and the whole bundle is refused as that read would be (404, security.md 87): a
bundle can never carry what its token could not read one by one. Each item read is audited as
that read is, with the token's ID, in the same transaction as the bundle.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from babel.dates import format_date

from .. import clock
from ..driver import Unit
from ..oauth import protect
from ..oauth.protect import Access
from . import appeals, journal

MOST = 50  # items in one bundle: enough for an appeal, small enough for one signed file
JOURNAL_SCOPE, DECISION_SCOPE, SENSITIVE_SCOPE = "journal:read", "mr:read", "journal:sensitive"
FIELDS = {"journal_entries": "journal_entry", "mr_decisions": "mr_decision"}
MADE = "evidence.bundle"  # the request's audit action, naming the document it made


class BadChoice(ValueError):
    """The body does not say which items, in the shape the API documents."""


class NotReadable(LookupError):
    """An item this token may not read: reported as the API reports a missing item."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"No such {kind}: {ident}")
        self.kind, self.ident = kind, ident


def choice(payload: object) -> list[tuple[str, str]]:
    """The chosen items as ("journal_entry" | "mr_decision", ID), in the order given; BadChoice
    for anything but {"journal_entries": [IDs], "mr_decisions": [IDs]} with 1 to MOST IDs."""
    if not isinstance(payload, dict) or set(payload) - set(FIELDS):
        raise BadChoice('Send {"journal_entries": [IDs], "mr_decisions": [IDs]} and nothing else')
    chosen: list[tuple[str, str]] = []
    for field, kind in FIELDS.items():
        ids = payload.get(field, [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise BadChoice(f"{field} must be a list of IDs")
        for ident in ids:
            try:
                chosen.append((kind, str(UUID(ident))))
            except ValueError:
                raise BadChoice(f"{field} holds something that is not an ID") from None
    if not chosen or len(chosen) > MOST:
        raise BadChoice(f"Choose from 1 to {MOST} journal entries and MR decisions")
    if len(set(chosen)) != len(chosen):
        raise BadChoice("An ID is listed twice")
    return chosen


def read_chosen(unit: Unit, access: Access, chosen: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Each chosen item as the bundle shows it ({"source", "on", "what", "text"}), oldest first;
    NotReadable at the first this token may not read. Each read is audited (protect.add_event)."""
    dated = []
    for kind, ident in chosen:
        read, action = _READERS[kind]
        at, item = read(unit, access, ident)
        # Audited as the API's own read of it is: allowed, with the token's ID.
        protect.add_event(unit, access.event(action, f"{kind}:{ident}", "allowed"), access.now)
        dated.append((at, item["source"], item))
    return [item for _at, _source, item in sorted(dated)]


def _entry(unit: Unit, access: Access, ident: str) -> tuple[datetime, dict[str, Any]]:
    row = journal.claimants_entry(unit, access.claimant_id, ident)
    try:
        if JOURNAL_SCOPE not in access.scopes:
            raise journal.NotFound("journal entry")
        entry = journal.readable_entry(
            row, include_sensitive=SENSITIVE_SCOPE in access.scopes, window=access.window
        )
    except journal.NotFound:
        raise NotReadable("journal entry", ident) from None
    at = clock.from_driver(row[7])
    return at, {
        "source": f"journal_entry:{ident}",
        "on": clock.uk_day(at).isoformat(),
        "what": f"Journal entry: {entry['subject']}",
        "text": f"From {entry['author']}. {entry['body']}",
    }


def _decision(unit: Unit, access: Access, ident: str) -> tuple[datetime, dict[str, Any]]:
    row = journal.claimants_decision(unit, access.claimant_id, ident)
    try:
        if DECISION_SCOPE not in access.scopes:
            raise journal.NotFound("MR decision")
        decision = journal.readable_decision(row, window=access.window)
    except journal.NotFound:
        raise NotReadable("MR decision", ident) from None
    at = clock.from_driver(row[4])
    dates = appeals.Dates.of(at)
    outcome = journal.OUTCOMES.get(decision["outcome"], decision["outcome"])
    return at, {
        "source": f"mr_decision:{ident}",
        "on": dates.decided_on.isoformat(),
        "what": f"Mandatory Reconsideration decision: {outcome}",
        "text": (
            f"{decision['subject']}. Decided on {_words(dates.decided_on)}: {outcome}."
            f" Last day to appeal: {_words(dates.appeal_by)}."
            f" No appeal after (13-month limit): {_words(dates.outside_limit)}."
        ),
    }


def _words(day: date) -> str:
    """A day as the signed file writes it, in English (the file is what a tribunal reads)."""
    return format_date(day, "d MMMM y", locale="en_GB")


def facts(unit: Unit, access: Access, items: list[dict[str, Any]]) -> dict[str, Any]:
    """What the bundle says besides its items: who prepared it, for which organisation, when."""
    name, organisation = journal.author(unit, access.adviser_id, access.client_id)
    return {
        "prepared_by": name,
        "organisation": organisation,
        "prepared_at": journal.iso(access.now),
        "count": str(len(items)),
        "items": items,
    }


def sources(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The items a bundle's contents name, as `choice` gives them: what to read again."""
    found = []
    for item in document.get("facts", {}).get("items", []):
        source = item.get("source", "") if isinstance(item, dict) else ""
        kind, _, ident = str(source).partition(":")
        if kind in FIELDS.values() and ident:
            found.append((kind, ident))
    return found


# Each kind of item: how it is read (by its own GET's rule) and the action its read is audited as.
_READERS = {"journal_entry": (_entry, "journal.read"), "mr_decision": (_decision, "mr.read")}
