"""Signed documents anyone can check (issue 27 item 1): the MR decision notice, proof of lodging
and the evidence bundle (what each shows: document_kinds.py).

A document is a JWS like every other the broker signs (broker/chain/signed.py, `typ`
consent-broker-document) over the facts it carries and nothing else. Issuing one appends
"document.issue" to the claimant's audit chain with the SHA-256 of the JWS in its resource, so the
next checkpoint seals it: a verifier learns the document is genuine (the signature), unchanged
(the signature covers every byte of its facts; the digest matches the one recorded) and sealed in
the audit (the recording event is covered by a signed checkpoint).

The check code. 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 49
bits from `secrets`: not enumerable, and each wrong code counts against the asking address
(ratelimit.guess), so guessing stops long before it could find one. Only its SHA-256 is stored,
as the lookup key; a code that is malformed, unknown or guessed gets the same answer (NOT_FOUND).

What the facts are is up to the caller (proof does no casework): the web layer hands over the
decision's date, outcome and appeal dates (broker/casework/appeals.py).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from .. import clock, ratelimit
from ..chain import audit, checkpoints, signed
from ..db import new_id
from ..driver import Unit
from ..extensions import db
from ..i18n import N_
from ..models import AuditEvent, Claimant, MRDecision, SignedDocument
from ..oauth import protect
from ..services import Services

FORMAT = "consent-broker document 1"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
ISSUE, CHECK = "document.issue", "document.check"
VERIFIER = "public:verify"  # the actor of a check: anyone, no account
NOT_FOUND = N_("We cannot find that document")
NOT_GENUINE = N_("This document is not genuine or has been changed")
NOT_RECORDED = N_("This document is not the one recorded in the audit when it was issued")


def code_of(document_id: str, services: Services) -> str:
    """The document's check code: derived from the broker's statement key (its own secret) and
    the document's random ID, so it is the same every time the notice is shown or printed and
    never stored; the database holds only its SHA-256 to look it up by."""
    mac = hmac.new(services.statement_key, f"document\x1f{document_id}".encode(), "sha256")
    number = int.from_bytes(mac.digest(), "big")
    return "".join(
        ALPHABET[(number // len(ALPHABET) ** i) % len(ALPHABET)] for i in range(CODE_LENGTH)
    )


def shown(code: str) -> str:
    """The code as printed: two groups of five, easier to read out and type."""
    return f"{code[:5]}-{code[5:]}"


def normalised(text: str) -> str | None:
    """The code as typed (any case, spaces or hyphens), or None if it cannot be one."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def _key(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def digest(jws: str) -> str:
    return hashlib.sha256(jws.encode()).hexdigest()


def issued(claimant_id: str, kind: str, subject: str) -> SignedDocument | None:
    return db.session.scalar(
        select(SignedDocument).where(
            SignedDocument.claimant_id == claimant_id,
            SignedDocument.kind == kind,
            SignedDocument.subject == subject,
        )
    )


def issue(
    claimant: Claimant,
    *,
    kind: str,
    subject: str,
    facts: dict[str, Any],
    by: str,
    now: datetime,
    services: Services,
) -> tuple[SignedDocument, str]:
    """The document of this kind about `subject` with its check code, signed and recorded in the
    claimant's audit chain; no commit. One per subject: asking again gives the same document."""
    existing = issued(claimant.id, kind, subject)
    if existing is not None:
        return existing, code_of(existing.id, services)
    made = _made(claimant.reference, kind, facts, now, services)
    seq = audit.append(made.event(claimant.id, by), now=now)
    row = made.row(claimant.id, subject, now, seq)
    db.session.add(row)
    db.session.flush()
    return row, made.code


def issue_in_guard(
    unit: Unit,
    claimant_id: str,
    *,
    kind: str,
    subject: str,
    facts: dict[str, Any],
    by: str,
    now: datetime,
    services: Services,
) -> tuple[SignedDocument, str]:
    """issue() in the protected request's transaction (oauth/protect.py), for a document about
    what that request does (a proof of lodging): it commits with the work and the request's own
    audit event, or none of them does. The subject is new (the work just made it)."""
    found = unit.one("SELECT reference FROM claimants WHERE id = ?", (claimant_id,))
    made = _made(found[0], kind, facts, now, services)
    seq = protect.add_event(unit, made.event(claimant_id, by), now)
    row = made.row(claimant_id, subject, now, seq)
    unit.write(
        "INSERT INTO signed_documents (id, claimant_id, kind, subject, code_key, digest,"
        " issued_at, audit_seq, jws) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.id,
            row.claimant_id,
            row.kind,
            row.subject,
            row.code_key,
            row.digest,
            clock.to_driver(now, postgres=unit.postgres),
            row.audit_seq,
            row.jws,
        ),
    )
    return row, made.code


@dataclass(frozen=True)
class _Made:
    """A document signed and not yet recorded: its ID, check code, JWS and the JWS's digest."""

    id: str
    kind: str
    code: str
    jws: str
    digest: str

    def event(self, claimant_id: str, by: str) -> audit.Event:
        return audit.untokened(claimant_id, by, ISSUE, f"document:{self.id}:{self.digest}")

    def row(self, claimant_id: str, subject: str, now: datetime, seq: int) -> SignedDocument:
        return SignedDocument(
            id=self.id,
            claimant_id=claimant_id,
            kind=self.kind,
            subject=subject,
            code_key=_key(self.code),
            digest=self.digest,
            issued_at=now,
            audit_seq=seq,
            jws=self.jws,
        )


def _made(
    reference: str, kind: str, facts: dict[str, Any], now: datetime, services: Services
) -> _Made:
    document_id = new_id()
    payload = {
        "format": FORMAT,
        "kind": kind,
        "id": document_id,
        "iss": services.issuer,
        "issued_at": now.isoformat(),
        "claimant": {"reference": reference},
        "facts": facts,
        "verify_uri": f"{services.issuer}/verify",
    }
    jws = signed.sign(payload, signed.DOCUMENT, services.signing_key)
    return _Made(document_id, kind, code_of(document_id, services), jws, digest(jws))


def link_of(code: str, services: Services) -> str:
    """Where anyone checks the document with this code (the QR code and the API carry it)."""
    return f"{services.issuer}/verify?code={code}"


def as_json(document_id: str, jws: str, services: Services) -> dict[str, str]:
    """A document as the API returns it: the check code as printed, where to check it, the file."""
    code = code_of(document_id, services)
    return {
        "document_id": document_id,
        "check_code": shown(code),
        "verify_uri": link_of(code, services),
        "jws": jws,
    }


def as_file(row: SignedDocument) -> dict[str, Any]:
    """The downloadable file: the JWS (what /verify checks) and its readable contents."""
    return {"jws": row.jws, "document": payload_of(row)}


def payload_of(row: SignedDocument) -> dict[str, Any]:
    """The contents of a document the broker signed and kept (checked when it is checked)."""
    return signed.unverified_payload(row.jws)


@dataclass
class Result:
    """What /verify shows: genuine, unchanged and sealed, or the plain reason it is not."""

    ok: bool
    reason: str = ""  # a message to translate
    detail: str = ""  # which check failed (signed.BadSignature's words, most of them marked)
    sealed: bool = False
    document: dict[str, Any] = field(default_factory=dict)


def check_code(text: str, *, address: str, now: datetime, services: Services) -> Result:
    """Check by code; every miss counts against `address` (ratelimit.TooManyAttempts)."""
    code = normalised(text)

    def lookup() -> SignedDocument | None:
        if code is None:
            return None
        return db.session.scalar(
            select(SignedDocument).where(SignedDocument.code_key == _key(code))
        )

    row = ratelimit.guess([f"verify-code:addr:{address}"], lookup, now=now)
    if row is None:
        return Result(False, NOT_FOUND)
    return _check(row, row.jws, now=now, services=services)


def check_jws(jws: str, *, now: datetime, services: Services) -> Result:
    """Check an uploaded document: its signature first, so an altered one says so."""
    try:
        signed.verify(jws, signed.DOCUMENT, services.key_set())
    except signed.BadSignature as exc:
        return Result(False, NOT_GENUINE, detail=str(exc))
    row = db.session.scalar(select(SignedDocument).where(SignedDocument.digest == digest(jws)))
    if row is None:
        return Result(False, NOT_FOUND)
    return _check(row, jws, now=now, services=services)


def _check(row: SignedDocument, jws: str, *, now: datetime, services: Services) -> Result:
    try:
        document = signed.verify(jws, signed.DOCUMENT, services.key_set())
    except signed.BadSignature as exc:
        return Result(False, NOT_GENUINE, detail=str(exc))
    recorded = db.session.scalar(
        select(AuditEvent.resource).where(
            AuditEvent.claimant_id == row.claimant_id, AuditEvent.seq == row.audit_seq
        )
    )
    if recorded != f"document:{row.id}:{digest(jws)}":
        return Result(False, NOT_RECORDED)
    audit.append(audit.untokened(row.claimant_id, VERIFIER, CHECK, f"document:{row.id}"), now=now)
    return Result(True, sealed=sealed(row), document=document)


def sealed(row: SignedDocument) -> bool:
    """Whether a signed checkpoint covers the event that recorded the document."""
    last = checkpoints.latest()
    if last is None:
        return False
    found = checkpoints.leaf_at(row.claimant_id, last.seq)
    return found is not None and found[1].seq >= row.audit_seq


def history(claimant_id: str) -> list[dict[str, Any]]:
    """Each document issued to the claimant and each check made of it, newest first."""
    rows = {
        r.id: r
        for r in db.session.scalars(
            select(SignedDocument).where(SignedDocument.claimant_id == claimant_id)
        )
    }
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.claimant_id == claimant_id, AuditEvent.action.in_([ISSUE, CHECK]))
        .order_by(AuditEvent.seq.desc())
    ).all()
    lines = []
    for event in events:
        document_id = event.resource.split(":")[1] if event.resource.count(":") else ""
        row = rows.get(document_id)
        if row is None:
            continue
        at = clock.from_micros(event.occurred_us)
        lines.append({"action": event.action, "at": at, "document": row, "line": event.id})
    return lines


def decisions_of(claimant_id: str) -> list[MRDecision]:
    """The claimant's MR decisions, newest first: each can have its notice."""
    return list(
        db.session.scalars(
            select(MRDecision)
            .where(MRDecision.claimant_id == claimant_id)
            .order_by(MRDecision.decided_at.desc())
        )
    )
