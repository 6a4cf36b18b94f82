"""One entry point that checks any signed file the broker gives out, by its kind: a statement,
a consent receipt or an access history (the CLI and the upload page share it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jwt

from ..chain import signed
from ..consent import receipts
from . import statements


@dataclass
class Result:
    ok: bool
    summary: str
    checks: list[tuple[str, bool, str]] = field(default_factory=list)


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
    verdict = statements.verify(document, key_set, published)
    return Result(verdict.ok, verdict.summary(), verdict.checks)
