"""What changed in a claimant's access since they last signed in, read from the audit log.

A claimant who signs in should learn, on their home page, of anything that happened to their
access without them: consent DWP staff recorded for them by phone, access given through an
adviser's system, access DWP stopped or restarted, an adviser giving theirs up, access that
reached its end date, and anything an adviser wrote for them (an MR request). Things the claimant
did themselves are not news. A review coming up is shown by its own banner (templates/claimant/
_notices.html), for as long as it is due, so it is not repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .. import clock
from ..extensions import db
from ..models import Account, AuditEvent, Grant
from . import grants

# Actions that write something for the claimant: what an adviser "lodged".
WRITE_ACTIONS = frozenset({"mr.request"})
GRANT_ACTIONS = frozenset({"grant.create", "grant.revoke", "grant.expire", "grant.lift_suspension"})
MOST = 20  # a long absence still gives a short page: the newest twenty


@dataclass(frozen=True, slots=True)
class News:
    """One thing that happened: `kind` says what, for the template to put into words."""

    # given | recorded_by_staff | stopped_by_staff | given_up | restarted | ended | lodged
    kind: str
    at: datetime
    grant: Grant
    action: str = ""
    # The access this news gave has ended since (say, "Stop all access"): the page must not go
    # on telling the claimant that this person has access.
    over: bool = False


def record_sign_in(account: Account, *, now: datetime) -> datetime | None:
    """Note a claimant's sign-in; returns when the one before it was (or when the account was
    made). Only claimants have news, so other accounts are left untouched (None)."""
    if account.role != "claimant":
        return None
    previous = account.last_signed_in_at or account.created_at
    account.last_signed_in_at = now
    return previous


def since(claimant_id: str, *, moment: datetime, now: datetime) -> list[News]:
    """What happened to this claimant's access after `moment`, newest first, at most MOST."""
    events = db.session.execute(
        db.select(AuditEvent.occurred_us, AuditEvent.grant_id, AuditEvent.actor, AuditEvent.action)
        .where(
            AuditEvent.claimant_id == claimant_id,
            AuditEvent.occurred_us > clock.to_micros(moment),
            AuditEvent.actor != f"claimant:{claimant_id}",
            AuditEvent.action.in_(GRANT_ACTIONS | WRITE_ACTIONS),
            AuditEvent.outcome.in_(("done", "allowed")),
        )
        .order_by(AuditEvent.occurred_us.desc())
        .limit(MOST)
    ).all()
    lapsed = db.session.scalars(
        db.select(Grant).where(
            Grant.claimant_id == claimant_id,
            Grant.status.in_((grants.ACTIVE, grants.SUSPENDED)),
            Grant.ends_at > moment,
            Grant.ends_at <= now,
        )
    ).all()
    wanted = {e.grant_id for e in events} | {g.id for g in lapsed}
    by_id = {
        g.id: g
        for g in db.session.scalars(db.select(Grant).where(Grant.id.in_(wanted)))
        if g.claimant_id == claimant_id
    }
    found: list[News] = []
    for occurred_us, grant_id, actor, action in events:
        grant = by_id.get(grant_id)
        kind = _kind(action, actor)
        if grant is not None and kind is not None:
            found.append(News(kind, clock.from_micros(occurred_us), grant, action))
    ended = {n.grant.id for n in found if n.kind == "ended"}
    # Grants past their end that the sweep has not reached yet have no event: still news.
    found += [News("ended", g.ends_at, g) for g in lapsed if g.id not in ended]
    found = [
        replace(n, over=True) if n.kind in GAVE_ACCESS and _over(n.grant, now) else n for n in found
    ]
    found.sort(key=lambda n: n.at, reverse=True)
    return found[:MOST]


GAVE_ACCESS = frozenset({"given", "recorded_by_staff", "restarted"})


def _over(grant: Grant, now: datetime) -> bool:
    return grants.state_at(grant, now) in grants.ENDED


def _kind(action: str, actor: str) -> str | None:
    who = actor.partition(":")[0]
    if action in WRITE_ACTIONS:
        return "lodged"
    if action == "grant.create":
        return "recorded_by_staff" if who == "staff" else "given"
    if action == "grant.expire":
        return "ended"
    if action == "grant.lift_suspension":
        return "restarted"
    if action == "grant.revoke":
        return {"staff": "stopped_by_staff", "adviser": "given_up", "system": "ended"}.get(who)
    return None
