"""Migration 0006 on a database that already holds duplicates (Alex gave Priya access with her
code, then approved her QR request): they become one grant, every token ID, audit event and
receipt is kept, the merge itself is on the audit chain, and the chain still verifies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from broker import clock, create_app
from broker.chain import audit
from broker.config import normalise_database_url
from broker.extensions import db
from tests.conftest import FAST_PASSWORD_HASHING

NOW = clock.now().replace(microsecond=0)


def _own_database(database_url: str, tmp_path) -> str:  # noqa: ANN001
    """A database of this test's own, on the same engine as the suite's: a SQLite file, or a
    fresh PostgreSQL database beside the suite's (dropped and made again)."""
    if not database_url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'old.sqlite3'}"
    url = make_url(normalise_database_url(database_url))
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"{url.database}_migration"
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def old_database(tmp_path, database_url):  # noqa: ANN001, ANN201
    """An app on a database of its own, migrated to 0005 (before relationships)."""
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": _own_database(database_url, tmp_path),
            "SECRET_KEY": "test-secret-key",
            "BROKER_KEY_DIR": str(tmp_path / "keys"),
            "BROKER_ISSUER": "http://broker.test",
            **FAST_PASSWORD_HASHING,
        }
    )
    with app.app_context():
        upgrade(revision="0005")
        yield app
        db.session.remove()
        db.engine.dispose()


def _insert(conn, table: str, **row: object) -> None:  # noqa: ANN001
    names = ", ".join(row)
    marks = ", ".join(f":{n}" for n in row)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), row)  # noqa: S608


def _seed_duplicates(conn) -> None:  # noqa: ANN001
    stamp = NOW.replace(tzinfo=None)
    for account_id, role, name in (("alex", "claimant", "Alex"), ("priya", "adviser", "Priya")):
        _insert(
            conn,
            "accounts",
            id=account_id,
            username=f"{account_id}@example.com",
            password_hash="x",
            role=role,
            name=name,
            language="en",
            created_at=stamp,
        )
    _insert(conn, "claimants", id="alex", reference="UC-1")
    _insert(conn, "organisations", id="org", name="Northside")
    _insert(conn, "advisers", id="priya", organisation_id="org", code="NSA-1")
    grants = {
        "by-code": ("mr:read", NOW + timedelta(days=30)),
        "by-qr": ("journal:read", NOW + timedelta(days=90)),
    }
    for grant_id, (scopes, ends_at) in grants.items():
        _insert(
            conn,
            "grants",
            id=grant_id,
            kind="access",
            claimant_id="alex",
            adviser_id="priya",
            representative_name="Priya Shah",
            organisation_name="Northside",
            client_id="adviser-console" if grant_id == "by-qr" else None,
            scopes=scopes,
            purpose="Appeal",
            relationship="Adviser",
            information="",
            status="active",
            created_at=stamp,
            starts_at=stamp,
            review_at=ends_at.replace(tzinfo=None),
            ends_at=ends_at.replace(tzinfo=None),
            recorded_by="claimant",
        )
        _insert(
            conn,
            "access_tokens",
            jti=f"jti-{grant_id}",
            grant_id=grant_id,
            client_id="adviser-console",
            scopes=scopes,
            issued_at=stamp,
            expires_at=(NOW + timedelta(minutes=5)).replace(tzinfo=None),
        )
        audit.append(
            audit.Event("alex", "", grant_id, "claimant:alex", "grant.create", "", "done"),
            now=NOW,
            connection=conn,
        )


def test_duplicates_become_one_grant_keeping_every_token_and_event(old_database):
    with db.engine.begin() as conn:
        _seed_duplicates(conn)

    upgrade(revision="0006")

    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, status, scopes, ends_at, ended_by FROM grants ORDER BY id")
        ).all()
        tokens = dict(conn.execute(text("SELECT jti, grant_id FROM access_tokens")).all())
        events = conn.execute(
            text("SELECT grant_id, action, resource FROM audit_events ORDER BY seq")
        ).all()
        breaks = list(audit.verify(conn))
    by_id = {row.id: row for row in rows}
    assert by_id["by-qr"].status == "active"  # the later end survives
    assert by_id["by-qr"].scopes == "mr:read journal:read"
    assert (by_id["by-code"].status, by_id["by-code"].ended_by) == ("revoked", "system:merge")
    assert tokens == {"jti-by-code": "by-qr", "jti-by-qr": "by-qr"}
    assert [e.action for e in events] == ["grant.create", "grant.create", "grant.merge"]
    assert events[-1].grant_id == "by-code" and events[-1].resource == "grant:by-qr"
    assert breaks == []


def test_after_the_migration_a_second_live_grant_for_one_relationship_is_refused(old_database):
    with db.engine.begin() as conn:
        _seed_duplicates(conn)
    upgrade(revision="0006")

    with pytest.raises(Exception, match="(?i)unique"), db.engine.begin() as conn:
        conn.execute(text("UPDATE grants SET status = 'active' WHERE id = 'by-code'"))
