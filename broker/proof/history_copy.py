"""The claimant's own copy of their access history: a CSV for a spreadsheet, in the words of the
history page (written by broker/web/wording.py), and a signed JSON file (broker/chain/signed.py,
`typ` consent-broker-history) that anyone can check came from us, which keeps the audit's own
codes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ..chain import audit, signed
from ..consent import grants
from ..messages import letters
from ..models import Claimant, Grant
from ..people import records
from ..services import Services
from . import call_log

# A cell starting with one of these is run as a formula by a spreadsheet (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MOST_EVENTS = 100_000


def grants_and_events(
    claimant_id: str, limit: int = MOST_EVENTS
) -> tuple[dict[str, Grant], list[dict[str, Any]]]:
    """The claimant's grants by ID, and the events made under them, newest first: what the
    history page, its CSV and its signed copy all list."""
    by_id = {grant.id: grant for grant in grants.all_for_claimant(claimant_id)}
    return by_id, audit.events_for_grants(list(by_id), limit=limit)


def events(claimant_id: str) -> list[dict[str, Any]]:
    """Every event made under the claimant's grants, newest first, with the audit's codes."""
    by_id, rows = grants_and_events(claimant_id)
    return [
        {
            "at": row["at"].isoformat(),  # type: ignore[attr-defined]
            "representative": by_id[str(row["grant_id"])].representative_name,
            "organisation": by_id[str(row["grant_id"])].organisation_name,
            **{k: row[k] for k in ("action", "resource", "outcome", "token_id", "grant_id")},
        }
        for row in rows
    ]


def safe_cell(value: object) -> object:
    """The value as a spreadsheet should show it: text that starts like a formula gets a leading
    apostrophe; every other cell, an empty one included, is left exactly as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def as_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file: the header, then each row, every cell made safe for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()


def signed_copy(claimant: Claimant, *, now: datetime, services: Services) -> dict[str, Any]:
    payload = {
        "iss": services.issuer,
        "issued_at": now.isoformat(),
        "claimant": {"id": claimant.id, "reference": claimant.reference},
        "events": events(claimant.id),
        # Issue 15: each message we sent them, with when it was sent, delivered and opened.
        "messages": [letter.as_json() for letter in letters.inbox(claimant.id, limit=MOST_EVENTS)],
        # Issue 23: each time DWP staff looked at their record (the page groups them by day).
        "staff_reads": [
            read.as_json() for read in records.staff_reads(claimant.id, limit=MOST_EVENTS)
        ],
        # Issue 27: each caller check on their phone, with every event it wrote to the chain.
        "caller_checks": [call.as_json() for call in call_log.calls(claimant.id)],
    }
    return {"history": payload, "jws": signed.sign(payload, signed.HISTORY, services.signing_key)}
