"""The protected resource: a claimant's journal entries, MR decisions, to-dos and payments.

Every function takes the claimant's ID and filters by it, so that no lookup can reach another
claimant's rows; a row that exists but is not theirs is reported exactly like one that does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from .. import clock
from ..consent import disclosure
from ..consent.windows import OPEN, Window
from ..db import new_id
from ..driver import Joined, Unit
from ..extensions import db
from ..models import JournalEntry, MRDecision
from . import screening

# An MR decision's outcomes, and each in words (the API sends the key; people read the words).
OUTCOMES = {
    "changed": "changed",
    "not_changed": "not changed",
    "partly_changed": "partly changed",
}


class NotFound(LookupError):
    """No such item for this claimant."""


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# The API reads and writes these rows with plain SQL in the guard's transaction (protect.py,
# driver.py), straight to the JSON shape, with no ORM object made per request.
_ENTRY_COLUMNS = (
    "id",
    "kind",
    "author_name",
    "author_role",
    "subject",
    "body",
    "sensitive",
    "created_at",
    "token_id",
)
_DECISION_COLUMNS = ("id", "subject", "outcome", "body", "decided_at")
# The rows the guard reads with its check, by ID and filtered by the grant's claimant.
_ENTRY_SELECT = f"SELECT {', '.join(_ENTRY_COLUMNS)} FROM journal_entries"  # noqa: S608
_DECISION_SELECT = f"SELECT {', '.join(_DECISION_COLUMNS)} FROM mr_decisions"  # noqa: S608
JOURNAL_ENTRY = Joined("journal_entries", _ENTRY_COLUMNS)
MR_DECISION = Joined("mr_decisions", _DECISION_COLUMNS)


def entry_json(row: Sequence[Any]) -> dict[str, Any]:
    ident, kind, author, role, subject, body, sensitive, created_at, token_id = row
    return {
        "id": ident,
        "kind": kind,
        "author": author,
        "author_role": role,
        "subject": subject,
        "body": body,
        "sensitive": bool(sensitive),
        "created_at": iso(clock.from_driver(created_at)),
        "token_id": token_id,
    }


def decision_json(row: Sequence[Any]) -> dict[str, Any]:
    ident, subject, outcome, body, decided_at = row
    return {
        "id": ident,
        "subject": subject,
        "outcome": outcome,
        "body": body,
        "decided_at": iso(clock.from_driver(decided_at)),
    }


def readable_entry(
    row: Sequence[Any] | None, *, include_sensitive: bool, window: Window = OPEN
) -> dict[str, Any]:
    """The entry read with the check, as JSON; NotFound if there is none the token may read.

    A sensitive entry the token may not read is hidden, not forbidden: its existence is private.
    So is one dated outside the grant's window, whatever `journal:sensitive` allows.
    """
    if row is None or (row[6] and not include_sensitive) or not _inside(window, row[7]):
        raise NotFound("journal entry")
    return entry_json(row)


def readable_decision(row: Sequence[Any] | None, *, window: Window = OPEN) -> dict[str, Any]:
    if row is None or not _inside(window, row[4]):
        raise NotFound("MR decision")
    return decision_json(row)


def claimants_entry(unit: Unit, claimant_id: str, entry_id: str) -> Any:
    """The claimant's entry's row as the guard reads it (for readable_entry), or None."""
    return unit.one(f"{_ENTRY_SELECT} WHERE id = ? AND claimant_id = ?", (entry_id, claimant_id))


def claimants_decision(unit: Unit, claimant_id: str, decision_id: str) -> Any:
    """The claimant's decision's row as the guard reads it (for readable_decision), or None."""
    return unit.one(
        f"{_DECISION_SELECT} WHERE id = ? AND claimant_id = ?", (decision_id, claimant_id)
    )


def _inside(window: Window, stored: datetime | str) -> bool:
    return disclosure.inside(window, clock.from_driver(stored))


def _within(unit: Unit, column: str, window: Window) -> tuple[str, tuple[Any, ...]]:
    """The SQL that keeps a list to the window, so no row outside it leaves the database."""
    if window.open:
        return "", ()
    start, after = window.bounds()
    sql, params = "", ()
    if start is not None:
        sql, params = f" AND {column} >= ?", (clock.to_driver(start, postgres=unit.postgres),)
    if after is not None:
        sql += f" AND {column} < ?"
        params += (clock.to_driver(after, postgres=unit.postgres),)
    return sql, params


def _claimants_rows(
    unit: Unit,
    select: str,
    claimant_id: str,
    hide: str = "",
    *,
    window: Window,
    dated_by: str,
    order: str,
) -> list[Any]:
    """One claimant's rows of a list, inside the window (in SQL: no row outside it leaves the
    database), ordered by the column the window dates them by."""
    dated, params = _within(unit, dated_by, window)
    return unit.all(
        f"{select} WHERE claimant_id = ?{hide}{dated} ORDER BY {dated_by} {order}",
        (claimant_id, *params),
    )


def entries(
    unit: Unit, claimant_id: str, *, include_sensitive: bool, window: Window = OPEN
) -> list[dict[str, Any]]:
    hide = "" if include_sensitive else " AND NOT sensitive"
    rows = _claimants_rows(
        unit, _ENTRY_SELECT, claimant_id, hide, window=window, dated_by="created_at", order="DESC"
    )
    return [entry_json(row) for row in rows]


def mr_decisions(unit: Unit, claimant_id: str, *, window: Window = OPEN) -> list[dict[str, Any]]:
    rows = _claimants_rows(
        unit, _DECISION_SELECT, claimant_id, window=window, dated_by="decided_at", order="DESC"
    )
    return [decision_json(row) for row in rows]


def todos(unit: Unit, claimant_id: str, *, window: Window = OPEN) -> list[dict[str, Any]]:
    rows = _claimants_rows(
        unit, "SELECT id, title, done, due_at FROM todos", claimant_id, window=window,
        dated_by="due_at", order="",
    )  # fmt: skip
    return [
        {"id": i, "title": title, "done": bool(done), "due_at": iso(clock.from_driver(due))}
        for i, title, done, due in rows
    ]


def payments(unit: Unit, claimant_id: str, *, window: Window = OPEN) -> list[dict[str, Any]]:
    rows = _claimants_rows(
        unit, "SELECT id, amount_pence, paid_at FROM payments", claimant_id, window=window,
        dated_by="paid_at", order="DESC",
    )  # fmt: skip
    return [
        {"id": i, "amount_pence": pence, "paid_at": iso(clock.from_driver(paid))}
        for i, pence, paid in rows
    ]


def author_name(unit: Unit, adviser_id: str | None, client_id: str) -> str:
    """How an adviser signs what they lodge: their name and organisation; a client, its ID."""
    name, organisation = author(unit, adviser_id, client_id)
    return f"{name}, {organisation}" if organisation else name


def author(unit: Unit, adviser_id: str | None, client_id: str) -> tuple[str, str]:
    """(name, organisation) of the adviser behind a token; a client without one: (its ID, "")."""
    row = (
        unit.one(
            "SELECT a.name, o.name FROM advisers v JOIN accounts a ON a.id = v.id"
            " JOIN organisations o ON o.id = v.organisation_id WHERE v.id = ?",
            (adviser_id,),
        )
        if adviser_id
        else None
    )
    return (client_id, "") if row is None else (row[0], row[1])


def lodge_mr_request(
    unit: Unit,
    claimant_id: str,
    *,
    decision_about: str,
    reasons: str,
    author_name: str,
    token_id: str,
    grant_id: str,
    now: datetime,
) -> dict[str, Any]:
    """A new journal entry asking for a Mandatory Reconsideration, with the token that made it;
    sensitive if it mentions health or domestic abuse (screening), so a partner never reads it."""
    row = (
        new_id(),
        "mr_request",
        author_name,
        "adviser",
        f"Mandatory Reconsideration request: {decision_about}",
        reasons,
        screening.sensitive(decision_about, reasons),
        clock.to_driver(now, postgres=unit.postgres),
        token_id,
    )
    unit.write(
        f"INSERT INTO journal_entries ({', '.join(_ENTRY_COLUMNS)}, claimant_id, grant_id)"  # noqa: S608
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*row, claimant_id, grant_id),
    )
    return entry_json((*row[:7], now, token_id))


def titles(claimant_id: str, resources: list[str]) -> dict[str, str]:
    """This claimant's titles for audit resources ("mr_decision:<id>", "journal_entry:<id>")."""
    wanted: dict[str, set[str]] = {"mr_decision": set(), "journal_entry": set()}
    for resource in resources:
        kind, _, ident = resource.partition(":")
        if kind in wanted and ident:
            wanted[kind].add(ident)
    result: dict[str, str] = {}
    if wanted["mr_decision"]:
        for ident, subject in db.session.execute(
            db.select(MRDecision.id, MRDecision.subject).where(
                MRDecision.claimant_id == claimant_id, MRDecision.id.in_(wanted["mr_decision"])
            )
        ):
            result[f"mr_decision:{ident}"] = subject
    if wanted["journal_entry"]:
        for ident, subject in db.session.execute(
            db.select(JournalEntry.id, JournalEntry.subject).where(
                JournalEntry.claimant_id == claimant_id,
                JournalEntry.id.in_(wanted["journal_entry"]),
            )
        ):
            result[f"journal_entry:{ident}"] = subject
    return result
