"""The adviser console lists clients and reads through the protected API with a grant's token."""

from __future__ import annotations

import pytest

from broker.consent.clients import CONSOLE_CLIENT_ID
from broker.extensions import db
from broker.models import AccessToken, AuditEvent, JournalEntry
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, make_decision, make_entry, make_grant


@pytest.fixture
def console(app, ctx):  # noqa: ANN201
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah")
    make_decision(claimant, "Limited capability for work")
    make_entry(claimant, "Your claim")
    make_entry(claimant, "Health assessment", sensitive=True)
    client = app.test_client()
    sign_in(client, adviser.account.username)
    return client, claimant, adviser


def test_my_clients_lists_grants_given_to_me_with_scopes_and_end_date(console):
    client, claimant, adviser = console
    grant = make_grant(claimant, adviser, "mr:read")
    make_grant(make_claimant("Someone Else"), make_adviser("Other Adviser"))

    page = client.get("/adviser/")

    assert "Alex Morgan" in page.text
    assert "Their reconsideration decisions" in page.text
    assert grant.ends_at.strftime("%-d %B %Y") in page.text
    assert "Someone Else" not in page.text


def test_opening_a_client_reads_mr_decisions_through_the_api_with_a_token(console):
    client, claimant, adviser = console
    grant = make_grant(claimant, adviser, "mr:read")

    page = client.get(f"/adviser/clients/{grant.id}")

    assert page.status_code == 200
    assert "Limited capability for work" in page.text
    assert "Your client has not let you see their journal" in page.text
    db.session.rollback()  # the API wrote on its own connection: read afresh
    events = db.session.execute(
        db.select(AuditEvent.action, AuditEvent.token_id).where(
            AuditEvent.grant_id == grant.id, AuditEvent.action == "mr.list"
        )
    ).all()
    assert len(events) == 1
    token = db.session.get(AccessToken, events[0].token_id)
    assert token.client_id == CONSOLE_CLIENT_ID


def test_the_journal_view_hides_sensitive_entries(console):
    client, claimant, adviser = console
    grant = make_grant(claimant, adviser, "journal:read")

    page = client.get(f"/adviser/clients/{grant.id}")

    assert "Your claim" in page.text
    assert "Health assessment" not in page.text


def test_lodging_an_mr_request_puts_it_in_the_journal_with_the_token_id(console):
    client, claimant, adviser = console
    grant = make_grant(claimant, adviser, "mr:read mr:request")
    form = client.get(f"/adviser/clients/{grant.id}/mr-request")

    done = client.post(
        f"/adviser/clients/{grant.id}/mr-request",
        data={
            "csrf_token": csrf_from(form.text),
            "decision_about": "Limited capability for work",
            "reasons": "The assessment ignored my GP's letter.",
        },
    )

    assert done.status_code == 303
    db.session.rollback()
    entry = db.session.scalar(db.select(JournalEntry).where(JournalEntry.kind == "mr_request"))
    assert entry.claimant_id == claimant.id
    assert entry.token_id is not None
    assert db.session.get(AccessToken, entry.token_id).grant_id == grant.id


def test_without_the_write_scope_there_is_no_lodge_button_and_a_forced_post_is_refused(console):
    client, claimant, adviser = console
    grant = make_grant(claimant, adviser, "mr:read")
    page = client.get(f"/adviser/clients/{grant.id}")
    assert "Lodge a Mandatory Reconsideration request" not in page.text
    form = client.get(f"/adviser/clients/{grant.id}/mr-request")

    forced = client.post(
        f"/adviser/clients/{grant.id}/mr-request",
        data={"csrf_token": csrf_from(form.text), "decision_about": "x", "reasons": "y"},
    )

    assert forced.status_code == 403, forced.text[-600:]
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.kind == "mr_request")
        )
        == 0
    )


def test_an_adviser_cannot_open_another_advisers_client(console):
    client, claimant, _ = console
    grant = make_grant(claimant, make_adviser("Other Adviser"))

    assert client.get(f"/adviser/clients/{grant.id}").status_code == 404
