"""Retention (issue 26 item 7): delete what is past its time, in batches. docs/retention.md says
how long each kind of record is kept and why; this module is the part of it that deletes.

Each kind below names the tables it deletes from, the setting that holds its period
(`BROKER_RETAIN_<KIND>_DAYS`), its default, and the shortest period allowed (a shorter one would
delete something still in use, so it is refused with a clear error). A table no kind names is
kept for the broker's life: the audit chains, their checkpoints, receipts and grants (which the
chains and receipts name), the claimant's own record and live configuration (docs/retention.md
says why for each one).

One run takes the "retention" lease (job_locks, as the sweep's own), then deletes each kind's
rows in batches of BATCH: each batch is its own short transaction that first renews the lease,
picks at most BATCH primary keys past their time and deletes them (and the rows that hang on
them), so a large backlog never holds a lock for long and a run that dies leaves what it
finished. What any live thing needs is never past its time: a pending message, a live watch or
a waiting request is excluded by the condition itself, not by the period.

This sits above the sweep (it borrows its lease) and below the scheduler, which runs it every
BROKER_RETENTION_SECONDS (3600); `consent-broker retention [--dry-run]` runs it at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.orm import aliased

from . import clock, sweep, units
from .extensions import db
from .models import (
    AccessToken,
    AccountEvent,
    Attempt,
    AuthorizationCode,
    CallerCheck,
    ContactAddress,
    ContactRequest,
    Delivery,
    DeviceAuthorization,
    DpopProof,
    ExternalLinkCode,
    ExternalSession,
    Grant,
    Invitation,
    ItemNotice,
    ItemWatch,
    LogoutTokenUse,
    MRDecisionNotice,
    MRDecisionWatch,
    MRDraft,
    OutboxMessage,
    PasskeyChallenge,
    PushDelivery,
    RefreshToken,
    UserSession,
)

log = logging.getLogger(__name__)

LOCK_NAME = "retention"
BATCH = 500
DEFAULT_SECONDS = 3600
# A scheduled run starts no batch after this long: the scheduler acts on one job at a time and
# renews its own 30-second lease between jobs, so a run that cleared a large backlog in one go
# would hold up the checkpoint (and /readyz) behind it. What is left waits for the next run;
# `consent-broker retention` has no such limit.
SCHEDULED_BUDGET = timedelta(seconds=20)

# Statuses, as their own modules spell them (the retention layer reads rows, it changes no
# status): a waiting contact request is on staff's list; a queued or print-due delivery has
# not gone yet; a pending draft waits for the claimant; revoked and expired grants have ended.
_WAITING_REQUEST = "waiting"
_UNSENT = ("queued", "print_due")
_PENDING_DRAFT = "pending"
_ENDED_GRANT = ("revoked", "expired")

Condition = Callable[[datetime], ColumnElement[bool]]


@dataclass(frozen=True)
class Step:
    """Rows of `table` past their time at `cutoff`; `dependants` are (table, column naming the
    row's key) deleted with each row, first."""

    table: Any
    past: Condition
    dependants: tuple[tuple[Any, Any], ...] = ()

    @property
    def key(self) -> Any:
        (column,) = self.table.__mapper__.primary_key
        return column

    @property
    def name(self) -> str:
        return str(self.table.__tablename__)


@dataclass(frozen=True)
class Kind:
    name: str
    days: int  # the default period
    least: int  # the shortest period allowed
    steps: tuple[Step, ...]

    @property
    def setting(self) -> str:
        return f"BROKER_RETAIN_{self.name.upper()}_DAYS"


def _expired(column: Any) -> Condition:
    return lambda cutoff: column < cutoff


def _token_done(model: Any) -> Condition:
    """Expired, and either its grant has ended or the same client has a later token under it:
    a live grant keeps each client's last token, which says that client holds or held access
    and is told of the grant's changes (messages/access_changes.py `_case_systems`)."""
    newer = aliased(model)
    ended = exists().where(Grant.id == model.grant_id, Grant.status.in_(_ENDED_GRANT))
    later = exists().where(
        newer.grant_id == model.grant_id,
        newer.client_id == model.client_id,
        newer.issued_at > model.issued_at,
    )
    return lambda cutoff: and_(model.expires_at < cutoff, or_(ended, later))


def _message_done(cutoff: datetime) -> ColumnElement[bool]:
    waiting = exists().where(Delivery.message_id == OutboxMessage.id, Delivery.status.in_(_UNSENT))
    return and_(OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < cutoff, ~waiting)


def _notice_done(cutoff: datetime) -> ColumnElement[bool]:
    ended_watch = exists().where(
        MRDecisionWatch.id == MRDecisionNotice.watch_id, MRDecisionWatch.ended_at.is_not(None)
    )
    pushed = exists().where(PushDelivery.notice_id == MRDecisionNotice.id)
    return and_(MRDecisionNotice.created_at < cutoff, ended_watch, ~pushed)


def _watch_done(cutoff: datetime) -> ColumnElement[bool]:
    notices = exists().where(MRDecisionNotice.watch_id == MRDecisionWatch.id)
    return and_(MRDecisionWatch.ended_at < cutoff, ~notices)


def _item_notice_done(cutoff: datetime) -> ColumnElement[bool]:
    """A to-do's or payment's notice (issue 27), kept as a decision's is (`_notice_done`)."""
    ended_watch = exists().where(
        ItemWatch.id == ItemNotice.watch_id, ItemWatch.ended_at.is_not(None)
    )
    pushed = exists().where(PushDelivery.item_notice_id == ItemNotice.id)
    return and_(ItemNotice.created_at < cutoff, ended_watch, ~pushed)


def _item_watch_done(cutoff: datetime) -> ColumnElement[bool]:
    notices = exists().where(ItemNotice.watch_id == ItemWatch.id)
    return and_(ItemWatch.ended_at < cutoff, ~notices)


def _push_done(cutoff: datetime) -> ColumnElement[bool]:
    return or_(PushDelivery.delivered_at < cutoff, PushDelivery.given_up_at < cutoff)


def _draft_done(cutoff: datetime) -> ColumnElement[bool]:
    done_at = func.coalesce(MRDraft.decided_at, MRDraft.expires_at)
    return and_(MRDraft.status != _PENDING_DRAFT, done_at < cutoff)


def _request_done(cutoff: datetime) -> ColumnElement[bool]:
    done_at = func.coalesce(ContactRequest.answered_at, ContactRequest.created_at)
    return and_(ContactRequest.status != _WAITING_REQUEST, done_at < cutoff)


def _contact_grant_ended(cutoff: datetime) -> ColumnElement[bool]:
    return exists().where(
        Grant.id == ContactAddress.grant_id,
        Grant.status.in_(_ENDED_GRANT),
        Grant.ended_at < cutoff,
    )


# In the order they run: a row is deleted before the rows it names (push deliveries before the
# decision, to-do and payment notices they name, notices before their watches).
KINDS: tuple[Kind, ...] = (
    Kind("attempts", 1, 1, (Step(Attempt, _expired(Attempt.at)),)),
    Kind(
        "sessions",
        2,
        2,  # a session may last up to 48 hours (BROKER_SESSION_HOURS, at most 48)
        # From sign-in: a session that ended did so after it began, so this covers both.
        (
            Step(
                UserSession,
                _expired(UserSession.created_at),
                ((ExternalSession, ExternalSession.session_hash),),
            ),
        ),
    ),
    Kind(
        "spent_codes",
        1,
        0,
        (
            Step(AuthorizationCode, _expired(AuthorizationCode.expires_at)),
            Step(DeviceAuthorization, _expired(DeviceAuthorization.expires_at)),
            Step(ExternalLinkCode, _expired(ExternalLinkCode.expires_at)),
        ),
    ),
    Kind(
        "proofs",
        0,
        0,
        (
            Step(DpopProof, _expired(DpopProof.expires_at)),
            Step(PasskeyChallenge, _expired(PasskeyChallenge.expires_at)),
            Step(LogoutTokenUse, _expired(LogoutTokenUse.expires_at)),
        ),
    ),
    Kind(
        "tokens",
        30,
        0,
        (
            Step(AccessToken, _token_done(AccessToken)),
            Step(RefreshToken, _token_done(RefreshToken)),
        ),
    ),
    Kind("invitations", 30, 0, (Step(Invitation, _expired(Invitation.expires_at)),)),
    Kind("contact_requests", 30, 0, (Step(ContactRequest, _request_done),)),
    Kind("contact_addresses", 30, 0, (Step(ContactAddress, _contact_grant_ended),)),
    Kind("caller_checks", 90, 0, (Step(CallerCheck, _expired(CallerCheck.expires_at)),)),
    Kind("pushed_events", 90, 0, (Step(PushDelivery, _push_done),)),
    Kind(
        "messages",
        730,
        0,
        (Step(OutboxMessage, _message_done, ((Delivery, Delivery.message_id),)),),
    ),
    Kind(
        "decision_deliveries",
        730,
        0,
        # Watches on to-dos and payments (issue 27) and what they told: the same two years.
        (
            Step(MRDecisionNotice, _notice_done),
            Step(MRDecisionWatch, _watch_done),
            Step(ItemNotice, _item_notice_done),
            Step(ItemWatch, _item_watch_done),
        ),
    ),
    Kind("drafts", 730, 0, (Step(MRDraft, _draft_done),)),
    Kind("account_events", 730, 0, (Step(AccountEvent, _expired(AccountEvent.occurred_at)),)),
)

DELETED_TABLES = frozenset(step.name for kind in KINDS for step in kind.steps) | {
    "deliveries",
    "external_sessions",
}


def periods(config: Mapping[str, Any]) -> dict[str, timedelta]:
    """Each kind's period from its BROKER_RETAIN_<KIND>_DAYS (else its default); a value that is
    not a whole number of days, or shorter than the kind allows, is refused."""
    found: dict[str, timedelta] = {}
    for kind in KINDS:
        raw = config.get(kind.setting)
        if raw is None or str(raw).strip() == "":
            days = kind.days
        else:
            try:
                days = int(str(raw).strip())
            except ValueError:
                raise RuntimeError(
                    f"{kind.setting} must be a whole number of days, not {raw!r}"
                ) from None
            if days < kind.least:
                raise RuntimeError(
                    f"{kind.setting} must be at least {kind.least} (a shorter period would "
                    f"delete {kind.name.replace('_', ' ')} still in use), not {days}"
                )
        found[kind.name] = timedelta(days=days)
    return found


def interval(config: Mapping[str, Any]) -> timedelta:
    """How often the scheduler runs retention: BROKER_RETENTION_SECONDS (3600)."""
    return timedelta(seconds=int(config.get("BROKER_RETENTION_SECONDS", DEFAULT_SECONDS)))


@dataclass
class RetentionReport:
    ran: bool = True
    deleted: dict[str, int] = field(default_factory=dict)  # rows per table
    batches: int = 0  # transactions that deleted something
    # Tables whose deleting raised: each is undone, logged and named here, and the other kinds
    # still run (as the sweep's steps do). The scheduler records them as the job's error and
    # the command exits 1.
    errors: list[str] = field(default_factory=list)
    finished: bool = True  # False: it stopped at its deadline, and the next run goes on

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def run(
    *,
    now: datetime,
    config: Mapping[str, Any],
    batch: int = BATCH,
    holder: str | None = None,
    dry_run: bool = False,
    deadline: datetime | None = None,
) -> RetentionReport:
    """Delete every kind's rows past their period at `now`, BATCH rows a transaction; with
    `dry_run`, count them and delete nothing. `ran` is False if another run held the lease;
    `finished` is False if it reached `deadline` (by clock.now()) with rows left to look at."""
    cutoffs = {name: now - period for name, period in periods(config).items()}
    if dry_run:
        report = RetentionReport()
        for kind in KINDS:
            for step in kind.steps:
                report.deleted[step.name] = _count(step, cutoffs[kind.name])
        units.discard()
        return report
    holder = holder or sweep.new_holder()
    if not sweep.acquire(holder, now=clock.now(), name=LOCK_NAME):
        log.info("retention: another run holds the lease; nothing done")
        return RetentionReport(ran=False)
    report = RetentionReport()
    try:
        for kind in KINDS:
            for step in kind.steps:
                report.deleted[step.name] = 0
                try:
                    report.deleted[step.name] = _delete_all(
                        step, cutoffs[kind.name], holder, batch, report, deadline
                    )
                except sweep.LeaseLost:
                    raise
                except Exception as exc:  # noqa: BLE001 - one table's failure never stops the rest
                    units.discard()
                    log.exception("retention: deleting from %s failed", step.name)
                    report.errors.append(f"{step.name}: {type(exc).__name__}: {exc}"[:300])
    except BaseException:
        units.discard()
        raise
    finally:
        sweep.release(holder, name=LOCK_NAME)
    log.info("retention: deleted %d rows in %d batches", report.total, report.batches)
    return report


def _count(step: Step, cutoff: datetime) -> int:
    return (
        db.session.scalar(select(func.count()).select_from(step.table).where(step.past(cutoff)))
        or 0
    )


def _delete_all(
    step: Step,
    cutoff: datetime,
    holder: str,
    batch: int,
    report: RetentionReport,
    deadline: datetime | None,
) -> int:
    """Delete `step`'s rows past `cutoff`, one bounded transaction at a time, until none is left
    (or `deadline` has passed)."""
    deleted = 0
    while True:
        if deadline is not None and clock.now() >= deadline:
            report.finished = False
            return deleted
        # The lease first: on SQLite this write takes the write lock before anything is read.
        sweep.renew(holder, now=clock.now(), name=LOCK_NAME)
        keys = list(db.session.scalars(select(step.key).where(step.past(cutoff)).limit(batch)))
        if not keys:
            units.keep()
            return deleted
        for table, column in step.dependants:
            db.session.execute(delete(table).where(column.in_(keys)))
        deleted += db.session.execute(delete(step.table).where(step.key.in_(keys))).rowcount or 0
        units.keep()
        report.batches += 1
        if len(keys) < batch:
            return deleted
