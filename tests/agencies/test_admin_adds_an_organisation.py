"""The broker's admin adds an advice agency, on the admin page or with `consent-broker org
create`; a mark reference in the wrong shape is refused naming the field."""

from __future__ import annotations

from broker.extensions import db
from broker.models import Invitation, Organisation
from tests.agencies.helpers import actions_on, invitation_link, make_admin
from tests.conftest import csrf_from, sign_in


def _form(page: str, **answers: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_from(page),
        "name": "Eastfield Law Centre",
        "kind": "law_centre",
        "mark_scheme": "lexcel",
        "mark_number": "123456",
        "code_prefix": "",
        "admin_email": "dana@eastfield.example",
        **answers,
    }


def test_admin_adds_an_organisation_and_invites_its_admin(app, ctx, client):
    make_admin()
    sign_in(client, "robin@broker.example")
    page = client.get("/admin/organisations/new")
    assert page.status_code == 200
    response = client.post("/admin/organisations/new", data=_form(page.text))
    assert response.status_code == 303
    listed = client.get("/admin/organisations").text
    assert "Eastfield Law Centre" in listed
    assert "Lexcel 123456" in listed
    org = db.session.scalar(
        db.select(Organisation).where(Organisation.name == "Eastfield Law Centre")
    )
    assert (org.kind, org.code_prefix) == ("law_centre", "ELC")
    invitation = db.session.scalar(
        db.select(Invitation).where(Invitation.organisation_id == org.id)
    )
    assert invitation.as_admin and invitation.email == "dana@eastfield.example"
    assert invitation_link(app, "dana@eastfield.example").startswith("/invitations/")
    assert actions_on(org.id) == ["organisation.create", "invitation.create"]


def test_a_bad_mark_number_is_refused_naming_the_field(app, ctx, client):
    make_admin()
    sign_in(client, "robin@broker.example")
    page = client.get("/admin/organisations/new")
    response = client.post(
        "/admin/organisations/new", data=_form(page.text, mark_scheme="oisc", mark_number="12")
    )
    assert response.status_code == 400
    assert 'id="mark_number-error"' in response.text
    assert "Enter the OISC number in the right shape, like F201800123" in response.text
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == 0


def test_the_command_adds_an_organisation(app, ctx, runner):
    make_admin()
    result = runner.invoke(
        args=[
            "org",
            "create",
            "--name",
            "Westgate Welfare Rights",
            "--kind",
            "welfare_rights_unit",
            "--mark-scheme",
            "oisc",
            "--mark-number",
            "F201800123",
            "--code-prefix",
            "WWR",
            "--admin-email",
            "lee@westgate.example",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "adviser codes start WWR" in result.output
    assert "/invitations/" in result.output
    assert invitation_link(app, "lee@westgate.example")


def test_the_command_names_the_bad_option(app, ctx, runner):
    result = runner.invoke(
        args=[
            "org",
            "create",
            "--name",
            "Westgate",
            "--kind",
            "charity",
            "--mark-scheme",
            "fca",
            "--mark-number",
            "12-AB",
            "--admin-email",
            "lee@westgate.example",
        ]
    )
    assert result.exit_code == 1
    assert "--mark-number: Enter the FCA number in the right shape, like 123456" in result.output
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == 0
