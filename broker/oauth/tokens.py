"""Access tokens (RFC 9068 JWTs signed with ES256 by the broker's current key), JWKS.

The keys come from the key ring (broker/chain/keyring.py): shared by every worker through the
database, each token signed with the key current at its `now`. An access token names its grant
(`grant_id`) and its token ID (`jti`); only the jti is stored, never the token.

Keys rotate without a restart (security.md 34, 75): the next key is published in
/.well-known/jwks.json before it signs, and a retired key stays there until every token it can
have signed has expired (`keep_retired`); checkpoints, receipts and statements verify under
every key the broker ever had (`all_keys`, /api/v1/audit/keys), always.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

import jwt

from .. import clock
from ..chain.keyring import KeyRing
from ..chain.keys import ALGORITHM, SigningKey
from ..db import new_id
from ..extensions import db
from ..models import AccessToken

log = logging.getLogger(__name__)

TOKEN_TYPE = "at+jwt"  # noqa: S105 (a media type, not a secret)
ACCESS_TOKEN_SECONDS = 300  # RFC 9700 2.2.2 / security.md 16: short-lived, at most 600
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti", "sub", "client_id", "grant_id", "scope"]
VERIFIED_CACHE_SIZE = 10_000  # tokens whose time-free checks passed, per process
CLOCK_SKEW = timedelta(seconds=60)  # between hosts, and the `iat` a token may run ahead by


class GrantLike(Protocol):
    """What issuing needs of a grant: a Grant row, or a snapshot of one."""

    @property
    def id(self) -> str: ...
    @property
    def claimant_id(self) -> str: ...
    @property
    def ends_at(self) -> datetime: ...


class InvalidToken(Exception):
    """A bearer token that is not one of ours, or no longer valid."""


class ExpiredToken(InvalidToken):
    """A token we signed (every time-free check passed) whose time is up: its claims say whose
    it was, so the refusal can be audited on the claimant's chain (security.md 14)."""

    def __init__(self, claims: dict[str, Any]) -> None:
        super().__init__("token has expired")
        self.claims = claims


class TokenService:
    """Issues and verifies access tokens for one issuer and audience; built once per app."""

    def __init__(self, ring: KeyRing, issuer: str, audience: str) -> None:
        self.ring = ring
        self.issuer = issuer
        self.audience = audience
        # A retired key stays published this long after it stopped signing: a token it signed
        # lives ACCESS_TOKEN_SECONDS, a worker may sign with it for one refresh period more
        # (after a `--now` rotation it had not read yet), and hosts' clocks differ a little.
        self.keep_retired = timedelta(seconds=ACCESS_TOKEN_SECONDS) + ring.refresh + CLOCK_SKEW
        # Times are checked against the broker's clock (injectable), not PyJWT's own.
        self._jwt = jwt.PyJWT(
            options={
                "require": REQUIRED_CLAIMS,
                "verify_signature": True,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            }
        )
        self._public: dict[str, Any] = {}  # kid -> the key object PyJWT verifies with
        # Signature, algorithm, type, key, issuer and audience checks depend only on the token's
        # text, so a token that passed them once passes them again: only the time checks and the
        # database's live check (done by the guard on every request) are repeated. A process
        # sees a few thousand live tokens at most; the cache is simply emptied when it fills.
        # A token whose key has left the JWKS has expired by then, which the time check says.
        self._verified: dict[str, dict[str, Any]] = {}

    @property
    def key(self) -> SigningKey:
        """The key that signs now (the Signer protocol: domain code signs with it)."""
        return self.ring.current(clock.now())

    def jwks(self) -> dict[str, Any]:
        """The keys access tokens verify under: the current one, the next one waiting to sign,
        and those retired recently enough that tokens they signed may still be alive."""
        return {"keys": self.ring.published(clock.now(), keep=self.keep_retired)}

    def all_keys(self) -> dict[str, Any]:
        """Every key the broker has signed with, newest first: for checkpoints, receipts and
        statements, which stay verifiable after any number of rotations."""
        return {"keys": self.ring.every_key()}

    def issue(
        self,
        grant: GrantLike,
        *,
        client_id: str,
        scopes: tuple[str, ...],
        now: datetime,
        refresh_family_id: str | None = None,
        jkt: str | None = None,
    ) -> tuple[str, AccessToken, int]:
        """Sign an access token under `grant` and add its row; never outlives the grant.

        Returns (token, row, expires_in). Adds the row without committing.
        """
        expires_at = min(now + timedelta(seconds=ACCESS_TOKEN_SECONDS), grant.ends_at)
        expires_in = max(int((expires_at - now).total_seconds()), 0)
        key = self.ring.current(now)
        row = AccessToken(
            jti=new_id(),
            grant_id=grant.id,
            client_id=client_id,
            refresh_family_id=refresh_family_id,
            scopes=" ".join(scopes),
            dpop_jkt=jkt,
            issued_at=now,
            expires_at=expires_at,
        )
        db.session.add(row)
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": grant.claimant_id,
            "client_id": client_id,
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + expires_in,
            "jti": row.jti,
            "grant_id": grant.id,
            "scope": " ".join(scopes),
        }
        if jkt is not None:
            claims["cnf"] = {"jkt": jkt}  # RFC 9449 6.1: bound to the client's DPoP key
        token = jwt.encode(
            claims,
            key.private_key,
            algorithm=ALGORITHM,
            headers={"typ": TOKEN_TYPE, "kid": key.kid},
        )
        return token, row, expires_in

    def verify(self, token: str, *, now: datetime) -> dict[str, Any]:
        """The claims of a token we signed, for our audience, not expired; else InvalidToken.

        RFC 8725: one algorithm only; `typ` must be at+jwt (RFC 9068 2.1); the key is ours by
        `kid`, and `jku`/`jwk`/`x5u` headers are never followed.
        """
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify_signed(token, now)
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = claims
        moment = now.timestamp()
        if not isinstance(claims["exp"], int) or claims["exp"] <= moment:
            raise ExpiredToken(claims)
        if not isinstance(claims["iat"], int) or claims["iat"] > moment + CLOCK_SKEW.seconds:
            raise InvalidToken("token issued in the future")
        return claims

    def _verify_signed(self, token: str, now: datetime) -> dict[str, Any]:
        """Every check of `verify` that does not depend on the time."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        public_key = self._public_key(kid, now) if isinstance(kid, str) else None
        if public_key is None:
            raise InvalidToken("unknown key id")
        try:
            decoded = self._jwt.decode_complete(
                token,
                public_key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=0,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        header = decoded["header"]
        if header.get("typ", "").lower() not in (TOKEN_TYPE, "application/at+jwt"):
            raise InvalidToken("token type is not at+jwt")
        claims: dict[str, Any] = decoded["payload"]
        return claims

    def _public_key(self, kid: str, now: datetime) -> Any:
        """The key `kid` names if it is in the JWKS at `now`, else None."""
        published = self.ring.published(now, keep=self.keep_retired)
        jwk = next((k for k in published if k["kid"] == kid), None)
        if jwk is None:
            return None
        public = self._public.get(kid)
        if public is None:
            public = self._public[kid] = jwt.PyJWK.from_dict(jwk, algorithm=ALGORITHM).key
        return public
