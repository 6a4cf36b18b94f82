"""The authorization server's machine endpoints (/oauth) and discovery documents (/.well-known).

Clients authenticate here, not cookies, so the blueprint is exempt from CSRF. Each route hands
the request to Authlib (broker.oauth.server); the request boundary commits whatever the answer: some
refusals change state on purpose (a reused refresh token revokes its family, a replayed code
revokes its grant, a fast poll lengthens the interval), so they are kept like successes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authlib.oauth2.rfc6749 import InsecureTransportError
from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from .. import services
from ..chain import keyring
from ..extensions import csrf
from ..oauth import dpop
from ..oauth import server as oauth
from . import boundary, dpop_proofs
from .errors import json_error

bp = Blueprint("oauth", __name__)
csrf.exempt(bp)
bp.record_once(lambda state: oauth.init_app(state.app, services.of(state.app).tokens))


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(boundary.services().tokens.jwks())
    # Clients may cache it for less than a rotation's wait (broker/chain/keyring.py): they then
    # hold the next key before it signs the first token.
    response.headers["Cache-Control"] = f"public, max-age={jwks_max_age(current_app.config)}"
    return response


JWKS_MAX_AGE = 300  # seconds: half the default wait (BROKER_KEY_WAIT_SECONDS, 600)


def jwks_max_age(config: Mapping[str, Any]) -> int:
    """How long clients may cache the JWKS: 5 minutes, or half the wait when that is shorter."""
    return min(JWKS_MAX_AGE, int(keyring.wait(config).total_seconds() // 2))


@bp.get("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    response = jsonify(oauth.metadata(boundary.services().issuer))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/oauth/token")
def token() -> Response:
    try:
        proof = dpop_proofs.token_endpoint_proof()
    except dpop.ProofRefused as refusal:
        return _answer(dpop_proofs.token_error(refusal))
    response = boundary.authorization_server().token_response(proof)
    if proof is not None:
        dpop_proofs.with_nonce(response)
    return _answer(response)


@bp.post("/oauth/device_authorization")
def device_authorization() -> Response:
    return _answer(boundary.authorization_server().create_endpoint_response("device_authorization"))


@bp.post("/oauth/revoke")
def revoke() -> Response:
    return _answer(boundary.authorization_server().create_endpoint_response("revocation"))


@bp.post("/oauth/introspect")
def introspect() -> Response:
    return _answer(boundary.authorization_server().create_endpoint_response("introspection"))


@bp.errorhandler(InsecureTransportError)
def insecure_transport(_error: InsecureTransportError) -> Response:
    # RFC 6749 3.1 / 3.2: TLS is required; plain http is served only on loopback addresses.
    return json_error(400, "invalid_request", "OAuth endpoints must be called over https")


def _answer(response: Response) -> Response:
    # RFC 6749 5.1: token responses are never stored.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
