"""When access changes, the other side is told (issue 23).

The reaction to every audited grant change (broker/consent/grant_events.py), in the change's own
transaction:

- the adviser is told in plain words who changed what, and from when, when the claimant stops,
  narrows or DWP pauses or restarts their access, when it ends (its end date, its review date,
  given up by their case system), in the console and by email if they chose email
  (broker/messages/notify.py fans an adviser's message out by their choice);
- each case system holding tokens under the grant, with a push endpoint, is pushed an OpenID
  CAEP event as a signed SET (RFC 8417, pushed per RFC 8935 and retried like a decision's,
  broker/casework/deliveries.py): `session-revoked` when the access ends, `token-claims-change`
  with the grant's claims as they now stand when its scopes, dates or status change;
- the claimant is told when DWP pauses or restarts access and when their adviser gives it up,
  and gets an alert outside the service (email or text, whatever their preferences) whenever
  access is given or widened, online or by staff on the phone, so that access given by whoever
  holds their phone, or recorded in their name, never goes unseen.

A change the actor made themselves is not told back to them: an adviser who gives up access is
not told that they did, and the case system that gave it up is not pushed its own event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import scopes

from .. import i18n
from ..chain.keys import Signer
from ..consent import clients, disclosure, grants
from ..consent.grant_events import GrantChanged
from ..db import new_id
from ..extensions import db
from ..models import AccessToken, Grant, MRDecision, PushDelivery, RefreshToken, StaffMember
from . import notify, push

PUSHED_ACTION = "grant.event_pushed"
# What each change is to a case system: its access ended, or its claims changed.
ENDS = {"grant.revoke", "grant.expire"}
CLAIMS_CHANGE = {
    "grant.narrow",
    "grant.suspend",
    "grant.lift_suspension",
    "grant.case_decided",
    "grant.review_due",
    "grant.amend",
    "grant.review_confirm",
    "grant.agency_hold",
    "grant.agency_release",
    "grant.dispute_pause",
    "grant.dispute_resume",
}
# Changes the claimant is alerted to outside the service: access given or widened.
ALERTED = {"grant.create", "grant.amend"}


def grant_changed(change: GrantChanged) -> None:
    """Tell the other side of one grant change (the reaction bound in create_app). No commit."""
    _tell_claimant(change)
    if change.grant.kind != grants.ACCESS:
        return  # a nominated contact has no console and no case system
    _tell_adviser(change)
    _push_to_case_systems(change)


def review_due(grant: Grant, *, signer: Signer, now: datetime) -> None:
    """The grant's review date has passed unconfirmed: its tokens stop working until the
    claimant confirms it. Told once per review date (the sweep calls this). No commit."""
    grant.review_due_told_at = now
    grant_changed(GrantChanged(grant, "grant.review_due", "system:sweep", now, signer))


# The adviser


def _tell_adviser(change: GrantChanged) -> None:
    grant = change.grant
    if not grant.adviser_id or change.by == f"adviser:{grant.adviser_id}":
        return
    words = _adviser_words(change)
    if words is None:
        return
    kind, body = words
    notify.queue(
        account_id=grant.adviser_id,
        kind=kind,
        body=body,
        grant_id=grant.id,
        now=change.now,
        dedupe_key=f"{kind}:{grant.id}:{grant.adviser_id}:{change.now.isoformat()}",
    )


def _adviser_words(change: GrantChanged) -> tuple[str, str] | None:
    """The message's kind and its words: who changed what, and from when."""
    grant, name = change.grant, change.grant.claimant.name
    when = i18n.day(change.now)
    by_claimant = change.by.startswith("claimant:")
    if change.action == "grant.revoke":
        if change.by.startswith("client:"):
            what = f"Your case system gave up your access to {name}'s journal"
        elif by_claimant:
            what = f"{name} stopped your access to their journal"
        else:
            what = f"DWP stopped your access to {name}'s journal"
        return "grant_revoked", (
            f"{what} on {when}. You can no longer see anything of theirs or act for them."
        )
    if change.action == "grant.expire":
        return "grant_expired", (
            f"Your access to {name}'s journal ended on {i18n.day(grant.ends_at)}, its end "
            "date. Ask them again if you still need it."
        )
    if change.action == "grant.review_due":
        return "grant_review_due", (
            f"Your access to {name}'s journal is paused from {when}: they have not checked it "
            "by its review date. It works again once they say you can keep it."
        )
    if change.action == "grant.suspend":
        return "grant_suspended", f"DWP has paused your access to {name}'s journal from {when}."
    if change.action == "grant.lift_suspension":
        return "grant_resumed", f"Your access to {name}'s journal has restarted on {when}."
    if change.action == "grant.agency_hold" and grant.agency_hold == "organisation":
        return "grant_suspended", (
            f"Your organisation is suspended from the consent broker, so your access to "
            f"{name}'s journal is paused from {when}."
        )
    if change.action == "grant.agency_hold":
        return "grant_suspended", (
            f"Your organisation has paused your access to {name}'s journal from {when}."
        )
    if change.action == "grant.agency_release":
        return "grant_resumed", f"Your access to {name}'s journal has restarted on {when}."
    if change.action == "grant.dispute_pause":  # issue 27: the statement is asked separately
        return "grant_suspended", (
            f"{name} said a line in their history was not right, so your access to their "
            f"journal is paused from {when} while DWP looks at it."
        )
    if change.action == "grant.dispute_resume":
        return "grant_resumed", f"Your access to {name}'s journal has restarted on {when}."
    if change.action == "grant.narrow" and change.window_changed:
        return "grant_narrowed", (
            f"{name} changed the dates you can see from {when}. You can now see only things "
            f"dated {_dates(grant)}."
        )
    if change.action == "grant.narrow":
        left = ", ".join(
            f'"{scope.title_in(i18n.DEFAULT_LANGUAGE)}"'
            for scope in scopes.named(grant.scope_names)
        )
        return "grant_narrowed", (
            f"{name} changed your access to their journal on {when}. You can now see only: {left}."
        )
    return None


def _dates(grant: Grant) -> str:
    start = f"from {i18n.day(grant.date_from)}" if grant.date_from else ""
    end = f"until {i18n.day(grant.date_to)}" if grant.date_to else ""
    return " ".join(part for part in (start, end) if part) or "at any date"


# Case systems


def _push_to_case_systems(change: GrantChanged) -> None:
    if change.action in ENDS:
        event_type, claims = push.SESSION_REVOKED, None
    elif change.action in CLAIMS_CHANGE:
        event_type, claims = push.TOKEN_CLAIMS_CHANGE, _claims(change)
    else:
        return
    grant = change.grant
    for client in _case_systems(grant):
        if change.by == f"client:{client.id}":
            continue
        jti = new_id()
        event = push.AccessEvent(
            event_type,
            grant.claimant_id,
            grant.id,
            _initiating_entity(change.by),
            _reason(change),
            claims,
        )
        db.session.add(
            PushDelivery(
                id=jti,
                notice_id=None,
                claimant_id=grant.claimant_id,
                grant_id=grant.id,
                client_id=client.id,
                token_id="",
                action=PUSHED_ACTION,
                resource=f"grant:{grant.id}",
                endpoint=client.push_endpoint,
                token=push.make_caep_set(
                    change.signer, jti=jti, audience=client.id, event=event, now=change.now
                ),
                attempts=0,
                next_attempt_at=change.now,
            )
        )
    db.session.flush()


def _case_systems(grant: Grant) -> list[Any]:
    """The registered clients, other than the console, that hold or held tokens under the grant
    (or that it was given through) and have a push endpoint."""
    ids = {grant.client_id} if grant.client_id else set()
    for model in (AccessToken, RefreshToken):
        ids.update(
            db.session.scalars(
                db.select(model.client_id).where(model.grant_id == grant.id).distinct()
            )
        )
    ids.discard(clients.CONSOLE_CLIENT_ID)
    found = [clients.active(ident) for ident in sorted(i for i in ids if i)]
    return [client for client in found if client is not None and client.push_endpoint]


def _initiating_entity(actor: str) -> str:
    """CAEP's initiating_entity: the claimant (user), DWP staff (admin), the grant's own dates
    (policy), or anyone else (system)."""
    kind = actor.partition(":")[0]
    if kind == "claimant":
        return "user"
    if kind == "staff":
        return "admin"
    if actor in (grants.SWEEP_ACTOR, "system:mr_decision"):
        return "policy"
    return "system"


_REASONS = {
    "grant.revoke": "The claimant's consent was stopped",
    "grant.expire": "The claimant's consent reached its end date",
    "grant.narrow": "The claimant narrowed their consent",
    "grant.suspend": "DWP paused the claimant's consent",
    "grant.lift_suspension": "DWP restarted the claimant's consent",
    "grant.case_decided": "The Mandatory Reconsideration was decided: the consent has a new end",
    "grant.review_due": "The consent's review date passed: paused until the claimant confirms",
    "grant.amend": "The claimant approved a change to their consent",
    "grant.review_confirm": "The claimant confirmed their consent at review",
    "grant.agency_hold": "The representative's organisation paused their access",
    "grant.agency_release": "The representative's organisation restarted their access",
    "grant.dispute_pause": "The claimant disputed a line of their history: paused while DWP looks",
    "grant.dispute_resume": "DWP restarted the consent after the claimant's dispute",
}


def _reason(change: GrantChanged) -> str:
    if change.action == "grant.revoke" and change.grant.end_reason:
        return change.grant.end_reason
    return _REASONS[change.action]


def _claims(change: GrantChanged) -> dict[str, Any]:
    """The grant's claims as they stand after the change, as a token under it would carry."""
    grant = change.grant
    return {
        "scope": " ".join(grant.scope_names),
        "grant_status": grants.state_at(grant, change.now),
        "grant_ends_at": int(grant.ends_at.timestamp()),
        "grant_review_at": int(grant.review_at.timestamp()),
        "date_from": grant.date_from.isoformat() if grant.date_from else None,
        "date_to": grant.date_to.isoformat() if grant.date_to else None,
    }


# The claimant


def _tell_claimant(change: GrantChanged) -> None:
    grant, action, now = change.grant, change.action, change.now
    kind, _, ident = change.by.partition(":")
    if action == "grant.revoke" and grant.adviser_id and change.by == f"adviser:{grant.adviser_id}":
        notify.given_up(grant, now=now)
    elif action == "grant.suspend":
        notify.suspended(grant, now=now)
    elif action == "grant.lift_suspension":
        notify.resumed(grant, now=now)
    elif action == "grant.agency_hold":
        notify.agency_held(grant, now=now)
    elif action == "grant.agency_release":
        notify.agency_released(grant, now=now)
    elif action == "grant.case_decided":
        notify.case_decided(grant, now=now, decision=_decision_may_be_told(grant, now))
    elif action in ALERTED and kind == "staff":
        staff = db.session.get(StaffMember, ident)
        name = staff.name if staff else "DWP"
        notify.recorded_by_phone(grant, name, stop_at=_stop_link(change), now=now)
    elif action in ALERTED and grant.kind == grants.ACCESS:
        notify.access_alert(grant, stop_at=_stop_link(change), now=now)


def _decision_may_be_told(grant: Grant, now: datetime) -> disclosure.Permit | None:
    """Whether the adviser may hear that the decision that moved this grant's end came
    (broker/consent/disclosure.py)."""
    decision = db.session.get(MRDecision, grant.event_decision_id)
    if decision is None:
        return None
    try:
        return disclosure.permit(grant, "mr:read", now, decision.decided_at)
    except disclosure.NotTold:
        return None


def _stop_link(change: GrantChanged) -> str:
    """The claimant's Stop question for this consent (broker/web/claimant.py)."""
    grant = change.grant
    stop = (
        f"contact/{grant.id}/stop" if grant.kind == grants.CONTACT else f"access/{grant.id}/revoke"
    )
    return f"{change.signer.issuer}/{stop}"
