"""Check with me before they send anything (issue 16): an adviser's MR request under a consent
with the setting on waits as a draft until the claimant sends it or not, or 7 days pass.

The API side runs in the guard's transaction on its driver connection (protect.py): the draft is
written and audited there, with the request's own audit event. The claimant's side (send, don't
send, the setting) and the sweep run in the ORM session, each locking the claimant's chain head
first, so a draft is decided once and every step sits in their chain with the adviser's token ID.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import clock
from ..chain import audit
from ..consent import disclosure, grants
from ..db import new_id
from ..driver import Joined, Unit
from ..extensions import db
from ..messages import notify
from ..models import Grant, JournalEntry, MRDraft
from ..oauth import protect
from . import screening
from .journal import iso

KEPT_FOR = timedelta(days=7)
WRITE_SCOPE = "mr:request"
PENDING, APPROVED, DECLINED, EXPIRED = "pending", "approved", "declined", "expired"

_COLUMNS = (
    "id",
    "client_id",
    "status",
    "created_at",
    "expires_at",
    "decided_at",
    "entry_id",
    "token_id",
)
# The draft the status URL names, read with the guard's check, filtered by the grant's claimant.
DRAFT = Joined("mr_drafts", _COLUMNS)


class DraftNotFound(LookupError):
    """No such draft for this claimant (another claimant's included)."""


class NotSendable(Exception):
    """This draft cannot be sent now; `reason` says why in a word the page turns into words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # decided | expired | access_ended


# The API side: in the guard's transaction.


def wanted(unit: Unit, grant_id: str) -> bool:
    """Whether the claimant asked to check writes under this consent first."""
    row = unit.one("SELECT check_before_send FROM grants WHERE id = ?", (grant_id,))
    return bool(row and row[0])


def draft(
    unit: Unit,
    access: protect.Access,
    *,
    decision_about: str,
    reasons: str,
    author_name: str,
) -> dict[str, Any]:
    """Keep the request as a draft for the claimant, audited as drafted with the token's ID."""
    ident, now = new_id(), access.now
    unit.write(
        "INSERT INTO mr_drafts (id, claimant_id, grant_id, token_id, client_id, author_name,"
        " decision_about, reasons, status, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ident,
            access.claimant_id,
            access.grant_id,
            access.token_id,
            access.client_id,
            author_name,
            decision_about,
            reasons,
            PENDING,
            clock.to_driver(now, postgres=unit.postgres),
            clock.to_driver(now + KEPT_FOR, postgres=unit.postgres),
        ),
    )
    protect.record_as(unit, "mr.request.drafted", f"mr_draft:{ident}")
    return {"draft_id": ident, "status": PENDING}


def observe(unit: Unit, access: protect.Access) -> tuple[dict[str, Any] | None, bool]:
    """The draft the guard read, as its status, for the client whose token drafted it only
    (None otherwise), and whether it expired just now: a pending draft past its 7 days is
    expired here, audited; the adviser is told once it commits (tell_expired)."""
    if access.found is None:
        return None, False
    ident, client_id, status, created, expires, decided, entry_id, drafted_by = access.found
    if client_id != access.client_id:
        return None, False
    expires_at = clock.from_driver(expires)
    expired_now = status == PENDING and access.now >= expires_at
    if expired_now:
        status, decided = EXPIRED, clock.to_driver(access.now, postgres=unit.postgres)
        unit.write(
            "UPDATE mr_drafts SET status = ?, decided_at = ? WHERE id = ? AND status = ?",
            (EXPIRED, decided, ident, PENDING),
        )
        protect.also_audit(
            unit, access, "mr.request.expired", f"mr_draft:{ident}", access.now, drafted_by
        )
    answer: dict[str, Any] = {
        "draft_id": ident,
        "status": status,
        "created_at": iso(clock.from_driver(created)),
        "expires_at": iso(expires_at),
        "decided_at": iso(clock.from_driver(decided)) if decided is not None else None,
    }
    if entry_id:
        answer["entry_id"] = entry_id
    return answer, expired_now


# The claimant's side and the sweep: in the ORM session, no commit.


def pending_for_claimant(claimant_id: str, now: datetime) -> list[MRDraft]:
    """Drafts still waiting for this claimant, oldest first."""
    return list(
        db.session.scalars(
            db.select(MRDraft)
            .where(
                MRDraft.claimant_id == claimant_id,
                MRDraft.status == PENDING,
                MRDraft.expires_at > now,
            )
            .order_by(MRDraft.created_at)
        )
    )


def for_claimant(claimant_id: str, draft_id: str) -> MRDraft:
    found = db.session.get(MRDraft, str(draft_id))
    if found is None or found.claimant_id != claimant_id:
        raise DraftNotFound(draft_id)
    return found


def for_grants(grant_ids: list[str], limit: int = 20) -> list[MRDraft]:
    """The latest drafts under these grants (the adviser's own, the staff record's)."""
    if not grant_ids:
        return []
    return list(
        db.session.scalars(
            db.select(MRDraft)
            .where(MRDraft.grant_id.in_(grant_ids))
            .order_by(MRDraft.created_at.desc())
            .limit(limit)
        )
    )


def sensitive(found: MRDraft) -> bool:
    """Whether the entry it makes is sensitive, as the direct write would mark it
    (journal.lodge_mr_request): a partner in a couple claim never reads it."""
    return screening.sensitive(found.decision_about, found.reasons)


def blocked_by(found: MRDraft, grant: Grant, now: datetime) -> str | None:
    """Why this draft cannot be sent now, or None."""
    if found.status != PENDING:
        return "decided"
    if now >= found.expires_at:
        return EXPIRED
    live = disclosure.authorises(grant.status, grant.review_at, grant.ends_at, now)
    if not live or WRITE_SCOPE not in grant.scope_names:
        return "access_ended"
    return None


def _decide(claimant_id: str, draft_id: str) -> tuple[MRDraft, Grant]:
    audit.lock_head(db.session.connection(), claimant_id)  # one decision per draft
    found = for_claimant(claimant_id, draft_id)
    db.session.refresh(found)
    grant = db.session.get(Grant, found.grant_id)
    assert grant is not None  # the foreign key
    db.session.refresh(grant)
    return found, grant


def approve(claimant_id: str, draft_id: str, *, now: datetime) -> MRDraft:
    """Send it: lodge the entry exactly as the adviser's direct write would have, with their
    token's ID; audited. NotSendable if it was decided, ran out, or the access has ended."""
    found, grant = _decide(claimant_id, draft_id)
    reason = blocked_by(found, grant, now)
    if reason == EXPIRED:
        _expire(found, grant, now)
    if reason is not None:
        raise NotSendable(reason)
    entry = JournalEntry(
        id=new_id(),
        claimant_id=claimant_id,
        kind="mr_request",
        author_role="adviser",
        author_name=found.author_name,
        subject=f"Mandatory Reconsideration request: {found.decision_about}",
        body=found.reasons,
        sensitive=sensitive(found),
        created_at=now,
        token_id=found.token_id,
        grant_id=found.grant_id,
    )
    db.session.add(entry)
    found.status, found.decided_at, found.entry_id = APPROVED, now, entry.id
    db.session.flush()
    _audit(found, f"claimant:{claimant_id}", "mr.request.approved", now)
    notify.mr_draft_outcome(
        grant, draft_id=found.id, outcome=APPROVED, about=found.decision_about, now=now
    )
    return found


def decline(claimant_id: str, draft_id: str, *, now: datetime) -> MRDraft:
    """Don't send: it never will be; audited. A draft already decided is left as it is."""
    found, grant = _decide(claimant_id, draft_id)
    if found.status == PENDING:
        found.status, found.decided_at = DECLINED, now
        db.session.flush()
        _audit(found, f"claimant:{claimant_id}", "mr.request.declined", now)
        notify.mr_draft_outcome(
            grant, draft_id=found.id, outcome=DECLINED, about=found.decision_about, now=now
        )
    return found


def expire_due(now: datetime, *, limit: int) -> int:
    """The sweep's step: expire up to `limit` drafts past their 7 days, audited; no commit."""
    due = list(
        db.session.execute(
            db.select(MRDraft.id, MRDraft.claimant_id)
            .where(MRDraft.status == PENDING, MRDraft.expires_at <= now)
            .order_by(MRDraft.expires_at)
            .limit(limit)
        )
    )
    for draft_id, claimant_id in due:
        found, grant = _decide(claimant_id, draft_id)
        if found.status == PENDING:
            _expire(found, grant, now)
    return len(due)


def _expire(found: MRDraft, grant: Grant, now: datetime) -> None:
    found.status, found.decided_at = EXPIRED, now
    db.session.flush()
    _audit(found, grants.SWEEP_ACTOR, "mr.request.expired", now)
    _tell_expired(found, grant, now)


def tell_expired(draft_id: str, now: datetime) -> None:
    """Tell the adviser that a draft observe expired is out of time (observe runs in the guard's
    transaction, outside the session, so it cannot queue the message itself); no commit."""
    found = db.session.get(MRDraft, draft_id)
    if found is not None and found.status == EXPIRED:
        grant = db.session.get(Grant, found.grant_id)
        assert grant is not None
        _tell_expired(found, grant, now)


def _tell_expired(found: MRDraft, grant: Grant, now: datetime) -> None:
    notify.mr_draft_outcome(
        grant, draft_id=found.id, outcome=EXPIRED, about=found.decision_about, now=now
    )


def tell_new(now: datetime, *, limit: int, only: str | None = None) -> int:
    """Queue the claimant's message for drafts not yet told (`only` this one: the API view asks
    as soon as the draft commits, and the sweep catches any it missed); no commit."""
    query = db.select(MRDraft).where(MRDraft.told_at.is_(None), MRDraft.status == PENDING)
    if only is not None:
        query = query.where(MRDraft.id == only)
    untold = list(db.session.scalars(query.order_by(MRDraft.created_at).limit(limit)))
    for found in untold:
        grant = db.session.get(Grant, found.grant_id)
        assert grant is not None
        notify.mr_drafted(grant, draft_id=found.id, now=now)
        found.told_at = now
    db.session.flush()
    return len(untold)


def set_checking(grant: Grant, on: bool, *, by: str, now: datetime) -> None:
    """Turn "Check with me before they send anything" on or off for this consent; audited.
    Drafts already waiting stay for the claimant to decide."""
    grants.lock(grant)
    if grant.check_before_send == on:
        return
    grant.check_before_send = on
    db.session.flush()
    audit.append(
        audit.Event(
            claimant_id=grant.claimant_id,
            token_id="",
            grant_id=grant.id,
            actor=by,
            action="grant.check_before_send." + ("on" if on else "off"),
            resource=f"grant:{grant.id}",
            outcome="done",
        ),
        now=now,
    )


def draft_for_demo(
    grant: Grant,
    *,
    token_id: str,
    client_id: str,
    author_name: str,
    about: str,
    reasons: str,
    now: datetime,
) -> MRDraft:
    """A draft as an API call under `grant` with token `token_id` would keep it, for the demo
    data; audited like one, and the claimant told. No commit."""
    audit.lock_head(db.session.connection(), grant.claimant_id)
    found = MRDraft(
        id=new_id(),
        claimant_id=grant.claimant_id,
        grant_id=grant.id,
        token_id=token_id,
        client_id=client_id,
        author_name=author_name,
        decision_about=about,
        reasons=reasons,
        status=PENDING,
        created_at=now,
        expires_at=now + KEPT_FOR,
    )
    db.session.add(found)
    db.session.flush()
    _audit(found, f"adviser:{grant.adviser_id}", "mr.request.drafted", now)
    tell_new(now, limit=1, only=found.id)
    return found


def _audit(found: MRDraft, actor: str, action: str, now: datetime) -> None:
    audit.append(
        audit.Event(
            claimant_id=found.claimant_id,
            token_id=found.token_id,
            grant_id=found.grant_id,
            actor=actor,
            action=action,
            resource=f"mr_draft:{found.id}",
            outcome="done",
        ),
        now=now,
    )
