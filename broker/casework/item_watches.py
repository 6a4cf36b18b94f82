"""Watches on a claimant's to-dos and payments (issue 27 item 5): "tell me when a to-do is due
within 3 days or overdue", "tell me when a payment is lower than the last one or missing on its
expected day".

They work as the MR decision watch does (watches.py): a watch belongs to a grant and names the
token that set it; every telling asks the one rule of what may be told (disclosure.py: live
grant, the topic's scope, the item's date inside the window) at the moment of telling, and a
grant that no longer allows it ends the watch. Telling is a read, audited on the claimant's
chain in the transaction that records it. Unlike a decision, nothing "arrives" here: the sweep
looks (`check`), and each event is told once, kept by item_notices' unique key (watch, to-do or
payment, kind of event), so a sweep that runs again, or twice at once, tells nothing new.

The payment schedule: Universal Credit is paid monthly in arrears, a fixed number of days after
each monthly assessment period ends. So the next payment is expected one month after the last
period's end, plus the same number of days that the last payment took after its period's end
(`expected_day`). "Missing" is told on that day (or the first sweep after it) if no payment has
been made since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from .. import clock
from ..chain import audit
from ..chain.keys import Signer
from ..clock import from_driver
from ..consent import clients, disclosure, grants
from ..db import new_id
from ..driver import Unit
from ..extensions import db
from ..messages import notify, push
from ..models import (
    Grant,
    ItemNotice,
    ItemWatch,
    OutboxMessage,
    Payment,
    PushDelivery,
    Todo,
)
from ..oauth.protect import Access
from . import journal, watches

TODOS, PAYMENTS = "todos", "payments"
SCOPES = {TODOS: "todo:read", PAYMENTS: "payments:read"}
DUE_SOON, OVERDUE, LOWER, MISSING = "due_soon", "overdue", "lower", "missing"
LABELS = {
    DUE_SOON: "A to-do is due within 3 days",
    OVERDUE: "A to-do is overdue",
    LOWER: "A payment was lower than the one before",
    MISSING: "A payment is missing on its expected day",
}
SOON = timedelta(days=3)
TOLD = "item_watch_event"  # the adviser's email, queued with the notice it tells of


# Setting and stopping a watch: watches.start and watches.stop with a topic (the same rows and
# rules as a decision watch's), API views in the guard's transaction (protect.py).


def listed(unit: Unit, access: Access) -> list[dict[str, Any]]:
    """The live watches of this token's grant and client on the topics its scopes reach."""
    topics = [t for t, scope in SCOPES.items() if scope in access.scopes]
    rows = unit.all(
        "SELECT id, topic, token_id, created_at FROM item_watches WHERE grant_id = ?"
        " AND client_id = ? AND ended_at IS NULL ORDER BY topic",
        (access.grant_id, access.client_id),
    )
    return [
        {
            "id": ident,
            "topic": topic,
            "grant_id": access.grant_id,
            "set_by_token": token_id,
            "created_at": journal.iso(from_driver(created_at)),
            "delivery": watches.CONSOLE
            if access.client_id == clients.CONSOLE_CLIENT_ID
            else watches.PUSH,
        }
        for ident, topic, token_id, created_at in rows
        if topic in topics
    ]


# The sweep's look (broker/sweep.py).


@dataclass(frozen=True, slots=True)
class Event:
    """Something a watch may be told of: which item, what happened, and the date the rule
    weighs against the window."""

    item_id: str
    kind: str
    dated: datetime
    words: str  # what the adviser is told, without the claimant's name


def expected_day(last: Payment) -> date:
    """The day the payment after `last` is due (the module's note: one month on, same lag)."""
    lag = clock.uk_day(last.paid_at) - clock.uk_day(last.period_end)
    return clock.uk_day(grants.add_months(last.period_end, 1)) + lag


def todo_events(claimant_id: str, now: datetime) -> list[Event]:
    """Open to-dos due within 3 days (due soon) or already past their time (overdue)."""
    rows = db.session.scalars(
        db.select(Todo)
        .where(Todo.claimant_id == claimant_id, Todo.done.is_(False), Todo.due_at <= now + SOON)
        .order_by(Todo.due_at, Todo.id)
    )
    return [
        Event(
            todo.id,
            OVERDUE if todo.due_at <= now else DUE_SOON,
            todo.due_at,
            f"A to-do is {'overdue' if todo.due_at <= now else 'due soon'}: "
            f"due {clock.uk_day(todo.due_at).isoformat()}.",
        )
        for todo in rows
    ]


def payment_events(claimant_id: str, now: datetime) -> list[Event]:
    """The latest payment if it is lower than the one before; a payment missing if its expected
    day (after the latest) has come and none was made."""
    last_two = list(
        db.session.scalars(
            db.select(Payment)
            .where(Payment.claimant_id == claimant_id)
            .order_by(Payment.paid_at.desc(), Payment.id)
            .limit(2)
        )
    )
    events = []
    if len(last_two) == 2 and last_two[0].amount_pence < last_two[1].amount_pence:
        latest, before = last_two
        events.append(
            Event(
                latest.id,
                LOWER,
                latest.paid_at,
                f"The payment made on {clock.uk_day(latest.paid_at).isoformat()} was "
                f"£{latest.amount_pence / 100:.2f}, lower than the one before "
                f"(£{before.amount_pence / 100:.2f}).",
            )
        )
    if last_two:
        due = expected_day(last_two[0])
        if clock.uk_day(now) >= due:
            # Keyed by the last payment made: the one missing has no row of its own.
            events.append(
                Event(
                    last_two[0].id,
                    MISSING,
                    clock.start_of(due),
                    f"No payment was made on {due.isoformat()}, the day it was expected.",
                )
            )
    return events


FINDERS = {TODOS: todo_events, PAYMENTS: payment_events}


def check(
    now: datetime,
    *,
    limit: int,
    signer: Signer,
    after: tuple[datetime, str] | None = None,
) -> tuple[int, tuple[datetime, str] | None]:
    """Tell up to `limit` live watches (those after `after`, in the order they were set) what
    they have not yet been told: (how many events were told, where the next batch starts, or
    None when there are no more). Each event in its own savepoint, so two sweeps at once tell
    it once. No commit."""
    query = db.select(ItemWatch).where(ItemWatch.ended_at.is_(None))
    if after is not None:
        query = query.where(db.tuple_(ItemWatch.created_at, ItemWatch.id) > after)
    live = list(db.session.scalars(query.order_by(ItemWatch.created_at, ItemWatch.id).limit(limit)))
    told = sum(_check_one(watch, now, signer) for watch in live)
    return told, ((live[-1].created_at, live[-1].id) if len(live) == limit else None)


def _check_one(watch: ItemWatch, now: datetime, signer: Signer) -> int:
    grant = db.session.get(Grant, watch.grant_id)
    assert grant is not None  # a foreign key
    # Ordered against every revoke of this claimant (they take the same lock).
    grants.lock(grant)
    scope = SCOPES[watch.topic]
    reason = disclosure.why_not(disclosure.Consent.of(grant), scope, now)
    if reason is None and watch.client_id != clients.CONSOLE_CLIENT_ID:
        client = clients.active(watch.client_id)
        if client is None or not client.push_endpoint:
            reason = "no_push_endpoint"  # the case system was disabled or dropped its endpoint
    if reason is not None:
        end(watch, reason, now=now)
        return 0
    done = {
        (item_id, kind)
        for item_id, kind in db.session.execute(
            db.select(ItemNotice.item_id, ItemNotice.kind).where(ItemNotice.watch_id == watch.id)
        )
    }
    told = 0
    for event in FINDERS[watch.topic](watch.claimant_id, now):
        if (event.item_id, event.kind) in done:
            continue
        try:
            allowed = disclosure.permit(grant, scope, now, event.dated)
        except disclosure.NotTold:
            continue  # outside the window: not theirs to hear of
        try:
            with db.session.begin_nested():
                _tell(allowed, watch, grant, event, now, signer)
        except IntegrityError:
            continue  # another sweep told it first
        told += 1
    return told


def _tell(
    allowed: disclosure.Permit,
    watch: ItemWatch,
    grant: Grant,
    event: Event,
    now: datetime,
    signer: Signer,
) -> None:
    """Record the event told under the watch, once: the adviser's notice (and email, if they
    chose email), or a case system's SET queued for the sweep to push (deliveries.py asks the
    rule again as it is sent)."""
    assert allowed.grant_id == watch.grant_id  # noqa: S101 (a programming error)
    to_console = watch.client_id == clients.CONSOLE_CLIENT_ID
    adviser = grant.adviser if to_console else None
    by_email = adviser is not None and adviser.tell_by == watches.EMAIL
    notice = ItemNotice(
        watch_id=watch.id,
        item_id=event.item_id,
        kind=event.kind,
        dated=event.dated,
        adviser_id=adviser.id if adviser is not None else None,
        channel=watches.PUSH if not to_console else watches.EMAIL if by_email else watches.CONSOLE,
        created_at=now,
    )
    db.session.add(notice)
    db.session.flush()
    resource = f"{watch.topic[:-1]}:{event.item_id}:{event.kind}"
    if not to_console:
        _queue_push(allowed, watch, grant, notice, resource, now, signer)
        return
    audit.append(
        audit.Event(
            claimant_id=grant.claimant_id,
            token_id=watch.token_id,
            grant_id=grant.id,
            actor=f"adviser:{adviser.id}" if adviser is not None else "system:watch",
            action=f"{watch.topic[:-1]}.notified",
            resource=resource,
            outcome="allowed",
        ),
        now=now,
    )
    if by_email:
        assert adviser is not None
        notify.queue(
            account_id=adviser.id,
            kind=TOLD,
            body=f"{grant.claimant.name} ({grant.claimant.reference}): {event.words}",
            dedupe_key=f"{TOLD}:{notice.id}",
            now=now,
            grant_id=grant.id,
        )


def _queue_push(
    allowed: disclosure.Permit,
    watch: ItemWatch,
    grant: Grant,
    notice: ItemNotice,
    resource: str,
    now: datetime,
    signer: Signer,
) -> None:
    """A case system's SET, audited when each try is made (deliveries.py), as a decision's."""
    assert allowed.grant_id == watch.grant_id  # noqa: S101 (a programming error)
    client = clients.active(watch.client_id)
    assert client is not None and client.push_endpoint  # _check_one asked just before
    jti = new_id()
    token = push.make_set(
        signer,
        jti=jti,
        audience=client.id,
        event=push.ItemEvent(
            watch.topic,
            notice.item_id,
            grant.claimant_id,
            grant.id,
            notice.kind,
            clock.uk_day(notice.dated),
        ),
        now=now,
    )
    db.session.add(
        PushDelivery(
            id=jti,
            item_notice_id=notice.id,
            claimant_id=grant.claimant_id,
            grant_id=grant.id,
            client_id=client.id,
            token_id=watch.token_id,
            action=f"{watch.topic[:-1]}.pushed",
            resource=resource,
            endpoint=client.push_endpoint,
            token=token,
            attempts=0,
            next_attempt_at=now,
        )
    )
    db.session.flush()


def why_not_push(notice_id: str, now: datetime) -> str | None:
    """The rule asked again as a queued SET is sent; a watch its grant no longer allows is
    ended (deliveries.py)."""
    notice = db.session.get(ItemNotice, notice_id)
    assert notice is not None  # written with the delivery
    watch = db.session.get(ItemWatch, notice.watch_id)
    assert watch is not None  # a foreign key
    grant = db.session.get(Grant, watch.grant_id)
    assert grant is not None  # a foreign key
    grants.lock(grant)
    reason = _why_not(grant, watch, notice, now)
    if reason is not None and watch.ended_at is None and reason != disclosure.OUTSIDE_WINDOW:
        end(watch, reason, now=now)
    return reason


def end(watch: ItemWatch, reason: str, *, now: datetime) -> None:
    """End a watch its grant no longer allows, on the claimant's chain. No commit."""
    watch.ended_at, watch.end_reason = now, reason
    audit.append(
        audit.Event(
            claimant_id=watch.claimant_id,
            token_id=watch.token_id,
            grant_id=watch.grant_id,
            actor="system:watch",
            action=f"{watch.topic[:-1]}.watch_end",
            resource=f"item_watch:{watch.id}",
            outcome="done",
        ),
        now=now,
    )


def withheld(message_id: str, kind: str, now: datetime) -> str | None:
    """Why an adviser's email queued earlier may no longer leave (the rule asked again as it is
    sent), or None."""
    if kind != TOLD:
        return None
    key = db.session.scalar(
        db.select(OutboxMessage.dedupe_key).where(OutboxMessage.id == message_id)
    )
    row = db.session.execute(
        db.select(Grant, ItemWatch, ItemNotice)
        .join(ItemWatch, ItemWatch.grant_id == Grant.id)
        .join(ItemNotice, ItemNotice.watch_id == ItemWatch.id)
        .where(ItemNotice.id == (key or "").partition(":")[2])
    ).first()
    if row is None:
        return disclosure.GRANT_INACTIVE
    grant, watch, notice = row
    return _why_not(grant, watch, notice, now)


def _why_not(grant: Grant, watch: ItemWatch, notice: ItemNotice, now: datetime) -> str | None:
    return disclosure.why_not(disclosure.Consent.of(grant), SCOPES[watch.topic], now, notice.dated)


@dataclass(frozen=True, slots=True)
class ItemTold:
    """An event told to the adviser, as the console lists it."""

    grant: Grant
    label: str
    day: date  # the to-do's due day, the payment's day, or the day a missing one was expected


def told_to(adviser_id: str, now: datetime) -> list[ItemTold]:
    """The events told to this adviser that they may still be shown (the rule asked again, as
    the console shows them), newest first."""
    rows = db.session.execute(
        db.select(ItemNotice, Grant, ItemWatch)
        .join(ItemWatch, ItemWatch.id == ItemNotice.watch_id)
        .join(Grant, Grant.id == ItemWatch.grant_id)
        .where(ItemNotice.adviser_id == adviser_id)
        .order_by(ItemNotice.created_at.desc(), ItemNotice.id)
        .limit(100)
    ).all()
    return [
        ItemTold(grant, LABELS[notice.kind], clock.uk_day(notice.dated))
        for notice, grant, watch in rows
        if _why_not(grant, watch, notice, now) is None
    ]


def console_watch(grant_id: str, topic: str) -> ItemWatch | None:
    """The console's live watch on `topic` under this grant, if it has one."""
    return db.session.scalar(
        db.select(ItemWatch).where(
            ItemWatch.grant_id == grant_id,
            ItemWatch.client_id == clients.CONSOLE_CLIENT_ID,
            ItemWatch.topic == topic,
            ItemWatch.ended_at.is_(None),
        )
    )
