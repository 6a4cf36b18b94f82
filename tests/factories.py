"""Test data, built through the same domain functions the app uses."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask import current_app

from broker import clock, services
from broker.consent import grants
from broker.consent.windows import Window
from broker.extensions import db
from broker.models import (
    Adviser,
    AuditEvent,
    Claimant,
    Grant,
    JournalEntry,
    MRDecision,
    Organisation,
    OutboxMessage,
    StaffMember,
)
from broker.oauth.tokens import TokenService
from broker.people import accounts, staff_keys

PASSWORD = "pw-for-tests"
_counter = itertools.count(1)


def bound() -> services.Services:
    """The services the app under test was built with (its keys, issuer and password hasher)."""
    return services.of(current_app)


def make_claimant(name: str = "Casey Claimant", partner: Claimant | None = None) -> Claimant:
    n = next(_counter)
    claimant = accounts.create_claimant(
        f"claimant{n}@example.com",
        PASSWORD,
        name,
        f"UC-{n:04d}-TT",
        clock.now(),
        partner=partner,
        hasher=bound().hasher,
    )
    db.session.commit()
    return claimant


def make_adviser(name: str = "Avery Adviser", organisation: str = "Test Advice Centre") -> Adviser:
    n = next(_counter)
    org = Organisation(name=organisation)
    db.session.add(org)
    db.session.flush()
    adviser = accounts.create_adviser(
        f"adviser{n}@example.org",
        PASSWORD,
        name,
        org,
        f"TST-{n:04d}",
        clock.now(),
        hasher=bound().hasher,
    )
    db.session.commit()
    return adviser


def make_staff(name: str = "Sid Staff") -> StaffMember:
    n = next(_counter)
    staff = accounts.create_staff(
        f"staff{n}@dwp.example", PASSWORD, name, "Test team", clock.now(), hasher=bound().hasher
    )
    db.session.commit()
    return staff


def make_admin() -> str:
    """An admin account (they register clients); its username."""
    account = accounts.create_account(
        "robin@broker.example", PASSWORD, "admin", "Robin Admin", clock.now(), hasher=bound().hasher
    )
    db.session.commit()
    return account.username


def make_people() -> SimpleNamespace:
    """The usual three: Alex Morgan, their adviser Priya Shah (Northside Citizens Advice), and
    Jordan Lee of DWP."""
    return SimpleNamespace(
        claimant=make_claimant("Alex Morgan"),
        adviser=make_adviser("Priya Shah", "Northside Citizens Advice"),
        staff=make_staff("Jordan Lee"),
    )


def make_staff_key(name: str = "Case management system") -> str:
    """A staff system's API key, committed: the plain key, which is never stored."""
    _row, plain = staff_keys.create(name, now=clock.now())
    db.session.commit()
    return plain


def make_grant(
    claimant: Claimant,
    adviser: Adviser,
    scope_names: str = "mr:read journal:read",
    months: int = 3,
    now: datetime | None = None,
    *,
    check_before_send: bool = False,
    purpose: str = "Help with an appeal",
    relationship: str = "Welfare rights adviser",
    until_event: str | None = None,
    window: Window | None = None,
) -> Grant:
    """Consent the claimant gave the adviser themselves (online), committed."""
    now = now or clock.now()
    grant = grants.give(
        claimant,
        grants.Representative.of(adviser),
        scope_names=scope_names,
        ends_at=grants.add_months(now, months),
        purpose=purpose,
        relationship=relationship,
        now=now,
        signer=signer(),
        check_before_send=check_before_send,
        until_event=until_event,
        window=window,
    )
    db.session.commit()
    return grant


def record_by_phone(
    claimant: Claimant,
    representative: Adviser | grants.Representative,
    *,
    staff: StaffMember | None = None,
    scope_names: str | tuple[str, ...] = "mr:read",
    purpose: str = "Appeal",
    relationship: str = "Adviser",
    months: int = 3,
    review_months: int = grants.DEFAULT_REVIEW_MONTHS,
    kind: str = grants.ACCESS,
    now: datetime | None = None,
) -> Grant:
    """Consent the claimant gave DWP staff on a call (they agreed, and all five facts were
    given), committed. Without `staff`, a new staff member takes the call. The tests of the
    facts themselves (tests/staff/test_record_by_phone.py) call grants.record_by_phone."""
    if isinstance(representative, Adviser):
        representative = grants.Representative.of(representative)
    grant = grants.record_by_phone(
        claimant,
        representative,
        staff=staff or make_staff(),
        consented=True,
        scope_names=scope_names,
        purpose=purpose,
        relationship=relationship,
        months=months,
        review_months=review_months,
        kind=kind,
        now=now or clock.now(),
        signer=signer(),
    )
    db.session.commit()
    return grant


def issue_token(
    grant: Grant,
    client_id: str = "test-client",
    now: datetime | None = None,
    scope_names: tuple[str, ...] | None = None,
) -> tuple[str, str]:
    """(access token, jti) for this grant."""
    service = services.of(current_app).tokens
    token, row, _ = service.issue(
        grant, client_id=client_id, scopes=scope_names or grant.scope_names, now=now or clock.now()
    )
    jti = row.jti
    db.session.commit()
    return token, jti


def make_decision(claimant: Claimant, subject: str = "Limited capability for work") -> MRDecision:
    decision = MRDecision(
        claimant_id=claimant.id,
        decided_at=clock.now() - timedelta(days=2),
        subject=subject,
        outcome="not_changed",
        body="We have not changed it.",
    )
    db.session.add(decision)
    db.session.commit()
    return decision


def make_entry(
    claimant: Claimant,
    subject: str = "A message",
    sensitive: bool = False,
    *,
    created_at: datetime | None = None,
) -> JournalEntry:
    entry = JournalEntry(
        claimant_id=claimant.id,
        author_role="work_coach",
        author_name="Work coach",
        subject=subject,
        body="Body text",
        sensitive=sensitive,
        created_at=created_at or clock.now() - timedelta(days=1),
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def chain_events(
    claimant_id: str, like: str = "%", *fields: str
) -> list[AuditEvent] | list[tuple[object, ...]]:
    """The claimant's audit events whose action is `like` (`%` stands for any run of characters,
    nothing else is a wildcard), in chain order, as the database has them now: each event whole,
    or, when `fields` are named, the tuple of those fields."""
    db.session.expire_all()
    found = db.session.scalars(
        db.select(AuditEvent)
        .where(
            AuditEvent.claimant_id == claimant_id,
            AuditEvent.action.like(like.replace("_", r"\_"), escape="\\"),
        )
        .order_by(AuditEvent.seq)
    )
    if not fields:
        return list(found)
    return [tuple(getattr(event, field) for field in fields) for event in found]


def messages_to(account_id: str, kind: str | None = None) -> list[OutboxMessage]:
    """The messages queued for the account (of this kind, if one is named), oldest first, as
    the database has them now."""
    db.session.expire_all()
    query = db.select(OutboxMessage).where(OutboxMessage.account_id == account_id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query.order_by(OutboxMessage.created_at)))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signer() -> TokenService:
    """What signs a grant change's receipt in this app (its token service: key and issuer)."""
    return services.of(current_app).tokens
