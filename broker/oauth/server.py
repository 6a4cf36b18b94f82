"""The authorization server: every Authlib subclass and its registration, and nowhere else.

Authlib parses the protocol; this module closes the gaps security.md lists for Authlib 1.9:
PKCE S256 for every client (confidential ones too); refresh tokens rotated on every use with the
whole family revoked on reuse; device codes single use with slow_down; revocation where the
token_type_hint only orders the lookup; RFC 9396 authorization details parsed and kept on the
grant; RFC 9207 `iss` on every authorization response. Access tokens are TokenService JWTs
(RFC 9068), so the resource guard accepts them; refresh tokens are opaque and stored hashed.

Nothing here commits: the routes in broker.web commit once per request.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from authlib.consts import default_json_headers
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    AuthorizationCodeGrant,
    AuthorizationCodeMixin,
    ClientMixin,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Request,
    RefreshTokenGrant,
    TokenMixin,
    UnauthorizedClientError,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc8628 import (
    AuthorizationPendingError,
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    DeviceCredentialMixin,
    ExpiredTokenError,
    SlowDownError,
)
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, url_for
from sqlalchemy import update
from werkzeug.wrappers import Response

import scopes

from .. import clock
from ..chain import audit
from ..consent import clients, device, disclosure, grants
from ..consent.issued import revoke_issued
from ..db import new_id
from ..extensions import db
from ..models import (
    AccessToken,
    AuthorizationCode,
    DeviceAuthorization,
    Grant,
    OAuthClient,
    RefreshToken,
)
from ..opaque import hash_secret, new_opaque_token
from . import dpop
from .tokens import InvalidToken, TokenService

log = logging.getLogger(__name__)

TokenAnswer = tuple[int, dict[str, Any], list[tuple[str, str]]]  # Authlib's (status, body, headers)
CODE_LIFETIME = timedelta(seconds=60)  # security.md 6: an authorization code lives 60 s at most
EXTENSION = "broker.oauth.server"


# What Authlib carries between its steps


class Client(ClientMixin):
    """A registered client, as Authlib asks about it."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.id

    def get_default_redirect_uri(self) -> str | None:
        # RFC 6749 3.1.2.3: only when exactly one URI is registered may the request omit it.
        uris = clients.redirect_uris(self.row)
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        names = clients.allowed_scopes(self.row, scope)
        return " ".join(names) if names else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # RFC 9700 4.1.3: exact string comparison, no normalisation, no patterns.
        return redirect_uri in clients.redirect_uris(self.row)

    def check_client_secret(self, client_secret: str) -> bool:
        return clients.check_secret(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # The registered method only: a confidential client can never fall back to "none".
        return method == self.row.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and self.check_grant_type(clients.CODE_GRANT)

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types.split()


@dataclass
class Consent:
    """Authlib's "user": the grant a claimant made, plus what a refresh carries forward."""

    grant: Grant
    family_id: str | None = None
    refresh_scopes: str | None = None
    refresh_expires_at: datetime | None = None
    issued_jti: str = field(default="", init=False)
    jkt: str | None = field(default=None, init=False)  # the DPoP key the tokens are bound to

    def within_grant(self, scope: str | None) -> tuple[str, ...]:
        return within_grant(self.grant, scope)


def within_grant(grant: Grant, scope: str | None) -> tuple[str, ...]:
    """The scopes asked for that the grant holds now (all it holds if none were asked): what a
    token, a code or an introspection answer may name once the grant was narrowed."""
    granted = grant.scope_names
    return tuple(n for n in scopes.parse(scope) if n in granted) if scope else granted


class CodeCredential(AuthorizationCodeMixin):
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scopes


class RefreshCredential(TokenMixin):
    def __init__(self, row: RefreshToken, grant: Grant) -> None:
        self.row = row
        self.grant = grant

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scopes


class DeviceCredential(DeviceCredentialMixin):
    def __init__(self, row: DeviceAuthorization) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_scope(self) -> str:
        return self.row.scopes

    def get_user_code(self) -> str:
        return self.row.user_code

    def is_expired(self) -> bool:
        return clock.now() >= self.row.expires_at


class InvalidDpopProofError(OAuth2Error):
    """RFC 9449 5: the token request's DPoP proof is missing or is not for this key."""

    error = "invalid_dpop_proof"


def _sender_key(request: OAuth2Request, client: Client, bound_to: str | None) -> None:
    """Check the request's proof (if any) against the key the code or refresh token is bound
    to and against the client's registration."""
    proof = _proof_of(request)
    if bound_to is not None and (proof is None or proof.jkt != bound_to):
        raise InvalidDpopProofError("The DPoP proof must be made with the key this is bound to")
    if proof is None and client.row.require_dpop:
        raise InvalidDpopProofError("This client must send a DPoP proof")


def _proof_of(request: OAuth2Request) -> dpop.Proof | None:
    return getattr(request, "dpop", None)


class _SenderConstrained:
    """Issue the tokens bound to the key of the proof _sender_key checked (none: bearer)."""

    def generate_token(self, user: Consent | None = None, **kwargs: Any) -> dict[str, Any]:
        if user is not None:
            proof = _proof_of(self.request)  # type: ignore[attr-defined]
            user.jkt = proof.jkt if proof is not None else None
        return super().generate_token(user=user, **kwargs)  # type: ignore[misc]


class InvalidAuthorizationDetailsError(OAuth2Error):
    """RFC 9396 5: the authorization details are unknown, malformed or not allowed."""

    error = "invalid_authorization_details"


def _token_details(request: OAuth2Request, grant: Grant | None) -> None:
    """RFC 9396 6: details at the token endpoint, if sent, within the grant's (security.md 71).
    Checked before the code or refresh token is claimed, so a refusal burns neither."""
    sent = request.payload.datalist.get("authorization_details", [])
    if not sent:
        return
    if len(sent) > 1:
        raise InvalidAuthorizationDetailsError("Multiple 'authorization_details' in request.")
    granted = (
        json.loads(grant.authorization_details) if grant and grant.authorization_details else []
    )
    try:
        clients.check_token_details(sent[0], granted)
    except clients.DetailsRefused as refusal:
        raise InvalidAuthorizationDetailsError(str(refusal)) from None


# Authorization code grant with PKCE


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only, required for every client.

    Authlib's CodeChallenge(required=True) binds only public clients and accepts `plain`;
    RFC 9700 2.1.1 asks for PKCE from confidential clients too, and S256 (security.md 3, 4).
    """

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("code_challenge is required (PKCE with S256)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: AuthorizationCodeGrant, result: Any) -> None:
        request = grant.request
        code = request.authorization_code
        if not code.code_challenge or code.code_challenge_method != "S256":
            # RFC 9700 4.8.2: a code issued without a challenge never yields tokens here,
            # with or without a verifier (no PKCE downgrade).
            raise InvalidRequestError("This code was issued without PKCE S256")
        if not request.form.get("code_verifier"):
            raise InvalidRequestError("code_verifier is required")
        super().validate_code_verifier(grant, result)


class CodeGrant(_SenderConstrained, AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(clients.AUTH_METHODS)

    def validate_token_request(self) -> None:
        super().validate_token_request()
        # Before the code is claimed: a proof with the wrong key must not burn the code.
        request = self.request
        _sender_key(request, request.client, request.authorization_code.row.dpop_jkt)
        _token_details(request, db.session.get(Grant, request.authorization_code.row.grant_id))

    def generate_authorization_code(self) -> str:
        return new_opaque_token()

    def validate_authorization_request(self) -> str:
        redirect_uri = super().validate_authorization_request()
        request = self.request
        state = request.payload.state
        if len(request.payload.datalist.get("authorization_details", [])) > 1:
            raise InvalidRequestError(
                "Multiple 'authorization_details' in request.",
                redirect_uri=redirect_uri,
                state=state,
            )
        jkt = request.payload.data.get("dpop_jkt")
        if jkt is not None and not dpop.is_thumbprint(jkt):
            # RFC 9449 10: the thumbprint the code will be bound to; anything else is no key.
            raise InvalidRequestError(
                "dpop_jkt must be a SHA-256 JWK thumbprint (RFC 7638), base64url",
                redirect_uri=redirect_uri,
                state=state,
            )
        try:
            request.consent_details = clients.parse_details(
                request.payload.data.get("authorization_details"), request.scope.split()
            )
        except clients.DetailsRefused as refusal:
            raise InvalidAuthorizationDetailsError(
                str(refusal), redirect_uri=redirect_uri, state=state
            ) from None
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        consent: Consent = request.user
        now = clock.now()
        db.session.add(
            AuthorizationCode(
                code_hash=hash_secret(code),
                client_id=request.client.get_client_id(),
                claimant_id=consent.grant.claimant_id,
                grant_id=consent.grant.id,
                redirect_uri=request.payload.redirect_uri or "",
                # What the client asked for, of what the grant holds: a client re-authorizing
                # for less than its grant allows gets no more than it asked.
                scopes=" ".join(consent.within_grant(request.scope)),
                code_challenge=request.payload.data.get("code_challenge"),
                code_challenge_method=request.payload.data.get("code_challenge_method"),
                dpop_jkt=request.payload.data.get("dpop_jkt"),
                created_at=now,
                expires_at=now + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> CodeCredential | None:
        row = db.session.get(AuthorizationCode, hash_secret(code))
        if row is None or row.client_id != client.get_client_id():
            return None  # another client's code is no code at all (RFC 6749 4.1.3)
        now = clock.now()
        if row.used_at is not None:
            _revoke_after_code_replay(row, now, self.server.tokens)
            return None
        if now >= row.expires_at:
            return None
        return CodeCredential(row)

    def create_token_response(self) -> TokenAnswer:
        credential: CodeCredential = self.request.authorization_code
        now = clock.now()
        # Claim the code before issuing anything: of two concurrent redemptions only one wins,
        # and the loser is treated as a replay.
        claimed = db.session.execute(
            update(AuthorizationCode)
            .where(
                AuthorizationCode.code_hash == credential.row.code_hash,
                AuthorizationCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            _revoke_after_code_replay(credential.row, now, self.server.tokens)
            raise InvalidGrantError("Invalid 'code' in request.")
        return super().create_token_response()

    def delete_authorization_code(self, authorization_code: CodeCredential) -> None:
        """Kept, marked used when claimed: a second use must be recognised as a replay."""

    def authenticate_user(self, authorization_code: CodeCredential) -> Consent | None:
        return _live_consent(authorization_code.row.grant_id)


def _revoke_after_code_replay(row: AuthorizationCode, now: datetime, signer: TokenService) -> None:
    # RFC 6749 4.1.2 / security.md 6: a code used twice was stolen; end what the first use got.
    grant = db.session.get(Grant, row.grant_id)
    if grant is not None and grant.status not in grants.ENDED:
        log.warning("authorization code for grant %s used twice: revoking the grant", grant.id)
        grants.revoke(
            grant,
            by="system:code-replay",
            now=now,
            reason="The same authorisation code was used twice",
            signer=signer,
        )


def _live_consent(grant_id: str | None) -> Consent | None:
    grant = db.session.get(Grant, grant_id) if grant_id else None
    if grant is None:
        return None
    if not disclosure.authorises(grant.status, grant.review_at, grant.ends_at, clock.now()):
        return None
    return Consent(grant)


# Refresh tokens: rotated on every use, reuse revokes the family


class RefreshGrant(_SenderConstrained, RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(clients.AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True  # RFC 9700 4.14.2: rotate on every use

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshCredential | None:
        row = db.session.scalar(
            db.select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token))
        )
        client: Client = self.request.client
        if row is None or row.client_id != client.get_client_id() or row.revoked_at is not None:
            return None
        now = clock.now()
        if row.used_at is not None:
            # RFC 9700 4.14.2: an old refresh token came back, so one of the two holders is a
            # thief. We cannot tell which: end the whole family.
            _revoke_family(
                row, now, actor=f"client:{row.client_id}", outcome="refused:refresh_reuse"
            )
            return None
        grant = db.session.get(Grant, row.grant_id)
        live = grant is not None and disclosure.authorises(
            grant.status, grant.review_at, grant.ends_at, now
        )
        if not live or now >= row.expires_at:
            return None
        # RFC 9449 5: a public client's refresh token needs a proof with its key. Checked before
        # the claim, so a thief's attempt with another key neither uses nor burns the token.
        _sender_key(self.request, client, row.dpop_jkt)
        wanted = self.request.payload.scope
        if wanted and not set(wanted.split()) <= set(row.scopes.split()):
            raise InvalidScopeError("A refresh may only narrow the scope")  # checked before claim
        _token_details(self.request, grant)
        claimed = db.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.id == row.id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:  # a concurrent use got there first: that is reuse too
            _revoke_family(
                row, now, actor=f"client:{row.client_id}", outcome="refused:refresh_reuse"
            )
            return None
        return RefreshCredential(row, grant)

    def authenticate_user(self, refresh_token: RefreshCredential) -> Consent:
        row = refresh_token.row
        return Consent(
            refresh_token.grant,
            family_id=row.family_id,
            refresh_scopes=row.scopes,
            refresh_expires_at=row.expires_at,
        )

    def revoke_old_credential(self, refresh_token: RefreshCredential) -> None:
        """Nothing more to do: the old token was marked used when it was claimed."""


def _revoke_family(row: RefreshToken, now: datetime, *, actor: str, outcome: str) -> None:
    """Revoke every refresh token of the family and every access token issued under it."""
    revoke_issued(
        now,
        access=AccessToken.refresh_family_id == row.family_id,
        refresh=RefreshToken.family_id == row.family_id,
    )
    grant = db.session.get(Grant, row.grant_id)
    if grant is not None:
        log.warning("refresh token %s reused or revoked: family %s revoked", row.id, row.family_id)
        audit.append(
            audit.Event(
                grant.claimant_id,
                row.id,
                grant.id,
                actor,
                "token.revoke",
                f"refresh_family:{row.family_id}",
                outcome,
            ),
            now=now,
        )


# Device authorization grant (RFC 8628)


class DeviceGrant(_SenderConstrained, DeviceCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(clients.AUTH_METHODS)

    def authenticate_token_endpoint_client(self) -> Client:
        client: Client = super().authenticate_token_endpoint_client()
        self.request.client = client  # query_device_credential needs to know who is asking
        return client

    def query_device_credential(self, device_code: str) -> DeviceCredential:
        # RFC 6749 5.2 / RFC 8628 3.5: an unknown device code, or another client's, is
        # invalid_grant, and the same answer for both (it must not tell whether a code exists).
        row = device.by_device_code(device_code)
        if row is None or row.client_id != self.request.client.get_client_id():
            raise InvalidGrantError("Invalid 'device_code' in request.")
        return DeviceCredential(row)

    def validate_device_credential(self, credential: DeviceCredential) -> Consent:
        row = credential.row
        now = clock.now()
        state = device.state_of(row, now)
        if state == device.USED:
            raise InvalidGrantError("This device code has already been used")  # security.md 22
        if state == device.EXPIRED or (state == device.APPROVED and now >= row.expires_at):
            raise ExpiredTokenError()
        if state == device.DENIED:
            raise AccessDeniedError()
        if state == device.APPROVED:
            consent = _live_consent(row.grant_id)
            if consent is None:
                raise InvalidGrantError("The grant behind this request is no longer active")
            return consent
        if device.poll(row, now):
            raise SlowDownError()
        raise AuthorizationPendingError()

    def validate_token_request(self) -> None:
        super().validate_token_request()
        _sender_key(self.request, self.request.client, None)  # before the code is claimed

    def create_token_response(self) -> TokenAnswer:
        credential: DeviceCredential = self.request.credential
        if not device.claim(credential.row):  # Authlib leaves device codes reusable
            raise InvalidGrantError("This device code has already been used")
        return super().create_token_response()


class DeviceEndpoint(DeviceAuthorizationEndpoint):
    CLIENT_AUTH_METHODS = list(clients.AUTH_METHODS)
    EXPIRES_IN = int(device.LIFETIME.total_seconds())
    INTERVAL = device.INTERVAL_SECONDS

    def get_verification_uri(self) -> str:
        return verification_uri(self.server.tokens.issuer)

    def create_endpoint_response(self, request: OAuth2Request) -> TokenAnswer:
        client: Client = self.authenticate_client(request)
        if not client.check_grant_type(clients.DEVICE_GRANT):
            raise UnauthorizedClientError("This client may not use the device grant")
        names = clients.allowed_scopes(client.row, request.payload.scope)
        if names is None:
            raise InvalidScopeError()
        try:
            details = clients.parse_details(
                request.payload.data.get("authorization_details"), names
            )
        except clients.DetailsRefused as refusal:
            raise InvalidAuthorizationDetailsError(str(refusal)) from None
        started = device.start(
            client.row, scope_names=names, details=details, adviser=None, now=clock.now()
        )
        log.info("device request %s opened by client %s", started.authorization.id, client.row.id)
        return 200, device_response(started, self.server.tokens.issuer), default_json_headers


def verification_uri(issuer: str) -> str:
    return f"{issuer}{url_for('consent.device_code')}"


def verification_uri_complete(issuer: str, user_code: str) -> str:
    return f"{verification_uri(issuer)}?user_code={user_code}"


def device_response(started: device.Started, issuer: str) -> dict[str, Any]:
    """RFC 8628 3.2: what the device client is told."""
    authorization = started.authorization
    return {
        "device_code": started.device_code,
        "user_code": started.user_code,
        "verification_uri": verification_uri(issuer),
        "verification_uri_complete": verification_uri_complete(issuer, started.user_code),
        "expires_in": int((authorization.expires_at - authorization.created_at).total_seconds()),
        "interval": authorization.interval,
    }


# Tokens: issue, save (audit), revoke, introspect


def _generate_token(
    tokens: TokenService,
    grant_type: str,
    client: Client,
    user: Consent | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    """An RFC 9068 access token from TokenService (never outliving the grant, at most 300 s,
    whatever `expires_in` Authlib suggests) and, if the client may refresh, an opaque refresh
    token stored as its hash and valid no longer than the grant."""
    if user is None:
        raise InvalidGrantError()
    grant = user.grant
    now = clock.now()
    names = user.within_grant(scope)  # never wider than the grant, narrowed or not
    family = (user.family_id or new_id()) if include_refresh_token else None
    token, row, lifetime = tokens.issue(
        grant,
        client_id=client.get_client_id(),
        scopes=names,
        now=now,
        refresh_family_id=family,
        jkt=user.jkt,
    )
    user.issued_jti = row.jti
    body: dict[str, Any] = {
        "token_type": "DPoP" if user.jkt else "Bearer",
        "access_token": token,
        "expires_in": lifetime,
        "scope": " ".join(names),
    }
    if grant.authorization_details:
        body["authorization_details"] = json.loads(grant.authorization_details)  # RFC 9396 7
    if include_refresh_token and family is not None:
        raw = new_opaque_token()
        db.session.add(
            RefreshToken(
                token_hash=hash_secret(raw),
                family_id=family,
                grant_id=grant.id,
                client_id=client.get_client_id(),
                # RFC 6749 6: a rotated refresh token keeps the scope of the one it replaces.
                scopes=user.refresh_scopes or " ".join(names),
                issued_at=now,
                expires_at=min(user.refresh_expires_at or grant.ends_at, grant.ends_at),
                # RFC 9449 5: a public client's refresh token is bound to its DPoP key (a
                # confidential client's is bound by its client authentication already;
                # a public client has no secret).
                dpop_jkt=user.jkt if client.row.secret_hash is None else None,
            )
        )
        body["refresh_token"] = raw
    return body


def _save_token(token: dict[str, Any], request: OAuth2Request) -> None:
    """The issue is audited on the claimant's chain with its token ID; rows were added when the
    token was generated. No commit."""
    consent: Consent = request.user
    grant = consent.grant
    client_id = request.client.get_client_id()
    grant_type = request.payload.grant_type
    action = "token.refresh" if grant_type == clients.REFRESH_GRANT else "token.issue"
    audit.append(
        audit.Event(
            grant.claimant_id,
            consent.issued_jti,
            grant.id,
            f"client:{client_id}",
            action,
            f"grant:{grant.id}",
            "done",
        ),
        now=clock.now(),
    )
    log.info(
        "issued access token %s under grant %s to client %s (%s)",
        consent.issued_jti,
        grant.id,
        client_id,
        grant_type,
    )


class IssuedToken(TokenMixin):
    """An access or refresh token found for revocation or introspection."""

    def __init__(self, kind: str, row: AccessToken | RefreshToken, grant: Grant) -> None:
        self.kind = kind
        self.row = row
        self.grant = grant

    @property
    def token_id(self) -> str:
        return self.row.jti if isinstance(self.row, AccessToken) else self.row.id

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scopes

    def get_expires_in(self) -> int:
        return max(int((self.row.expires_at - clock.now()).total_seconds()), 0)

    def is_expired(self) -> bool:
        return clock.now() >= self.row.expires_at

    def is_revoked(self) -> bool:
        # RFC 7662 2.2: inactive the moment its grant stops authorising (security.md 18).
        row, grant = self.row, self.grant
        if row.revoked_at is not None:
            return True
        if isinstance(row, RefreshToken) and row.used_at is not None:
            return True
        return not disclosure.authorises(grant.status, grant.review_at, grant.ends_at, clock.now())

    def describe(self, tokens: TokenService) -> dict[str, Any]:
        """RFC 7662 2.2 members, plus the grant: whose journal, which grant, until when."""
        row, grant = self.row, self.grant
        value: dict[str, Any] = {
            "active": True,
            "client_id": row.client_id,
            "scope": " ".join(within_grant(grant, row.scopes)),
            "sub": grant.claimant_id,
            "iss": tokens.issuer,
            "exp": int(row.expires_at.timestamp()),
            "iat": int(row.issued_at.timestamp()),
            "grant_id": grant.id,
            "grant_ends_at": int(grant.ends_at.timestamp()),
            "claimant_reference": grant.claimant.reference,
        }
        if isinstance(row, AccessToken):
            value.update(
                token_type="DPoP" if row.dpop_jkt else "Bearer",
                jti=row.jti,
                aud=tokens.audience,
            )
        if row.dpop_jkt:
            value["cnf"] = {"jkt": row.dpop_jkt}  # RFC 9449 6.2
        if grant.authorization_details:
            value["authorization_details"] = json.loads(grant.authorization_details)
        return value


def find_token(tokens: TokenService, token_string: str, hint: str | None) -> IssuedToken | None:
    """The access or refresh token with this value. RFC 7009 2.1 / RFC 7662 2.1: the hint only
    says where to look first; a wrong or unknown hint still finds the token."""
    order = (
        ("refresh_token", "access_token")
        if hint == "refresh_token"
        else ("access_token", "refresh_token")
    )
    for kind in order:
        found = (
            _find_access(tokens, token_string)
            if kind == "access_token"
            else _find_refresh(token_string)
        )
        if found is not None:
            return found
    return None


def _find_access(tokens: TokenService, token_string: str) -> IssuedToken | None:
    try:
        claims = tokens.verify(token_string, now=clock.now())
    except InvalidToken:
        return None
    row = db.session.get(AccessToken, claims["jti"])
    grant = db.session.get(Grant, row.grant_id) if row is not None else None
    return IssuedToken("access_token", row, grant) if row is not None and grant else None


def _find_refresh(token_string: str) -> IssuedToken | None:
    row = db.session.scalar(
        db.select(RefreshToken).where(RefreshToken.token_hash == hash_secret(token_string))
    )
    grant = db.session.get(Grant, row.grant_id) if row is not None else None
    return IssuedToken("refresh_token", row, grant) if row is not None and grant else None


def revoke(token: IssuedToken, *, client_id: str, now: datetime) -> None:
    """RFC 7009 2.1: revoke this token; a refresh token takes its whole family with it,
    including the access tokens issued under it. Audited with the token ID. No commit."""
    row = token.row
    if isinstance(row, RefreshToken):
        _revoke_family(row, now, actor=f"client:{client_id}", outcome="done")
        return
    if row.revoked_at is None:
        row.revoked_at = now
    audit.append(
        audit.Event(
            token.grant.claimant_id,
            row.jti,
            token.grant.id,
            f"client:{client_id}",
            "token.revoke",
            f"grant:{token.grant.id}",
            "done",
        ),
        now=now,
    )
    log.info("access token %s revoked by client %s", row.jti, client_id)


class _HintIsOnlyAHint:
    def check_params(self, request: OAuth2Request, client: Client) -> None:
        # Authlib refuses an unknown token_type_hint; RFC 7009 2.1 says to ignore it.
        if not request.form.get("token"):
            raise InvalidRequestError("token is required")

    def query_token(self, token_string: str, token_type_hint: str | None) -> IssuedToken | None:
        return find_token(self.server.tokens, token_string, token_type_hint)


class Revocation(_HintIsOnlyAHint, RevocationEndpoint):
    CLIENT_AUTH_METHODS = list(clients.AUTH_METHODS)

    def revoke_token(self, token: IssuedToken, request: OAuth2Request) -> None:
        client_id, now = request.client.get_client_id(), clock.now()
        revoke(token, client_id=client_id, now=now)
        # Issue 23: `give_up=true` (our extension parameter; RFC 7009 2.1 lets a server define
        # more) ends the whole consent, not only this token: the case system gives up its
        # access, and the claimant is told. The answer is 200 either way (RFC 7009 2.2).
        if request.form.get("give_up") == "true":
            try:
                grants.give_up(
                    token.grant, by=f"client:{client_id}", now=now, signer=self.server.tokens
                )
            except grants.GrantRefused:
                log.info("give_up for grant %s: it had already ended", token.grant.id)


class Introspection(_HintIsOnlyAHint, IntrospectionEndpoint):
    # RFC 7662 2.1: the caller must authenticate; public clients cannot.
    CLIENT_AUTH_METHODS = list(clients.SECRET_METHODS)

    def check_permission(self, token: IssuedToken, client: Client, request: OAuth2Request) -> bool:
        return token.check_client(client)  # a client may only introspect its own tokens

    def introspect_token(self, token: IssuedToken) -> dict[str, Any]:
        return token.describe(self.server.tokens)


class BrokerIssuer(IssuerParameter):
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


# Authorization endpoint helpers for the consent pages


@dataclass(frozen=True)
class CodeRequest:
    """What a validated authorization request asks for, in the claimant's terms."""

    client: OAuthClient
    scope_names: tuple[str, ...]
    details: clients.ConsentDetails


def code_request(grant: CodeGrant) -> CodeRequest:
    request = grant.request
    return CodeRequest(request.client.row, tuple(request.scope.split()), request.consent_details)


def authorization_response(
    server: BrokerAuthorizationServer, request_grant: CodeGrant, consent: Consent | None
) -> tuple[Response, bool]:
    """Authlib's answer to the client, with `iss`: a code if the claimant consented, else
    access_denied. A 303, never a 307, after the POST (RFC 9700 4.12). True if a code was issued.
    """
    response = server.create_authorization_response(grant=request_grant, grant_user=consent)
    query = parse_qs(urlsplit(response.location or "").query)
    if response.status_code in (301, 302, 307, 308):
        response.status_code = 303
    return response, consent is not None and "code" in query


def error_redirect(server: BrokerAuthorizationServer, error: OAuth2Error) -> Response | None:
    """The redirect telling the client of an authorization error, with `iss` (RFC 9207 2);
    None when the error must not redirect (unknown client or redirect URI, RFC 6749 4.1.2.1)."""
    if not error.redirect_uri:
        return None
    response = server.handle_error_response(None, error)
    BrokerIssuer(server.tokens.issuer).add_issuer_parameter(server, response)
    return response


def metadata(issuer: str) -> dict[str, Any]:
    """RFC 8414 authorization server metadata: every endpoint, and what each supports."""
    base = issuer
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}{url_for('consent.authorize')}",
        "token_endpoint": f"{base}{url_for('oauth.token')}",
        "device_authorization_endpoint": f"{base}{url_for('oauth.device_authorization')}",
        "revocation_endpoint": f"{base}{url_for('oauth.revoke')}",
        "introspection_endpoint": f"{base}{url_for('oauth.introspect')}",
        "jwks_uri": f"{base}{url_for('oauth.jwks')}",
        "scopes_supported": list(scopes.catalogue()),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(clients.GRANT_TYPES),
        "token_endpoint_auth_methods_supported": list(clients.AUTH_METHODS),
        "revocation_endpoint_auth_methods_supported": list(clients.AUTH_METHODS),
        "introspection_endpoint_auth_methods_supported": list(clients.SECRET_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "authorization_details_types_supported": [clients.DETAILS_TYPE],
        "authorization_response_iss_parameter_supported": True,
        "dpop_signing_alg_values_supported": list(dpop.ALGORITHMS),
    }


class BrokerAuthorizationServer(AuthorizationServer):
    """Authlib's server, with client authentication checked before Authlib looks at it."""

    tokens: TokenService  # bound by init_app: the grants' and endpoints' token service

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request  # already made, carrying its checked DPoP proof (token_response)
        return super().create_oauth2_request(request)

    def token_response(self, proof: dpop.Proof | None) -> Response:
        """The token endpoint's answer, the tokens bound to the proof's key if there is one."""
        request = self.create_oauth2_request(None)
        request.dpop = proof
        return self.create_token_response(request)

    def get_authorization_grant(self, request: OAuth2Request) -> AuthorizationCodeGrant:
        # Authlib echoes an unknown response_type in its error description, which may then
        # not hold quotes or backslashes (RFC 6749 4.1.2.1): garbage gets a plain refusal.
        response_type = request.payload.response_type or ""
        if not _RESPONSE_TYPE.fullmatch(response_type):
            raise UnsupportedResponseTypeError(
                "The response type is not supported by the server.", "unknown"
            )
        return super().get_authorization_grant(request)

    def authenticate_client(
        self, request: OAuth2Request, methods: list[str], endpoint: str = "token"
    ) -> Client:
        """RFC 6749 2.3: one method per request, and credentials that say one thing.

        Basic credentials that are not base64 of UTF-8 are invalid_client (Authlib would fail on
        them with a 500, security.md 30); Basic with a client_secret in the body too is two
        methods at once (invalid_request); Basic as one client with another's client_id in the
        body is invalid_client.
        """
        basic_id = _basic_client_id(request.headers.get("Authorization"))
        form = request.form
        if basic_id is not None:
            if form.get("client_secret") is not None:
                raise InvalidRequestError(
                    "Use one way to authenticate the client: HTTP Basic or client_secret_post"
                )
            form_id = form.get("client_id")
            if form_id is not None and form_id != basic_id:
                raise InvalidClientError(
                    status_code=401,
                    description="client_id in the body is not the client that authenticated",
                )
        return super().authenticate_client(request, methods, endpoint)


def _basic_client_id(header: str | None) -> str | None:
    """The client ID in `Authorization: Basic ...` (RFC 6749 2.3.1), None if there is no Basic
    header; InvalidClientError if it is not base64 of UTF-8 "id:secret"."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        text = ""
    client_id, colon, _secret = text.partition(":")
    if not colon or _CONTROL.search(text):
        raise InvalidClientError(
            status_code=401,
            description="HTTP Basic credentials must be base64 of UTF-8 client_id:client_secret",
        )
    return unquote(client_id)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RESPONSE_TYPE = re.compile(r"[A-Za-z0-9_ ]*")  # RFC 6749 3.1.1 response-type


def _query_client(client_id: str | None) -> Client | None:
    row = clients.active(client_id)
    return Client(row) if row is not None else None


def init_app(app: Flask, tokens: TokenService) -> BrokerAuthorizationServer:
    """Build this app's authorization server: only the code, refresh and device grants, issuing
    and describing tokens with `tokens` (its issuer is the server's)."""
    authorization_server = BrokerAuthorizationServer(
        app, query_client=_query_client, save_token=_save_token
    )
    authorization_server.tokens = tokens

    def generate_token(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return _generate_token(authorization_server.tokens, *args, **kwargs)

    authorization_server.register_token_generator("default", generate_token)
    authorization_server.register_grant(CodeGrant, [S256CodeChallenge(required=True)])
    authorization_server.register_grant(RefreshGrant)
    authorization_server.register_grant(DeviceGrant)
    authorization_server.register_endpoint(DeviceEndpoint)
    authorization_server.register_endpoint(Revocation)
    authorization_server.register_endpoint(Introspection)
    authorization_server.register_extension(BrokerIssuer(tokens.issuer))
    app.extensions[EXTENSION] = authorization_server
    return authorization_server
