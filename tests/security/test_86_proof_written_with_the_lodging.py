"""security.md 86: the proof of lodging is written in the same transaction as the MR request it
proves, through the API and through the claimant's "Send it": if the signed document or its
audit event cannot be written (here the database itself refuses them), nothing is lodged, so
there is never a request without its proof."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from broker.extensions import db
from broker.models import JournalEntry, MRDraft, SignedDocument
from tests.conftest import sign_in
from tests.drafts.conftest import press
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
)

BODY = {"decision_about": "Limited capability for work", "reasons": "The payslips were missed."}


def refusing(table: str, when: str) -> tuple[list[str], list[str]]:
    """The SQL of a trigger (for this database) refusing some rows of `table`, and its undoing.
    Named after its table, so that no two of them can ever be mistaken for each other."""
    name = f"test_86_refuse_{table}"
    if db.engine.dialect.name != "postgresql":
        make = [
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {when}"
            " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        ]
        return make, [f"DROP TRIGGER {name}"]
    make = [
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN IF {when} THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$",
        f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]
    return make, [f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()"]


def _triggers_left() -> list[str]:
    """The test's triggers still in the database (none, once a test is over)."""
    if db.engine.dialect.name == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'test_86_%'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'test_86_%'"
    with db.engine.connect() as conn:
        return list(conn.execute(text(sql)).scalars())


@pytest.fixture(
    params=[("signed_documents", "TRUE"), ("audit_events", "NEW.action = 'document.issue'")],
    ids=["the document", "its audit event"],
)
def refused(request, ctx) -> Iterator[None]:  # noqa: ANN001
    """The database refuses the proof's row or its audit event (a real failure, no stand-in)."""
    assert _triggers_left() == []  # an earlier test's refusal would refuse this one's rows
    make, undo = refusing(*request.param)
    with db.engine.begin() as conn:
        for statement in make:
            conn.execute(text(statement))
    yield
    db.session.rollback()
    db.session.remove()  # no connection of the test's is left inside a transaction
    with db.engine.begin() as conn:
        for statement in undo:
            conn.execute(text(statement))
    assert _triggers_left() == []


def entries(claimant_id: str) -> list[JournalEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(JournalEntry).where(JournalEntry.claimant_id == claimant_id))
    )


def test_through_the_api_nothing_is_lodged_without_its_proof(app, refused):
    alex = make_claimant("Alex Morgan")
    grant = make_grant(alex, make_adviser("Priya Shah", "Northside"), "mr:request journal:read")
    token, _ = issue_token(grant)

    answer = app.test_client().post("/api/v1/mr-requests", headers=bearer(token), json=BODY)

    assert answer.status_code >= 500
    assert entries(alex.id) == []
    assert db.session.scalars(select(SignedDocument)).all() == []
    assert chain_events(alex.id, "mr.request") == []  # the request's own event went too
    assert chain_events(alex.id, "document.%") == []


def test_through_send_it_nothing_is_lodged_without_its_proof(app, ctx, refused):
    alex = make_claimant("Alex Morgan")
    grant = make_grant(
        alex, make_adviser("Priya Shah", "Northside"), "mr:request", check_before_send=True
    )
    token, _ = issue_token(grant)
    draft_id = app.test_client().post("/api/v1/mr-requests", headers=bearer(token), json=BODY)
    assert draft_id.status_code == 202
    phone = app.test_client()
    sign_in(phone, alex.account.username)

    sent = press(phone, "send", draft_id.json["draft_id"])

    assert sent.status_code >= 500
    assert entries(alex.id) == []
    assert db.session.get(MRDraft, draft_id.json["draft_id"]).status == "pending"
    assert chain_events(alex.id, "mr.request.approved") == []
    assert chain_events(alex.id, "document.%") == []
