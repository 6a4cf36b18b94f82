"""An organisation admin invites an adviser by email; the invitee opens the link once, within 7
days, and gets an account whose adviser code carries the organisation's prefix."""

from __future__ import annotations

from broker.extensions import db
from broker.models import Account, Adviser, Invitation
from broker.opaque import hash_secret
from tests.agencies.helpers import actions_on, invitation_link, make_agency
from tests.conftest import csrf_from, sign_in


def _invite(app, client, email: str = "sam@nsa.example") -> str:  # noqa: ANN001
    page = client.get("/organisation/invite")
    assert page.status_code == 200
    response = client.post(
        "/organisation/invite", data={"csrf_token": csrf_from(page.text), "email": email}
    )
    assert response.status_code == 303, response.text
    return invitation_link(app, email)


def _accept(app, link: str, password: str = "a long enough password"):  # noqa: ANN001, ANN202, S107
    invitee = app.test_client()
    page = invitee.get(link)
    if page.status_code != 200:
        return page
    return invitee.post(
        link,
        data={"csrf_token": csrf_from(page.text), "name": "Sam Okafor", "password": password},
    )


def test_an_invitee_accepts_with_a_password_and_has_a_prefixed_code(app, ctx, client):
    agency = make_agency()
    sign_in(client, agency.admin.account.username, "pw-for-testspw-for-tests")
    link = _invite(app, client)
    # Only the link's hash is stored.
    token = link.rsplit("/", 1)[1]
    stored = db.session.scalar(db.select(Invitation).where(Invitation.email == "sam@nsa.example"))
    assert stored.token_hash == hash_secret(token) and token not in stored.token_hash
    done = _accept(app, link)
    assert done.status_code == 200
    adviser = db.session.scalar(
        db.select(Adviser).join(Account).where(Account.username == "sam@nsa.example")
    )
    assert adviser.organisation_id == agency.org.id
    assert adviser.code.startswith("NSA") and len(adviser.code) == 7
    assert f"NSA-{adviser.code[3:]}" in done.text
    assert not adviser.is_org_admin
    sign_in(app.test_client(), "sam@nsa.example", "a long enough password")
    assert actions_on(agency.org.id)[-2:] == ["invitation.create", "invitation.accept"]


def test_a_short_password_is_refused_and_the_link_still_works(app, ctx, client):
    agency = make_agency()
    sign_in(client, agency.admin.account.username, "pw-for-testspw-for-tests")
    link = _invite(app, client)
    refused = _accept(app, link, password="short")
    assert refused.status_code == 400
    assert "at least 12 characters" in refused.text
    assert _accept(app, link).status_code == 200


def test_the_link_works_once(app, ctx, client):
    agency = make_agency()
    sign_in(client, agency.admin.account.username, "pw-for-testspw-for-tests")
    link = _invite(app, client)
    assert _accept(app, link).status_code == 200
    again = _accept(app, link)
    assert again.status_code == 410
    assert "It has already been used" in again.text
    assert (
        db.session.scalar(
            db.select(db.func.count(Account.id)).where(Account.username == "sam@nsa.example")
        )
        == 1
    )


def test_the_link_expires_after_7_days(app, ctx, client, frozen_clock):
    agency = make_agency()
    sign_in(client, agency.admin.account.username, "pw-for-testspw-for-tests")
    link = _invite(app, client)
    frozen_clock.advance(days=7)
    expired = _accept(app, link)
    assert expired.status_code == 410
    assert "It has expired" in expired.text
    assert (
        db.session.scalar(db.select(Account.id).where(Account.username == "sam@nsa.example"))
        is None
    )


def test_an_unknown_link_makes_nothing(app, ctx):
    response = app.test_client().get("/invitations/not-a-token-we-made")
    assert response.status_code == 400
    assert "It is not a link we sent" in response.text


def test_the_command_invites(app, ctx, runner):
    agency = make_agency()
    result = runner.invoke(
        args=["org", "invite", "--org", agency.org.name, "--email", "kim@nsa.example"]
    )
    assert result.exit_code == 0, result.output
    link = result.output.strip().splitlines()[-1]
    path = link[link.index("/invitations/") :]
    assert _accept(app, path).status_code == 200


def test_an_adviser_who_is_not_an_admin_cannot_invite(app, ctx, client):
    agency = make_agency()
    sign_in(client, agency.priya.account.username, "pw-for-testspw-for-tests")
    assert client.get("/organisation/").status_code == 403
    assert client.get("/organisation/invite").status_code == 403
