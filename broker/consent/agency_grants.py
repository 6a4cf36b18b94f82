"""What an advice agency's decisions do to consent (issue 25): counting an adviser's clients,
and stopping every grant to an adviser at once when their organisation suspends them (or the
broker's admin suspends the whole organisation), restarting them on resume.

A held grant is an ordinary suspended grant (status "suspended"), so the one rule that decides
whether a grant lets anything through (disclosure.authorises, asked by the resource guard, the
token endpoint and every teller) refuses it with no second check to keep in step. `agency_hold`
says why, so resuming restarts only what the agency stopped, never a suspension DWP made.
Each change is audited on the claimant's chain and told to them (access_changes reacts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func

from ..chain import audit
from ..chain.keys import Signer
from ..extensions import db
from ..models import Adviser, Grant
from . import clients, device, grants
from .disclosure import ACTIVE

ADVISER, ORGANISATION = "adviser", "organisation"
HOLD, RELEASE = "grant.agency_hold", "grant.agency_release"


def client_counts(adviser_ids: list[str], now: datetime) -> dict[str, int]:
    """How many claimants each adviser has a live access grant from: counts only, never who."""
    if not adviser_ids:
        return {}
    rows = db.session.execute(
        db.select(Grant.adviser_id, func.count(Grant.id))
        .where(
            Grant.adviser_id.in_(adviser_ids),
            Grant.kind == grants.ACCESS,
            Grant.status.in_(grants.LIVE),
            Grant.ends_at > now,
        )
        .group_by(Grant.adviser_id)
    ).all()
    counts = {adviser_id: 0 for adviser_id in adviser_ids}
    counts.update({adviser_id: count for adviser_id, count in rows})
    return counts


def hold_for(adviser: Adviser, *, why: str, by: str, signer: Signer, now: datetime) -> int:
    """Suspend every active grant to this adviser; their access tokens stop now (refresh tokens
    are kept, so a resume needs no new approval, as for DWP's suspension). Returns how many."""
    count = 0
    for grant in _grants_of(adviser.id, ACTIVE):
        grants.lock(grant)
        if grant.status != ACTIVE or now >= grant.ends_at:
            continue
        grants.pause(
            grant, reason=_REASONS[why], by=by, action=HOLD, signer=signer, now=now, agency_hold=why
        )
        count += 1
    return count


def release_for(adviser: Adviser, *, by: str, signer: Signer, now: datetime) -> int:
    """Restart the grants the agency stopped, unless the adviser is still held some other way
    (suspended themselves while their organisation resumes, or the reverse). Returns how many."""
    if adviser.held:
        return 0
    count = 0
    for grant in _grants_of(adviser.id, grants.SUSPENDED):
        grants.lock(grant)
        if grant.status != grants.SUSPENDED or grant.agency_hold is None:
            continue
        if now >= grant.ends_at:
            continue  # the sweep expires it; restarting would tell them of access that is over
        grants.restart(grant, by=by, action=RELEASE, signer=signer, now=now)
        count += 1
    return count


_REASONS = {
    ADVISER: "Suspended by the adviser's organisation",
    ORGANISATION: "The adviser's organisation is suspended",
}


def _grants_of(adviser_id: str, status: str) -> list[Grant]:
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(
                Grant.adviser_id == adviser_id,
                Grant.kind == grants.ACCESS,
                Grant.status == status,
            )
            .order_by(Grant.id)
        )
    )


# An adviser leaves (issue 25): each client is asked, on their phone, to move their consent to a
# named colleague. The request is the same as an adviser's own request for access (a device
# authorization, answered on the /device page), for that claimant only, asking for what the
# leaving adviser's grant holds; saying yes makes (or amends) the colleague's grant and ends the
# leaving adviser's (device.approve); saying no changes nothing.
MOVE_LIFETIME = timedelta(days=14)
MOVE_ASKED = "grant.move_asked"


@dataclass(frozen=True)
class MoveAsked:
    grant: Grant
    user_code: str  # XXXX-XXXX, for the claimant's link


def ask_to_move(leaving: Adviser, colleague: Adviser, *, by: str, now: datetime) -> list[MoveAsked]:
    """One move request per live access grant to `leaving`, each audited on its claimant's
    chain. The caller tells each claimant (with the link). No commit."""
    if colleague.id == leaving.id or colleague.organisation_id != leaving.organisation_id:
        raise grants.GrantRefused("Choose a colleague in the same organisation")
    if colleague.held:
        raise grants.GrantRefused(f"{colleague.name} is suspended")
    console = clients.ensure_console_client(now)
    asked = []
    for grant in _grants_of(leaving.id, ACTIVE) + _grants_of(leaving.id, grants.SUSPENDED):
        if now >= grant.ends_at:
            continue
        grants.lock(grant)
        months = max(1, min(6, round((grant.ends_at - now).days / 30) or 1))
        started = device.start(
            console,
            scope_names=grant.scope_names,
            details=clients.ConsentDetails(grant.purpose, grant.relationship, "", months),
            adviser=colleague,
            now=now,
        )
        started.authorization.for_claimant_id = grant.claimant_id
        started.authorization.moves_grant_id = grant.id
        started.authorization.expires_at = now + MOVE_LIFETIME
        audit.append(
            audit.untokened(
                grant.claimant_id, by, MOVE_ASKED, f"adviser:{colleague.id}", grant_id=grant.id
            ),
            now=now,
        )
        asked.append(MoveAsked(grant, started.user_code))
    return asked
