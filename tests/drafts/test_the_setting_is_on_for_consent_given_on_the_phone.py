"""The setting is on for consent the claimant gives on their phone ("Give someone access", the
OAuth consent screen) and off for consent staff record on a call; a case system's MR request
under a consent given on the consent screen waits for the claimant (202)."""

from __future__ import annotations

from broker.extensions import db
from broker.models import Grant
from tests.claimant.helpers import give_by_code
from tests.conftest import sign_in
from tests.drafts.conftest import send_request
from tests.factories import make_adviser, make_claimant, record_by_phone
from tests.oauth.helpers import code_flow, make_client


def _grant_of(claimant_id: str) -> Grant:
    db.session.rollback()
    [grant] = db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant_id)).all()
    return grant


def test_give_someone_access_turns_it_on(app, ctx):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    phone = app.test_client()
    sign_in(phone, claimant.account.username)

    _check, given = give_by_code(phone, adviser, scopes=("mr:read", "mr:request"))

    assert given.status_code == 303
    assert _grant_of(claimant.id).check_before_send is True


def test_the_consent_screen_turns_it_on_and_the_case_systems_request_waits(app, ctx):
    claimant = make_claimant("Alex Morgan")
    client, secret = make_client()

    tokens = code_flow(
        app, claimant.account.username, client.id, secret, scope="mr:read mr:request"
    )

    assert _grant_of(claimant.id).check_before_send is True
    assert send_request(app.test_client(), tokens["access_token"]).status_code == 202


def test_consent_recorded_by_staff_on_a_call_leaves_it_off(ctx):
    claimant = make_claimant("Alex Morgan")
    record_by_phone(claimant, make_adviser("Priya Shah"), scope_names="mr:read mr:request")

    assert _grant_of(claimant.id).check_before_send is False
