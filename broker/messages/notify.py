"""The outbox: notices and reminders queued in the database and sent later by a pluggable sender.

Queuing is idempotent: every message has a dedupe key (unique in the table), so queuing the same
reminder twice, from two sweeps or a retried one, leaves one row. Sending is at least once: a
message is marked sent in the transaction that follows the sender accepting it, so a crash in
between sends it again on the next run. The sweep holds a lease (broker.sweep) so two runs never
send at the same time. Failed sends are retried on later runs, up to MAX_ATTEMPTS.

Message wording lives here, in one place, translated with the pages. A message to a claimant is
written in their language (Account.language) when it is queued, dates included; a message to an
adviser is in English, like the adviser's pages.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, case, or_, update

import scopes

from .. import i18n, metrics
from ..clock import to_micros
from ..consent import disclosure
from ..db import new_id
from ..extensions import db
from ..models import Account, Adviser, Claimant, Delivery, Grant, OutboxMessage
from . import contact

if TYPE_CHECKING:
    from ..consent.grants import Reminder

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
QUEUED, SENT, DELIVERED, FAILED, PRINT_DUE = "queued", "sent", "delivered", "failed", "print_due"
# Issue 23: a copy for a nominated contact that the grant no longer allowed when it was due to
# be sent (broker/messages/nominated.py); never sent, never retried.
WITHHELD = "withheld"
CLAIMANT, CONTACT = "claimant", "contact"  # whom a delivery is for
CONTACT_CODE, REQUEST_CODE = "contact_code", "contact_request_code"
INVITATION = "adviser_invitation"  # issue 25: to the invitee's address, which has no account yet
SIGN_IN_CODE = "sign_in_code"  # issue 25: links a One Login, to the claimant's own address
# To one address alone, never copies; their secret text leaves the outbox once sent.
TO_CONTACT_KINDS = frozenset({CONTACT_CODE, REQUEST_CODE, INVITATION, SIGN_IN_CODE})
DEFAULT_SENDER = "broker.messages.notify:LoggingSender"


@dataclass(frozen=True, slots=True)
class Message:
    """What a sender needs: who it is for, what it says, and the one channel to send it on."""

    id: str
    account_id: str
    to: str  # the account's username, which is its email address
    name: str
    kind: str
    body: str
    grant_id: str | None
    created_at: datetime
    channel: str = contact.EMAIL
    address: str = ""  # where this channel delivers: the email address or the mobile number
    language: str = i18n.DEFAULT_LANGUAGE
    delivery_id: str = ""
    # Issue 23: a copy for the claimant's nominated contact (or the code that confirms their
    # address) is for "contact", under that contact's grant; everything else is for "claimant".
    recipient: str = "claimant"
    contact_grant_id: str = ""


class Sender(Protocol):
    """Delivers one message on its channel; raises if it could not. May return the provider's
    reference for it (GOV.UK Notify's notification ID), which its delivery receipt names."""

    def send(self, message: Message) -> str | None: ...


class LoggingSender:
    """The sender when none is configured: writes a line to the log and nothing else."""

    def send(self, message: Message) -> None:
        # The message ID, not the body: bodies hold names, which logs should not collect.
        log.info(
            "outbox: %s message %s for account %s", message.kind, message.id, message.account_id
        )


def load_sender(spec: str = DEFAULT_SENDER) -> Sender:
    """A sender from "package.module:Name"; a class is instantiated with no arguments."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"sender must look like package.module:Name, not {spec!r}")
    target = getattr(importlib.import_module(module_name), attribute)
    sender = target() if isinstance(target, type) else target
    if not callable(getattr(sender, "send", None)):
        raise ValueError(f"{spec} has no send(message) method")
    return sender


# Queuing


def queue(
    *,
    account_id: str,
    kind: str,
    body: str,
    dedupe_key: str,
    now: datetime,
    grant_id: str | None = None,
    language: str | None = None,
    outside: bool = False,
) -> bool:
    """Add a message unless one with this dedupe key exists; True if added. No commit.

    A new message fans out at once to its deliveries: a claimant's is filed in their letters
    inbox and waits for each other channel they chose for its kind; an adviser's waits for
    email if they chose to be told by email (their console lists it either way). `language`
    is the message's (a staff letter's); by default the account's. `outside`: a claimant's
    alert that must also leave the service (by text if they gave a mobile, else by email),
    whatever they chose (access given in their name, issue 23).
    """
    message_id = _insert(account_id, kind, body, dedupe_key, now, grant_id)
    if message_id is None:
        return False
    _fan_out(message_id, account_id, kind, now, language, outside)
    return True


def _insert(
    account_id: str,
    kind: str,
    body: str,
    dedupe_key: str,
    now: datetime,
    grant_id: str | None,
) -> str | None:
    values = {
        "id": new_id(),
        "dedupe_key": dedupe_key,
        "account_id": account_id,
        "grant_id": grant_id,
        "kind": kind,
        "body": body,
        "created_at": now,
        "attempts": 0,
    }
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the broker runs on PostgreSQL and SQLite only
        exists = db.session.scalar(
            db.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        if exists:
            return None
        db.session.add(OutboxMessage(**values))
        db.session.flush()
        return str(values["id"])
    statement = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)  # rowcount is not reliable for ORM inserts on psycopg
    )
    row = db.session.execute(statement).first()
    return None if row is None else row[0]


def _fan_out(
    message_id: str,
    account_id: str,
    kind: str,
    now: datetime,
    language: str | None,
    outside: bool = False,
) -> None:
    account = db.session.get(Account, account_id)
    if account is None:  # pragma: no cover - the foreign key has already refused it
        return
    language = i18n.known(language or account.language)
    mobile = None
    if account.role == "adviser":
        adviser = db.session.get(Adviser, account_id)
        told_by_email = adviser is None or adviser.tell_by == contact.EMAIL
        channels: tuple[str, ...] = (contact.EMAIL,) if told_by_email else ()
    elif account.role != "claimant":
        channels = (contact.EMAIL,)
    else:
        chosen = contact.of(account_id)
        channels, mobile = chosen.for_kind(contact.kind_of(kind)), chosen.mobile
        if outside and not set(channels) & set(contact.SENT_BY_THE_SWEEP):
            channels = (*channels, contact.SMS if mobile else contact.EMAIL)
    for channel in channels:
        delivery = Delivery(
            message_id=message_id,
            channel=channel,
            status=QUEUED,
            address={contact.EMAIL: account.username, contact.SMS: mobile or ""}.get(channel, ""),
            language=language,
            created_at=now,
            attempts=0,
        )
        if channel == contact.INBOX:
            # Filed in the inbox is delivered there: the claimant can open it from now on.
            delivery.status, delivery.sent_at, delivery.delivered_at = DELIVERED, now, now
        elif channel == contact.POST:
            delivery.status = PRINT_DUE  # no postal service: staff see that a letter is due
        db.session.add(delivery)
    copy = contact.copy_to(account_id, kind) if account.role == "claimant" else None
    if copy is not None:  # issue 23: the kinds the claimant chose go to their contact too
        db.session.add(
            Delivery(
                message_id=message_id,
                channel=copy.channel,
                status=QUEUED,
                address=copy.address,
                language=language,
                created_at=now,
                attempts=0,
                recipient=CONTACT,
                contact_grant_id=copy.grant_id,
            )
        )
        channels = (*channels, copy.channel)
    db.session.flush()
    if not any(channel in contact.SENT_BY_THE_SWEEP for channel in channels):
        # Nothing for the sweep to send: the message went out when it was filed.
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(sent_at=now)
        )


@contextmanager
def _in_language_of(grant: Grant) -> Iterator[None]:
    """Write in the claimant's chosen language (Welsh or English) while inside the block.

    Flask-Babel's force_locale needs only an app context, so this works in a staff request and
    in the sweep's CLI run alike.
    """
    with _in_language_of_account(grant.claimant.account):
        yield


@contextmanager
def _in_language_of_account(account: Account) -> Iterator[None]:
    with force_locale(i18n.known(account.language)):
        yield


@contextmanager
def _in_english() -> Iterator[None]:
    """Advisers read English, like their pages, whatever the page that queued it speaks."""
    with force_locale(i18n.DEFAULT_LANGUAGE):
        yield


def _who(grant: Grant) -> str:
    if grant.organisation_name:
        return _(
            "%(name)s from %(organisation)s",
            name=grant.representative_name,
            organisation=grant.organisation_name,
        )
    return grant.representative_name


def _event_key(kind: str, grant: Grant, account_id: str, now: datetime) -> str:
    return f"{kind}:{grant.id}:{account_id}:{to_micros(now)}"


def recorded_by_phone(grant: Grant, staff_name: str, *, stop_at: str, now: datetime) -> None:
    """Tell the claimant that staff recorded consent in their name, so it never goes unseen:
    outside the service too, with the link that stops it (`stop_at`, issue 23)."""
    with _in_language_of(grant):
        if grant.kind == "contact":
            body = _(
                "%(staff)s from DWP wrote down on the phone that you want us to contact "
                "%(name)s about your claim until %(date)s. "
                "If you did not ask for this, stop it now: %(link)s",
                link=stop_at,
                staff=staff_name,
                name=grant.representative_name,
                date=i18n.day(grant.ends_at),
            )
        else:
            body = _(
                "%(staff)s from DWP wrote down on the phone that you agreed %(who)s "
                "can see your journal until %(date)s. If you did not agree, stop it now: %(link)s",
                link=stop_at,
                staff=staff_name,
                who=_who(grant),
                date=i18n.day(grant.ends_at),
            )
    queue(
        account_id=grant.claimant_id,
        kind="recorded_by_phone",
        body=body,
        grant_id=grant.id,
        now=now,
        dedupe_key=_event_key("recorded_by_phone", grant, grant.claimant_id, now),
        outside=True,
    )


def suspended(grant: Grant, *, now: datetime) -> None:
    """Tell the claimant that DWP paused the grant; not the reason."""
    with _in_language_of(grant):
        if grant.kind == "contact":
            body = _(
                "DWP has paused contact through %(name)s. "
                "We will contact you instead for now. Call us if you have questions.",
                name=grant.representative_name,
            )
        else:
            body = _(
                "DWP has paused %(who)s's access to your journal. They cannot see it "
                "for now. Call us if you have questions.",
                who=_who(grant),
            )
    _to(grant.claimant_id, grant, "grant_suspended", body, now)  # the adviser: access_changes


def resumed(grant: Grant, *, now: datetime) -> None:
    with _in_language_of(grant):
        if grant.kind == "contact":
            body = _(
                "We can contact %(name)s about your claim again.", name=grant.representative_name
            )
        else:
            body = _("%(who)s can see your journal again.", who=_who(grant))
    _to(grant.claimant_id, grant, "grant_resumed", body, now)  # the adviser: access_changes


def agency_held(grant: Grant, *, now: datetime) -> None:
    """Tell the claimant their adviser's organisation stopped the adviser's access (issue 25):
    what it means for them, in plain words; not why (that is the organisation's business)."""
    with _in_language_of(grant):
        body = _(
            "%(who)s cannot see your journal for now, because their advice organisation has "
            "paused their access. You do not need to do anything. You can still stop their "
            "access yourself at any time.",
            who=_who(grant),
        )
    _to(grant.claimant_id, grant, "agency_held", body, now)


def agency_released(grant: Grant, *, now: datetime) -> None:
    with _in_language_of(grant):
        body = _(
            "%(who)s can see your journal again: their advice organisation has restarted their "
            "access. You can stop it at any time.",
            who=_who(grant),
        )
    _to(grant.claimant_id, grant, "agency_released", body, now)


def move_asked(grant: Grant, *, colleague: str, link: str, now: datetime) -> None:
    """Ask the claimant whether a colleague may take over a leaving adviser's access (issue
    25): nothing changes unless they say yes."""
    with _in_language_of(grant):
        body = _(
            "%(who)s is leaving their advice organisation. It asks if %(colleague)s can take "
            "over their access to your journal. Nothing changes unless you say yes. To answer, "
            "open %(link)s",
            who=_who(grant),
            colleague=colleague,
            link=link,
        )
    _to(grant.claimant_id, grant, "move_asked", body, now)


def access_alert(grant: Grant, *, stop_at: str, now: datetime) -> None:
    """Alert the claimant, outside the service too, that access was given or widened in their
    name: who, what, until when, and the link to stop it if it was not them (issue 23)."""
    what = ", ".join(scope.title_in(grant.claimant.account.language) for scope in _scopes(grant))
    with _in_language_of(grant):
        if grant.status == "pending":
            given = _(
                "You offered %(who)s access to your journal: %(what)s. It lasts until %(date)s "
                "once they accept.",
                who=_who(grant),
                what=what,
                date=i18n.day(grant.ends_at),
            )
        elif grant.until_event and not grant.event_decision_id:
            # Tied to the reconsideration (case_tied.py): it may end sooner than its last date.
            given = _(
                "%(who)s can now see your journal: %(what)s. This lasts until 31 days after your "
                "reconsideration is decided, and no later than %(date)s.",
                who=_who(grant),
                what=what,
                date=i18n.day(grant.ends_at),
            )
        else:
            given = _(
                "%(who)s can now see your journal: %(what)s. This lasts until %(date)s.",
                who=_who(grant),
                what=what,
                date=i18n.day(grant.ends_at),
            )
        stop = _("If this was not you, stop it now: %(link)s", link=stop_at)
    queue(
        account_id=grant.claimant_id,
        kind="access_given",
        body=f"{given} {stop}",
        grant_id=grant.id,
        now=now,
        dedupe_key=_event_key("access_given", grant, grant.claimant_id, now),
        outside=True,
    )


def _scopes(grant: Grant) -> list[scopes.Scope]:
    return scopes.named(grant.scope_names)


def given_up(grant: Grant, *, now: datetime) -> None:
    """Tell the claimant that their adviser gave up the access (issue 23)."""
    with _in_language_of(grant):
        body = _(
            "%(who)s gave up their access to your journal on %(date)s. They cannot see it now. "
            "You do not need to do anything.",
            who=_who(grant),
            date=i18n.day(now),
        )
    _to(grant.claimant_id, grant, "grant_given_up", body, now)


def _to_claimant_and_adviser(
    grant: Grant, kind: str, claimant_body: str, adviser_body: str, now: datetime
) -> None:
    _to(grant.claimant_id, grant, kind, claimant_body, now)
    if grant.adviser_id:
        _to(grant.adviser_id, grant, kind, adviser_body, now)


def _to(account_id: str, grant: Grant, kind: str, body: str, now: datetime) -> None:
    """Queue a message about one event of `grant`, once per account however often it is asked."""
    queue(
        account_id=account_id,
        kind=kind,
        body=body,
        grant_id=grant.id,
        now=now,
        dedupe_key=_event_key(kind, grant, account_id, now),
    )


def reminder(owed: Reminder, *, now: datetime, adviser_too: bool) -> int:
    """Queue one reminder to the claimant (and the adviser when asked); how many were new.

    The dedupe key names the grant, the date reminded about and the lead (14 or 2 days), so each
    reminder is queued once however often the sweep runs, and a moved review date earns new ones.
    """
    grant, at = owed.grant, owed.at
    with _in_language_of(grant):
        if owed.target == "review" and grant.kind == "contact":
            body = _(
                "Check by %(date)s that you still want us to contact %(name)s. "
                "If you do not, we will stop.",
                date=i18n.day(at),
                name=grant.representative_name,
            )
        elif owed.target == "review":
            body = _(
                "%(who)s can see your journal. Check by %(date)s that you still "
                "want this, or their access will stop.",
                who=_who(grant),
                date=i18n.day(at),
            )
        elif grant.kind == "contact":
            body = _(
                "We will stop contacting %(name)s on %(date)s.",
                name=grant.representative_name,
                date=i18n.day(at),
            )
        else:
            body = _(
                "%(who)s's access to your journal ends on %(date)s.",
                who=_who(grant),
                date=i18n.day(at),
            )
    with _in_english():
        if owed.target == "review":
            kind = "review_reminder"
            adviser_body = (
                f"Your access to {grant.claimant.name}'s journal stops on {i18n.day(at)} "
                "unless they confirm it."
            )
        else:
            kind = "end_reminder"
            adviser_body = f"Your access to {grant.claimant.name}'s journal ends on {i18n.day(at)}."
    key = f"{kind}:{grant.id}:{to_micros(at)}:{owed.lead_days}"
    added = int(
        queue(
            account_id=grant.claimant_id,
            kind=kind,
            body=body,
            grant_id=grant.id,
            now=now,
            dedupe_key=f"{key}:claimant",
        )
    )
    if adviser_too and grant.adviser_id:
        added += int(
            queue(
                account_id=grant.adviser_id,
                kind=f"adviser_{kind}",
                body=adviser_body,
                grant_id=grant.id,
                now=now,
                dedupe_key=f"{key}:adviser",
            )
        )
    return added


# Sending: one delivery at a time, on the channels the sweep sends (email and text messages)


def _sendable() -> ColumnElement[bool]:
    return and_(
        Delivery.status == QUEUED,
        Delivery.channel.in_(contact.SENT_BY_THE_SWEEP),
        Delivery.attempts < MAX_ATTEMPTS,
    )


def count_unsent() -> int:
    return (
        db.session.scalar(db.select(db.func.count()).select_from(Delivery).where(_sendable())) or 0
    )


def count_given_up() -> int:
    """Deliveries that failed MAX_ATTEMPTS times and wait for a person to look at them."""
    return (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(Delivery)
            .where(
                Delivery.status == QUEUED,
                Delivery.channel.in_(contact.SENT_BY_THE_SWEEP),
                Delivery.attempts >= MAX_ATTEMPTS,
            )
        )
        or 0
    )


def waiting_by_channel() -> dict[tuple[str, str], int]:
    """Deliveries still to go, by (channel, state): "queued" for the sweep to send, "given_up"
    after MAX_ATTEMPTS failures (a person must look), "print_due" (a letter staff must print)."""
    state = case(
        (Delivery.status == PRINT_DUE, PRINT_DUE),
        (Delivery.attempts >= MAX_ATTEMPTS, "given_up"),
        else_=QUEUED,
    )
    rows = db.session.execute(
        db.select(Delivery.channel, state, db.func.count())
        .where(Delivery.status.in_((QUEUED, PRINT_DUE)))
        .group_by(Delivery.channel, state)
    )
    return {(channel, kind): count for channel, kind, count in rows}


def unsent_messages() -> tuple[int, datetime | None]:
    """How many outbox messages wait for a delivery still to go, and when the oldest was queued."""
    count, oldest = db.session.execute(
        db.select(db.func.count(), db.func.min(OutboxMessage.created_at)).where(
            OutboxMessage.sent_at.is_(None)
        )
    ).one()
    return count, oldest


def unsent(*, limit: int, after: tuple[datetime, str] | None = None) -> list[Message]:
    """Up to `limit` deliveries to send, oldest first, queued after `after` (created_at,
    delivery id).

    Walking forward by `after` means a run never retries in a loop what just failed; later runs
    retry it, up to MAX_ATTEMPTS.
    """
    query = (
        db.select(Delivery, OutboxMessage, Account)
        .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .join(Account, Account.id == OutboxMessage.account_id)
        .where(_sendable())
        .order_by(Delivery.created_at, Delivery.id)
        .limit(limit)
    )
    if after is not None:
        created_at, ident = after
        query = query.where(
            or_(
                Delivery.created_at > created_at,
                and_(Delivery.created_at == created_at, Delivery.id > ident),
            )
        )
    return [
        Message(
            row.id,
            row.account_id,
            account.username,
            account.name,
            row.kind,
            _body_for(delivery, row, account),
            row.grant_id,
            delivery.created_at,
            channel=delivery.channel,
            address=delivery.address,
            language=delivery.language,
            delivery_id=delivery.id,
            recipient=delivery.recipient,
            contact_grant_id=delivery.contact_grant_id or "",
        )
        for delivery, row, account in db.session.execute(query).all()
    ]


def _body_for(delivery: Delivery, message: OutboxMessage, account: Account) -> str:
    """What a delivery says: the message, or for a nominated contact's copy, the message under
    a line saying whose it is and why they have it (issue 23)."""
    if delivery.recipient != CONTACT or message.kind in TO_CONTACT_KINDS:
        return message.body
    with force_locale(i18n.known(delivery.language)):
        intro = _(
            "This is a copy of a message we sent to %(name)s. They asked us to send you copies.",
            name=account.name,
        )
    return f"{intro}\n\n{message.body}"


def mark_sent(message: Message, *, now: datetime, reference: str | None = None) -> None:
    """Record that the sender accepted the delivery (a write first, for SQLite), and the message
    as sent once none of its deliveries waits. No commit."""
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == message.delivery_id, Delivery.status == QUEUED)
        .values(
            status=SENT,
            sent_at=now,
            attempts=Delivery.attempts + 1,
            last_error=None,
            provider_reference=reference,
        )
    )
    waiting = db.select(Delivery.id).where(
        Delivery.message_id == message.id, Delivery.status == QUEUED
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.sent_at.is_(None))
        .values(
            sent_at=case((~waiting.exists(), now), else_=None),
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
        )
    )


def mark_failed(message: Message, error: BaseException) -> None:
    """Count a failed attempt; the delivery stays queued until MAX_ATTEMPTS. No commit."""
    log.warning(
        "outbox: sending message %s by %s failed: %s",
        message.id,
        message.channel,
        type(error).__name__,
    )
    metrics.DELIVERY_FAILURES.labels(message.channel, "send").inc()
    text = f"{type(error).__name__}: {error}"[:500]
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == message.delivery_id)
        .values(attempts=Delivery.attempts + 1, last_error=text)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(attempts=OutboxMessage.attempts + 1, last_error=text)
    )


def mark_withheld(message: Message, reason: str, *, now: datetime) -> None:
    """The delivery will never be sent: what it tells may no longer be told (disclosure.py, or
    a nominated contact's grant, nominated.py). Withheld at once, not retried; the message is
    done once nothing else of it waits. No commit."""
    log.info("outbox: message %s withheld: %s", message.id, reason)
    db.session.execute(
        update(Delivery)
        .where(Delivery.id == message.delivery_id, Delivery.status == QUEUED)
        .values(status=WITHHELD, last_error=reason)
    )
    waiting = db.select(Delivery.id).where(
        Delivery.message_id == message.id, Delivery.status == QUEUED
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.sent_at.is_(None), ~waiting.exists())
        .values(sent_at=now)
    )


# Delivery receipts: what the channel says happened after it accepted a message


RECEIPT_STATUSES = {
    "delivered": DELIVERED,
    "permanent-failure": FAILED,
    "temporary-failure": FAILED,
    "technical-failure": FAILED,
}


class UnknownDelivery(LookupError):
    """No delivery has that provider reference."""


def record_receipt(reference: str, status: str, *, at: datetime | None, now: datetime) -> Delivery:
    """Mark the delivery the provider knows as `reference` delivered or failed, at `at` (the
    provider's time) or `now`. A receipt for a status we do not act on changes nothing; a
    later receipt never undoes a delivered one. No commit; UnknownDelivery if none matches."""
    delivery = db.session.scalar(
        db.select(Delivery).where(
            Delivery.provider_reference == reference,
            Delivery.channel.in_(contact.SENT_BY_THE_SWEEP),
        )
    )
    if delivery is None:
        raise UnknownDelivery(reference)
    outcome = RECEIPT_STATUSES.get(status)
    when = at or now
    if outcome == DELIVERED and delivery.status != DELIVERED:
        delivery.status, delivery.delivered_at, delivery.last_error = DELIVERED, when, None
    elif outcome == FAILED and delivery.status != DELIVERED:
        if delivery.status != FAILED:  # a second receipt for the same failure counts once
            metrics.DELIVERY_FAILURES.labels(delivery.channel, "receipt").inc()
        delivery.status, delivery.failed_at, delivery.last_error = FAILED, when, status
    db.session.flush()
    return delivery


# A watched MR decision arrived (issue 15): the adviser's message, in English like their pages.


def mr_decision_arrived(
    *,
    claimant_name: str,
    reference: str,
    decided_on: date,
    outcome: str,
    appeal_by: date,
    outside_limit: date,
) -> str:
    with _in_english():
        return (
            f"A Mandatory Reconsideration decision has arrived for {claimant_name} "
            f"({reference}). Decided on {i18n.day(decided_on)}. Outcome: {outcome}. "
            f"Appeal by {i18n.day(appeal_by)} (one month from the decision date). "
            f"The latest a late appeal can be made is {i18n.day(outside_limit)} (13 months)."
        )


def decision_letter(
    claimant: Claimant, *, decision_id: str, decided_on: date, appeal_by: date, now: datetime
) -> None:
    """Tell the claimant their own MR decision has arrived and until when they can appeal: a
    letter from DWP, so it goes where they chose letters to go, in their language."""
    with _in_language_of_account(claimant.account):
        body = _(
            "Your reconsideration decision has arrived. It is dated %(date)s. "
            "Read it in your journal. If you do not agree with it, you can appeal to a "
            "tribunal. Send your appeal by %(deadline)s.",
            date=i18n.day(decided_on),
            deadline=i18n.day(appeal_by),
        )
    queue(
        account_id=claimant.id,
        kind=contact.DECISION_LETTER_KIND,
        body=body,
        dedupe_key=f"{contact.DECISION_LETTER_KIND}:{decision_id}",
        now=now,
    )


def case_decided(grant: Grant, *, now: datetime, decision: disclosure.Permit | None) -> None:
    """Tell the claimant and the adviser that a consent tied to the reconsideration now has its
    end date, because the decision arrived (broker/consent/case_tied.py). The adviser hears that it
    was decided only with a `decision` Permit: the grant may not let them know of it."""
    with _in_language_of(grant):
        body = _(
            "Your reconsideration has been decided. %(who)s can see your journal until "
            "%(date)s. This gives them time to help you appeal. You can stop it at any time.",
            who=_who(grant),
            date=i18n.day(grant.ends_at),
        )
    with _in_english():
        ends = (
            f"Your access to {grant.claimant.name}'s journal now ends on {i18n.day(grant.ends_at)}."
        )
        adviser_body = (
            f"{grant.claimant.name}'s Mandatory Reconsideration has been decided. {ends}"
            if decision is not None
            else ends
        )
    _to_claimant_and_adviser(grant, "grant_case_decided", body, adviser_body, now)


# Check with me before they send anything (issue 16): an adviser's MR request waits for the
# claimant; they are told in their language, and the adviser is told the outcome in English.


def mr_drafted(grant: Grant, *, draft_id: str, now: datetime) -> None:
    """Tell the claimant an adviser wants to send something in their name and waits for them."""
    with _in_language_of(grant):
        body = _(
            "%(who)s wants to send a request for you. It asks DWP to look at a decision again. "
            "Nothing is sent until you say yes. Open your home page to send it or stop it.",
            who=_who(grant),
        )
    queue(
        account_id=grant.claimant_id,
        kind="mr_drafted",
        body=body,
        grant_id=grant.id,
        dedupe_key=f"mr_drafted:{draft_id}",
        now=now,
    )


def mr_draft_outcome(
    grant: Grant, *, draft_id: str, outcome: str, about: str, now: datetime
) -> None:
    """Tell the adviser what became of their draft: sent, not sent, or out of time."""
    if not grant.adviser_id:
        return
    said = {
        "approved": "sent it to DWP",
        "declined": "chose not to send it",
        "expired": "did not answer within 7 days, so it was not sent",
    }[outcome]
    queue(
        account_id=grant.adviser_id,
        kind=f"mr_draft_{outcome}",
        body=f"Your MR request for {grant.claimant.name} ({about}): they {said}.",
        grant_id=grant.id,
        dedupe_key=f"mr_draft_{outcome}:{draft_id}",
        now=now,
    )


# The adviser's console: what they were told about their access (issue 23)

ADVISER_LIST_DAYS = 30


def told_to_adviser(
    adviser_id: str, *, now: datetime, excluding: tuple[str, ...]
) -> list[OutboxMessage]:
    """The messages queued for the adviser in the last 30 days, newest first, but those of the
    kinds `excluding` (decisions, to-dos and payments: the console lists them as notices)."""
    since = now - timedelta(days=ADVISER_LIST_DAYS)
    return list(
        db.session.scalars(
            db.select(OutboxMessage)
            .where(
                OutboxMessage.account_id == adviser_id,
                OutboxMessage.kind.not_in(excluding),
                OutboxMessage.created_at >= since,
            )
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
            .limit(50)
        )
    )


# Issue 23: a message for a nominated contact's address alone (the code that confirms it).


def queue_to_address(
    *,
    account_id: str,
    kind: str,
    body: str,
    channel: str,
    address: str,
    language: str,
    contact_grant_id: str | None,
    dedupe_key: str,
    now: datetime,
) -> str:
    """A message for a nominated contact's address alone, on one channel: not filed in the
    claimant's inbox, not copied anywhere. Its message ID; no commit."""
    message_id = _insert(account_id, kind, body, dedupe_key, now, contact_grant_id)
    assert message_id is not None  # a new dedupe key every time
    db.session.add(
        Delivery(
            message_id=message_id,
            channel=channel,
            status=QUEUED,
            address=address,
            language=language,
            created_at=now,
            attempts=0,
            recipient=CONTACT,
            contact_grant_id=contact_grant_id,
        )
    )
    db.session.flush()
    return str(message_id)


def invitation(
    *, from_account_id: str, to: str, organisation: str, link: str, days: int, now: datetime
) -> str:
    """An adviser's invitation (issue 25), by email to an address that has no account yet: it
    is queued under the account that invited them (the outbox's rows belong to an account), and
    its link, a secret, leaves the outbox once sent (nominated.sent). English, like every
    adviser's message. Its message ID; no commit."""
    body = (
        f"You have been invited to join {organisation} on the consent broker as an adviser. "
        f"Open this link within {days} days to choose how you sign in: {link} "
        "It works once. If you were not expecting this, ignore it."
    )
    return queue_to_address(
        account_id=from_account_id,
        kind=INVITATION,
        body=body,
        channel=contact.EMAIL,
        address=to,
        language=i18n.DEFAULT_LANGUAGE,
        contact_grant_id=None,
        dedupe_key=f"{INVITATION}:{new_id()}",
        now=now,
    )


# Issue 27 item 3: "This wasn't right" on a line of the claimant's history (casework/disputes.py).


def dispute_opened(
    claimant_id: str, grant: Grant | None, *, dispute_id: str, paused: bool, now: datetime
) -> None:
    """Tell the claimant what their dispute did, in plain words: only what the code did."""
    claimant = db.session.get(Claimant, claimant_id)
    assert claimant is not None  # the dispute's foreign key
    with _in_language_of_account(claimant.account):
        if paused and grant is not None:
            body = _(
                "You told us a line in your history was wrong. We have paused %(who)s's access "
                "to your journal. DWP will look at it and tell you what happens next.",
                who=_who(grant),
            )
        else:
            body = _(
                "You told us a line in your history was wrong. DWP will look at it and tell "
                "you what happens next."
            )
    queue(
        account_id=claimant_id,
        kind="dispute_opened",
        body=body,
        grant_id=grant.id if grant else None,
        now=now,
        dedupe_key=f"dispute_opened:{dispute_id}",
    )


def dispute_statement_asked(grant: Grant, *, dispute_id: str, day: datetime, now: datetime) -> None:
    """Ask the adviser for their signed statement of the disputed day (their client's page
    links to it)."""
    assert grant.adviser_id is not None  # the caller asks only an adviser's grant
    with _in_english():
        body = (
            f"{grant.claimant.name} says a line in their history on {i18n.day(day)} was not "
            "right. Please make your signed statement for that day from their page."
        )
    queue(
        account_id=grant.adviser_id,
        kind="dispute_statement_asked",
        body=body,
        grant_id=grant.id,
        now=now,
        dedupe_key=f"dispute_statement_asked:{dispute_id}",
    )


def dispute_closed(
    claimant_id: str, grant: Grant | None, *, dispute_id: str, result: str, now: datetime
) -> None:
    """Tell the claimant staff's outcome. `result`: what happened to the grant (restarted,
    stopped, still_paused or nothing)."""
    claimant = db.session.get(Claimant, claimant_id)
    assert claimant is not None
    with _in_language_of_account(claimant.account):
        first = _("DWP has looked at the line you said was wrong.")
        if result == "restarted" and grant is not None:
            then = _("%(who)s's access to your journal has restarted.", who=_who(grant))
        elif result == "stopped" and grant is not None:
            then = _("%(who)s's access to your journal has stopped.", who=_who(grant))
        elif result == "still_paused" and grant is not None:
            then = _(
                "They passed it on to be looked at further. %(who)s's access stays paused.",
                who=_who(grant),
            )
        else:
            then = _("Nothing about anyone's access has changed.")
        last = _("A signed copy of the outcome is on your history page.")
    queue(
        account_id=claimant_id,
        kind="dispute_closed",
        body=f"{first} {then} {last}",
        grant_id=grant.id if grant else None,
        now=now,
        dedupe_key=f"dispute_closed:{dispute_id}",
    )
