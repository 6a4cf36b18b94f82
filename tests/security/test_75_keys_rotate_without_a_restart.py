"""security.md 75: signing keys that every worker and host shares, rotated with no restart.

The keys are in the database (broker/chain/keyring.py), their private halves sealed with
AES-GCM under BROKER_KEY_ENCRYPTION_KEY. A rotation publishes the next key in the JWKS first; it
signs only after BROKER_KEY_WAIT_SECONDS, on every worker at the instant in its row; the retired
key stays in the JWKS until the last token it signed has expired. Time moves by the broker's
injectable clock (broker/clock.py), never by sleeping. The same with two gunicorn masters on
PostgreSQL: tests/resilience/test_key_rotation.py.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from broker import create_app, services
from broker.chain import keys, signed
from broker.chain.keys import KeyStoreError
from broker.extensions import db
from broker.models import Grant
from broker.scheduler import ROTATE_KEY, Scheduler, jobs
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)
from tests.own_brokers import KEK, broker, kids, migrate, settings


@pytest.fixture
def database(tmp_path: Path, frozen_clock) -> Path:  # noqa: ANN001
    migrate(tmp_path)
    return tmp_path


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def jwks(app) -> list[str]:  # noqa: ANN001
    return kids(app.test_client().get("/.well-known/jwks.json").get_json())


def test_the_next_key_is_published_first_and_every_worker_switches_at_its_instant(
    database,
    frozen_clock,  # noqa: ANN001
):
    # Two workers on one database; the second reads the table at every use (refresh 0), the
    # first only every 30 seconds, which is what each does between rotations.
    with broker(database, "a") as a:
        claimant, adviser = make_claimant(), make_adviser()
        grant_id, decision_id = make_grant(claimant, adviser).id, make_decision(claimant).id
        first = services.of(a).signing_key.kid
        with broker(database, "b", BROKER_KEY_REFRESH_SECONDS=0) as b:
            assert services.of(b).signing_key.kid == first
            assert jwks(a) == jwks(b) == [first]

            rotated = a.test_cli_runner().invoke(args=["rotate-signing-key"])
            assert rotated.exit_code == 0, rotated.output
            # Published on both at once, before it signs: a client fetching the JWKS now has it.
            (second,) = (kid for kid in jwks(b) if kid != first)
            assert jwks(a) == jwks(b) == [first, second]
            assert services.of(a).signing_key.kid == services.of(b).signing_key.kid == first

            again = a.test_cli_runner().invoke(args=["rotate-signing-key"])
            assert again.exit_code == 1 and f"key kid {second} was published" in again.output

            frozen_clock.advance(seconds=599)
            token, _ = issue_token(db.session.get(Grant, grant_id))
            assert kid_of(token) == first  # the last moment of the first key
            frozen_clock.advance(seconds=1)
            # Both switch at the instant in the row, though `a` has not read the table since.
            assert services.of(a).signing_key.kid == services.of(b).signing_key.kid == second
            assert jwks(a) == jwks(b) == [second, first]
            assert kid_of(issue_token(db.session.get(Grant, grant_id))[0]) == second

            # The token signed with the retired key works until it expires, then is refused.
            api = a.test_client()
            read = f"/api/v1/mr-decisions/{decision_id}"
            assert api.get(read, headers=bearer(token)).status_code == 200
            assert services.of(b).tokens.verify(token, now=frozen_clock.now)["jti"]
            frozen_clock.advance(seconds=298)
            assert api.get(read, headers=bearer(token)).status_code == 200
            frozen_clock.advance(seconds=1)
            assert api.get(read, headers=bearer(token)).status_code == 401

            # The retired key leaves the JWKS once no token it signed can be alive (its 5
            # minutes, a refresh period, a minute of clock skew); documents keep it for ever.
            frozen_clock.advance(seconds=30 + 60 + 1)
            assert jwks(a) == jwks(b) == [second]
            assert kids(services.of(b).key_set()) == [second, first]


def test_rotating_now_signs_at_once_and_a_waiting_key_is_not_doubled(database, frozen_clock):  # noqa: ANN001
    with broker(database) as app:
        cli = app.test_cli_runner()
        first = services.of(app).signing_key.kid
        assert cli.invoke(args=["rotate-signing-key"]).exit_code == 0
        (waiting,) = (kid for kid in jwks(app) if kid != first)

        now = cli.invoke(args=["rotate-signing-key", "--now"])  # a compromise while one waits
        assert now.exit_code == 0, now.output
        assert "must fetch the JWKS again" in now.output
        assert services.of(app).signing_key.kid == waiting  # the waiting key, not a third
        assert jwks(app) == [waiting, first]  # the old key's tokens verify until they expire

        frozen_clock.advance(seconds=1)
        assert cli.invoke(args=["rotate-signing-key", "--now"]).exit_code == 0
        third = services.of(app).signing_key.kid
        assert third not in (first, waiting) and jwks(app) == [third, waiting, first]
        frozen_clock.advance(minutes=10)
        assert jwks(app) == [third]
        # The private half of a key that stopped signing is erased at the next rotation.
        assert cli.invoke(args=["rotate-signing-key", "--now"]).exit_code == 0
        sealed = dict(
            db.session.execute(db.text("SELECT kid, private_key FROM signing_keys")).all()
        )
        assert sealed[first] is None and sealed[waiting] is None and sealed[third] is not None


def test_the_key_files_of_a_broker_before_the_upgrade_are_imported_with_their_kids(
    database,
    frozen_clock,  # noqa: ANN001
):
    key_dir = database / "keys"
    key_dir.mkdir(exist_ok=True)
    legacy, older = keys.new_signing_key(), keys.new_signing_key()
    keys.write_secret(
        key_dir / keys.KEY_FILE,
        legacy.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    keys.write_secret(
        key_dir / keys.RETIRED_FILE, json.dumps({"keys": [older.public_jwk]}).encode()
    )
    # Signed before the upgrade, with the file's keys.
    receipt = signed.sign({"what": "a receipt"}, signed.RECEIPT, legacy)
    statement = signed.sign({"what": "a statement"}, signed.STATEMENT, older)

    with broker(database) as app:
        assert services.of(app).signing_key.kid == legacy.kid
        assert jwks(app) == [legacy.kid, older.kid]  # the retired one while its tokens may live
        every = app.test_client().get("/api/v1/audit/keys").get_json()
        assert set(kids(every)) == {legacy.kid, older.kid}
        assert signed.verify(receipt, signed.RECEIPT, every) == {"what": "a receipt"}
        assert signed.verify(statement, signed.STATEMENT, every) == {"what": "a statement"}
        # A second worker finds them in the database and imports nothing again.
        with broker(database, "b") as other:
            assert services.of(other).signing_key.kid == legacy.kid
            assert len(kids(services.of(other).key_set())) == 2


def test_private_keys_are_sealed_at_rest_and_open_only_under_their_key(database):  # noqa: ANN001
    with broker(database) as app:
        key = services.of(app).signing_key
        assert app.test_cli_runner().invoke(args=["rotate-signing-key"]).exit_code == 0
        waiting = next(k for k in services.of(app).tokens.ring.keys() if k.kid != key.kid)
    secrets_in_clear = [
        key.private_key.private_numbers().private_value.to_bytes(32, "big"),
        key.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        waiting.key.private_key.private_numbers().private_value.to_bytes(32, "big"),
    ]
    stored = b"".join(
        path.read_bytes()
        for path in database.glob("keys.sqlite3*")  # the file and its WAL
    )
    assert not any(secret in stored for secret in secrets_in_clear)
    with sqlite3.connect(database / "keys.sqlite3") as raw:
        rows = raw.execute("SELECT kid, private_key FROM signing_keys").fetchall()
    assert len(rows) == 2 and all(sealed is not None for _, sealed in rows)
    opened = keys.unseal(base64.urlsafe_b64decode(KEK), key.kid, dict(rows)[key.kid])
    assert opened.kid == key.kid
    # Sealed with its kid as associated data: moved onto another row, it does not open.
    with pytest.raises(KeyStoreError, match="does not open"):
        keys.unseal(base64.urlsafe_b64decode(KEK), waiting.kid, dict(rows)[key.kid])


def test_a_wrong_key_encryption_key_fails_clearly(database, tmp_path):  # noqa: ANN001
    with broker(database) as app:
        services.of(app).signing_key  # noqa: B018 - the first key is made and sealed
    wrong = base64.urlsafe_b64encode(b"\x01" * 32).decode()
    with broker(database, "b", BROKER_KEY_ENCRYPTION_KEY=wrong) as other:
        with pytest.raises(KeyStoreError, match="BROKER_KEY_ENCRYPTION_KEY does not open"):
            services.of(other).signing_key  # noqa: B018
        ready = other.test_client().get("/readyz").get_json()
        assert "signing_key" in ready["failed"]
    with pytest.raises(RuntimeError, match="32 random bytes in base64url"):
        create_app(settings(database, "c", BROKER_KEY_ENCRYPTION_KEY="not-a-key"))


PRODUCTION = {
    "BROKER_ENV": "production",
    "BROKER_ISSUER": "https://broker.example",
    "SECRET_KEY": "Vq3-x9LrT0bZ_m4KwJ7nYpE2sHd8GuCf",
}


def test_production_needs_its_key_encryption_key_and_makes_no_key_by_itself(database):  # noqa: ANN001
    signed.load_or_create_statement_key(database / "keys", create=True)
    with pytest.raises(RuntimeError, match="BROKER_KEY_ENCRYPTION_KEY must be set in production"):
        create_app(settings(database, "p", **PRODUCTION, BROKER_KEY_ENCRYPTION_KEY=None))
    assert not (database / "keys" / keys.KEK_FILE).exists()

    with broker(database, "p", **PRODUCTION) as app:
        with pytest.raises(KeyStoreError, match="run `consent-broker rotate-signing-key` once"):
            services.of(app).signing_key  # noqa: B018
        first = app.test_cli_runner().invoke(args=["rotate-signing-key"])
        assert first.exit_code == 0, first.output
        assert "is the first, and signs now" in first.output
        assert jwks(app) == [services.of(app).signing_key.kid]


def test_the_scheduler_rotates_every_broker_key_rotate_days(database, frozen_clock):  # noqa: ANN001
    with broker(database, BROKER_KEY_ROTATE_DAYS=0) as unset:
        assert ROTATE_KEY not in [job.name for job in jobs(unset)]
    with broker(database, BROKER_KEY_ROTATE_DAYS=30) as app:
        runner = Scheduler(app, holder="tests")
        first = services.of(app).signing_key.kid
        assert ROTATE_KEY in runner.step()
        assert jwks(app) == [first]  # a new key is not due

        frozen_clock.advance(days=30)
        assert ROTATE_KEY in runner.step()
        (second,) = (kid for kid in jwks(app) if kid != first)  # published, waiting
        assert services.of(app).signing_key.kid == first
        frozen_clock.advance(minutes=5)
        runner.step()
        assert len(jwks(app)) == 2  # no second key while one waits
        frozen_clock.advance(minutes=5)
        assert services.of(app).signing_key.kid == second
        frozen_clock.advance(days=29, hours=23)
        runner.step()
        assert len(kids(services.of(app).key_set())) == 2  # counted from when it began to sign
        frozen_clock.advance(hours=1)
        runner.step()
        assert len(kids(services.of(app).key_set())) == 3


def test_a_worker_keeps_the_keys_it_read_while_the_database_is_away(database):  # noqa: ANN001
    with broker(database, BROKER_KEY_REFRESH_SECONDS=0) as app:
        kid = services.of(app).signing_key.kid
        db.session.execute(db.text("ALTER TABLE signing_keys RENAME TO signing_keys_away"))
        db.session.commit()
        assert services.of(app).signing_key.kid == kid  # the last read, not an error
        assert jwks(app) == [kid]
        with broker(database, "b") as fresh, pytest.raises(Exception, match="signing_keys"):
            services.of(fresh).signing_key  # noqa: B018 - one that never read them cannot sign
