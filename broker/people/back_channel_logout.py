"""A provider tells us its user signed out (OpenID Connect Back-Channel Logout 1.0): every
session of theirs here ends. The token was checked by broker/people/oidc.py; here its `jti` is
kept until it expires, so the same token never ends sessions twice (a replay is refused)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..extensions import db
from ..models import ExternalIdentity, ExternalSession, LogoutTokenUse, UserSession
from ..opaque import hash_secret
from . import sessions
from .oidc import LogoutClaims, TokenRefused

PROVIDER_LOGOUT = "provider"  # a session's end reason


def remember_session(session_hash: str, *, issuer: str, sid: object) -> None:
    """Keep the provider's session ID beside the session it started here; no commit."""
    if isinstance(sid, str) and sid:
        db.session.add(ExternalSession(session_hash=session_hash, issuer=issuer, sid=sid))
        db.session.flush()


def log_out(issuer: str, claims: LogoutClaims, *, now: datetime) -> int:
    """End the sessions the token names (by `sub`, every session of the linked account; by
    `sid`, those started from that provider session); how many ended. TokenRefused for a
    replayed `jti`. No commit."""
    jti_hash = hash_secret(f"{issuer}\n{claims.jti}")
    if db.session.get(LogoutTokenUse, jti_hash) is not None:
        raise TokenRefused("replayed")
    db.session.add(LogoutTokenUse(jti_hash=jti_hash, expires_at=claims.expires_at))
    db.session.flush()
    ended = 0
    if claims.subject is not None:
        account_id = db.session.scalar(
            select(ExternalIdentity.account_id).where(
                ExternalIdentity.issuer == issuer, ExternalIdentity.subject == claims.subject
            )
        )
        if account_id is not None:
            ended += sessions.end_others(account_id, keep=None, reason=PROVIDER_LOGOUT, now=now)
    if claims.sid is not None:
        hashes = select(ExternalSession.session_hash).where(
            ExternalSession.issuer == issuer, ExternalSession.sid == claims.sid
        )
        result = db.session.execute(
            update(UserSession)
            .where(UserSession.id_hash.in_(hashes), UserSession.ended_at.is_(None))
            .values(ended_at=now, end_reason=PROVIDER_LOGOUT)
        )
        ended += result.rowcount or 0
    return ended
