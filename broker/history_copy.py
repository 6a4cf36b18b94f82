"""The claimant's own copy of their access history: a CSV for a spreadsheet, and a signed JSON
file (broker/signed.py, `typ` consent-broker-history) that anyone can check came from us."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from flask import current_app

from . import audit, grants, signed
from .models import Claimant

COLUMNS = (
    "at",
    "representative",
    "organisation",
    "action",
    "resource",
    "outcome",
    "token_id",
    "grant_id",
)


def events(claimant_id: str) -> list[dict[str, Any]]:
    """Every event made under the claimant's grants (what the history page lists), newest first."""
    by_id = {grant.id: grant for grant in grants.all_for_claimant(claimant_id)}
    rows = audit.events_for_grants(list(by_id), limit=100_000)
    return [
        {
            "at": row["at"].isoformat(),  # type: ignore[attr-defined]
            "representative": by_id[str(row["grant_id"])].representative_name,
            "organisation": by_id[str(row["grant_id"])].organisation_name,
            **{k: row[k] for k in ("action", "resource", "outcome", "token_id", "grant_id")},
        }
        for row in rows
    ]


def as_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        # A spreadsheet must not run a cell as a formula (OWASP CSV injection).
        writer.writerow(
            {k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in row.items()}
        )
    return out.getvalue()


def signed_copy(claimant: Claimant, *, now: datetime) -> dict[str, Any]:
    payload = {
        "iss": current_app.config["BROKER_ISSUER"],
        "issued_at": now.isoformat(),
        "claimant": {"id": claimant.id, "reference": claimant.reference},
        "events": events(claimant.id),
    }
    return {"history": payload, "jws": signed.sign(payload, signed.HISTORY)}
