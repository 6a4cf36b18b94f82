"""Attack 72: a client built to the README making proofs the broker refuses, or naming its own
host. The README's **Proofs accepted** says exactly what broker/oauth/dpop.py accepts (issue 26):
the algorithm names `ALGORITHMS` holds, no other (`Ed25519`, the fully-specified name, is
refused: send `EdDSA`), and `htu` compared with the configured issuer (`BROKER_ISSUER`), not the
host name the request came in on. The README is read; the broker is tried with proofs PyJWT and
cryptography make."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from broker.oauth import dpop
from tests.dpop.conftest import make_case
from tests.dpop.flows import decision_url, dpop_tokens, nonce_for
from tests.dpop.proofs import ClientKey, b64url

README = Path(__file__).resolve().parents[2] / "README.md"


def _accepted() -> str:
    section = README.read_text().split("## Sender-constrained tokens (DPoP)", 1)[1]
    bullet = section.split("- **Proofs accepted:**", 1)[1].split("\n- ", 1)[0]
    return " ".join(bullet.split())


def test_the_readme_names_exactly_the_algorithms_accepted():
    listed = re.search(r"`alg` one of (.*?), exactly these names", _accepted())
    assert listed, "the README lists the algorithm names after '`alg` one of'"
    assert re.findall(r"`([^`]+)`", listed.group(1)) == list(dpop.ALGORITHMS)
    assert "Ed25519" not in dpop.ALGORITHMS and "`Ed25519`" in _accepted()


def test_the_readme_says_htu_is_compared_with_the_issuer():
    text = _accepted()
    assert "`htu` is the broker's issuer (`BROKER_ISSUER`" in text
    assert "whatever host name the request itself used" in text


@pytest.fixture
def bound(app, ctx):  # noqa: ANN001, ANN201
    case = make_case()
    key = ClientKey("EdDSA")
    token = dpop_tokens(app, case, key)["access_token"]
    return case, key, token, nonce_for(app.test_client(), case, key, token)


def _get(app, case, token: str, proof: str):  # noqa: ANN001, ANN202
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    return app.test_client().get(decision_url(case), headers=headers)  # Host: localhost


def test_an_eddsa_proof_works_and_the_same_signed_as_ed25519_is_refused(app, bound):
    case, key, token, nonce = bound
    works = _get(app, case, token, key.proof("GET", decision_url(case), token=token, nonce=nonce))
    assert works.status_code == 200, works.text

    nonce = works.headers["DPoP-Nonce"]
    claims = json.loads(_payload(key.proof("GET", decision_url(case), token=token, nonce=nonce)))
    header = {"typ": "dpop+jwt", "alg": "Ed25519", "jwk": key.jwk}
    signing_input = f"{_b64json(header)}.{_b64json(claims)}"
    forged = f"{signing_input}.{b64url(key.private.sign(signing_input.encode()))}"
    refused = _get(app, case, token, forged)
    assert refused.status_code == 401 and refused.json["error"] == "invalid_dpop_proof"
    assert "alg must be one of ES256 EdDSA RS256" in refused.json["error_description"]


def test_a_proof_for_the_requests_own_host_rather_than_the_issuer_is_refused(app, bound):
    case, key, token, nonce = bound
    own_host = decision_url(case).replace("http://broker.test", "http://localhost")
    refused = _get(app, case, token, key.proof("GET", own_host, token=token, nonce=nonce))
    assert refused.status_code == 401 and refused.json["error"] == "invalid_dpop_proof"
    assert "htu" in refused.json["error_description"]


def _b64json(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def _payload(jws: str) -> str:
    part = jws.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()
