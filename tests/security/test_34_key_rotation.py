"""security.md 34: signing-key compromise or age.

`consent-broker rotate-signing-key` publishes the next ES256 key, which signs after the wait on
every worker with no restart. The JWKS keeps the retired key until the access tokens it signed
have expired; checkpoints, receipts and statements signed with any retired key still verify,
always, under /api/v1/audit/keys; the statement key is its own secret (0600) and survives
rotations. (How the keys are shared and sealed: test_75_keys_rotate_without_a_restart.py.)
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import jwt
import pytest
from flask import Flask

from broker import create_app, services
from broker.consent import receipts
from broker.extensions import db
from broker.models import Adviser, Grant, Receipt
from tests.factories import (
    bearer,
    bound,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)
from tests.own_brokers import KEK, broker, kids, migrate
from tests.proof.conftest import download_statement


@pytest.fixture
def instance(tmp_path: Path, frozen_clock):  # noqa: ANN001, ANN201
    """A broker on a database of its own (so rotating touches no other test's keys); calling it
    again is another worker on the same database."""
    migrate(tmp_path)
    return lambda name="a", **config: broker(tmp_path, name, **config)


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def verify_statement(broker: Flask, document: dict, tmp_path: Path) -> str:  # noqa: ANN001
    """Check a statement as an outsider would: only the published keys and checkpoints."""
    web = broker.test_client()
    (tmp_path / "keys.json").write_text(web.get("/api/v1/audit/keys").text)
    (tmp_path / "checkpoints.json").write_text(web.get("/api/v1/audit/checkpoints").text)
    (tmp_path / "statement.json").write_text(json.dumps(document))
    result = broker.test_cli_runner().invoke(
        args=[
            "verify-statement",
            str(tmp_path / "statement.json"),
            "--jwks",
            str(tmp_path / "keys.json"),
            "--checkpoints",
            str(tmp_path / "checkpoints.json"),
        ]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_everything_signed_before_a_rotation_still_verifies_after_it(  # noqa: ANN001
    instance, tmp_path, frozen_clock
):
    with instance() as before:
        claimant, priya = make_claimant("Alex Morgan"), make_adviser("Priya Shah")
        grant = make_grant(claimant, priya)
        decision = make_decision(claimant)
        web = before.test_client()
        cli = before.test_cli_runner()
        assert cli.invoke(args=["checkpoint"]).exit_code == 0
        old_statement = download_statement(web, priya, grant)
        old_receipt = db.session.scalars(db.select(Receipt.jws)).first()
        old_kid = kid_of(old_statement["jws"])
        statement_key = services.of(before).statement_key

        rotated = cli.invoke(args=["rotate-signing-key"])
        assert rotated.exit_code == 0, rotated.output
        assert "signs from" in rotated.output
        # Published at once, signing only after the wait: the old key signs until then.
        published = kids(web.get("/.well-known/jwks.json").get_json())
        new_kid = published[1]
        assert published == [old_kid, new_kid]
        frozen_clock.advance(seconds=599)
        old_token, _ = issue_token(grant)  # signed just before the switch
        assert kid_of(old_token) == old_kid
        frozen_clock.advance(seconds=1)
        assert services.of(before).signing_key.kid == new_kid  # no restart
        assert kids(web.get("/.well-known/jwks.json").get_json()) == [new_kid, old_kid]

        # A token signed just before the switch works until it expires; new ones use the new key.
        assert (
            web.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(old_token)).status_code
            == 200
        )
        new_token, _ = issue_token(db.session.get(Grant, grant.id))
        assert kid_of(new_token) == new_kid
        decision_id, grant_id, priya_id = decision.id, grant.id, priya.id

    with instance("b") as after:  # another worker on the database: the same keys
        web = after.test_client()
        # Checkpoints: the old ones and a new one all verify, and the audit is intact.
        web.get(f"/api/v1/mr-decisions/{decision_id}", headers=bearer(new_token))
        cli = after.test_cli_runner()
        assert "Signed checkpoint 3" in cli.invoke(args=["checkpoint", "--force"]).output
        audit = cli.invoke(args=["verify-audit"])
        assert audit.exit_code == 0, audit.output

        # Receipts and statements signed with the retired key still verify.
        assert receipts.verify({"jws": old_receipt}, bound().key_set())[0]
        assert "VALID." in verify_statement(after, old_statement, tmp_path)
        new_statement = download_statement(
            web, db.session.get(Adviser, priya_id), db.session.get(Grant, grant_id)
        )
        assert kid_of(new_statement["jws"]) == new_kid
        assert "VALID." in verify_statement(after, new_statement, tmp_path)

        # The statement key is its own secret: kept, owner-only, unchanged by the rotation.
        assert services.of(after).statement_key == statement_key
        key_dir = Path(after.config["BROKER_KEY_DIR"])
        assert stat.S_IMODE((key_dir / "statement-key").stat().st_mode) == 0o600

        assert after.test_cli_runner().invoke(args=["rotate-signing-key"]).exit_code == 0
        frozen_clock.advance(seconds=600)

    with instance("c") as later:  # two rotations on: tokens no longer, documents always
        web = later.test_client()
        published = kids(web.get("/.well-known/jwks.json").get_json())
        assert old_kid not in published and new_kid in published and len(published) == 2
        refused = web.get(f"/api/v1/mr-decisions/{decision_id}", headers=bearer(old_token))
        assert refused.status_code == 401
        every = kids(web.get("/api/v1/audit/keys").get_json())
        assert every[1:] == [new_kid, old_kid]
        assert receipts.verify({"jws": old_receipt}, bound().key_set())[0]
        assert "VALID." in verify_statement(later, old_statement, tmp_path)
        audit = later.test_cli_runner().invoke(args=["verify-audit"])
        assert audit.exit_code == 0, audit.output


def test_the_statement_key_is_not_derived_from_the_signing_key(instance, tmp_path):  # noqa: ANN001
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    with instance() as broker:
        private = services.of(broker).signing_key.private_key
        secret = private.private_numbers().private_value.to_bytes(32, "big")
        derived = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"consent-broker audit actor salts",
        ).derive(secret)
        assert bound().statement_key != derived
        assert (tmp_path / "keys" / "statement-key").exists()


def test_production_will_not_start_without_its_own_statement_key(app, tmp_path):  # noqa: ANN001
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "Vq3-x9LrT0bZ_m4KwJ7nYpE2sHd8GuCf",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "BROKER_KEY_DIR": str(tmp_path / "keys"),
        "BROKER_ISSUER": "https://broker.example",
        "BROKER_ENV": "production",
        "BROKER_KEY_ENCRYPTION_KEY": KEK,  # the signing keys' own setting is there
    }
    with pytest.raises(RuntimeError, match="no statement key"):
        create_app(settings)
    assert not (tmp_path / "keys" / "statement-key").exists()  # nor derives or makes one
