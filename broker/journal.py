"""The protected resource: a claimant's journal entries, MR decisions, to-dos and payments.

Every function takes the claimant's ID and filters by it, so that no lookup can reach another
claimant's rows; a row that exists but is not theirs is reported exactly like one that does not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import audit, clock
from .extensions import db
from .models import JournalEntry, MRDecision, Payment, Todo


class NotFound(LookupError):
    """No such item for this claimant."""


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def entry_json(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "author": entry.author_name,
        "author_role": entry.author_role,
        "subject": entry.subject,
        "body": entry.body,
        "sensitive": entry.sensitive,
        "created_at": iso(entry.created_at),
        "token_id": entry.token_id,
    }


def decision_json(decision: MRDecision) -> dict[str, Any]:
    return _decision(
        decision.id, decision.subject, decision.outcome, decision.body, decision.decided_at
    )


def _decision(
    ident: str, subject: str, outcome: str, body: str, decided_at: datetime
) -> dict[str, Any]:
    """The API's shape of an MR decision, from the ORM or from a plain row."""
    return {
        "id": ident,
        "subject": subject,
        "outcome": outcome,
        "body": body,
        "decided_at": iso(decided_at),
    }


def entries(claimant_id: str, *, include_sensitive: bool) -> list[JournalEntry]:
    query = db.select(JournalEntry).where(JournalEntry.claimant_id == claimant_id)
    if not include_sensitive:
        query = query.where(JournalEntry.sensitive.is_(False))
    return list(db.session.scalars(query.order_by(JournalEntry.created_at.desc())))


def entry(claimant_id: str, entry_id: str, *, include_sensitive: bool) -> JournalEntry:
    found = db.session.scalar(
        db.select(JournalEntry).where(
            JournalEntry.id == entry_id, JournalEntry.claimant_id == claimant_id
        )
    )
    # A sensitive entry the token may not read is hidden, not forbidden: its existence is private.
    if found is None or (found.sensitive and not include_sensitive):
        raise NotFound(entry_id)
    return found


def mr_decisions(claimant_id: str) -> list[MRDecision]:
    return list(
        db.session.scalars(
            db.select(MRDecision)
            .where(MRDecision.claimant_id == claimant_id)
            .order_by(MRDecision.decided_at.desc())
        )
    )


# The hot path's read (bench/README.md): one plain statement on the driver connection, straight
# to the JSON shape, with no ORM object made per request.
_DECISION_SQL = (
    "SELECT id, subject, outcome, body, decided_at FROM mr_decisions"
    " WHERE id = ? AND claimant_id = ?"
)
_DECISION_PG_SQL = audit.pg(_DECISION_SQL)


def mr_decision_json(claimant_id: str, decision_id: str) -> dict[str, Any]:
    """One MR decision of this claimant's, as decision_json shapes it; NotFound if there is none."""
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    with audit.driver_errors(connection):
        row = (
            audit.driver_connection(connection)
            .execute(_DECISION_PG_SQL if postgres else _DECISION_SQL, (decision_id, claimant_id))
            .fetchone()
        )
    if row is None:
        raise NotFound(decision_id)
    ident, subject, outcome, body, decided_at = row
    return _decision(ident, subject, outcome, body, clock.from_driver(decided_at))


def lodge_mr_request(
    claimant_id: str,
    *,
    decision_about: str,
    reasons: str,
    author_name: str,
    token_id: str,
    grant_id: str,
    now: datetime,
) -> JournalEntry:
    """A new journal entry asking for a Mandatory Reconsideration, with the token that made it."""
    entry = JournalEntry(
        claimant_id=claimant_id,
        kind="mr_request",
        author_role="adviser",
        author_name=author_name,
        subject=f"Mandatory Reconsideration request: {decision_about}",
        body=reasons,
        sensitive=False,
        created_at=now,
        token_id=token_id,
        grant_id=grant_id,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def todos(claimant_id: str) -> list[Todo]:
    return list(
        db.session.scalars(
            db.select(Todo).where(Todo.claimant_id == claimant_id).order_by(Todo.due_at)
        )
    )


def payments(claimant_id: str) -> list[Payment]:
    return list(
        db.session.scalars(
            db.select(Payment)
            .where(Payment.claimant_id == claimant_id)
            .order_by(Payment.paid_at.desc())
        )
    )


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
