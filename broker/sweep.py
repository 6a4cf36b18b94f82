"""The review and expiry sweep, run every few minutes by the scheduler (broker/scheduler.py).

One run: take the sweep lease (if another run holds it, do nothing); end every grant past its
end date; queue the reminders owed (14 and 2 days before a review or end date); send the
outbox; give the lease back. Deleting what is past its time (spent codes, old sessions,
sign-in attempts...) is retention's, a job of its own (broker/retention.py). Every step is
idempotent: an ended grant is not ended twice, a reminder's dedupe key queues it once, a sent
message is not sent again. Work is done in batches, each its own transaction, so a large run
never holds a lock for long, and a run that dies part way leaves everything it finished in
place for the next one.

This is the top of the call chain (like a route), so it is where the commits happen.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update

from . import clock, units
from .casework import caller_checks, deliveries, drafts, item_watches, watches
from .chain import checkpoints, rollback
from .clock import EPOCH
from .consent import disclosure, grants
from .extensions import db
from .messages import access_changes, nominated, notify, push
from .models import AuditCheckpoint, JobLock
from .oauth.tokens import TokenService
from .services import Services

log = logging.getLogger(__name__)

LOCK_NAME = "sweep"
LEASE = timedelta(minutes=10)  # renewed every batch; a crashed run frees it when it lapses
BATCH = 200

# (stage, done, total): called after each batch so a large run shows its progress.
Progress = Callable[[str, int, int], None]

EXPIRING, REMINDING, SENDING = (
    "Ending grants past their end date",
    "Queuing reminders",
    "Sending messages",
)


class LeaseLost(RuntimeError):
    """Another run took the lease (this one stalled past it): stop before doing anything more."""


@dataclass
class SweepReport:
    ran: bool = True
    expired: int = 0
    reminders_queued: int = 0
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    caller_checks_ended: int = 0
    drafts_expired: int = 0
    pushed: int = 0  # Security Event Tokens a case system accepted (issue 15)
    push_failed: int = 0
    items_told: int = 0  # to-do and payment events told to their watches (issue 27)
    reviews_due_told: int = 0  # representatives told their access waits for a review (issue 23)
    push_refused: int = 0  # deliveries given up for good this run (a bad endpoint, a 400 err)
    # Steps (and single deliveries) that raised: each is undone, logged and named here, and the
    # rest of the run goes on (issue 26 item 8). The CLI exits 1 when there are any.
    errors: list[str] = field(default_factory=list)
    checkpoint: int | None = None  # the audit checkpoint this run signed, if any
    checkpoint_refused: str | None = None  # why it would not sign one (a broken chain)


def new_holder() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def acquire(holder: str, *, now: datetime, name: str = LOCK_NAME, lease: timedelta = LEASE) -> bool:
    """Take the lease if it is free or has lapsed; commits either way. True if taken."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # A write first: on SQLite it takes the write lock before anything is read.
    db.session.execute(
        insert(JobLock)
        .values(name=name, holder="", expires_at=EPOCH)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    taken = db.session.execute(
        update(JobLock)
        .where(JobLock.name == name, JobLock.expires_at <= now)
        .values(holder=holder, expires_at=now + lease)
    ).rowcount
    units.keep()
    return taken == 1


def renew(holder: str, *, now: datetime, name: str = LOCK_NAME, lease: timedelta = LEASE) -> None:
    """Extend the lease, as the first write of a batch; LeaseLost if it is no longer ours."""
    kept = db.session.execute(
        update(JobLock)
        .where(JobLock.name == name, JobLock.holder == holder)
        .values(expires_at=now + lease)
    ).rowcount
    if kept != 1:
        units.discard()
        raise LeaseLost(name)


def release(holder: str, *, name: str = LOCK_NAME) -> None:
    db.session.execute(
        update(JobLock)
        .where(JobLock.name == name, JobLock.holder == holder)
        .values(holder="", expires_at=EPOCH)
    )
    units.keep()


def run(
    *,
    now: datetime,
    sender: notify.Sender,
    batch: int = BATCH,
    progress: Progress | None = None,
    holder: str | None = None,
    services: Services,
    checkpoint: bool = True,
    pusher: push.Pusher | None = None,
) -> SweepReport:
    """One sweep at `now`, signing an audit checkpoint at its end if `checkpoint` (and anything
    changed). Returns what it did; `ran` is False if another run held the lease."""
    holder = holder or new_holder()
    if not acquire(holder, now=clock.now()):
        log.info("sweep: another run holds the lease; nothing done")
        return SweepReport(ran=False)
    report = SweepReport()

    def step(name: str, work: Callable[[], None]) -> None:
        """Run one step; if it raises, undo its unfinished batch, note it and go on. Only a
        lost lease (another run now owns the work) stops the whole run."""
        try:
            work()
        except LeaseLost:
            raise
        except Exception as exc:  # noqa: BLE001 - one failed step never stops the rest
            units.discard()
            log.exception("sweep: %s failed", name)
            report.errors.append(f"{name}: {type(exc).__name__}: {exc}"[:300])

    def expire() -> None:
        report.expired = _expire(holder, now, batch, progress, services.tokens)

    def remind() -> None:
        report.reminders_queued = _remind(holder, now, batch, progress)

    def tell_review_due() -> None:
        report.reviews_due_told = _in_batches(
            holder, now, batch, lambda at, limit: _tell_review_due(at, limit, services.tokens)
        )

    def end_caller_checks() -> None:
        report.caller_checks_ended = _end_caller_checks(holder, now, batch)

    def end_drafts() -> None:
        report.drafts_expired = _end_drafts(holder, now, batch)

    def tell_item_watches() -> None:
        report.items_told = _tell_item_watches(holder, now, batch, services.tokens)

    def send() -> None:
        report.sent, report.failed = _send(holder, now, batch, sender, progress)

    def push_all() -> None:
        assert pusher is not None
        _push(holder, now, batch, pusher, report)

    def count_given_up() -> None:
        report.given_up = notify.count_given_up()
        units.discard()  # end the read

    try:
        step("ending grants", expire)
        step("queuing reminders", remind)
        step("telling of reviews due", tell_review_due)
        step("ending caller checks", end_caller_checks)
        step("ending drafts", end_drafts)
        step("telling watches of to-dos and payments", tell_item_watches)
        step("sending messages", send)
        if pusher is not None:
            step("pushing security events", push_all)
        step("counting messages given up", count_given_up)
        if checkpoint:
            report.checkpoint, report.checkpoint_refused = _checkpoint(services)
    except BaseException:
        units.discard()
        raise
    finally:
        release(holder)
    log.info(
        "sweep: ended %d grants, queued %d reminders, sent %d messages (%d failed)",
        report.expired,
        report.reminders_queued,
        report.sent,
        report.failed,
    )
    return report


def _expire(
    holder: str, now: datetime, batch: int, progress: Progress | None, signer: TokenService
) -> int:
    total = grants.count_expiry_due(now)
    units.discard()
    ended = handled = 0
    while True:
        renew(holder, now=clock.now())
        due = grants.expiry_due(now, limit=batch)
        if not due:
            units.keep()
            break
        results = [grants.expire(grant_id, now=now, signer=signer) for grant_id in due]
        units.keep()
        ended += sum(results)
        handled += len(due)
        _report(progress, EXPIRING, min(handled, total), total)
        if not any(results):
            break  # never loop on rows this run cannot end
    return ended


def _tell_review_due(now: datetime, limit: int, signer: TokenService) -> int:
    """Tell each representative whose access is paused because its review date passed
    unconfirmed (issue 23): the adviser's message, a case system's CAEP event."""
    due = grants.review_due_untold(now, limit=limit)
    for grant in due:
        access_changes.review_due(grant, signer=signer, now=now)
    return len(due)


def _end_caller_checks(holder: str, now: datetime, batch: int) -> int:
    """Audit the end of every caller check whose five minutes ran out unseen (issue 15)."""
    return _in_batches(holder, now, batch, caller_checks.expire_due)


def _end_drafts(holder: str, now: datetime, batch: int) -> int:
    """Tell claimants of drafts not yet told, and expire drafts past their 7 days (issue 16)."""
    _in_batches(holder, now, batch, drafts.tell_new)
    return _in_batches(holder, now, batch, drafts.expire_due)


def _tell_item_watches(holder: str, now: datetime, batch: int, signer: TokenService) -> int:
    """Tell each live watch on to-dos and payments what it has not been told (issue 27), a batch
    of watches per transaction; each event once (item_notices' unique key)."""
    total = 0
    after: tuple[datetime, str] | None = None
    while True:
        renew(holder, now=clock.now())
        told, after = item_watches.check(now, limit=batch, signer=signer, after=after)
        units.keep()
        total += told
        if after is None:
            return total


def _in_batches(holder: str, now: datetime, batch: int, step: Callable[..., int]) -> int:
    """Run `step(now, limit=batch)` one transaction at a time until it finds nothing to do;
    how many rows it handled in all."""
    total = 0
    while True:
        renew(holder, now=clock.now())
        done = step(now, limit=batch)
        units.keep()
        if not done:
            return total
        total += done


def _remind(holder: str, now: datetime, batch: int, progress: Progress | None) -> int:
    total = grants.count_reminder_candidates(now)
    units.discard()
    queued = done = 0
    after = ""
    while True:
        renew(holder, now=clock.now())
        candidates = grants.reminder_candidates(now, after_id=after, limit=batch)
        if not candidates:
            units.keep()
            break
        for grant in candidates:
            working = disclosure.authorises(grant.status, grant.review_at, grant.ends_at, now)
            owed = grants.reminders_for(grant, now)
            first = min((r.at for r in owed), default=None)
            for reminder in owed:
                # The adviser hears about the next date their access stops, while it works.
                adviser_too = working and reminder.at == first
                queued += notify.reminder(reminder, now=now, adviser_too=adviser_too)
        units.keep()
        done += len(candidates)
        after = candidates[-1].id
        _report(progress, REMINDING, min(done, total), total)
    return queued


def _send(
    holder: str, now: datetime, batch: int, sender: notify.Sender, progress: Progress | None
) -> tuple[int, int]:
    total = notify.count_unsent()
    units.discard()
    sent = failed = 0
    after: tuple[datetime, str] | None = None
    while True:
        renew(holder, now=clock.now())
        units.keep()
        messages = notify.unsent(limit=batch, after=after)
        units.discard()  # end the read before talking to the outside world
        if not messages:
            break
        for message in messages:  # one delivery each: a message on one channel
            reason = watches.withheld(message.id, message.kind, now) or item_watches.withheld(
                message.id, message.kind, now
            )
            if reason is not None:
                notify.mark_withheld(message, reason, now=now)
                units.keep()
                continue
            to_contact = message.recipient == notify.CONTACT
            if to_contact:
                # A copy for a nominated contact is checked against their grant when it is
                # due, not only when it was queued (issue 23); a withheld one is audited.
                allowed = nominated.prepare(message, now=now)
                units.keep()
                if not allowed:
                    continue
            else:
                units.discard()  # the check's read is over before the message leaves
            try:
                reference = sender.send(message)
            except Exception as exc:  # noqa: BLE001 - one failed message never stops the rest
                notify.mark_failed(message, exc)
                failed += 1
            else:
                notify.mark_sent(message, now=now, reference=reference)
                if to_contact:
                    nominated.sent(message, now=now)
                sent += 1
            units.keep()
        after = (messages[-1].created_at, messages[-1].delivery_id)
        _report(progress, SENDING, min(sent + failed, total), total)
    return sent, failed


def _push(holder: str, now: datetime, batch: int, pusher: push.Pusher, report: SweepReport) -> None:
    """POST the Security Event Tokens due (broker/casework/deliveries.py). Each one is checked
    against its grant in a transaction, sent with no transaction open, and its outcome recorded and
    audited in another; what failed is tried again by a later run, after a doubled wait. Each
    delivery fails alone: whatever one raises is undone, counted and named in the report."""
    renew(holder, now=clock.now())
    units.keep()
    due = deliveries.due(now, limit=batch)
    units.discard()
    for delivery_id in due:
        renew(holder, now=clock.now())
        try:
            _push_one(delivery_id, now, pusher, report)
        except LeaseLost:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad delivery never stops the rest
            units.discard()
            log.exception("sweep: push %s failed", delivery_id)
            report.push_failed += 1
            report.errors.append(f"push {delivery_id}: {type(exc).__name__}: {exc}"[:300])


def _push_one(delivery_id: str, now: datetime, pusher: push.Pusher, report: SweepReport) -> None:
    pending = deliveries.prepare(delivery_id, now=now)
    units.keep()
    if pending is None:
        return
    try:
        answer = pusher.post(pending.endpoint, pending.token)
    except Exception as exc:  # noqa: BLE001 - one bad endpoint never stops the rest
        log.warning("sweep: push %s failed: %s", delivery_id, type(exc).__name__)
        answer = push.Answer(False, False, "failed:error", f"{type(exc).__name__}: {exc}")
    given_up = deliveries.record(delivery_id, answer, now=now)
    units.keep()
    report.pushed += answer.delivered
    report.push_failed += not answer.delivered
    report.push_refused += given_up


CHECKPOINT_LOCK = "checkpoint"


class CheckpointBusy(RuntimeError):
    """Another run (cron's checkpoint or a sweep) is signing a checkpoint right now."""


def sign_checkpoint(
    services: Services, *, now: datetime, force: bool = False
) -> AuditCheckpoint | None:
    """Sign a checkpoint if anything changed (or `force`), under its own lease so that cron's
    checkpoint and a sweep never both sign the next number. Commits; ChainBroken, or
    CheckpointBusy when another run holds the lease. Then, still under the lease, the newest
    checkpoint is copied outside the database (security.md 76)."""
    holder = new_holder()
    if not acquire(holder, now=clock.now(), name=CHECKPOINT_LOCK):
        raise CheckpointBusy("another run is signing a checkpoint")
    try:
        row = checkpoints.make(services, now=now, force=force)
        units.keep()
        _copy_checkpoint(services)
        return row
    except BaseException:
        units.discard()
        raise
    finally:
        release(holder, name=CHECKPOINT_LOCK)


def _copy_checkpoint(services: Services) -> None:
    """Write the newest checkpoint to BROKER_CHECKPOINT_COPY (also when nothing new was signed,
    so a copy moved aside or not made yet is written again). After the commit: a copy never
    names a checkpoint the database did not keep. A copy that cannot be written leaves the
    checkpoint signed (it is in the database and published) and says why in the log."""
    if services.checkpoint_copy is None:
        return
    try:
        rollback.keep(services.checkpoint_copy, checkpoints.latest())
    except OSError as exc:
        log.error("checkpoint copy %s not written: %s", services.checkpoint_copy, exc)
    finally:
        units.discard()


def _checkpoint(services: Services) -> tuple[int | None, str | None]:
    """Sign an audit checkpoint if anything changed since the last (broker/chain/checkpoints.py)."""
    try:
        row = sign_checkpoint(services, now=clock.now())
    except CheckpointBusy:
        return None, None
    except checkpoints.ChainBroken as exc:
        log.error("sweep: no audit checkpoint signed: %s", exc)
        return None, str(exc)
    return (row.seq if row else None), None


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)
