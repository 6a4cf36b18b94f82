"""An adviser gives up access from the client's page (a question first, then the grant ends with
"given up by the adviser"); a case system does the same by revoking its refresh token with RFC
7009 and `give_up=true`. The claimant is told and gets a receipt, their history says who ended
it, and whoever did not end it is told (issue 23)."""

from __future__ import annotations

from broker.consent import receipts
from broker.extensions import db
from broker.models import AuditEvent, Grant, PushDelivery
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, make_grant, messages_to
from tests.watch.helpers import CLIENT_ID


def fresh(grant: Grant) -> Grant:
    db.session.expire_all()
    return db.session.get(Grant, grant.id)


def test_the_adviser_is_asked_first_then_the_access_ends_and_the_claimant_is_told(
    alex_and_priya,
):
    s = alex_and_priya
    client_page = s.console.get(f"/adviser/clients/{s.grant.id}").text
    question = s.console.get(f"/adviser/clients/{s.grant.id}/give-up")

    answer = s.console.post(
        f"/adviser/clients/{s.grant.id}/give-up", data={"csrf_token": csrf_from(question.text)}
    )

    assert f'href="/adviser/clients/{s.grant.id}/give-up"' in client_page
    assert "Give up access to Alex Morgan" in question.text and "s journal?</h1>" in question.text
    assert answer.status_code == 303
    grant = fresh(s.grant)
    assert (grant.status, grant.ended_by, grant.end_reason) == (
        "revoked",
        f"adviser:{s.priya.id}",
        "Given up by the adviser",
    )
    [told] = messages_to(s.claimant.id, "grant_given_up")
    assert told.body.startswith(
        "Priya Shah from Northside Citizens Advice gave up their access to your journal on "
    )
    assert "revoked" in [r.event for r in receipts.for_grant(s.claimant.id, s.grant.id)]
    history = s.phone.get("/history").text
    assert "Access stopped" in history and "By: Priya Shah, Northside Citizens Advice" in history
    # The case system under the same consent is told its access ended.
    [caep] = db.session.scalars(db.select(PushDelivery)).all()
    assert caep.client_id == CLIENT_ID and caep.action == "grant.event_pushed"


def test_giving_up_without_the_form_token_changes_nothing(alex_and_priya):
    s = alex_and_priya

    answer = s.console.post(f"/adviser/clients/{s.grant.id}/give-up")

    assert answer.status_code == 400
    assert fresh(s.grant).status == "active"


def test_an_adviser_cannot_give_up_another_advisers_access(app, alex_and_priya):
    s = alex_and_priya
    other = make_adviser("Tom Reed", "Southside Law Centre")
    theirs = make_grant(make_claimant("Blake Other"), other)
    page = s.console.get(f"/adviser/clients/{s.grant.id}/give-up")

    question = s.console.get(f"/adviser/clients/{theirs.id}/give-up")
    answer = s.console.post(
        f"/adviser/clients/{theirs.id}/give-up", data={"csrf_token": csrf_from(page.text)}
    )

    assert (question.status_code, answer.status_code) == (404, 404)
    assert fresh(theirs).status == "active"


def test_a_case_system_gives_up_by_revoking_its_refresh_token(alex_and_priya, client):
    s = alex_and_priya

    answer = client.post(
        "/oauth/revoke",
        data={"token": s.refresh, "token_type_hint": "refresh_token", "give_up": "true"},
        auth=(CLIENT_ID, s.secret),
    )

    assert answer.status_code == 200
    grant = fresh(s.grant)
    assert (grant.status, grant.ended_by, grant.end_reason) == (
        "revoked",
        f"client:{CLIENT_ID}",
        "Given up by their case system",
    )
    [adviser_told] = messages_to(s.priya.id, "grant_revoked")
    assert adviser_told.body.startswith(
        "Your case system gave up your access to Alex Morgan's journal on "
    )
    # It is not pushed its own event back.
    assert db.session.scalars(db.select(PushDelivery)).all() == []
    ended = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.claimant_id == s.claimant.id, AuditEvent.action == "grant.revoke"
        )
    )
    assert ended.actor == f"client:{CLIENT_ID}"


def test_revoking_without_give_up_ends_only_the_token(alex_and_priya, client):
    s = alex_and_priya

    answer = client.post("/oauth/revoke", data={"token": s.refresh}, auth=(CLIENT_ID, s.secret))

    assert answer.status_code == 200
    assert fresh(s.grant).status == "active"


def test_a_signed_out_adviser_is_sent_to_sign_in(app, alex_and_priya):
    s = alex_and_priya
    stranger = app.test_client()

    answer = stranger.get(f"/adviser/clients/{s.grant.id}/give-up")

    assert answer.status_code in (302, 303)
    sign_in(stranger, s.priya.account.username)
    assert stranger.get(f"/adviser/clients/{s.grant.id}/give-up").status_code == 200
