"""DPoP over HTTP (RFC 9449): the `DPoP` request header, the `DPoP-Nonce` response header and
the `WWW-Authenticate: DPoP` challenge. The checks themselves are broker.oauth.dpop's."""

from __future__ import annotations

from flask import current_app, jsonify, request
from werkzeug.wrappers import Response

from .. import metrics
from ..oauth import dpop
from . import boundary

HEADER = "DPoP"
NONCE_HEADER = "DPoP-Nonce"
_NONCES = "broker.dpop_nonces"


def nonces() -> dpop.Nonces:
    """This app's nonce maker: one key for every worker, from the app's secret."""
    made = current_app.extensions.get(_NONCES)
    if made is None:
        secret = str(current_app.config["SECRET_KEY"]).encode()
        required = bool(current_app.config.get("BROKER_DPOP_NONCE", True))
        made = current_app.extensions[_NONCES] = dpop.Nonces(secret, required=required)
    return made


def presented() -> str | None:
    """The request's one DPoP header (None if it sent none); ProofRefused for several."""
    values = request.headers.getlist(HEADER)
    if not values:
        return None
    if len(values) > 1:
        raise dpop.ProofRefused("Send exactly one DPoP header")  # RFC 9449 4.3 (1)
    return values[0]


def request_url() -> str:
    """What `htu` must name: the issuer's base and the request's path, so it holds behind a
    proxy that rewrites the host or scheme."""
    return f"{boundary.services().issuer}{request.path}"


def token_endpoint_proof() -> dpop.Proof | None:
    """The token request's checked, remembered proof; None if it sent none."""
    proof = presented()
    if proof is None:
        return None
    checked = dpop.check(
        proof, method=request.method, url=request_url(), now=boundary.now(), nonces=nonces()
    )
    if not dpop.remember(checked):
        metrics.DPOP_REPLAYS.labels("token").inc()
        raise dpop.ProofRefused("This DPoP proof was used before")
    return checked


def with_nonce(response: Response) -> Response:
    """Every answer to a DPoP request carries a fresh nonce (RFC 9449 8.2)."""
    response.headers[NONCE_HEADER] = nonces().make(boundary.now())
    return response


def token_error(refusal: dpop.ProofRefused) -> Response:
    """RFC 9449 8: the token endpoint's refusal, 400 with the error in the body."""
    response = jsonify(error=refusal.error, error_description=str(refusal))
    response.status_code = 400
    return with_nonce(response)


def challenge(error: str, description: str) -> str:
    """RFC 9449 7.1: the resource's DPoP challenge, naming the algorithms it accepts."""
    return (
        f'DPoP error="{error}", error_description="{description}",'
        f' algs="{" ".join(dpop.ALGORITHMS)}"'
    )
