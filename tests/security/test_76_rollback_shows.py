"""security.md 76: a restored database that lost sealed events, passing as whole. A database
restored from a backup agrees with itself, so the broker keeps its newest signed checkpoint
outside it (BROKER_CHECKPOINT_COPY) and `verify-audit` compares the two; a witness's copy saved
from /api/v1/audit/checkpoints is checked the same way (`--checkpoint`), once its signature is
the broker's. Each broker here runs on a SQLite file of its own and is restored as an operator
would: stop it, put the backup in the database's place, start it again."""

from __future__ import annotations

import base64
import json
import logging
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from click.testing import Result
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask_migrate import upgrade

from broker import create_app, services
from broker.chain import checkpoints, rollback, signed
from broker.chain.keys import SigningKey
from broker.driver import EXTENSION as DRIVER
from broker.extensions import db
from tests.conftest import FAST_PASSWORD_HASHING
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)

ISSUER = "http://broker.test"
ROLLED_BACK = "events sealed by checkpoint {} are missing: this database was rolled back"
REWRITTEN = "checkpoint {} differs: the audit history was rewritten"


class Broker:
    """A broker on the SQLite file `database`, with its keys (and so its checkpoint copy) in
    `tmp_path / "keys"`, which a restore of the database leaves as they are."""

    def __init__(self, tmp_path: Path, database: Path, **config: str) -> None:
        self.tmp_path, self.database = tmp_path, database
        self.app: Flask = create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                "SECRET_KEY": "test-secret-key",
                "BROKER_KEY_DIR": str(tmp_path / "keys"),
                "BROKER_ISSUER": ISSUER,
                "BROKER_SQLITE_SYNC": "normal",
                **FAST_PASSWORD_HASHING,
                **config,
            }
        )

    @property
    def copy(self) -> Path:
        path = services.of(self.app).checkpoint_copy
        assert path is not None
        return path

    def cli(self, *args: str) -> Result:
        return self.app.test_cli_runner().invoke(args=list(args))

    def seal(self) -> int:
        result = self.cli("checkpoint", "--force")
        assert result.exit_code == 0, result.output
        with self.app.app_context():
            return checkpoints.latest().seq

    def read(self, token: str, decision_id: str, times: int = 2) -> None:
        """An adviser's reads through the API: each one an audit event."""
        client = self.app.test_client()
        for _ in range(times):
            answer = client.get(f"/api/v1/mr-decisions/{decision_id}", headers=bearer(token))
            assert answer.status_code == 200, answer.text

    def back_up(self, name: str) -> Path:
        target = self.tmp_path / name
        result = self.cli("backup", str(target))
        assert result.exit_code == 0, result.output
        return target

    def restore(self, backup: Path) -> Broker:
        """Stop this broker, put `backup` in its database's place, start a new one on it."""
        self.close()
        for leftover in (Path(f"{self.database}-wal"), Path(f"{self.database}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(backup, self.database)
        return Broker(self.tmp_path, self.database)

    def checkpoints_page(self) -> dict:
        """/api/v1/audit/checkpoints as a witness (an advice agency) saves it."""
        return self.app.test_client().get("/api/v1/audit/checkpoints").get_json()

    def close(self) -> None:
        """Close every connection it holds (the engine's and the guard's own), as stopping
        the server would."""
        driver = self.app.extensions.get(DRIVER)
        if driver is not None:
            driver.close()
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[tuple[Broker, str, str]]:
    """A broker with an adviser's grant on a claimant's journal: (broker, token, decision id)."""
    running = Broker(tmp_path, tmp_path / "broker.sqlite3")
    with running.app.app_context():
        upgrade(revision="heads")
        # The first signing key, made before any write: made lazily inside the grant's write
        # transaction, its own connection would wait on SQLite's write lock (issue 26 report).
        assert services.of(running.app).signing_key
        claimant = make_claimant("Robin Restore")
        grant = make_grant(claimant, make_adviser("Ash Adviser"), "mr:read")
        decision_id = make_decision(claimant).id
        token, _ = issue_token(grant)
    running.read(token, decision_id)
    yield running, token, decision_id
    running.close()


def test_a_restore_older_than_the_last_checkpoint_fails_verify_audit(broker):
    running, token, decision = broker
    assert running.seal() == 1
    backup = running.back_up("at-checkpoint-1.sqlite3")
    running.read(token, decision)
    assert running.seal() == 2  # its copy outside the database now names checkpoint 2

    restored = running.restore(backup)
    result = restored.cli("verify-audit")

    assert result.exit_code == 1
    assert ROLLED_BACK.format(2) in result.output
    assert "Every audit chain is intact" not in result.output
    restored.close()


def test_a_healthy_restore_passes(broker):
    running, _token, _decision = broker
    running.seal()
    backup = running.back_up("latest.sqlite3")

    restored = running.restore(backup)
    result = restored.cli("verify-audit")

    assert result.exit_code == 0, result.output
    assert f"This database holds checkpoint 1 as the copy at {restored.copy} has it" in (
        result.output
    )
    assert "Every audit chain is intact" in result.output
    restored.close()


def test_a_restored_broker_that_carried_on_shows_the_rewrite_and_keeps_the_evidence(broker):
    running, token, decision = broker
    running.seal()
    backup = running.back_up("at-checkpoint-1.sqlite3")
    running.read(token, decision)
    running.seal()
    evidence = running.copy.read_text()

    restored = running.restore(backup)
    restored.read(token, decision, times=3)  # other events than those checkpoint 2 sealed
    assert restored.seal() == 2  # the same number, over another history
    restored.read(token, decision)
    assert restored.seal() == 3  # and on: the copy still names the lost checkpoint 2
    result = restored.cli("verify-audit")

    assert result.exit_code == 1
    assert REWRITTEN.format(2) in result.output
    assert restored.copy.read_text() == evidence  # never overwritten by the new checkpoints

    # The operator accepts the loss: the copy moved aside (kept: it shows what was lost), the
    # next checkpoint starts a new one, and the database passes again.
    restored.copy.rename(restored.copy.with_name("checkpoint-before-restore.json"))
    restored.seal()
    assert json.loads(restored.copy.read_text())["seq"] == 4
    assert restored.cli("verify-audit").exit_code == 0
    restored.close()


@pytest.fixture
def witness_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A witness's folder, served over HTTP: (folder, its URL)."""
    folder = tmp_path / "witness"
    folder.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def test_a_witness_copy_shows_a_rollback_the_brokers_own_copy_cannot(broker, witness_server):
    running, token, decision = broker
    folder, url = witness_server
    running.seal()
    backup = running.back_up("at-checkpoint-1.sqlite3")
    running.read(token, decision)
    running.seal()
    (folder / "checkpoints.json").write_text(json.dumps(running.checkpoints_page()))

    restored = running.restore(backup)
    restored.copy.unlink()  # the broker's own copy lost (or deleted by whoever rolled it back)
    alone = restored.cli("verify-audit")
    from_file = restored.cli("verify-audit", "--checkpoint", str(folder / "checkpoints.json"))
    from_url = restored.cli("verify-audit", "--checkpoint", f"{url}/checkpoints.json")

    assert alone.exit_code == 0  # the database agrees with itself: only a copy can tell
    assert "a rollback of this database shows only against a witness's copy" in alone.output
    for result in (from_file, from_url):
        assert result.exit_code == 1
        assert ROLLED_BACK.format(2) in result.output
    restored.close()


def test_a_witness_copy_the_database_holds_passes(broker, tmp_path):
    running, *_ = broker
    running.seal()
    running.seal()
    saved = tmp_path / "one.jws"
    saved.write_text(running.checkpoints_page()["checkpoints"][0]["jws"])  # a bare JWS will do

    result = running.cli("verify-audit", "--checkpoint", str(saved))

    assert result.exit_code == 0, result.output
    assert f"This database holds checkpoint 2 as the copy at {saved} has it" in result.output


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("forgery", ["rogue key", "changed payload", "not a checkpoint"])
def test_a_forged_witness_copy_is_refused(broker, tmp_path, forgery):
    running, *_ = broker
    running.seal()
    genuine = running.checkpoints_page()["checkpoints"][0]["jws"]
    claims = {"iss": ISSUER, "seq": 9, "root": "00" * 32}  # a checkpoint the database lacks
    if forgery == "rogue key":  # signed by an impostor's key
        rogue = SigningKey(ec.generate_private_key(ec.SECP256R1()), "rogue", {})
        forged = signed.sign(claims, signed.CHECKPOINT, rogue)
        reason = (
            "it was signed by a key the broker has not published (a forgery, or signed by a key "
            "made after this database's backup: then this database was rolled back)"
        )
    elif forgery == "changed payload":  # the broker's signature over other contents
        header, _, signature = genuine.split(".")
        forged = ".".join((header, _b64(signed.canonical_json(claims)), signature))
        reason = "the signature does not match its contents"
    else:
        forged = json.dumps({"checkpoints": [{"seq": 9}]})
        reason = "an entry has no `jws`"
    copy = tmp_path / "forged.json"
    copy.write_text(forged)

    result = running.cli("verify-audit", "--checkpoint", str(copy))

    assert result.exit_code == 1
    assert f"the checkpoint copy {copy} is refused" in result.output
    assert reason in result.output
    assert ROLLED_BACK.format(9) not in result.output  # a forgery proves nothing either way


def test_a_witness_copy_that_cannot_be_had_fails_verify_audit(broker, tmp_path):
    running, *_ = broker
    running.seal()

    result = running.cli("verify-audit", "--checkpoint", str(tmp_path / "missing.json"))

    assert result.exit_code == 1
    assert f"the checkpoint copy {tmp_path / 'missing.json'} is refused: it cannot be read" in (
        result.output
    )


def test_the_brokers_copy_is_the_newest_checkpoint_as_published(broker):
    running, *_ = broker
    running.seal()
    running.seal()

    newest = running.checkpoints_page()["checkpoints"][0]
    assert json.loads(running.copy.read_text()) == newest
    with running.app.app_context():
        assert rollback.read(running.copy) == [newest["jws"]]


def test_a_copy_that_cannot_be_written_leaves_the_checkpoint_signed_and_says_so(tmp_path, caplog):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    running = Broker(
        tmp_path, tmp_path / "broker.sqlite3", BROKER_CHECKPOINT_COPY=str(blocked / "copy.json")
    )
    with running.app.app_context():
        upgrade(revision="heads")
        assert services.of(running.app).signing_key  # made before any write (see `broker`)
        make_claimant("Robin Restore")
    logging.getLogger().addHandler(caplog.handler)  # alembic's fileConfig took it off the root

    assert running.seal() == 1  # the seal matters more than its copy: it is signed all the same
    assert f"checkpoint copy {blocked / 'copy.json'}" in caplog.text
    result = running.cli("verify-audit")
    assert result.exit_code == 1  # and verify-audit cannot read it: it says so, it never passes
    assert f"the checkpoint copy {blocked / 'copy.json'} is refused: it cannot be read" in (
        result.output
    )
    running.close()


def test_a_restore_from_before_a_key_rotation_still_cannot_pass(tmp_path):
    """The keys live in the database: one restored from before a rotation does not know the key
    that signed the later checkpoints, so their copy cannot be verified, and it fails."""
    running = Broker(tmp_path, tmp_path / "broker.sqlite3", BROKER_KEY_REFRESH_SECONDS="0")
    with running.app.app_context():
        upgrade(revision="heads")
        assert services.of(running.app).signing_key  # made before any write (see `broker`)
        make_claimant("Robin Restore")
    running.seal()
    backup = running.back_up("before-the-rotation.sqlite3")
    assert running.cli("rotate-signing-key", "--now").exit_code == 0
    with running.app.app_context():
        make_claimant("Sam Second")
    running.seal()
    published = running.checkpoints_page()["checkpoints"]
    kids = {jwt.get_unverified_header(c["jws"])["kid"] for c in published}
    assert len(kids) == 2  # checkpoint 2 is signed with the new key

    restored = running.restore(backup)
    result = restored.cli("verify-audit")

    assert result.exit_code == 1
    assert "signed by a key made after this database's backup" in result.output
    restored.close()
