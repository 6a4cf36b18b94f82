"""One maker per table retention deletes from: `make(table, people, at)` adds a row whose period
counts from `at` (it ran out, was answered, sent, ended... at that moment) and returns its key.
Rows go straight into their tables: what matters here is which rows a run deletes, and the
domain flows that make them are tested in their own folders."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.models import (
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
from tests.factories import make_adviser, make_grant, signer

CLIENT = "retention-client"


def _id() -> str:
    return str(uuid.uuid4())


def _hex() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


def attempts(p: SimpleNamespace, at: datetime) -> Any:
    row = Attempt(key=f"sign-in:user:{_id()}", at=at)
    db.session.add(row)
    db.session.flush()
    return row.id


def sessions(p: SimpleNamespace, at: datetime) -> Any:
    key = _hex()
    db.session.add(
        UserSession(
            id_hash=key,
            account_id=p.claimant.id,
            created_at=at,
            last_seen_at=at,
            csrf_secret=_hex(),
        )
    )
    db.session.flush()
    db.session.add(ExternalSession(session_hash=key, issuer="https://one-login.test", sid=_id()))
    return key


def authorization_codes(p: SimpleNamespace, at: datetime) -> Any:
    key = _hex()
    db.session.add(
        AuthorizationCode(
            code_hash=key,
            client_id=p.client.id,
            claimant_id=p.claimant.id,
            grant_id=p.grant.id,
            redirect_uri="https://example.org/cb",
            scopes="mr:read",
            created_at=at - timedelta(minutes=1),
            expires_at=at,
        )
    )
    return key


def device_authorizations(p: SimpleNamespace, at: datetime) -> Any:
    row = DeviceAuthorization(
        device_code_hash=_hex(),
        user_code=uuid.uuid4().hex[:8].upper(),
        client_id=p.client.id,
        scopes="mr:read",
        created_at=at - timedelta(minutes=10),
        expires_at=at,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def external_link_codes(p: SimpleNamespace, at: datetime) -> Any:
    row = ExternalLinkCode(
        issuer="https://one-login.test",
        subject=_id(),
        claimant_id=p.claimant.id,
        code_hash=_hex(),
        created_at=at - timedelta(minutes=15),
        expires_at=at,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def dpop_proofs(p: SimpleNamespace, at: datetime) -> Any:
    key = _hex()
    db.session.add(DpopProof(jti_hash=key, expires_at=at))
    return key


def passkey_challenges(p: SimpleNamespace, at: datetime) -> Any:
    row = PasskeyChallenge(challenge_hash=_hex(), purpose="sign-in", expires_at=at)
    db.session.add(row)
    db.session.flush()
    return row.id


def logout_token_uses(p: SimpleNamespace, at: datetime) -> Any:
    key = _hex()
    db.session.add(LogoutTokenUse(jti_hash=key, expires_at=at))
    return key


def access_tokens(p: SimpleNamespace, at: datetime, client_id: str = CLIENT) -> Any:
    """A token that expired at `at`, under the live grant: a later one of the same client is
    what lets retention delete it (the parametrised test makes the young one after the old)."""
    key = _id()
    db.session.add(
        AccessToken(
            jti=key,
            grant_id=p.grant.id,
            client_id=client_id,
            scopes="mr:read",
            issued_at=at - timedelta(minutes=5),
            expires_at=at,
        )
    )
    return key


def refresh_tokens(p: SimpleNamespace, at: datetime) -> Any:
    row = RefreshToken(
        token_hash=_hex(),
        family_id=_id(),
        grant_id=p.grant.id,
        client_id=CLIENT,
        scopes="mr:read",
        issued_at=at - timedelta(days=1),
        expires_at=at,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def invitations(p: SimpleNamespace, at: datetime) -> Any:
    row = Invitation(
        organisation_id=p.adviser.organisation_id,
        email=f"{_id()}@advice.test",
        token_hash=_hex(),
        invited_by="cli",
        created_at=at - timedelta(days=7),
        expires_at=at,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def contact_requests(p: SimpleNamespace, at: datetime, status: str = "declined") -> Any:
    row = ContactRequest(
        claimant_id=p.claimant.id,
        name="Sam Relative",
        relationship="Brother",
        channel="email",
        address="sam@relative.test",
        status=status,
        created_at=at - timedelta(days=1),
        answered_at=at if status in ("approved", "declined") else None,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def contact_addresses(p: SimpleNamespace, at: datetime, *, ended: bool = True) -> Any:
    grant = make_grant(p.claimant, make_adviser(f"Contact {_id()[:8]}"), now=at - timedelta(days=1))
    if ended:
        grants.revoke(grant, signer=signer(), by=f"claimant:{p.claimant.id}", now=at)
    db.session.add(
        ContactAddress(
            grant_id=grant.id,
            claimant_id=p.claimant.id,
            channel="email",
            address="sam@relative.test",
            created_at=at - timedelta(days=1),
        )
    )
    return grant.id


def caller_checks(p: SimpleNamespace, at: datetime) -> Any:
    row = CallerCheck(
        claimant_id=p.claimant.id,
        caller_key=f"staff:{p.staff.id}",
        caller_name="Jordan Lee",
        organisation="DWP",
        started_by=f"staff:{p.staff.id}",
        code="1234",
        started_at=at - timedelta(minutes=5),
        expires_at=at,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def push_deliveries(
    p: SimpleNamespace,
    at: datetime | None,
    *,
    notice_id: str | None = None,
    item_notice_id: str | None = None,
) -> Any:
    row = PushDelivery(
        id=_id(),
        notice_id=notice_id,
        item_notice_id=item_notice_id,
        claimant_id=p.claimant.id,
        grant_id=p.grant.id,
        client_id=CLIENT,
        token_id="",
        action="decision.push",
        resource="mr_decision:x",
        endpoint="https://case.test/events",
        token="header.payload.signature",
        next_attempt_at=at or clock.now(),
        delivered_at=at,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def outbox(p: SimpleNamespace, at: datetime, *, waiting: str | None = None) -> Any:
    """A message sent at `at` (its deliveries sent), or with one delivery still `waiting`:
    queued (the message is not sent yet) or print_due (a letter staff must still print, which
    the sending marks done all the same: notify.mark_sent waits only for queued ones)."""
    row = OutboxMessage(
        dedupe_key=_id(),
        account_id=p.claimant.id,
        kind="reminder",
        body="Your adviser's access ends soon.",
        created_at=at - timedelta(minutes=1),
        sent_at=None if waiting == "queued" else at,
    )
    db.session.add(row)
    db.session.flush()
    for channel, status in (("inbox", "sent"), ("email", waiting or "sent")):
        db.session.add(
            Delivery(
                message_id=row.id,
                channel=channel,
                status=status,
                created_at=row.created_at,
                sent_at=None if status != "sent" else at,
            )
        )
    return row.id


def _watch(p: SimpleNamespace, ended_at: datetime | None) -> MRDecisionWatch:
    watch = MRDecisionWatch(
        grant_id=p.grant.id,
        claimant_id=p.claimant.id,
        client_id=_id(),  # one live watch per grant and client
        token_id=_id(),
        created_at=(ended_at or clock.now()) - timedelta(days=30),
        ended_at=ended_at,
        end_reason="grant_ended" if ended_at else None,
    )
    db.session.add(watch)
    db.session.flush()
    return watch


def mr_decision_notices(p: SimpleNamespace, at: datetime, *, live: bool = False) -> Any:
    watch = _watch(p, None if live else clock.now())
    row = MRDecisionNotice(
        watch_id=watch.id,
        decision_id=p.decision.id,
        adviser_id=p.adviser.id,
        channel="console",
        created_at=at,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def mr_decision_watches(p: SimpleNamespace, at: datetime) -> Any:
    return _watch(p, at).id


def _item_watch(p: SimpleNamespace, ended_at: datetime | None) -> ItemWatch:
    watch = ItemWatch(
        grant_id=p.grant.id,
        claimant_id=p.claimant.id,
        topic="todos",
        client_id=_id(),  # one live watch per grant, client and topic
        token_id=_id(),
        created_at=(ended_at or clock.now()) - timedelta(days=30),
        ended_at=ended_at,
        end_reason="grant_ended" if ended_at else None,
    )
    db.session.add(watch)
    db.session.flush()
    return watch


def item_notices(p: SimpleNamespace, at: datetime, *, live: bool = False) -> Any:
    watch = _item_watch(p, None if live else clock.now())
    row = ItemNotice(
        watch_id=watch.id,
        item_id=_id(),
        kind="overdue",
        dated=at,
        adviser_id=p.adviser.id,
        channel="console",
        created_at=at,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def item_watches(p: SimpleNamespace, at: datetime) -> Any:
    return _item_watch(p, at).id


def mr_drafts(p: SimpleNamespace, at: datetime, status: str = "declined") -> Any:
    row = MRDraft(
        claimant_id=p.claimant.id,
        grant_id=p.grant.id,
        token_id=_id(),
        client_id=CLIENT,
        author_name="Priya Shah",
        decision_about="Limited capability for work",
        reasons="They cannot work.",
        status=status,
        created_at=at - timedelta(days=1),
        expires_at=at + timedelta(days=6) if status == "pending" else at,
        decided_at=at if status in ("approved", "declined") else None,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def account_events(p: SimpleNamespace, at: datetime) -> Any:
    row = AccountEvent(account_id=p.claimant.id, action="passkey.added", occurred_at=at)
    db.session.add(row)
    db.session.flush()
    return row.id


MAKERS: dict[str, Callable[..., Any]] = {
    maker.__name__: maker
    for maker in (
        attempts,
        sessions,
        authorization_codes,
        device_authorizations,
        external_link_codes,
        dpop_proofs,
        passkey_challenges,
        logout_token_uses,
        access_tokens,
        refresh_tokens,
        invitations,
        contact_requests,
        contact_addresses,
        caller_checks,
        push_deliveries,
        outbox,
        mr_decision_notices,
        mr_decision_watches,
        item_notices,
        item_watches,
        mr_drafts,
        account_events,
    )
}
