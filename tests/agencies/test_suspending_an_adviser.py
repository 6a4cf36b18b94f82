"""An organisation admin sees their advisers and how many clients each has, never who; suspends
an adviser, whose tokens are then refused by the API while the claimant is told in plain words;
resumes them, and the access works again. The broker's admin suspends a whole organisation."""

from __future__ import annotations

from broker.extensions import db
from broker.models import OutboxMessage
from tests.agencies.helpers import actions_on, make_admin, make_agency
from tests.conftest import csrf_from, sign_in
from tests.factories import bearer, issue_token, make_claimant, make_grant

ADMIN_PASSWORD = "pw-for-testspw-for-tests"


def _post(client, path: str) -> None:  # noqa: ANN001
    page = client.get(path)
    assert page.status_code == 200, page.text
    response = client.post(path, data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303, response.text


def _api(app, token: str) -> int:  # noqa: ANN001
    return app.test_client().get("/api/v1/mr-decisions", headers=bearer(token)).status_code


def _told(claimant_id: str, kind: str) -> list[str]:
    return list(
        db.session.scalars(
            db.select(OutboxMessage.body).where(
                OutboxMessage.account_id == claimant_id, OutboxMessage.kind == kind
            )
        )
    )


def test_the_admin_sees_counts_never_clients(app, ctx, client):
    agency = make_agency()
    make_grant(make_claimant("Bea Client"), agency.priya)
    sign_in(client, agency.admin.account.username, ADMIN_PASSWORD)
    page = client.get("/organisation/")
    assert page.status_code == 200
    assert "Priya Shah" in page.text
    assert f'id="adviser-{agency.priya.id}"' in page.text
    row = page.text.split(f'id="adviser-{agency.priya.id}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-clients="2"' in row
    for secret in ("Alex Morgan", "Bea Client", agency.alex.reference, agency.grant.id):
        assert secret not in page.text


def test_suspending_an_adviser_refuses_their_tokens_and_tells_the_claimant(app, ctx, client):
    agency = make_agency()
    token, _ = issue_token(agency.grant)
    assert _api(app, token) == 200
    sign_in(client, agency.admin.account.username, ADMIN_PASSWORD)
    _post(client, f"/organisation/advisers/{agency.priya.id}/suspend")
    assert _api(app, token) == 401
    fresh, _ = issue_token(agency.grant)  # even a token made after the suspension
    assert _api(app, fresh) in (401, 403)
    told = _told(agency.alex.id, "agency_held")
    assert told == [
        "Priya Shah from Northside Citizens Advice cannot see your journal for now, because their "
        "advice organisation has paused their access. You do not need to do anything. You can "
        "still stop their access yourself at any time."
    ]
    assert "grant.agency_hold" in actions_on(agency.alex.id)
    assert "adviser.suspend" in actions_on(agency.org.id)
    home = app.test_client()
    sign_in(home, agency.alex.account.username)
    assert "advice organisation has paused their access" in home.get("/").text

    _post(client, f"/organisation/advisers/{agency.priya.id}/resume")
    again, _ = issue_token(agency.grant)
    assert _api(app, again) == 200
    assert _told(agency.alex.id, "agency_released")
    assert "grant.agency_release" in actions_on(agency.alex.id)
    assert "adviser.resume" in actions_on(agency.org.id)


def test_the_claimant_is_told_in_welsh(app, ctx, client):
    agency = make_agency()
    agency.alex.account.language = "cy"
    db.session.commit()
    sign_in(client, agency.admin.account.username, ADMIN_PASSWORD)
    _post(client, f"/organisation/advisers/{agency.priya.id}/suspend")
    (body,) = _told(agency.alex.id, "agency_held")
    assert "sefydliad cyngor" in body


def test_a_suspended_adviser_is_given_no_new_access(app, ctx, client):
    agency = make_agency()
    sign_in(client, agency.admin.account.username, ADMIN_PASSWORD)
    _post(client, f"/organisation/advisers/{agency.priya.id}/suspend")
    import pytest

    from broker.consent import grants

    with pytest.raises(grants.GrantRefused):
        make_grant(make_claimant("Cai New"), agency.priya)


def test_suspending_an_organisation_refuses_all_its_advisers(app, ctx, client, runner):
    agency = make_agency()
    other = make_grant(make_claimant("Bea Client"), agency.admin)
    tokens = [issue_token(agency.grant)[0], issue_token(other)[0]]
    make_admin()
    sign_in(client, "robin@broker.example")
    _post(client, f"/admin/organisations/{agency.org.id}/suspend")
    assert [_api(app, t) for t in tokens] == [401, 401]
    assert "Suspended" in client.get("/admin/organisations").text
    assert "organisation.suspend" in actions_on(agency.org.id)
    (told,) = _told(agency.priya.id, "grant_suspended")
    assert told.startswith(
        "Your organisation is suspended from the consent broker, so your access to Alex Morgan's "
        "journal is paused from"
    )
    # An admin of a suspended organisation cannot act for it.
    own = app.test_client()
    sign_in(own, agency.admin.account.username, ADMIN_PASSWORD)
    assert own.get("/organisation/").status_code == 403

    result = runner.invoke(args=["org", "resume", "--org", agency.org.name])
    assert result.exit_code == 0, result.output
    assert "access for 2 clients changed" in result.output
    fresh = [issue_token(agency.grant)[0], issue_token(other)[0]]
    assert [_api(app, t) for t in fresh] == [200, 200]


def test_resuming_the_organisation_keeps_an_adviser_it_suspended_stopped(app, ctx, client, runner):
    agency = make_agency()
    sign_in(client, agency.admin.account.username, ADMIN_PASSWORD)
    _post(client, f"/organisation/advisers/{agency.priya.id}/suspend")
    assert runner.invoke(args=["org", "suspend", "--org", agency.org.name]).exit_code == 0
    assert runner.invoke(args=["org", "resume", "--org", agency.org.name]).exit_code == 0
    assert _api(app, issue_token(agency.grant)[0]) == 401


def test_dwp_cannot_lift_an_agency_suspension(app, ctx, client):
    from broker.consent import grants
    from tests.factories import make_staff, signer

    agency = make_agency()
    sign_in(client, agency.admin.account.username, ADMIN_PASSWORD)
    _post(client, f"/organisation/advisers/{agency.priya.id}/suspend")
    db.session.expire_all()
    import pytest

    with pytest.raises(grants.GrantRefused):
        grants.lift_suspension(
            agency.grant, signer=signer(), staff=make_staff(), now=agency.grant.created_at
        )
