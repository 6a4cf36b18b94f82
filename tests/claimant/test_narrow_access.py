"""A claimant changes what an adviser can see: scopes only ever come off, every access token
under the grant stops at once, a new token carries only what is left (a refresh token keeps
working: tests/relationships), and the change is audited, receipted,
shown in the history and told to the adviser."""

from __future__ import annotations

import pytest

from broker import clock, i18n
from broker.consent import receipts
from broker.extensions import db
from broker.models import AuditEvent, Grant, OutboxMessage
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    bearer,
    bound,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_entry,
    make_grant,
)


@pytest.fixture
def alex(app, ctx):  # noqa: ANN001, ANN201
    """Alex has given Priya "mr:read journal:read" and is signed in on their phone."""
    claimant = make_claimant("Alex Morgan")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, priya, "mr:read journal:read")
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    return phone, claimant, priya, grant


def change(phone, grant: Grant, keep: list[str]):  # noqa: ANN001, ANN201
    page = phone.get(f"/access/{grant.id}/change")
    assert page.status_code == 200, page.text
    return phone.post(
        f"/access/{grant.id}/change", data={"csrf_token": csrf_from(page.text), "scopes": keep}
    )


def fresh(grant: Grant) -> Grant:
    db.session.rollback()
    return db.session.get(Grant, grant.id)


def test_the_access_page_links_to_change_and_the_page_lists_current_scopes_ticked(alex):
    phone, _, _, grant = alex

    listing = phone.get("/access")
    page = phone.get(f"/access/{grant.id}/change")

    assert f'href="/access/{grant.id}/change"' in listing.text
    assert "Change what they can see" in listing.text
    assert "Change what Priya Shah can see" in page.text
    assert page.text.count(" checked>") == 2
    assert 'value="mr:read"' in page.text and 'value="journal:read"' in page.text
    assert 'value="payments:read"' not in page.text  # only what they have now


def test_narrowing_stops_the_old_token_at_once_and_a_new_token_has_only_what_is_left(app, alex):
    phone, claimant, _, grant = alex
    make_decision(claimant)
    make_entry(claimant)
    old_token, _ = issue_token(grant)
    api = app.test_client()
    assert api.get("/api/v1/journal", headers=bearer(old_token)).status_code == 200

    done = change(phone, grant, ["mr:read"])
    listing = phone.get("/access")

    assert done.status_code == 303 and done.headers["Location"].endswith("/access")
    assert "Priya Shah can now see less. They can still see: your reconsideration" in listing.text
    assert api.get("/api/v1/mr-decisions", headers=bearer(old_token)).status_code == 401
    grant = fresh(grant)
    assert grant.scopes == "mr:read"
    assert grant.information == "Your reconsideration decisions"
    new_token, _ = issue_token(grant)
    assert api.get("/api/v1/mr-decisions", headers=bearer(new_token)).status_code == 200
    refused = api.get("/api/v1/journal", headers=bearer(new_token))
    assert refused.status_code == 403
    assert refused.json["error"] == "insufficient_scope"


def test_the_adviser_console_gets_a_new_token_and_still_reads_what_is_left(app, alex):
    phone, claimant, priya, grant = alex
    make_decision(claimant, "Housing costs element")
    change(phone, grant, ["mr:read"])

    console = app.test_client()
    sign_in(console, priya.account.username)
    page = console.get(f"/adviser/clients/{grant.id}")

    assert page.status_code == 200
    assert "Housing costs element" in page.text


def test_the_adviser_is_told_their_access_changed(alex):
    phone, _, priya, grant = alex

    change(phone, grant, ["mr:read"])

    db.session.rollback()
    [message] = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.account_id == priya.id)
    ).all()
    assert message.kind == "grant_narrowed"
    assert message.body == (
        f"Alex Morgan changed your access to their journal on {i18n.day(clock.now())}. "
        'You can now see only: "Your reconsideration decisions".'
    )


def test_adding_a_scope_is_refused_and_nothing_changes(app, alex):
    phone, _, _, grant = alex
    token, _ = issue_token(grant)

    response = change(phone, grant, ["mr:read", "payments:read"])

    assert response.status_code == 400
    assert "You can only take things away here, not add them" in response.text
    assert fresh(grant).scopes == "mr:read journal:read"
    assert app.test_client().get("/api/v1/journal", headers=bearer(token)).status_code == 200


def test_an_unknown_scope_is_refused_by_name(alex):
    phone, _, _, grant = alex

    response = change(phone, grant, ["mr:read", "bank:write"])

    assert response.status_code == 400
    assert "We do not know this kind of access: bank:write" in response.text
    assert fresh(grant).scopes == "mr:read journal:read"


def test_removing_every_scope_is_refused_with_stop_access_instead(alex):
    phone, _, _, grant = alex

    response = change(phone, grant, [])

    assert response.status_code == 400
    assert "To take everything away, use Stop access instead" in response.text
    assert fresh(grant).status == "active"
    assert fresh(grant).scopes == "mr:read journal:read"


def test_keeping_everything_says_nothing_changed(alex):
    phone, _, _, grant = alex

    response = change(phone, grant, ["mr:read", "journal:read"])

    assert response.status_code == 400
    assert "You did not untick anything, so nothing has changed" in response.text
    assert receipts.for_grant(grant.claimant_id, grant.id)[0].event == "given"


def test_another_claimants_grant_cannot_be_changed(app, alex):
    _, _, _, grant = alex
    stranger = make_claimant("Sam Stranger")
    other = app.test_client()
    sign_in(other, stranger.account.username)
    csrf = csrf_from(other.get("/access").text)

    assert other.get(f"/access/{grant.id}/change").status_code == 404
    posted = other.post(
        f"/access/{grant.id}/change", data={"csrf_token": csrf, "scopes": ["mr:read"]}
    )

    assert posted.status_code == 404
    assert fresh(grant).scopes == "mr:read journal:read"


def test_changing_without_the_csrf_token_is_refused(alex):
    phone, _, _, grant = alex

    response = phone.post(f"/access/{grant.id}/change", data={"scopes": ["mr:read"]})

    assert response.status_code == 400
    assert fresh(grant).scopes == "mr:read journal:read"


def test_a_stopped_grant_cannot_be_changed(alex):
    phone, claimant, _, grant = alex
    page = phone.get(f"/access/{grant.id}/change")
    revoke_page = phone.get(f"/access/{grant.id}/revoke")
    phone.post(f"/access/{grant.id}/revoke", data={"csrf_token": csrf_from(revoke_page.text)})

    posted = phone.post(
        f"/access/{grant.id}/change",
        data={"csrf_token": csrf_from(page.text), "scopes": ["mr:read"]},
    )

    assert posted.status_code == 400
    assert "This access has already ended" in posted.text
    assert fresh(grant).scopes == "mr:read journal:read"
    assert phone.get(f"/access/{grant.id}/change").status_code == 303


def test_a_narrowed_grant_has_a_signed_receipt_naming_what_was_removed_and_what_is_left(alex):
    phone, _, _, grant = alex

    change(phone, grant, ["mr:read"])

    latest = receipts.for_grant(grant.claimant_id, grant.id)[0]
    assert latest.event == "narrowed"
    page = phone.get(f"/access/{grant.id}/receipts")
    assert "You changed what they can see" in page.text
    assert "What you took away" in page.text
    document = phone.get(f"/receipts/{latest.id}.json").get_json()
    valid, words = receipts.verify(document, bound().key_set())
    assert valid, words
    assert "consent narrowed" in words
    event = document["receipt"]["event"]
    assert (event["type"], event["scopes"], event["removedScopes"]) == (
        "narrowed",
        ["mr:read"],
        ["journal:read"],
    )
    assert document["receipt"]["services"][0]["purposes"][0]["piiCategory"] == [
        "Your reconsideration decisions"
    ]


def test_the_history_shows_the_change_and_who_made_it(alex):
    phone, claimant, _, grant = alex

    change(phone, grant, ["mr:read"])

    history = phone.get("/history").text
    assert "Access changed: they can see less" in history
    actions = db.session.scalars(
        db.select(AuditEvent.action).where(AuditEvent.claimant_id == claimant.id)
    ).all()
    assert actions[-1] == "grant.narrow"


def test_the_change_page_speaks_welsh(alex):
    phone, _, _, grant = alex
    page = phone.get("/access")
    phone.post("/language", data={"csrf_token": csrf_from(page.text), "language": "cy"})

    response = phone.get(f"/access/{grant.id}/change")

    assert response.status_code == 200
    assert '<html lang="cy"' in response.text
    assert "Change what" not in response.text


def test_with_one_thing_shared_stop_access_is_offered_instead_of_change(alex):
    phone, claimant, priya, _ = alex
    single = make_grant(claimant, make_adviser("Tom Reed", "Riverside"), "mr:read")

    listing = phone.get("/access").text
    opened = phone.get(f"/access/{single.id}/change")

    assert f'href="/access/{single.id}/change"' not in listing
    assert listing.count("Change what they can see") == 1  # only Priya's, who has two
    assert "They can see one thing. To take it away, stop their access." in listing
    assert f'href="/access/{single.id}/revoke"' in listing
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/access/{single.id}/revoke"
