"""One entry point that checks any signed file the broker gives out, by its kind: a statement,
a consent receipt, an access history or a dispute's outcome (the CLI and the upload page share
it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt

from ..chain import signed
from ..consent import receipts
from . import statements


@dataclass
class Result:
    ok: bool
    summary: str  # in English, for the CLI (a page says it from the facts, in its language)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    kind: str | None = None  # the document's `typ`, when a page has its own words for it
    facts: DisputeOutcome | None = None  # what a genuine one says, for the page to show


@dataclass(frozen=True)
class DisputeOutcome:
    """What a genuine dispute outcome says (casework/disputes.py `_receipt`): whose, when the
    claimant told us and when DWP decided, and the outcome (resumed, stopped, passed_on)."""

    reference: str
    opened_at: datetime
    closed_at: datetime
    outcome: str


def kind_of(document: dict[str, Any]) -> str | None:
    try:
        return jwt.get_unverified_header(str(document.get("jws", ""))).get("typ")
    except jwt.PyJWTError:
        return None


def check(
    document: dict[str, Any], key_set: dict[str, Any], published: list[dict[str, Any]] | None
) -> Result:
    kind = kind_of(document)
    if kind == signed.RECEIPT:
        ok, words = receipts.verify(document, key_set)
        return Result(ok, words)
    if kind == signed.HISTORY:
        try:
            payload = signed.verify(str(document["jws"]), signed.HISTORY, key_set)
        except signed.BadSignature as exc:
            return Result(False, f"NOT VALID: the access history is not genuine: {exc}")
        if document.get("history") not in (None, payload):
            return Result(False, "NOT VALID: the readable copy differs from what was signed")
        return Result(
            True,
            f"VALID. Access history of {payload['claimant']['reference']}: "
            f"{len(payload['events'])} event(s), "
            # files made before issue 23 have no staff reads
            f"{len(payload.get('staff_reads', []))} look(s) by DWP staff, "
            # and before issue 27, no caller checks
            f"{len(payload.get('caller_checks', []))} caller check(s), "
            f"made {payload['issued_at'][:10]}.",
        )
    if kind == signed.DISPUTE:
        return _dispute(document, key_set)
    verdict = statements.verify(document, key_set, published)
    return Result(verdict.ok, verdict.summary(), verdict.checks)


def _dispute(document: dict[str, Any], key_set: dict[str, Any]) -> Result:
    """A dispute's signed outcome: genuine under the published keys, and its readable copy (if
    the file has one) the same as what was signed."""
    refused = Result(
        False,
        "NOT VALID: this dispute outcome is not genuine or has been changed",
        kind=signed.DISPUTE,
    )
    try:
        payload = signed.verify(str(document["jws"]), signed.DISPUTE, key_set)
        if document.get("dispute") not in (None, payload):
            return refused
        facts = DisputeOutcome(
            reference=str(payload["claimant"]["reference"]),
            opened_at=datetime.fromisoformat(payload["opened_at"]),
            closed_at=datetime.fromisoformat(payload["closed_at"]),
            outcome=str(payload["outcome"]),
        )
    except (signed.BadSignature, KeyError, TypeError, ValueError):
        return refused
    return Result(
        True,
        f"VALID. Outcome of a dispute by {facts.reference}: {facts.outcome}, "
        f"decided {facts.closed_at.date().isoformat()}.",
        kind=signed.DISPUTE,
        facts=facts,
    )
