"""One issuer: BROKER_ISSUER written with a trailing slash still gives every token, the
discovery metadata and every signed document the same `iss`, so a verifier comparing them
(RFC 8414 3.3, RFC 9068 4) never sees two spellings of the broker."""

from __future__ import annotations

import jwt
from flask import Flask

from broker import clock, create_app, services
from broker.consent import receipts
from broker.extensions import db
from broker.proof import history_copy
from tests.factories import make_adviser, make_claimant, make_grant

ISSUER = "http://broker.test"


def test_a_trailing_slash_gives_one_iss_everywhere(app: Flask, tmp_path):
    slashed = create_app(
        {
            **{
                key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY")
            },
            "INSTANCE_PATH": str(tmp_path),
            "BROKER_KEY_DIR": app.config["BROKER_KEY_DIR"],
            "BROKER_ISSUER": f"{ISSUER}/",
            "BROKER_SQLITE_SYNC": "normal",
        }
    )
    bound = services.of(slashed)
    assert bound.issuer == ISSUER

    metadata = slashed.test_client().get("/.well-known/oauth-authorization-server").json
    with slashed.app_context():
        claimant = make_claimant()
        grant = make_grant(claimant, make_adviser())
        token, _row, _lifetime = bound.tokens.issue(
            grant, client_id="c", scopes=("mr:read",), now=clock.now()
        )
        db.session.rollback()
        (receipt,) = receipts.for_grant(claimant.id, grant.id)
        receipt_payload = receipts.payload_of(receipt, bound.key_set())
        copy = history_copy.signed_copy(claimant, now=clock.now(), services=bound)
        db.session.remove()
    token_iss = jwt.decode(token, options={"verify_signature": False})["iss"]

    assert metadata["issuer"] == ISSUER
    assert token_iss == ISSUER
    assert copy["history"]["iss"] == ISSUER
    assert receipt_payload["piiControllers"][0]["piiControllerUrl"] == ISSUER
    assert receipt_payload["policyUrl"] == f"{ISSUER}/"
