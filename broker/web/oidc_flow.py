"""Sign-in through an OpenID Connect provider: one piece of code, two configured providers
(GOV.UK One Login for claimants, the department's provider for staff), issue 25.

Authlib's Flask client makes the requests: discovery, the authorization request (code flow with
PKCE S256, `state` and `nonce`, kept in the not-yet-signed-in cookie session), and the token
request, authenticated by `private_key_jwt` (or a client secret, for a staff provider that
uses one). The tokens that come back are checked by broker/people/oidc.py. A provider that is
down or answers garbage is ProviderDown ("not answering", nothing stored); anything that fails
a check is SignInRefused (400, nothing created).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from flask import Flask, abort, current_app, redirect, request, session
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from werkzeug.wrappers import Response

from ..inputs import safe_next
from ..people import oidc
from . import boundary

log = logging.getLogger(__name__)

ONE_LOGIN, STAFF = "one_login", "staff"
TIMEOUT_SECONDS = 10
# What a provider may fail with on the way: the network, HTTP errors, an OAuth error answer,
# JSON that is not JSON, or metadata missing what a provider must publish.
PROVIDER_FAILURES = (requests.RequestException, AuthlibBaseError, ValueError, KeyError, TypeError)


class ProviderDown(Exception):
    """The provider is down or answered garbage: try again later; nothing was stored.

    Logged with the kind of failure only (never a token or a code), for the operator."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        log.warning("OpenID Connect provider not answering: %s", why)


class SignInRefused(Exception):
    """Wrong state, nonce or audience, a forged, expired or replayed token: refused."""


class TrustTooLow(SignInRefused):
    """One Login vouched for the person at a lower level of trust than we asked for."""


@dataclass(frozen=True)
class ClientKey:
    """The private_key_jwt key from the PEM file a setting names, and its public JWK."""

    key: Any
    alg: str
    public: dict[str, Any]

    @classmethod
    def load(cls, path: str) -> ClientKey:
        pem = Path(path).read_bytes()
        try:
            key: Any = RSAKey.import_key(pem)
            alg = "RS256"
        except (ValueError, TypeError, JoseError):  # not RSA: P-256, or nothing we can use
            key, alg = ECKey.import_key(pem), "ES256"
        public = {**key.as_dict(private=False), "kid": key.thumbprint(), "use": "sig", "alg": alg}
        return cls(key, alg, public)


@dataclass(frozen=True)
class Provider:
    name: str
    issuer: str
    client_id: str
    client: Any  # Authlib's FlaskOAuth2App
    callback_path: str
    key: ClientKey | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # The levels of trust asked for (One Login's `vtr`); the ID token's `vot` must be one.
    vtr: tuple[str, ...] = ()


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    sid: str | None
    claims: dict[str, Any]
    next_url: str | None = None  # where the sign-in page was to send them, kept with the state


def init_app(app: Flask) -> None:
    """Register the providers whose settings are all there; the others stay off."""
    config = app.config
    oauth = OAuth(app)
    providers: dict[str, Provider] = {}
    if all(config.get(f"BROKER_ONELOGIN_{n}") for n in ("ISSUER", "CLIENT_ID", "KEY_FILE")):
        vtr = str(config.get("BROKER_ONELOGIN_VTR") or '["Cl.Cm"]')
        providers[ONE_LOGIN] = _register(
            oauth,
            ONE_LOGIN,
            config["BROKER_ONELOGIN_ISSUER"],
            config["BROKER_ONELOGIN_CLIENT_ID"],
            scope="openid email",
            callback_path="/one-login/callback",
            key=ClientKey.load(config["BROKER_ONELOGIN_KEY_FILE"]),
            # One Login takes the vector of trust as a JSON list in a string.
            extra={"vtr": vtr},
            vtr=oidc.vector_of_trust(vtr),
        )
    staff_secret = config.get("BROKER_STAFF_OIDC_CLIENT_SECRET")
    staff_key_file = config.get("BROKER_STAFF_OIDC_KEY_FILE")
    if (
        config.get("BROKER_STAFF_OIDC_ISSUER")
        and config.get("BROKER_STAFF_OIDC_CLIENT_ID")
        and (staff_secret or staff_key_file)
    ):
        providers[STAFF] = _register(
            oauth,
            STAFF,
            config["BROKER_STAFF_OIDC_ISSUER"],
            config["BROKER_STAFF_OIDC_CLIENT_ID"],
            scope="openid email profile",
            callback_path="/staff-sign-in/callback",
            key=ClientKey.load(staff_key_file) if staff_key_file else None,
            secret=staff_secret,
        )
    app.extensions["broker.oidc"] = providers
    app.jinja_env.globals["oidc_offered"] = lambda name: name in providers


def _register(
    oauth: OAuth,
    name: str,
    issuer: str,
    client_id: str,
    *,
    scope: str,
    callback_path: str,
    key: ClientKey | None = None,
    secret: str | None = None,
    extra: dict[str, str] | None = None,
    vtr: tuple[str, ...] = (),
) -> Provider:
    issuer = issuer.rstrip("/")
    client_kwargs: dict[str, Any] = {
        "scope": scope,
        "code_challenge_method": "S256",
        "default_timeout": TIMEOUT_SECONDS,
    }
    if key is not None:
        client_kwargs["token_endpoint_auth_method"] = PrivateKeyJWT(
            alg=key.alg, headers={"kid": key.public["kid"]}
        )
    else:
        client_kwargs["token_endpoint_auth_method"] = "client_secret_post"  # noqa: S105
    client = oauth.register(
        name,
        client_id=client_id,
        client_secret=key.key if key is not None else secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )
    return Provider(name, issuer, client_id, client, callback_path, key, extra or {}, vtr)


def provider(name: str) -> Provider | None:
    return current_app.extensions.get("broker.oidc", {}).get(name)


def configured(name: str) -> Provider:
    """The provider this sign-in route is for; 404 where the broker is not set up with it."""
    chosen = provider(name)
    if chosen is None:
        abort(404)
    return chosen


def providers() -> list[Provider]:
    return list(current_app.extensions.get("broker.oidc", {}).values())


def start(chosen: Provider, next_url: str | None = None) -> Response:
    """Send the browser to the provider; ProviderDown if its discovery fails.

    `next_url` (a local path, already safe_next's) is kept with the state in this browser's
    session, never sent to the provider, and comes back in the Identity at the callback."""
    try:
        _metadata(chosen)
        redirect_uri = boundary.services().issuer + chosen.callback_path
        asked = chosen.client.create_authorization_url(redirect_uri, **chosen.extra)
    except PROVIDER_FAILURES as failure:
        raise ProviderDown(type(failure).__name__) from None
    kept = {**asked, "next": next_url} if next_url else asked
    chosen.client.save_authorize_data(redirect_uri=redirect_uri, **kept)
    return redirect(asked["url"])


def finish(chosen: Provider) -> Identity:
    """The person the provider vouches for, at the callback; ProviderDown or SignInRefused."""
    if request.args.get("error"):
        raise SignInRefused("the provider answered with an error")
    state = request.args.get("state") or ""
    state_data = chosen.client.framework.get_state_data(session, state) if state else None
    if not state_data or not state_data.get("nonce"):
        raise SignInRefused("state")  # login CSRF: a callback this browser never started
    chosen.client.framework.clear_state_data(session, state)
    code = request.args.get("code")
    if not code:
        raise SignInRefused("no code")
    try:
        token = chosen.client.fetch_access_token(
            code=code,
            redirect_uri=state_data["redirect_uri"],
            code_verifier=state_data["code_verifier"],
        )
    except PROVIDER_FAILURES as failure:
        raise ProviderDown(type(failure).__name__) from None
    claims = _checked_id_token(chosen, token.get("id_token"), state_data["nonce"])
    next_url = state_data.get("next")
    return Identity(
        chosen.issuer,
        claims["sub"],
        claims.get("sid"),
        _with_userinfo(chosen, token, claims),
        safe_next(next_url if isinstance(next_url, str) else None),
    )


def _checked_id_token(chosen: Provider, id_token: Any, nonce: str) -> dict[str, Any]:
    now = boundary.now()
    for force in (False, True):  # a key we have not seen: the provider may have rotated
        try:
            claims = oidc.check_id_token(
                id_token,
                jwks=_jwks(chosen, force=force),
                issuer=chosen.issuer,
                client_id=chosen.client_id,
                nonce=nonce,
                now=now,
            )
            if chosen.vtr:  # One Login: the level it achieved, from the signed ID token
                oidc.check_vot(claims, chosen.vtr)
            return claims
        except oidc.UnknownKey:
            continue
        except oidc.ProviderGarbled as garbled:
            raise ProviderDown(str(garbled)) from None
        except oidc.TrustTooLow as low:
            raise TrustTooLow(str(low)) from None
        except oidc.TokenRefused as refused:
            raise SignInRefused(str(refused)) from None
    raise ProviderDown("no key for the ID token")


def _with_userinfo(
    chosen: Provider, token: dict[str, Any], claims: dict[str, Any]
) -> dict[str, Any]:
    """One Login gives the email at its userinfo endpoint, not in the ID token."""
    if not _metadata(chosen).get("userinfo_endpoint"):
        return dict(claims)
    try:
        info = dict(chosen.client.userinfo(token=token))
    except PROVIDER_FAILURES as failure:
        raise ProviderDown(type(failure).__name__) from None
    if info.get("sub") != claims["sub"]:
        raise SignInRefused("userinfo is someone else's")
    return {**info, **claims}


def check_logout_token(token: Any) -> tuple[Provider, oidc.LogoutClaims]:
    """The provider that signed this logout token and its claims; oidc.TokenRefused if none
    did, or it fails a check."""
    said = oidc.unverified_issuer(token)
    chosen = next((p for p in providers() if p.issuer == (said or "").rstrip("/")), None)
    if chosen is None:
        raise oidc.TokenRefused("unknown issuer")
    now = boundary.now()
    for force in (False, True):
        try:
            jwks = _jwks(chosen, force=force)
        except ProviderDown:
            raise oidc.TokenRefused("the provider's keys cannot be read") from None
        try:
            claims = oidc.check_logout_token(
                token, jwks=jwks, issuer=chosen.issuer, client_id=chosen.client_id, now=now
            )
        except oidc.UnknownKey:
            continue
        return chosen, claims
    raise oidc.TokenRefused("no such key")


def _metadata(chosen: Provider) -> dict[str, Any]:
    metadata = chosen.client.load_server_metadata()
    if str(metadata.get("issuer", "")).rstrip("/") != chosen.issuer:
        chosen.client.server_metadata.clear()  # read again next time
        raise ValueError("the discovery document names another issuer")
    return metadata


def _jwks(chosen: Provider, *, force: bool) -> dict[str, Any]:
    try:
        _metadata(chosen)
        return chosen.client.fetch_jwk_set(force=force)
    except PROVIDER_FAILURES as failure:
        raise ProviderDown(type(failure).__name__) from None
