"""Consent receipts: one signed record for the claimant each time a grant changes.

The fields are those of the Kantara Initiative Consent Receipt Specification v1.1 (the basis of
ISO/IEC TS 27560's consent record) where they apply: version, jurisdiction, consentTimestamp,
collectionMethod, consentReceiptID, language, piiPrincipalId, piiControllers, policyUrl,
services (service, purposes: purpose, consentType, piiCategory, termination,
thirdPartyDisclosure, thirdPartyName), sensitive, spiCat. Three of ours are added: `event`
(what changed, when and by whom; the scopes after it and, for a narrowing, `removedScopes`),
`grantId`, and `withdrawal` (how to stop it). Receipts are signed like statements
(broker/chain/signed.py, `typ` consent-broker-receipt) and made in the same transaction as the
change they record (grants.py calls `issue`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

import scopes

from ..chain import signed
from ..chain.keys import Signer
from ..db import new_id
from ..extensions import db
from ..models import Grant, Receipt

VERSION = "KI-CR-v1.1.0"
CASE_DECIDED = "case_decided"
GIVEN, AMENDED, NARROWED, REVIEWED, SUSPENDED, RESUMED, REVOKED, EXPIRED = (
    "given",
    "amended",
    "narrowed",
    "reviewed",
    "suspended",
    "resumed",
    "revoked",
    "expired",
)
FOR_ACTION = {
    "grant.create": GIVEN,
    "grant.amend": AMENDED,
    "grant.narrow": NARROWED,
    "grant.review_confirm": REVIEWED,
    "grant.suspend": SUSPENDED,
    "grant.lift_suspension": RESUMED,
    "grant.dispute_pause": SUSPENDED,  # issue 27: the claimant disputed a line of history
    "grant.dispute_resume": RESUMED,
    "grant.revoke": REVOKED,
    "grant.expire": EXPIRED,
    "grant.case_decided": CASE_DECIDED,
}
CONTROLLER = "Department for Work and Pensions"
WITHDRAW = (
    "Stop it at any time on the broker: sign in, choose 'Who can see your journal', then "
    "'Stop access'. Or phone the Universal Credit helpline."
)


def issue(
    grant: Grant,
    action: str,
    *,
    by: str,
    now: datetime,
    signer: Signer | None,
    removed: Sequence[str] = (),
    added: Sequence[str] = (),
) -> Receipt | None:
    """Sign (with `signer`'s key, as its issuer) and add the receipt for this change to `grant`
    (no commit); None if not a change a receipt records. `removed`: the scopes a narrowing took
    away; `added`, an amendment's."""
    event = FOR_ACTION.get(action)
    if event is None:
        return None
    if signer is None:
        raise ValueError(f"{action} is a change the claimant gets a receipt for: sign it")
    receipt_id = new_id()
    payload = content(
        grant,
        event,
        by=by,
        now=now,
        receipt_id=receipt_id,
        issuer=signer.issuer,
        removed=removed,
        added=added,
    )
    row = Receipt(
        id=receipt_id,
        claimant_id=grant.claimant_id,
        grant_id=grant.id,
        event=event,
        created_at=now,
        jws=signed.sign(payload, signed.RECEIPT, signer.key),
    )
    db.session.add(row)
    return row


def content(
    grant: Grant,
    event: str,
    *,
    by: str,
    now: datetime,
    receipt_id: str,
    issuer: str,
    removed: Sequence[str] = (),
    added: Sequence[str] = (),
) -> dict[str, Any]:
    """The receipt's fields; `event.scopes` is what the grant allows after the change, and a
    narrowing adds `event.removedScopes`, what it took away."""
    table = scopes.catalogue()
    chosen = [table[n] for n in grant.scope_names if n in table]
    third_party = ", ".join(x for x in (grant.representative_name, grant.organisation_name) if x)
    return {
        "version": VERSION,
        "jurisdiction": "GB",
        "consentTimestamp": int(grant.created_at.timestamp()),
        "collectionMethod": {
            "claimant": "online, by the claimant",
            "staff": "by phone, recorded by DWP staff",
            "oauth": "online, at the adviser's request",
        }.get(grant.recorded_by, grant.recorded_by),
        "consentReceiptID": receipt_id,
        "language": "en",
        "piiPrincipalId": grant.claimant.reference,
        "piiControllers": [
            {
                "piiController": CONTROLLER,
                "onBehalf": False,
                "piiControllerUrl": issuer,
            }
        ],
        "policyUrl": issuer + "/",
        "services": [
            {
                "service": "Universal Credit journal access"
                if grant.kind == "access"
                else "Nominated contact",
                "purposes": [
                    {
                        "purpose": grant.purpose,
                        "purposeCategory": [grant.relationship],
                        "consentType": "EXPLICIT",
                        "piiCategory": grant.information.split("; ") if grant.information else [],
                        "primaryPurpose": True,
                        "termination": grant.ends_at.isoformat(),
                        "thirdPartyDisclosure": True,
                        "thirdPartyName": third_party,
                    }
                ],
            }
        ],
        "sensitive": any(s.sensitive for s in chosen),
        "spiCat": [s.title_in("en") for s in chosen if s.sensitive],
        "grantId": grant.id,
        "event": {
            "type": event,
            "at": now.isoformat(),
            "by": _who(by),
            "status": grant.status,
            "reviewDate": grant.review_at.isoformat(),
            "scopes": list(grant.scope_names),
            **({"removedScopes": list(removed)} if event == NARROWED else {}),
            **({"addedScopes": list(added)} if event == AMENDED else {}),
            # Access that ends when the case does (broker/consent/case_tied.py).
            **({"untilEvent": grant.until_event} if grant.until_event else {}),
            # Issue 16: the date window, only when there is one (receipts of open grants are
            # unchanged).
            **(
                {"dateFrom": _day(grant.date_from), "dateTo": _day(grant.date_to)}
                if grant.date_from or grant.date_to
                else {}
            ),
        },
        "withdrawal": WITHDRAW,
    }


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _who(actor: str) -> str:
    """Whose hand: the role only (the claimant knows themselves; staff are not named here)."""
    return actor.split(":", 1)[0]


def for_grant(claimant_id: str, grant_id: str) -> list[Receipt]:
    return list(
        db.session.scalars(
            select(Receipt)
            .where(Receipt.claimant_id == claimant_id, Receipt.grant_id == grant_id)
            .order_by(Receipt.created_at.desc(), Receipt.id)
        )
    )


def for_claimant(claimant_id: str, receipt_id: str) -> Receipt | None:
    row = db.session.get(Receipt, receipt_id)
    return row if row is not None and row.claimant_id == claimant_id else None


def payload_of(row: Receipt, key_set: dict[str, Any]) -> dict[str, Any]:
    return signed.verify(row.jws, signed.RECEIPT, key_set)


def verify(document: dict[str, Any], key_set: dict[str, Any]) -> tuple[bool, str]:
    """(genuine, what it says or why not) for a downloaded receipt file."""
    try:
        payload = signed.verify(str(document.get("jws", "")), signed.RECEIPT, key_set)
    except signed.BadSignature as exc:
        return False, f"NOT VALID: the receipt is not genuine: {exc}"
    if document.get("receipt") not in (None, payload):
        return False, "NOT VALID: the readable copy differs from what was signed"
    purpose = payload["services"][0]["purposes"][0]
    return True, (
        f"VALID. Consent receipt {payload['consentReceiptID']}: consent "
        f"{payload['event']['type']} on {payload['event']['at'][:10]} for "
        f"{purpose['thirdPartyName']} ({'; '.join(purpose['piiCategory'])}) "
        f"until {purpose['termination'][:10]}, because: {purpose['purpose']}."
    )
