"""What an OpenID Connect provider sends us, checked before anyone is signed in or out.

Authlib makes the requests (broker/web/oidc_flow.py); the tokens are checked here, with PyJWT
and the broker's clock, so that one reading of the rules serves GOV.UK One Login and the staff
provider, and the tests can move time. Two kinds of failure, because the person is told
different things: a provider that answers garbage (ProviderGarbled: "not answering, try again")
and a token that is well formed but not for us, not from them, too old or replayed
(TokenRefused: refused, nothing created).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

# Asymmetric only: a provider's HMAC "signature" would be keyed with our own client secret.
ALGORITHMS = ("RS256", "PS256", "ES256")
LEEWAY = timedelta(seconds=60)
LOGOUT_TOKEN_MAX_AGE = timedelta(minutes=5)
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class ProviderGarbled(Exception):
    """The provider's answer is not a token at all (or names no key it publishes)."""


class TokenRefused(Exception):
    """A token that is not for us, not signed by the provider, expired, or replayed."""


class TrustTooLow(TokenRefused):
    """A valid ID token whose `vot` is missing or is not a level of trust we asked for."""


class UnknownKey(ProviderGarbled):
    """No key in the provider's JWKS has the token's `kid`: fetch the JWKS again, once."""


@dataclass(frozen=True)
class LogoutClaims:
    subject: str | None
    sid: str | None
    jti: str
    expires_at: datetime


def check_id_token(
    id_token: Any, *, jwks: dict[str, Any], issuer: str, client_id: str, nonce: str, now: datetime
) -> dict[str, Any]:
    """The ID token's claims if it is the provider's, for this client, live and made for the
    sign-in this browser started (its nonce); else TokenRefused or ProviderGarbled."""
    claims = _verified(id_token, jwks, issuer, client_id, required=("sub", "exp", "iat", "nonce"))
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise TokenRefused("azp")
    if not isinstance(claims["nonce"], str) or not hmac.compare_digest(
        claims["nonce"].encode(), nonce.encode()
    ):
        raise TokenRefused("nonce")
    if _at(claims["exp"]) + LEEWAY <= now:
        raise TokenRefused("expired")
    if _at(claims["iat"]) - LEEWAY > now:
        raise TokenRefused("issued in the future")
    return claims


def check_vot(claims: dict[str, Any], asked: tuple[str, ...]) -> None:
    """GOV.UK One Login's achieved vector of trust (`vot`) is one of the levels asked for in
    `vtr`; else TrustTooLow (a sign-in weaker than we asked for, or one that does not say)."""
    vot = claims.get("vot")
    if not isinstance(vot, str) or vot not in asked:
        raise TrustTooLow("vot")


def vector_of_trust(vtr: str) -> tuple[str, ...]:
    """The levels in a `vtr` setting (a JSON list of strings, as One Login takes it)."""
    try:
        levels = json.loads(vtr)
    except ValueError:
        levels = None
    if (
        not isinstance(levels, list)
        or not levels
        or not all(isinstance(level, str) and level for level in levels)
    ):
        raise ValueError(f"BROKER_ONELOGIN_VTR is not a JSON list of levels: {vtr!r}")
    return tuple(levels)


def check_logout_token(
    token: Any, *, jwks: dict[str, Any], issuer: str, client_id: str, now: datetime
) -> LogoutClaims:
    """OpenID Connect Back-Channel Logout 1.0, 2.6: the claims of a valid logout token."""
    try:
        header = jwt.get_unverified_header(token) if isinstance(token, str) else {}
    except jwt.DecodeError:
        header = {}
    if header.get("typ") not in (None, "logout+jwt", "JWT"):
        raise TokenRefused("typ")
    try:
        claims = _verified(token, jwks, issuer, client_id, required=("iat", "jti", "events"))
    except ProviderGarbled as garbled:
        raise TokenRefused(str(garbled)) from None
    events = claims["events"]
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise TokenRefused("events")
    if "nonce" in claims:  # so an ID token can never pass as a logout token
        raise TokenRefused("nonce")
    subject, sid = claims.get("sub"), claims.get("sid")
    if not (isinstance(subject, str) and subject) and not (isinstance(sid, str) and sid):
        raise TokenRefused("sub or sid")
    issued = _at(claims["iat"])
    if issued - LEEWAY > now or now - issued > LOGOUT_TOKEN_MAX_AGE:
        raise TokenRefused("iat")
    expires = _at(claims["exp"]) if "exp" in claims else issued + LOGOUT_TOKEN_MAX_AGE
    if expires + LEEWAY <= now:
        raise TokenRefused("expired")
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise TokenRefused("jti")
    return LogoutClaims(
        subject if isinstance(subject, str) and subject else None,
        sid if isinstance(sid, str) and sid else None,
        claims["jti"],
        max(expires, issued + LOGOUT_TOKEN_MAX_AGE) + LEEWAY,
    )


def unverified_issuer(token: Any) -> str | None:
    """The `iss` a token says it has, only to choose which provider's keys to check it with."""
    if not isinstance(token, str):
        return None
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
    return issuer if isinstance(issuer, str) else None


def _verified(
    token: Any, jwks: dict[str, Any], issuer: str, client_id: str, *, required: tuple[str, ...]
) -> dict[str, Any]:
    if not isinstance(token, str) or token.count(".") != 2:
        raise ProviderGarbled("not a JWT")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise ProviderGarbled("not a JWT") from None
    if header.get("alg") not in ALGORITHMS:
        raise TokenRefused("alg")
    key = _key(jwks, header)
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[header["alg"]],
            audience=client_id,
            issuer=issuer,
            # Time is checked by the caller against the broker's clock.
            options={
                "require": ["iss", "aud", *required],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.DecodeError as error:
        if isinstance(error, jwt.InvalidSignatureError):
            raise TokenRefused("signature") from None
        raise ProviderGarbled("not a JWT") from None
    except jwt.PyJWTError as error:
        raise TokenRefused(type(error).__name__) from None
    for name in ("exp", "iat"):
        if name in claims and not isinstance(claims[name], int | float):
            raise TokenRefused(name)
    return claims


def _key(jwks: dict[str, Any], header: dict[str, Any]) -> Any:
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict) and k.get("use", "sig") == "sig"]
    kid = header.get("kid")
    matching = [k for k in keys if kid is None or k.get("kid") == kid]
    if not matching:
        raise UnknownKey("no such key")
    try:
        return jwt.PyJWK.from_json(json.dumps(matching[0]), algorithm=header["alg"]).key
    except jwt.PyJWTError:
        raise ProviderGarbled("unusable key") from None


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
