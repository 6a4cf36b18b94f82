from __future__ import annotations

from broker.extensions import db
from broker.models import AuditEvent, Dispute, Grant


def line_of(grant: Grant, action: str = "grant.create") -> AuditEvent:
    """The grant's line in the claimant's history for `action`."""
    return db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.grant_id == grant.id, AuditEvent.action == action)
    ).first()


def wrong_path(event: AuditEvent) -> str:
    return f"/history/lines/{event.id}/wrong"


def disputes_of(claimant_id: str) -> list[Dispute]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Dispute).where(Dispute.claimant_id == claimant_id)))
