"""Tables only. The rules that change rows live in the domain modules (grants, tokens, audit...)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    orm,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .db import UTCDateTime, new_id
from .extensions import db

UUID_LEN = 36


def uuid_pk() -> Mapped[str]:
    return mapped_column(String(UUID_LEN), primary_key=True, default=new_id)


class Organisation(db.Model):
    """An advice agency (issue 25): what kind it is, the regulator or quality mark it holds,
    the prefix of its advisers' codes, and whether the broker's admin has suspended it."""

    __tablename__ = "organisations"
    id: Mapped[str] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    # Migration 0022 (broker/people/organisations.py says what each may hold).
    kind: Mapped[str] = mapped_column(String(30), default="other", server_default="other")
    mark_scheme: Mapped[str | None] = mapped_column(String(20))
    mark_number: Mapped[str | None] = mapped_column(String(40))
    code_prefix: Mapped[str | None] = mapped_column(String(6))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Account(db.Model):
    """Anyone who signs in: a claimant, an adviser or a DWP staff member (the role says which)."""

    __tablename__ = "accounts"
    id: Mapped[str] = uuid_pk()
    username: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # claimant | adviser | staff | admin
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Migration 0004: what is new for a claimant is what happened since their last sign-in.
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Claimant(db.Model):
    __tablename__ = "claimants"
    id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("claimants.id"))
    additional_support: Mapped[str | None] = mapped_column(Text)
    # Migration 0020: the UK mobile number DWP's systems gave (POST /api/v1/staff/claimants).
    # Messages go to it until the claimant chooses their own (contact_preferences.mobile).
    mobile: Mapped[str | None] = mapped_column(String(20))
    account: Mapped[Account] = orm.relationship(lazy="joined")

    @property
    def name(self) -> str:
        return self.account.name


class Adviser(db.Model):
    __tablename__ = "advisers"
    id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    # The short code an adviser's organisation shows to claimants; it names, it does not authorise.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    account: Mapped[Account] = orm.relationship(lazy="joined")
    organisation: Mapped[Organisation] = orm.relationship(lazy="joined")
    # Migration 0012: how a watched decision reaches them (broker/casework/watches.py): email |
    # console.
    tell_by: Mapped[str] = mapped_column(String(10), default="email", server_default="email")
    # Migration 0022 (issue 25): an adviser who administers their organisation (invites and
    # suspends its advisers), and when their organisation suspended them.
    is_org_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def held(self) -> bool:
        """Suspended, by their organisation or with it (issue 25): their grants stay stopped and
        they are given no new access. The one reading of it, for people and consent alike."""
        return self.suspended_at is not None or self.organisation.suspended_at is not None

    @property
    def name(self) -> str:
        return self.account.name


class StaffMember(db.Model):
    __tablename__ = "staff_members"
    id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    team: Mapped[str] = mapped_column(String(200), default="")
    account: Mapped[Account] = orm.relationship(lazy="joined")

    @property
    def name(self) -> str:
        return self.account.name


class Grant(db.Model):
    """A claimant's consent: who may see or do what, why, and until when. The only authority."""

    __tablename__ = "grants"
    id: Mapped[str] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(20), default="access")  # access | contact
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    adviser_id: Mapped[str | None] = mapped_column(ForeignKey("advisers.id"), index=True)
    # For consent recorded by phone the representative may have no adviser account.
    representative_name: Mapped[str] = mapped_column(String(200))
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    client_id: Mapped[str | None] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(Text)  # space-separated, catalogue order
    purpose: Mapped[str] = mapped_column(Text)
    relationship: Mapped[str] = mapped_column(String(200))
    information: Mapped[str] = mapped_column(Text, default="")
    authorization_details: Mapped[str | None] = mapped_column(Text)  # RFC 9396, JSON
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(
        String(20), default="claimant"
    )  # claimant | staff | oauth
    recorded_by_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff_members.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(200))
    end_reason: Mapped[str | None] = mapped_column(Text)
    # Migration 0003: who suspended it, for the staff banner.
    suspended_by_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff_members.id"))
    # Migration 0006: who the consent is with (grants.relationship_key); at most one live
    # access grant per claimant and key, enforced by the partial unique index below.
    relationship_key: Mapped[str | None] = mapped_column(String(300))
    # Migration 0015: access that ends when the case does (broker/consent/case_tied.py).
    until_event: Mapped[str | None] = mapped_column(String(20))
    event_decision_id: Mapped[str | None] = mapped_column(ForeignKey("mr_decisions.id"))
    # Migration 0013 (issue 16): the date window on what the grant lets them see, UK days,
    # inclusive; None is open at that end (broker/consent/windows.py).
    date_from: Mapped[date | None] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    # Migration 0014: an adviser's write under this consent waits as a draft for the claimant.
    check_before_send: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )

    claimant: Mapped[Claimant] = orm.relationship(lazy="joined")
    adviser: Mapped[Adviser | None] = orm.relationship(lazy="joined")
    recorded_by_staff: Mapped[StaffMember | None] = orm.relationship(
        foreign_keys=[recorded_by_staff_id]
    )
    suspended_by_staff: Mapped[StaffMember | None] = orm.relationship(
        foreign_keys=[suspended_by_staff_id]
    )

    # Issue 23: when the representative was told that the review date passed unconfirmed.
    review_due_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Migration 0022 (issue 25): suspended because the adviser's organisation suspended them
    # ("adviser") or the broker's admin suspended the organisation ("organisation"), so that
    # resuming restarts only these, never a suspension DWP made.
    agency_hold: Mapped[str | None] = mapped_column(String(20))

    @property
    def scope_names(self) -> tuple[str, ...]:
        return tuple(self.scopes.split())


Index("ix_grants_claimant_status", Grant.claimant_id, Grant.status)
LIVE_GRANT = Grant.status.in_(("active", "suspended", "pending"))
Index(
    "uq_grants_live_relationship",
    Grant.claimant_id,
    Grant.relationship_key,
    unique=True,
    sqlite_where=LIVE_GRANT,
    postgresql_where=LIVE_GRANT,
)


class AccessToken(db.Model):
    """An issued JWT access token, by its jti only: the token itself is never stored."""

    __tablename__ = "access_tokens"
    jti: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    refresh_family_id: Mapped[str | None] = mapped_column(String(UUID_LEN), index=True)
    scopes: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Migration 0025: retention finds expired tokens by this (broker/retention.py).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))  # migration 0016: the bound key


class RefreshToken(db.Model):
    """An opaque refresh token, stored as its SHA-256; one row per rotation, grouped by family."""

    __tablename__ = "refresh_tokens"
    id: Mapped[str] = uuid_pk()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # migration 0025
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))  # migration 0016: public clients'


class OAuthClient(db.Model):
    """A registered OAuth client (an organisation's case system, or the broker's own console)."""

    __tablename__ = "oauth_clients"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the client_id
    secret_hash: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    redirect_uris: Mapped[str] = mapped_column(Text, default="")  # one per line, exact match
    allowed_scopes: Mapped[str] = mapped_column(Text, default="")
    grant_types: Mapped[str] = mapped_column(Text, default="")
    token_endpoint_auth_method: Mapped[str] = mapped_column(
        String(40), default="client_secret_basic"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Migration 0012: where Security Event Tokens are pushed (RFC 8935); HTTPS only.
    push_endpoint: Mapped[str | None] = mapped_column(Text)
    # Migration 0016: RFC 9449 5.2 dpop_bound_access_tokens, only DPoP-bound tokens.
    require_dpop: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class AuthorizationCode(db.Model):
    __tablename__ = "authorization_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"))
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"))
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dpop_jkt: Mapped[str | None] = mapped_column(String(64))  # migration 0016: RFC 9449 10


class DeviceAuthorization(db.Model):
    """An RFC 8628 request: an adviser asks, the claimant approves with the user code."""

    __tablename__ = "device_authorizations"
    id: Mapped[str] = uuid_pk()
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"))
    adviser_id: Mapped[str | None] = mapped_column(ForeignKey("advisers.id"))
    scopes: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text, default="")
    relationship: Mapped[str] = mapped_column(String(200), default="")
    duration_days: Mapped[int] = mapped_column(Integer, default=92)
    authorization_details: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # pending|approved|denied|used
    claimant_id: Mapped[str | None] = mapped_column(ForeignKey("claimants.id"))
    grant_id: Mapped[str | None] = mapped_column(ForeignKey("grants.id"))
    interval: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Migration 0022 (issue 25): an organisation's request that a client move their consent from
    # an adviser who is leaving to a colleague: only that claimant may answer it, and saying yes
    # ends the grant it moves.
    for_claimant_id: Mapped[str | None] = mapped_column(ForeignKey("claimants.id"))
    moves_grant_id: Mapped[str | None] = mapped_column(ForeignKey("grants.id"))


class AuditEvent(db.Model):
    """One request a token made, or one change to consent, chained per claimant by SHA-256."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    claimant_id: Mapped[str] = mapped_column(String(UUID_LEN))
    seq: Mapped[int] = mapped_column(BigInteger)
    occurred_us: Mapped[int] = mapped_column(BigInteger)  # microseconds since the epoch, UTC
    token_id: Mapped[str] = mapped_column(String(UUID_LEN), default="")
    grant_id: Mapped[str] = mapped_column(String(UUID_LEN), default="")
    actor: Mapped[str] = mapped_column(String(200))  # "adviser:<id>", "claimant:<id>", "staff:<id>"
    action: Mapped[str] = mapped_column(String(60))
    resource: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(40))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (
        UniqueConstraint("claimant_id", "seq", name="uq_audit_events_claimant_seq"),
        Index("ix_audit_events_grant", "grant_id", "seq"),
        Index("ix_audit_events_token", "token_id"),
    )


class AuditHead(db.Model):
    """The last link of one claimant's chain; locked by each append so writers queue."""

    __tablename__ = "audit_heads"
    claimant_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The seq the latest checkpoint signed, set by the checkpointer only: the chains whose head
    # moved since are found through a partial index, without reading every claimant's head.
    # Untrusted (verify-audit compares with checkpoint_leaves, not this).
    sealed_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (
        Index(
            "ix_audit_heads_unsealed",
            "claimant_id",
            postgresql_where=text("seq <> sealed_seq"),
            sqlite_where=text("seq <> sealed_seq"),
        ),
    )


class JournalEntry(db.Model):
    """A message in the claimant's journal. Immutable once written."""

    __tablename__ = "journal_entries"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default="message")  # message | mr_request
    author_role: Mapped[str] = mapped_column(
        String(20)
    )  # claimant | work_coach | adviser | case_manager
    author_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    token_id: Mapped[str | None] = mapped_column(String(UUID_LEN))  # set when an adviser wrote it
    grant_id: Mapped[str | None] = mapped_column(String(UUID_LEN))


class MRDecision(db.Model):
    """A Mandatory Reconsideration decision notice, as uploaded to the journal."""

    __tablename__ = "mr_decisions"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(40))  # changed | not_changed | partly_changed
    body: Mapped[str] = mapped_column(Text)


class Todo(db.Model):
    __tablename__ = "todos"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class Payment(db.Model):
    __tablename__ = "payments"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amount_pence: Mapped[int] = mapped_column(Integer)


class Attempt(db.Model):
    """A counted attempt (a failed sign-in, a wrong user code), shared by every worker."""

    __tablename__ = "attempts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Migration 0025: at alone, for retention's deletes.
    __table_args__ = (Index("ix_attempts_key_at", "key", "at"), Index("ix_attempts_at", "at"))


class UserSession(db.Model):
    """A signed-in session (security.md 27): the cookie holds a random ID, this row its SHA-256.

    Sign-out, "sign out everywhere else" and "stop all access" set ended_at; idle and absolute
    limits are computed from last_seen_at and created_at at each request
    (broker/people/sessions.py).
    """

    __tablename__ = "sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # migration 0025
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    user_agent: Mapped[str] = mapped_column(String(100), default="")
    # Flask-WTF's secret for this session's CSRF tokens: new with every session, gone with it.
    csrf_secret: Mapped[str] = mapped_column(String(64))
    # The sign-in before this one: what is new for a claimant (news.py) is counted from it.
    news_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Messages flashed for the next page (JSON), kept here so the cookie holds only the ID.
    flashes: Mapped[str | None] = mapped_column(Text)


class PinnedNote(db.Model):
    __tablename__ = "pinned_notes"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_by_staff_id: Mapped[str] = mapped_column(ForeignKey("staff_members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unpinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(db.Model):
    """A reminder or notice waiting to be sent; `dedupe_key` makes queuing idempotent."""

    __tablename__ = "outbox"
    id: Mapped[str] = uuid_pk()
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    grant_id: Mapped[str | None] = mapped_column(ForeignKey("grants.id"))
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Migration 0003: failed sends are retried a few times, then left for a person to look at.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


class StaffApiKey(db.Model):
    """A credential for a DWP staff system calling /api/v1/staff: stored as its SHA-256 only."""

    __tablename__ = "staff_api_keys"
    id: Mapped[str] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))  # the system that holds it
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobLock(db.Model):
    """A lease on a background job (the scheduler, the sweep, the checkpoint): overlapping runs
    never both act."""

    __tablename__ = "job_locks"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JobRun(db.Model):
    """A scheduled job's record (issue 26, broker/scheduler.py): when it last started, last
    succeeded and how long that took, and its last error (cleared by the next success)."""

    __tablename__ = "job_runs"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SigningKeyRow(db.Model):
    """One of the broker's ES256 signing keys (issue 26, broker/chain/keyring.py): its public JWK,
    its private half sealed with AES-GCM under BROKER_KEY_ENCRYPTION_KEY (None for a retired key
    imported from retired-keys.json, or once erased after retiring), when it was published in
    the JWKS, the instant it starts signing, and the instant it stopped (its successor's)."""

    __tablename__ = "signing_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)  # RFC 7638 thumbprint
    public_jwk: Mapped[str] = mapped_column(Text)
    private_key: Mapped[bytes | None] = mapped_column(LargeBinary)  # nonce + AES-GCM ciphertext
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signs_from: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# Migration 0003: the sweep finds grants by status and date, and drains unsent messages in order.
Index("ix_grants_status_ends_at", Grant.status, Grant.ends_at)
Index("ix_grants_status_review_at", Grant.status, Grant.review_at)
Index("ix_outbox_unsent", OutboxMessage.sent_at, OutboxMessage.created_at)


class AuditCheckpoint(db.Model):
    """A signed checkpoint of every claimant's audit chain (broker/chain/checkpoints.py).
    Append-only: each names the hash of the one before, and the broker never updates or deletes
    one."""

    __tablename__ = "audit_checkpoints"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tree_size: Mapped[int] = mapped_column(Integer)
    event_count: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))  # SHA-256 of the JWS below
    jws: Mapped[str] = mapped_column(Text)


class CheckpointLeaf(db.Model):
    """Each chain's head as the latest checkpoint signed it: where the next checkpoint carries on
    from, and what verify-audit compares the chains with. Untrusted: only the signed root is."""

    __tablename__ = "checkpoint_leaves"
    claimant_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    tag_head: Mapped[bytes] = mapped_column(LargeBinary(32))
    checkpoint_seq: Mapped[int] = mapped_column(Integer)
    idx: Mapped[int] = mapped_column(BigInteger, unique=True)  # its place in the tree, for good


class CheckpointLeafVersion(db.Model):
    """Each leaf as each checkpoint signed it (only the changed ones): a statement covers the
    chain up to the checkpoint after its holder's access ended, however far it has moved since."""

    __tablename__ = "checkpoint_leaf_versions"
    claimant_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    checkpoint_seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    tag_head: Mapped[bytes] = mapped_column(LargeBinary(32))


class CheckpointNode(db.Model):
    """The latest checkpoint's Merkle tree, every node kept (level 0: leaf hashes), so the next
    checkpoint rehashes only the changed leaves' paths (broker/chain/merkle.py `update`)."""

    __tablename__ = "checkpoint_nodes"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Receipt(db.Model):
    """A signed consent receipt for one change to a grant (broker/consent/receipts.py)."""

    __tablename__ = "receipts"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    event: Mapped[str] = mapped_column(String(20))  # receipts.GIVEN, REVIEWED...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    jws: Mapped[str] = mapped_column(Text)


class SignedDocument(db.Model):
    """A signed document anyone can check at /verify (issue 27): an MR decision notice, a proof
    of lodging or an evidence bundle (broker/proof/documents.py; what each shows:
    document_kinds.py). `code_key` is the SHA-256 of its check code, never the code."""

    __tablename__ = "signed_documents"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # a key of document_kinds.KINDS
    subject: Mapped[str] = mapped_column(String(120))  # what it is of: "mr_decision:<id>"
    code_key: Mapped[str] = mapped_column(String(64), unique=True)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the JWS, as the audit names it
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    audit_seq: Mapped[int] = mapped_column(Integer)  # the claimant's event that records it
    jws: Mapped[str] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("claimant_id", "kind", "subject"),)


class CallerCheck(db.Model):
    """A caller check (seed 002): who says they are calling the claimant, with the code they
    read out, shown on the claimant's phone for a few minutes (broker/casework/caller_checks.py)."""

    __tablename__ = "caller_checks"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"))
    # Who started it, for the start limit and replacing: "staff:<id>", "adviser:<id>",
    # "staff-system:<key id>:<hash of the caller's name>".
    caller_key: Mapped[str] = mapped_column(String(300))
    caller_name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    started_by: Mapped[str] = mapped_column(String(200))  # the audit actor
    # Kept as it is: the claimant's phone must show it. Never logged, never in the audit chain.
    code: Mapped[str] = mapped_column(String(4))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))  # expired | replaced | spent
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # "not genuine"
    # The two-way check (issue 27): the second code, which the claimant reads to the caller and
    # the caller types in. Like `code`: on the claimant's phone only, never logged or audited.
    # None on checks started before it existed.
    answer_code: Mapped[str | None] = mapped_column(String(4))
    wrong_answers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_caller_checks_claimant_caller", "claimant_id", "caller_key", "started_at"),
        Index("ix_caller_checks_open", "ended_at", "expires_at"),
    )


class ContactPreference(db.Model):
    """How a claimant wants each kind of message (issue 15): channels, space-separated, per kind.
    A claimant with no row gets notify-side defaults (broker/messages/contact.py)."""

    __tablename__ = "contact_preferences"
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), primary_key=True)
    reminders: Mapped[str] = mapped_column(String(60))
    access_notices: Mapped[str] = mapped_column(String(60))
    letters: Mapped[str] = mapped_column(String(60))
    mobile: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(db.Model):
    """One outbox message on one channel (inbox, email, sms, post), with its proof of delivery:
    when it was sent, delivered (the channel's receipt) or failed, and opened in the inbox.

    Migration 0018: a claimant's message may also be copied to their nominated contact
    (recipient "contact", broker/messages/nominated.py), one delivery of its own on the contact's
    channel.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint(
            "message_id", "channel", "recipient", name="uq_deliveries_message_channel_recipient"
        ),
    )
    id: Mapped[str] = uuid_pk()
    message_id: Mapped[str] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))  # queued|sent|delivered|failed|print_due
    address: Mapped[str] = mapped_column(String(200), default="")  # email or mobile, as sent
    language: Mapped[str] = mapped_column(String(5), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_reference: Mapped[str | None] = mapped_column(String(100), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(
        String(10), default="claimant", server_default="claimant"
    )  # claimant | contact
    contact_grant_id: Mapped[str | None] = mapped_column(ForeignKey("grants.id"))


Index("ix_deliveries_queued", Delivery.status, Delivery.created_at)


class ContactAddress(db.Model):
    """Where a nominated contact's copies go (migration 0018, broker/messages/nominated.py): an
    email address or a UK mobile, confirmed by a 6-digit code before anything else is sent to it,
    and which kinds of the claimant's messages (broker/messages/contact.py KINDS) they get a copy
    of."""

    __tablename__ = "contact_addresses"
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), primary_key=True)
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    address: Mapped[str] = mapped_column(String(200))
    kinds: Mapped[str] = mapped_column(String(60), default="")  # space-separated
    code_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the code sent
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactRequest(db.Model):
    """A relative or friend asks to be a claimant's nominated contact (migration 0018,
    broker/messages/contact_requests.py): their address confirmed by a 6-digit code, then a short
    code they give the claimant, who approves it on their phone, or says no."""

    __tablename__ = "contact_requests"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    address: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="en")
    code_hash: Mapped[str | None] = mapped_column(String(64))  # the address's 6-digit code
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_code_hash: Mapped[str | None] = mapped_column(String(64))  # the claimant's short code
    status: Mapped[str] = mapped_column(String(12))  # unconfirmed | waiting | approved | declined
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # waiting since
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(200))
    grant_id: Mapped[str | None] = mapped_column(ForeignKey("grants.id"))


Index("ix_contact_requests_status_confirmed", ContactRequest.status, ContactRequest.confirmed_at)


class MRDecisionWatch(db.Model):
    """A watch for "Tell me when a decision arrives", set under a grant by a token (the adviser
    console's, or a case system's, which is then pushed a Security Event Token); ends with the
    grant."""

    __tablename__ = "mr_decision_watches"
    id: Mapped[str] = uuid_pk()
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    token_id: Mapped[str] = mapped_column(String(UUID_LEN))  # the token that set it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))


LIVE_WATCH = MRDecisionWatch.ended_at.is_(None)
Index(
    "uq_mr_decision_watches_live",
    MRDecisionWatch.grant_id,
    MRDecisionWatch.client_id,
    unique=True,
    sqlite_where=LIVE_WATCH,
    postgresql_where=LIVE_WATCH,
)


class MRDecisionNotice(db.Model):
    """One decision told under one watch: a read of the decision, audited when it was made."""

    __tablename__ = "mr_decision_notices"
    id: Mapped[str] = uuid_pk()
    watch_id: Mapped[str] = mapped_column(ForeignKey("mr_decision_watches.id"), index=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("mr_decisions.id"))
    adviser_id: Mapped[str | None] = mapped_column(ForeignKey("advisers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | console | push
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("watch_id", "decision_id", name="uq_mr_decision_notices_watch_decision"),
    )


class PushDelivery(db.Model):
    """A Security Event Token waiting to be POSTed to a case system (RFC 8935), with its tries:
    a decision's (with its notice) or an OpenID CAEP event about a grant (issue 23). It names
    what each try is audited as, on whose chain."""

    __tablename__ = "push_deliveries"
    id: Mapped[str] = uuid_pk()  # the SET's jti
    notice_id: Mapped[str | None] = mapped_column(ForeignKey("mr_decision_notices.id"), unique=True)
    # A to-do's or payment's event (issue 27); asked again through the rule as it is sent.
    item_notice_id: Mapped[str | None] = mapped_column(ForeignKey("item_notices.id"), unique=True)
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"))
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    token_id: Mapped[str] = mapped_column(String(64))  # "" when no token set it going
    action: Mapped[str] = mapped_column(String(40))
    resource: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(Text)  # the signed SET, sent again as it is on a retry
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


Index("ix_push_deliveries_due", PushDelivery.delivered_at, PushDelivery.next_attempt_at)


class ItemWatch(db.Model):
    """A watch on a claimant's to-dos or payments (issue 27 item 5), set under a grant by a
    token like an MR decision watch; ends with the grant (broker/casework/item_watches.py)."""

    __tablename__ = "item_watches"
    id: Mapped[str] = uuid_pk()
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    topic: Mapped[str] = mapped_column(String(10))  # todos | payments
    client_id: Mapped[str] = mapped_column(String(64))
    token_id: Mapped[str] = mapped_column(String(UUID_LEN))  # the token that set it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))


LIVE_ITEM_WATCH = ItemWatch.ended_at.is_(None)
Index(
    "uq_item_watches_live",
    ItemWatch.grant_id,
    ItemWatch.client_id,
    ItemWatch.topic,
    unique=True,
    sqlite_where=LIVE_ITEM_WATCH,
    postgresql_where=LIVE_ITEM_WATCH,
)


class ItemNotice(db.Model):
    """One event (a to-do due soon or overdue, a payment lower or missing) told under one
    watch, once: the unique key is the watch, the to-do or payment, and the kind of event."""

    __tablename__ = "item_notices"
    id: Mapped[str] = uuid_pk()
    watch_id: Mapped[str] = mapped_column(ForeignKey("item_watches.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(UUID_LEN))  # a to-do's or a payment's ID
    kind: Mapped[str] = mapped_column(String(20))  # due_soon | overdue | lower | missing
    dated: Mapped[datetime] = mapped_column(UTCDateTime)  # what the window is asked about
    adviser_id: Mapped[str | None] = mapped_column(ForeignKey("advisers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | console | push
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("watch_id", "item_id", "kind", name="uq_item_notices_watch_item_kind"),
    )


class MRDraft(db.Model):
    """An adviser's MR request waiting for the claimant to send it or not (migration 0014):
    what would be lodged, the token that wrote it, and what became of it."""

    __tablename__ = "mr_drafts"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    token_id: Mapped[str] = mapped_column(String(UUID_LEN))
    client_id: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200))
    decision_about: Mapped[str] = mapped_column(String(150))
    reasons: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # pending | approved | declined | expired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[str | None] = mapped_column(String(UUID_LEN))  # the lodged journal entry
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the claimant's message


Index("ix_mr_drafts_status_expires", MRDraft.status, MRDraft.expires_at)


class DpopProof(db.Model):
    """A DPoP proof seen (RFC 9449 11.1), by the hash of its key and jti, kept until it is too
    old to be accepted anyway: a second use is refused in every worker."""

    __tablename__ = "dpop_proofs"
    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Passkey(db.Model):
    """A WebAuthn credential someone signs in with (migration 0017, broker/people/passkeys.py)."""

    __tablename__ = "passkeys"
    id: Mapped[str] = uuid_pk()
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(60))
    transports: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasskeyChallenge(db.Model):
    """A WebAuthn challenge the broker issued: only its hash is kept, it is used at most once
    and only before it expires (migration 0017)."""

    __tablename__ = "passkey_challenges"
    id: Mapped[str] = uuid_pk()
    challenge_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(10))  # register | sign-in | invitation
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordSignInOff(db.Model):
    """Present while this account has turned password sign-in off (migration 0017)."""

    __tablename__ = "password_sign_in_off"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountEvent(db.Model):
    """An account's own sign-in security history: passkeys added, used, removed, refused,
    password sign-in turned off or on (migration 0017)."""

    __tablename__ = "account_events"
    id: Mapped[str] = uuid_pk()
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(String(200), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Invitation(db.Model):
    """An organisation admin's invitation to an adviser (issue 25): a one-time link, kept only
    as its SHA-256, used at most once and only before it expires."""

    __tablename__ = "invitations"
    id: Mapped[str] = uuid_pk()
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(200))  # "adviser:<id>", "admin:<id>", "cli"
    as_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    adviser_id: Mapped[str | None] = mapped_column(ForeignKey("advisers.id"))


class ExternalIdentity(db.Model):
    """A person at an OpenID Connect provider (GOV.UK One Login, DWP's staff sign-in) linked to
    the account they sign in to here (migration 0021, broker/people/external_sign_in.py)."""

    __tablename__ = "external_identities"
    id: Mapped[str] = uuid_pk()
    issuer: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("issuer", "subject"),)


class ExternalLinkCode(db.Model):
    """A 6-digit code sent to a claimant's own contact details so that a One Login identity
    whose email matched nobody can be linked to them: only its SHA-256 is kept, for 15 minutes,
    and it links only the identity it was made for (migration 0021)."""

    __tablename__ = "external_link_codes"
    id: Mapped[str] = uuid_pk()
    issuer: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(255))
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExternalSession(db.Model):
    """The provider's session (`sid`) a session here was started from, so that a back-channel
    logout naming only the `sid` ends it (migration 0021)."""

    __tablename__ = "external_sessions"
    session_hash: Mapped[str] = mapped_column(
        ForeignKey("sessions.id_hash", ondelete="CASCADE"), primary_key=True
    )
    issuer: Mapped[str] = mapped_column(String(200))
    sid: Mapped[str] = mapped_column(String(255))

    __table_args__ = (Index("ix_external_sessions_issuer_sid", "issuer", "sid"),)


class LogoutTokenUse(db.Model):
    """A back-channel logout token's `jti` (hashed with its issuer), kept until the token
    expires so that a replay is refused (migration 0021)."""

    __tablename__ = "logout_token_uses"
    jti_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Dispute(db.Model):
    """A claimant's "This wasn't right" on one line of their history (issue 27 item 3): their
    words, whether it paused the grant the line is about, and staff's outcome (migration 0028).
    Kept for the broker's life, like the audit line it is about (docs/retention.md)."""

    __tablename__ = "disputes"
    id: Mapped[str] = uuid_pk()
    claimant_id: Mapped[str] = mapped_column(ForeignKey("claimants.id"), index=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("audit_events.id")
    )
    grant_id: Mapped[str | None] = mapped_column(ForeignKey("grants.id"))
    words: Mapped[str] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)  # did opening it pause the grant
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))  # resumed | stopped | passed_on
    closed_by_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff_members.id"))
    receipt: Mapped[str | None] = mapped_column(Text)  # the signed outcome (compact JWS)

    __table_args__ = (Index("ix_disputes_event", "event_id"),)
