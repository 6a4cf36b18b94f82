"""Attack 61: an organisation admin reading their advisers' clients, or reaching another
organisation's advisers. Their page shows counts only; every lookup is filtered by their own
organisation (another's adviser: 404, whatever the ID); their own console lists only grants
to them; every change is a CSRF-protected POST."""

from __future__ import annotations

from flask import Flask

from broker.extensions import db
from broker.models import Adviser
from tests.agencies.helpers import make_agency
from tests.conftest import csrf_from, sign_in
from tests.factories import bearer, issue_token

PASSWORD = "pw-for-testspw-for-tests"


def test_an_admin_sees_no_client_of_their_advisers(app: Flask, ctx):
    agency = make_agency()
    admin = app.test_client()
    sign_in(admin, agency.admin.account.username, PASSWORD)
    page = admin.get("/organisation/").text
    assert "Alex Morgan" not in page and agency.alex.reference not in page
    # Nor through the console: the grant is Priya's, not theirs.
    assert admin.get(f"/adviser/clients/{agency.grant.id}").status_code == 404
    assert "Alex Morgan" not in admin.get("/adviser/").text


def test_an_admin_cannot_see_or_act_on_another_organisations_advisers(app: Flask, ctx):
    ours = make_agency("Northside Citizens Advice", "NSA")
    theirs = make_agency("Riverside Law Centre", "RLC")
    token, _ = issue_token(theirs.grant)
    attacker = app.test_client()
    sign_in(attacker, ours.admin.account.username, PASSWORD)
    page = attacker.get("/organisation/").text
    assert theirs.priya.account.username not in page and theirs.priya.code not in page
    target = f"/organisation/advisers/{theirs.priya.id}/suspend"
    assert attacker.get(target).status_code == 404
    csrf = csrf_from(attacker.get("/organisation/invite").text)
    assert attacker.post(target, data={"csrf_token": csrf}).status_code == 404
    assert (
        attacker.post(
            f"/organisation/advisers/{theirs.priya.id}/resume", data={"csrf_token": csrf}
        ).status_code
        == 404
    )
    db.session.expire_all()
    assert db.session.get(Adviser, theirs.priya.id).suspended_at is None
    assert app.test_client().get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 200


def test_suspending_needs_the_csrf_token(app: Flask, ctx):
    agency = make_agency()
    admin = app.test_client()
    sign_in(admin, agency.admin.account.username, PASSWORD)
    response = admin.post(f"/organisation/advisers/{agency.priya.id}/suspend")
    assert response.status_code in (200, 400)
    db.session.expire_all()
    assert db.session.get(Adviser, agency.priya.id).suspended_at is None


def test_an_ordinary_adviser_has_no_organisation_page(app: Flask, ctx):
    agency = make_agency()
    adviser = app.test_client()
    sign_in(adviser, agency.priya.account.username, PASSWORD)
    assert adviser.get("/organisation/").status_code == 403
    assert adviser.get(f"/organisation/advisers/{agency.admin.id}/suspend").status_code == 403
