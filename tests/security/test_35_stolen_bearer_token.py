"""security.md 35: stolen bearer token. A DPoP-bound token (RFC 9449) is worthless without the
client's private key: every proof is bound to one method, URL, moment and token, used once, and
made with the key the token names. Proofs here are made with PyJWT, never with the broker's code."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from flask import Flask

from broker import create_app
from broker.extensions import db
from broker.models import OAuthClient
from tests.conftest import FAST_PASSWORD_HASHING, sign_in
from tests.dpop.conftest import make_case
from tests.dpop.flows import (
    NONCE,
    client_auth,
    code,
    code_form,
    decision_url,
    dpop_tokens,
    nonce_for,
    redeem,
    refresh,
)
from tests.dpop.proofs import ISSUER, TOKEN_URL, ClientKey, b64url
from tests.factories import bearer
from tests.oauth.helpers import authorize_query, pkce_pair, query_of

from .conftest import audit_trail


@pytest.fixture
def case(ctx):  # noqa: ANN001, ANN201
    """The attacks' case also has a public client (the security conftest's has none)."""
    return make_case()


def _get(app, case, headers):  # noqa: ANN001, ANN202
    return app.test_client().get(decision_url(case), headers=headers)


@pytest.fixture
def bound(app, case):  # noqa: ANN001, ANN201
    """A bound access token, its key, and a current API nonce."""
    key = ClientKey()
    token = dpop_tokens(app, case, key)["access_token"]
    return key, token, nonce_for(app.test_client(), case, key, token)


def _dpop(token: str, proof: str) -> dict[str, str]:
    return {"Authorization": f"DPoP {token}", "DPoP": proof}


def _refused_as_bad_proof(response) -> None:  # noqa: ANN001
    assert response.status_code == 401, response.text
    assert response.json["error"] == "invalid_dpop_proof"
    assert response.headers["WWW-Authenticate"].startswith('DPoP error="invalid_dpop_proof"')
    assert "Limited capability" not in response.text


# On the protected API


def test_a_bound_token_sent_as_bearer_is_refused_and_audited(app, case, bound):
    _key, token, _nonce = bound

    response = _get(app, case, bearer(token))

    assert response.status_code == 401
    assert response.json["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("DPoP ")
    assert "Limited capability" not in response.text
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert audit_trail(case.claimant_id)[-1] == ("mr.read", "refused:dpop_required", jti)


def test_a_replayed_proof_is_refused_on_the_api(app, case, bound):
    key, token, nonce = bound
    proof = key.proof("GET", decision_url(case), token=token, nonce=nonce)

    first = _get(app, case, _dpop(token, proof))
    replayed = _get(app, case, _dpop(token, proof))

    assert first.status_code == 200, first.text
    _refused_as_bad_proof(replayed)
    assert audit_trail(case.claimant_id)[-1][:2] == ("mr.read", "refused:dpop_replay")


def test_a_replayed_proof_is_refused_by_another_app_instance_sharing_the_database(app, case, bound):
    """Two workers: the jti is remembered in the database, not in a process."""
    key, token, nonce = bound
    proof = key.proof("GET", decision_url(case), token=token, nonce=nonce)
    other = _second_instance(app)
    try:
        first = other.test_client().get(decision_url(case), headers=_dpop(token, proof))
        replayed = _get(app, case, _dpop(token, proof))
    finally:
        with other.app_context():
            db.engine.dispose()

    assert first.status_code == 200, first.text
    _refused_as_bad_proof(replayed)


def _second_instance(app: Flask) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": app.instance_path,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "BROKER_KEY_DIR": app.config["BROKER_KEY_DIR"],
            "BROKER_ISSUER": ISSUER,
            **FAST_PASSWORD_HASHING,
        }
    )


def test_a_proof_for_another_method_is_refused(app, case, bound):
    key, token, nonce = bound

    response = _get(
        app, case, _dpop(token, key.proof("POST", decision_url(case), token=token, nonce=nonce))
    )

    _refused_as_bad_proof(response)
    assert audit_trail(case.claimant_id)[-1][:2] == ("mr.read", "refused:dpop_proof")


def test_a_proof_for_another_url_is_refused(app, case, bound):
    key, token, nonce = bound
    elsewhere = f"{ISSUER}/api/v1/journal"

    response = _get(app, case, _dpop(token, key.proof("GET", elsewhere, token=token, nonce=nonce)))

    _refused_as_bad_proof(response)


def test_the_url_is_compared_without_query_and_with_case_and_default_port_normalised(
    app, case, bound
):
    key, token, nonce = bound
    spelled = decision_url(case).replace("http://broker.test", "HTTP://Broker.Test:80") + "?x=1"

    response = _get(app, case, _dpop(token, key.proof("GET", spelled, token=token, nonce=nonce)))

    assert response.status_code == 200, response.text


def test_a_stale_proof_is_refused(app, case, bound):
    key, token, nonce = bound
    stale = key.proof("GET", decision_url(case), token=token, nonce=nonce, iat=time.time() - 120)

    _refused_as_bad_proof(_get(app, case, _dpop(token, stale)))


def test_a_proof_from_the_future_is_refused(app, case, bound):
    key, token, nonce = bound
    ahead = key.proof("GET", decision_url(case), token=token, nonce=nonce, iat=time.time() + 120)

    _refused_as_bad_proof(_get(app, case, _dpop(token, ahead)))


def test_a_proof_for_another_token_is_refused(app, case, bound):
    key, token, nonce = bound
    wrong_ath = key.proof("GET", decision_url(case), token=token + "x", nonce=nonce)
    no_ath = key.proof("GET", decision_url(case), nonce=nonce)

    _refused_as_bad_proof(_get(app, case, _dpop(token, wrong_ath)))
    _refused_as_bad_proof(_get(app, case, _dpop(token, no_ath)))


def test_a_proof_made_with_another_key_is_refused(app, case, bound):
    _key, token, nonce = bound
    thief = ClientKey()

    response = _get(
        app, case, _dpop(token, thief.proof("GET", decision_url(case), token=token, nonce=nonce))
    )

    _refused_as_bad_proof(response)


def test_a_proof_without_the_servers_nonce_is_refused_with_a_new_one(app, case, bound):
    key, token, _nonce = bound

    missing = _get(app, case, _dpop(token, key.proof("GET", decision_url(case), token=token)))
    made_up = _get(
        app, case, _dpop(token, key.proof("GET", decision_url(case), token=token, nonce="made-up"))
    )

    for response in (missing, made_up):
        assert response.status_code == 401
        assert response.json["error"] == "use_dpop_nonce"
        assert response.headers[NONCE]
        assert "Limited capability" not in response.text


def test_a_bound_token_without_any_proof_is_refused(app, case, bound):
    _key, token, _nonce = bound

    response = _get(app, case, {"Authorization": f"DPoP {token}"})

    _refused_as_bad_proof(response)


def test_two_dpop_headers_are_refused(app, case, bound):
    key, token, nonce = bound
    url = decision_url(case)
    headers = [
        ("Authorization", f"DPoP {token}"),
        ("DPoP", key.proof("GET", url, token=token, nonce=nonce)),
        ("DPoP", key.proof("GET", url, token=token, nonce=nonce)),
    ]

    _refused_as_bad_proof(app.test_client().get(url, headers=headers))


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_unsigned_and_hmac_proofs_are_refused(app, case, bound, alg):
    key, token, nonce = bound
    claims = {
        "jti": b64url(b"one"),
        "htm": "GET",
        "htu": decision_url(case),
        "iat": int(time.time()),
        "ath": jwt.decode(
            key.proof("GET", "http://x/", token=token), options={"verify_signature": False}
        )["ath"],
        "nonce": nonce,
    }
    secret = "shared-secret-of-32-bytes-or-more!!" if alg == "HS256" else None
    forged = jwt.encode(claims, secret, algorithm=alg, headers={"typ": "dpop+jwt", "jwk": key.jwk})

    _refused_as_bad_proof(_get(app, case, _dpop(token, forged)))


def test_a_proof_whose_jwk_holds_the_private_key_is_refused(app, case, bound):
    key, token, nonce = bound
    private_jwk = {
        **key.jwk,
        "d": b64url(key.private.private_numbers().private_value.to_bytes(32, "big")),
    }
    proof = key.proof(
        "GET", decision_url(case), token=token, nonce=nonce, header={"jwk": private_jwk}
    )

    _refused_as_bad_proof(_get(app, case, _dpop(token, proof)))


def test_a_proof_with_the_wrong_type_is_refused(app, case, bound):
    key, token, nonce = bound
    proof = key.proof("GET", decision_url(case), token=token, nonce=nonce, header={"typ": "JWT"})

    _refused_as_bad_proof(_get(app, case, _dpop(token, proof)))


def _altered(proof: str, part: int, change) -> str:  # noqa: ANN001
    """The proof with one of its three parts changed (its signature left as it was)."""
    parts = proof.split(".")
    parts[part] = change(parts[part])
    return ".".join(parts)


def _claims_with(proof: str, **more: object) -> str:
    claims = jwt.decode(proof, options={"verify_signature": False})
    return b64url(json.dumps({**claims, **more}).encode())


def test_a_proof_whose_claims_were_changed_after_signing_is_refused(app, case, bound):
    key, token, nonce = bound
    proof = key.proof("GET", decision_url(case), token=token, nonce=nonce)
    forged = _altered(proof, 1, lambda _part: _claims_with(proof, jti=b64url(b"another")))

    _refused_as_bad_proof(_get(app, case, _dpop(token, forged)))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda proof: proof + ".",  # four parts
        lambda proof: proof.rsplit(".", 1)[0],  # no signature part
        lambda proof: _altered(proof, 2, lambda part: part + "="),  # padded: not base64url
        lambda proof: _altered(proof, 0, lambda part: part.replace("e", "+", 1)),  # base64's +
        lambda proof: _altered(proof, 0, lambda _part: b64url(b"[1, 2]")),  # not an object
        lambda proof: _altered(proof, 1, lambda _part: b64url(b"{not json")),
        lambda proof: _altered(proof, 1, lambda _part: "a"),  # not whole bytes
    ],
    ids=["four parts", "two parts", "padding", "plus", "array header", "not JSON", "one char"],
)
def test_a_proof_that_is_not_a_compact_jwt_is_refused(app, case, bound, mangle):
    key, token, nonce = bound
    proof = key.proof("GET", decision_url(case), token=token, nonce=nonce)

    response = _get(app, case, _dpop(token, mangle(proof)))

    _refused_as_bad_proof(response)


def test_the_same_key_signs_many_proofs_and_each_is_checked_on_its_own(app, case, bound):
    """The key made from a proof's JWK is kept per process: a later proof with a changed
    signature is refused all the same, and a good one after it still passes."""
    key, token, nonce = bound
    first = key.proof("GET", decision_url(case), token=token, nonce=nonce)
    assert _get(app, case, _dpop(token, first)).status_code == 200
    second = key.proof("GET", decision_url(case), token=token, nonce=nonce)
    bad = _altered(second, 2, lambda part: ("A" if part[0] != "A" else "B") + part[1:])
    _refused_as_bad_proof(_get(app, case, _dpop(token, bad)))
    third = key.proof("GET", decision_url(case), token=token, nonce=nonce)
    assert _get(app, case, _dpop(token, third)).status_code == 200


# At the token endpoint


def test_a_replayed_proof_is_refused_at_the_token_endpoint(app, case):
    key = ClientKey()
    api = app.test_client()
    nonce = api.post("/oauth/token", headers={"DPoP": key.proof("POST", TOKEN_URL)}).headers[NONCE]
    proof = key.proof("POST", TOKEN_URL, nonce=nonce)
    first_code, second_code = (
        code(app, case.username, case.client_id),
        code(app, case.username, case.client_id),
    )

    def redeem_with(code_and_verifier):  # noqa: ANN001, ANN202
        form = {
            "grant_type": "authorization_code",
            "code": code_and_verifier[0],
            "redirect_uri": "https://case.example/callback",
            "code_verifier": code_and_verifier[1],
        }
        auth = client_auth(case.client_id, case.secret, form)
        return api.post("/oauth/token", data=form, headers={**auth, "DPoP": proof})

    first, replayed = redeem_with(first_code), redeem_with(second_code)

    assert first.status_code == 200, first.text
    assert replayed.status_code == 400
    assert replayed.json["error"] == "invalid_dpop_proof"
    assert "access_token" not in replayed.json


def test_a_proof_for_another_endpoint_is_refused_at_the_token_endpoint(app, case):
    key = ClientKey()
    nonce = (
        app.test_client()
        .post("/oauth/token", headers={"DPoP": key.proof("POST", TOKEN_URL)})
        .headers[NONCE]
    )
    form, auth = code_form(case.client_id, case.secret, code(app, case.username, case.client_id))

    response = app.test_client().post(
        "/oauth/token",
        data=form,
        headers={**auth, "DPoP": key.proof("POST", f"{ISSUER}/oauth/revoke", nonce=nonce)},
    )

    assert response.status_code == 400
    assert response.json["error"] == "invalid_dpop_proof"


def test_a_refresh_with_a_different_key_is_refused_and_leaves_the_token_usable(app, case):
    key, thief = ClientKey(), ClientKey()
    tokens = dpop_tokens(app, case, key, public=True)

    stolen = refresh(app, case.public_id, None, tokens["refresh_token"], thief)
    without_proof = refresh(app, case.public_id, None, tokens["refresh_token"], None)
    owner = refresh(app, case.public_id, None, tokens["refresh_token"], key)

    for response in (stolen, without_proof):
        assert response.status_code == 400
        assert response.json["error"] == "invalid_dpop_proof"
        assert "access_token" not in response.json
    assert owner.status_code == 200, owner.text


def test_a_code_asked_for_with_dpop_jkt_needs_that_key(app, case):
    key, other = ClientKey(), ClientKey()
    pinned = code(app, case.username, case.client_id, dpop_jkt=key.jkt)
    pinned_again = code(app, case.username, case.client_id, dpop_jkt=key.jkt)

    wrong_key = redeem(app, case.client_id, case.secret, pinned, other)
    no_proof = redeem(app, case.client_id, case.secret, pinned_again, None)
    right_key = redeem(app, case.client_id, case.secret, pinned_again, key)

    assert wrong_key.status_code == 400
    assert wrong_key.json["error"] == "invalid_dpop_proof"
    assert no_proof.status_code == 400
    assert no_proof.json["error"] == "invalid_dpop_proof"
    assert right_key.status_code == 200, right_key.text  # a refused key did not burn the code
    assert jwt.decode(right_key.json["access_token"], options={"verify_signature": False})[
        "cnf"
    ] == {"jkt": key.jkt}


def test_a_client_registered_to_require_dpop_gets_nothing_without_a_proof(app, case):
    db.session.get(OAuthClient, case.client_id).require_dpop = True
    db.session.commit()

    without = redeem(
        app, case.client_id, case.secret, code(app, case.username, case.client_id), None
    )
    with_proof = redeem(
        app, case.client_id, case.secret, code(app, case.username, case.client_id), ClientKey()
    )

    assert without.status_code == 400
    assert without.json["error"] == "invalid_dpop_proof"
    assert "access_token" not in without.json
    assert with_proof.status_code == 200
    assert with_proof.json["token_type"] == "DPoP"


def test_the_nonce_retry_helper_is_not_needed_when_nonces_are_off(app, case):
    """BROKER_DPOP_NONCE=0: a first proof without a nonce is accepted."""
    app.config["BROKER_DPOP_NONCE"] = False
    app.extensions.pop("broker.dpop_nonces", None)
    try:
        key = ClientKey()
        form, auth = code_form(
            case.client_id, case.secret, code(app, case.username, case.client_id)
        )
        response = app.test_client().post(
            "/oauth/token", data=form, headers={**auth, "DPoP": key.proof("POST", TOKEN_URL)}
        )
    finally:
        app.config["BROKER_DPOP_NONCE"] = True
        app.extensions.pop("broker.dpop_nonces", None)

    assert response.status_code == 200, response.text
    assert response.json["token_type"] == "DPoP"


def test_a_dpop_jkt_that_is_no_thumbprint_is_refused_at_authorize(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)
    _verifier, challenge = pkce_pair()
    url = authorize_query(case.client_id, challenge) + "&dpop_jkt=" + "x" * 200

    answer = browser.get(url)

    assert answer.status_code in (302, 303)
    assert query_of(answer.headers["Location"])["error"] == "invalid_request"
