"""Proof of lodging (issue 27 item 1): every MR request the broker lodges, at once through the API
or once the claimant presses "Send it", gets a signed document anyone can check (documents.py):
when it was lodged, the journal entry's ID, who lodged it with which token, when the claimant
sent it (a draft's), and the SHA-256 of what it says.

Only the hashes, never the text (security.md 85): anyone who holds the check code reads the facts
at /verify, and the text may hold health details a partner must not read. Whoever has the text
(the adviser who wrote it, the claimant, a tribunal shown it) can hash it and compare.

Written in the same transaction as the entry it proves (security.md 86): the API's in the
guard's (documents.issue_in_guard), "Send it"'s in the session before its one commit. If the
document or its audit event cannot be written, nothing is lodged.

Proof does no casework (the import contracts): the web layer hands over what was lodged.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..driver import Unit
from ..extensions import db
from ..models import Claimant, JournalEntry, MRDraft, SignedDocument
from ..oauth.protect import Access
from ..services import Services
from . import document_kinds, documents

KIND = document_kinds.LODGING


def subject_of(entry_id: str) -> str:
    return f"mr_request:{entry_id}"


def sha256_of(text: str) -> str:
    """The SHA-256 of the text exactly as lodged (UTF-8), in hex: `sha256sum` gives the same."""
    return hashlib.sha256(text.encode()).hexdigest()


def _instant(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def facts(
    *,
    entry_id: str,
    lodged_at: datetime,
    about: str,
    text: str,
    lodged_by: str,
    token_id: str,
    sent_by_claimant_at: datetime | None = None,
) -> dict[str, Any]:
    """What the proof says (document_kinds.LODGING shows it): hashes in place of the words."""
    found: dict[str, Any] = {
        "request_id": entry_id,
        "lodged_at": _instant(lodged_at),
        "lodged_by": lodged_by,
        "token_id": token_id,
        "about_sha256": sha256_of(about),
        "text_sha256": sha256_of(text),
    }
    if sent_by_claimant_at is not None:
        found["sent_by_claimant_at"] = _instant(sent_by_claimant_at)
    return found


def issue_lodged(
    unit: Unit, access: Access, entry: dict[str, Any], *, about: str, services: Services
) -> tuple[SignedDocument, str]:
    """The proof of an MR request the API has just lodged (`entry`, as the API returns it), in
    the guard's transaction: it commits with the entry, or neither does."""
    return documents.issue_in_guard(
        unit,
        access.claimant_id,
        kind=KIND,
        subject=subject_of(entry["id"]),
        facts=facts(
            entry_id=entry["id"],
            lodged_at=access.now,
            about=about,
            text=entry["body"],
            lodged_by=entry["author"],
            token_id=access.token_id,
        ),
        by=access.actor,
        now=access.now,
        services=services,
    )


def issue_sent(
    claimant: Claimant, sent: MRDraft, *, now: datetime, services: Services
) -> tuple[SignedDocument, str]:
    """The proof of a draft the claimant has just sent (drafts.approve lodged it), in the session
    before the commit that lodges it; no commit."""
    assert sent.entry_id is not None and sent.decided_at is not None  # approved: both are set
    return documents.issue(
        claimant,
        kind=KIND,
        subject=subject_of(sent.entry_id),
        facts=facts(
            entry_id=sent.entry_id,
            lodged_at=sent.decided_at,
            about=sent.decision_about,
            text=sent.reasons,
            lodged_by=sent.author_name,
            token_id=sent.token_id,
            sent_by_claimant_at=now,
        ),
        by=f"claimant:{claimant.id}",
        now=now,
        services=services,
    )


def of_entry_in_guard(unit: Unit, claimant_id: str, entry_id: str) -> tuple[str, str] | None:
    """The ID and file of the proof of lodging of this entry, read in the guard's transaction
    (a draft's status, once the claimant sent it)."""
    return unit.one(
        "SELECT id, jws FROM signed_documents WHERE claimant_id = ? AND kind = ? AND subject = ?",
        (claimant_id, KIND, subject_of(entry_id)),
    )


def of_entries(claimant_id: str, entry_ids: list[str]) -> dict[str, SignedDocument]:
    """This claimant's proofs of lodging of these journal entries, by entry ID."""
    if not entry_ids:
        return {}
    rows = db.session.scalars(
        select(SignedDocument).where(
            SignedDocument.claimant_id == claimant_id,
            SignedDocument.kind == KIND,
            SignedDocument.subject.in_([subject_of(ident) for ident in entry_ids]),
        )
    )
    return {row.subject.partition(":")[2]: row for row in rows}


def of_grant(grant_id: str, claimant_id: str) -> dict[str, SignedDocument]:
    """The proofs of lodging of the MR requests lodged under this grant (directly or sent by
    the claimant), by entry ID: what its adviser's console shows against each request."""
    lodged = db.session.scalars(
        select(JournalEntry.id).where(
            JournalEntry.grant_id == grant_id,
            JournalEntry.claimant_id == claimant_id,
            JournalEntry.kind == "mr_request",
        )
    )
    return of_entries(claimant_id, list(lodged))


def of_draft(claimant_id: str, draft_id: str) -> SignedDocument | None:
    """The proof of lodging of this claimant's draft, once it was sent."""
    sent = db.session.get(MRDraft, str(draft_id))
    if sent is None or sent.claimant_id != claimant_id or sent.entry_id is None:
        return None
    return of_entries(claimant_id, [sent.entry_id]).get(sent.entry_id)


def of_history(claimant_id: str, resources: list[str]) -> dict[str, SignedDocument]:
    """The proof each line of the claimant's history names: an MR request lodged through the API
    (`journal_entry:<id>`, the guard's event) or a draft they sent (`mr_draft:<id>`)."""
    entries = {r: r.partition(":")[2] for r in resources if r.startswith("journal_entry:")}
    drafted = [r.partition(":")[2] for r in resources if r.startswith("mr_draft:")]
    if drafted:
        for draft_id, entry_id in db.session.execute(
            select(MRDraft.id, MRDraft.entry_id).where(
                MRDraft.claimant_id == claimant_id,
                MRDraft.id.in_(drafted),
                MRDraft.entry_id.is_not(None),
            )
        ):
            entries[f"mr_draft:{draft_id}"] = str(entry_id)
    proofs = of_entries(claimant_id, list(set(entries.values())))
    return {r: proofs[e] for r, e in entries.items() if e in proofs}
