"""Watches ("Tell me when a decision arrives") on a claimant's MR decisions, and what happens
when one arrives.

A watch belongs to a grant (the consent) and records the token that set it: the adviser
console's token (the console calls the API like any client) or a case system's. When a decision
arrives, each live watch is checked against its grant at that moment: a grant that no longer
lets anyone read decisions ends the watch instead. Telling someone is a read of the decision, so
it is an audit event in the claimant's chain under the watch's grant and token, written in the
same transaction as the message it allows; if the event cannot be written, nothing is sent.

An adviser is told by email (the outbox) or only in the console, as they choose; either way the
console lists the notice. A case system is pushed a Security Event Token (broker/messages/push.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import update

from .. import clock
from ..chain import audit
from ..chain.keys import Signer
from ..clock import from_driver, to_driver
from ..consent import clients, disclosure, grants
from ..db import new_id
from ..driver import Unit
from ..extensions import db
from ..messages import notify, push
from ..models import (
    Adviser,
    Grant,
    ItemWatch,
    MRDecision,
    MRDecisionNotice,
    MRDecisionWatch,
    OutboxMessage,
    PushDelivery,
)
from ..oauth.protect import Access, Refused
from . import appeals, journal

SCOPE = "mr:read"
ARRIVED = "mr_decision_arrived"  # the adviser's email, queued with the notice it tells of
EMAIL, CONSOLE, PUSH = "email", "console", "push"
TELL_BY = (EMAIL, CONSOLE)
SOON = timedelta(days=14)  # deadlines this close come first in the console's list


# Setting and stopping a watch: API views, in the guard's transaction (protect.py), which
# audits the request itself under the token that makes it.


def start(unit: Unit, access: Access, topic: str | None = None) -> tuple[dict[str, Any], bool]:
    """The live watch for this token's grant and client, made if there is none: (its JSON,
    made now). A case system must have registered a push endpoint first. `topic`: None for
    decisions; "todos" or "payments" for a watch on those (item_watches.py), kept in its own
    table, one live watch per grant, client and topic."""
    if access.client_id != clients.CONSOLE_CLIENT_ID:
        row = unit.one("SELECT push_endpoint FROM oauth_clients WHERE id = ?", (access.client_id,))
        if row is None or not row[0]:
            raise Refused(
                400,
                "invalid_request",
                "Register a push endpoint (https) for this client before setting a watch",
                "refused:no_push_endpoint",
            )
    found = _live(unit, access, topic)
    if found is not None:
        return _watch_json(found, access, topic), False
    ident = new_id()
    table, columns, extra = _table(topic)
    unit.write(
        f"INSERT INTO {table} (id, grant_id, claimant_id, client_id, token_id,"  # noqa: S608 (a fixed name)
        f" created_at{columns}) VALUES (?, ?, ?, ?, ?, ?{', ?' * len(extra)})",
        (
            ident,
            access.grant_id,
            access.claimant_id,
            access.client_id,
            access.token_id,
            to_driver(access.now, postgres=unit.postgres),
            *extra,
        ),
    )
    return _watch_json((ident, access.token_id, access.now), access, topic), True


def stop(unit: Unit, access: Access, topic: str | None = None) -> bool:
    """End the live watch of this token's grant and client; False if there was none."""
    found = _live(unit, access, topic)
    if found is None:
        return False
    table, _columns, _extra = _table(topic)
    unit.write(
        f"UPDATE {table} SET ended_at = ?, end_reason = ? WHERE id = ?",  # noqa: S608 (a fixed name)
        (to_driver(access.now, postgres=unit.postgres), "stopped", found[0]),
    )
    return True


def _table(topic: str | None) -> tuple[str, str, tuple[str, ...]]:
    """Where a watch on `topic` is kept: (table, its extra columns, their values)."""
    if topic is None:
        return "mr_decision_watches", "", ()
    return "item_watches", ", topic", (topic,)


def _live(unit: Unit, access: Access, topic: str | None) -> Any:
    table, _columns, extra = _table(topic)
    return unit.one(
        f"SELECT id, token_id, created_at FROM {table}"  # noqa: S608 (a fixed name)
        f" WHERE grant_id = ? AND client_id = ? AND ended_at IS NULL"
        f"{' AND topic = ?' if extra else ''}",
        (access.grant_id, access.client_id, *extra),
    )


def _watch_json(row: Any, access: Access, topic: str | None) -> dict[str, Any]:
    ident, token_id, created_at = row
    made = {
        "id": ident,
        "grant_id": access.grant_id,
        "set_by_token": token_id,
        "created_at": journal.iso(from_driver(created_at)),
        "delivery": CONSOLE if access.client_id == clients.CONSOLE_CLIENT_ID else PUSH,
    }
    return made if topic is None else {**made, "topic": topic}


def set_for_demo(
    grant: Grant, *, token_id: str, now: datetime, topic: str | None = None
) -> MRDecisionWatch | ItemWatch:
    """The console's watch under `grant`, set as its first API call would set it (audited
    under `token_id`, a console token issued under the grant). `topic`: None for decisions,
    "todos" or "payments" for a watch on those (POST /todo-watch, /payment-watch). For the demo
    data and the tests' scenes. No commit."""
    made = {
        "grant_id": grant.id,
        "claimant_id": grant.claimant_id,
        "client_id": clients.CONSOLE_CLIENT_ID,
        "token_id": token_id,
        "created_at": now,
    }
    watch = MRDecisionWatch(**made) if topic is None else ItemWatch(topic=topic, **made)
    db.session.add(watch)
    db.session.flush()
    name = "mr" if topic is None else topic.removesuffix("s")  # as the API audits it
    audit.append(
        audit.Event(
            claimant_id=grant.claimant_id,
            token_id=token_id,
            grant_id=grant.id,
            actor=f"adviser:{grant.adviser_id}",
            action=f"{name}.watch",
            resource="mr_decision_watch" if topic is None else f"{name}_watch",
            outcome="allowed",
        ),
        now=now,
    )
    return watch


# A decision arrives (broker/casework/decisions.py calls this, in the transaction that adds it).


def decision_arrived(decision: MRDecision, *, now: datetime, signer: Signer) -> int:
    """Tell every live watch of the claimant's; returns how many were told. No commit."""
    live = list(
        db.session.scalars(
            db.select(MRDecisionWatch)
            .where(
                MRDecisionWatch.claimant_id == decision.claimant_id,
                MRDecisionWatch.ended_at.is_(None),
            )
            .order_by(MRDecisionWatch.created_at, MRDecisionWatch.id)
        )
    )
    if not live:
        return 0
    told = 0
    for watch in live:
        grant = db.session.get(Grant, watch.grant_id)
        assert grant is not None  # a foreign key
        # Ordered against every revoke and protected read of this claimant (they take the same
        # lock): a consent stopped before this moment is seen.
        grants.lock(grant)
        try:
            allowed = disclosure.permit(grant, SCOPE, now, decision.decided_at)
        except disclosure.NotTold as refused:
            # A decision dated outside the window is not theirs to hear of; the watch goes on
            # for the ones inside it. Anything else means the grant no longer allows watching.
            if refused.reason != disclosure.OUTSIDE_WINDOW:
                end(watch, refused.reason, now=now)
            continue
        if watch.client_id == clients.CONSOLE_CLIENT_ID:
            reason = _tell_adviser(allowed, watch, grant, decision, now)
        else:
            reason = _queue_push(allowed, watch, grant, decision, now, signer)
        if reason is None:
            told += 1
        else:
            end(watch, reason, now=now)
    return told


def why_not(grant: Grant, now: datetime, dated: datetime | None = None) -> str | None:
    """Why a watch under `grant` may not be told now (of a decision dated `dated`), or None if
    it may: the disclosure rule, for reading decisions."""
    return disclosure.why_not(disclosure.Consent.of(grant), SCOPE, now, dated)


def end(watch: MRDecisionWatch, reason: str, *, now: datetime) -> None:
    """End a watch its grant no longer allows, on the claimant's chain. No commit."""
    watch.ended_at, watch.end_reason = now, reason
    audit.append(
        audit.Event(
            claimant_id=watch.claimant_id,
            token_id=watch.token_id,
            grant_id=watch.grant_id,
            actor="system:watch",
            action="mr.watch_end",
            resource=f"mr_decision_watch:{watch.id}",
            outcome="done",
        ),
        now=now,
    )


def _tell_adviser(
    allowed: disclosure.Permit,
    watch: MRDecisionWatch,
    grant: Grant,
    decision: MRDecision,
    now: datetime,
) -> str | None:
    adviser = grant.adviser
    if adviser is None:
        return "no_adviser"
    audit.append(
        audit.Event(
            claimant_id=grant.claimant_id,
            token_id=watch.token_id,
            grant_id=grant.id,
            actor=f"adviser:{adviser.id}",
            action="mr_decision.notified",
            resource=f"mr_decision:{decision.id}",
            outcome="allowed",
        ),
        now=now,
    )
    notice = _notice(allowed, watch, decision, adviser.tell_by, now, adviser_id=adviser.id)
    if adviser.tell_by == EMAIL:
        dates = appeals.Dates.of(decision.decided_at)
        notify.queue(
            account_id=adviser.id,
            kind=ARRIVED,
            body=notify.mr_decision_arrived(
                claimant_name=grant.claimant.name,
                reference=grant.claimant.reference,
                decided_on=dates.decided_on,
                outcome=journal.OUTCOMES[decision.outcome],
                appeal_by=dates.appeal_by,
                outside_limit=dates.outside_limit,
            ),
            dedupe_key=f"{ARRIVED}:{notice.id}",
            now=now,
            grant_id=grant.id,
        )
    return None


def _queue_push(
    allowed: disclosure.Permit,
    watch: MRDecisionWatch,
    grant: Grant,
    decision: MRDecision,
    now: datetime,
    signer: Signer,
) -> str | None:
    client = clients.active(watch.client_id)
    if client is None or not client.push_endpoint:
        return "no_push_endpoint"
    notice = _notice(allowed, watch, decision, PUSH, now, adviser_id=None)
    dates = appeals.Dates.of(decision.decided_at)
    jti = new_id()
    token = push.make_set(
        signer,
        jti=jti,
        audience=client.id,
        event=push.DecisionEvent(
            decision.id,
            grant.claimant_id,
            grant.id,
            dates.decided_on,
            decision.outcome,
            dates.appeal_by,
            dates.outside_limit,
        ),
        now=now,
    )
    db.session.add(
        PushDelivery(
            id=jti,
            notice_id=notice.id,
            claimant_id=grant.claimant_id,
            grant_id=grant.id,
            client_id=client.id,
            token_id=watch.token_id,
            action="mr_decision.pushed",
            resource=f"mr_decision:{decision.id}",
            endpoint=client.push_endpoint,
            token=token,
            attempts=0,
            next_attempt_at=now,
        )
    )
    db.session.flush()
    return None


def _notice(
    allowed: disclosure.Permit,
    watch: MRDecisionWatch,
    decision: MRDecision,
    channel: str,
    now: datetime,
    *,
    adviser_id: str | None,
) -> MRDecisionNotice:
    assert allowed.grant_id == watch.grant_id  # noqa: S101 (a programming error)
    notice = MRDecisionNotice(
        watch_id=watch.id,
        decision_id=decision.id,
        adviser_id=adviser_id,
        channel=channel,
        created_at=now,
    )
    db.session.add(notice)
    db.session.flush()
    return notice


def withheld(message_id: str, kind: str, now: datetime) -> str | None:
    """Why an adviser's decision email queued earlier may no longer leave (the disclosure rule
    asked again as it is sent: the consent may have stopped or its window narrowed), or None."""
    if kind != ARRIVED:
        return None
    key = db.session.scalar(
        db.select(OutboxMessage.dedupe_key).where(OutboxMessage.id == message_id)
    )
    row = db.session.execute(
        db.select(Grant, MRDecision)
        .join(MRDecisionWatch, MRDecisionWatch.grant_id == Grant.id)
        .join(MRDecisionNotice, MRDecisionNotice.watch_id == MRDecisionWatch.id)
        .join(MRDecision, MRDecision.id == MRDecisionNotice.decision_id)
        .where(MRDecisionNotice.id == (key or "").partition(":")[2])
    ).first()
    if row is None:
        return disclosure.GRANT_INACTIVE
    grant, decision = row
    return why_not(grant, now, decision.decided_at)


# The adviser console: the client page's switch, the list of watched clients, the notices.


def console_watch(grant_id: str) -> MRDecisionWatch | None:
    """The console's live watch under this grant, if it has one."""
    return db.session.scalar(
        db.select(MRDecisionWatch).where(
            MRDecisionWatch.grant_id == grant_id,
            MRDecisionWatch.client_id == clients.CONSOLE_CLIENT_ID,
            MRDecisionWatch.ended_at.is_(None),
        )
    )


@dataclass(frozen=True, slots=True)
class Told:
    """A decision told to the adviser, as the console lists it."""

    notice: MRDecisionNotice
    grant: Grant
    decision: MRDecision
    dates: appeals.Dates


@dataclass(frozen=True, slots=True)
class Watched:
    """A client the adviser watches, with the latest decision they were told of."""

    grant: Grant
    latest: Told | None
    soon: bool  # its appeal deadline is within SOON from today


def _told_for(adviser_id: str, now: datetime) -> list[Told]:
    rows = db.session.execute(
        db.select(MRDecisionNotice, Grant, MRDecision)
        .join(MRDecisionWatch, MRDecisionWatch.id == MRDecisionNotice.watch_id)
        .join(Grant, Grant.id == MRDecisionWatch.grant_id)
        .join(MRDecision, MRDecision.id == MRDecisionNotice.decision_id)
        .where(MRDecisionNotice.adviser_id == adviser_id)
        .order_by(MRDecisionNotice.created_at.desc(), MRDecisionNotice.id)
    ).all()
    # What was told stops showing with the consent, like everything else about the client, and
    # once the window no longer reaches its date: the console tells again each time it shows.
    return [
        Told(notice, grant, decision, appeals.Dates.of(decision.decided_at))
        for notice, grant, decision in rows
        if why_not(grant, now, decision.decided_at) is None
    ]


def console(adviser_id: str, now: datetime) -> tuple[list[Watched], list[Told]]:
    """What the adviser's console shows: the clients they watch, and the decisions told to them
    that they have not marked as seen (newest first). The notices are read once for both."""
    told = _told_for(adviser_id, now)
    return _watched(adviser_id, told, now), [t for t in told if t.notice.seen_at is None]


def _watched(adviser_id: str, told_newest_first: list[Told], now: datetime) -> list[Watched]:
    """The clients the adviser watches: those with an appeal deadline in the next 14 days
    first (soonest first), then the rest by name."""
    told: dict[str, Told] = {}
    for item in told_newest_first:
        told.setdefault(item.grant.id, item)  # newest first: the first is the latest
    today = clock.uk_day(now)
    live = db.session.scalars(
        db.select(Grant)
        .join(MRDecisionWatch, MRDecisionWatch.grant_id == Grant.id)
        .where(
            Grant.adviser_id == adviser_id,
            MRDecisionWatch.client_id == clients.CONSOLE_CLIENT_ID,
            MRDecisionWatch.ended_at.is_(None),
        )
    ).all()
    watched = []
    for grant in live:
        if why_not(grant, now) is not None:
            continue
        latest = told.get(grant.id)
        soon = latest is not None and today <= latest.dates.appeal_by <= today + SOON
        watched.append(Watched(grant, latest, soon))
    return sorted(
        watched,
        key=lambda w: (
            not w.soon,
            w.latest.dates.appeal_by if w.soon and w.latest else date.max,
            w.grant.claimant.name,
            w.grant.id,
        ),
    )


def mark_seen(adviser_id: str, notice_id: str, *, now: datetime) -> bool:
    """Mark one of this adviser's notices seen; False if it is not theirs. No commit."""
    done = db.session.execute(
        update(MRDecisionNotice)
        .where(
            MRDecisionNotice.id == notice_id,
            MRDecisionNotice.adviser_id == adviser_id,
            MRDecisionNotice.seen_at.is_(None),
        )
        .values(seen_at=now)
    ).rowcount
    return done == 1


def set_tell_by(adviser: Adviser, tell_by: str) -> None:
    if tell_by not in TELL_BY:
        raise ValueError(tell_by)
    adviser.tell_by = tell_by
    db.session.flush()
