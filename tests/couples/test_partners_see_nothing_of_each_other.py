"""Couple claims: partners each have their own account and never see each other's grants, access
history, nominated contact or sensitive journal entries. Each test acts as the partner trying."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from broker import clock
from broker.extensions import db
from broker.models import AuditEvent
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_entry,
    make_grant,
    make_staff,
)
from tests.staff.helpers import audit_actions, contact_grant, fresh, outbox, phone_grant


@pytest.fixture
def couple(app, ctx):  # noqa: ANN001, ANN201
    alex = make_claimant("Alex Morgan")
    sam = make_claimant("Sam Morgan", partner=alex)
    db.session.commit()
    tom = make_adviser("Tom Reed", "Riverside Law Centre")
    grant = make_grant(alex, tom, "mr:read journal:read")
    token, _ = issue_token(grant)
    health = make_entry(alex, "Your health assessment", sensitive=True)
    make_entry(alex, "Your claim")
    sam_phone = app.test_client()
    sign_in(sam_phone, sam.account.username)
    return SimpleNamespace(
        alex=alex, sam=sam, tom=tom, grant=grant, token=token, health=health, sam_phone=sam_phone
    )


def test_the_partner_link_is_both_ways(couple):
    db.session.expire_all()
    assert (fresh_claimant(couple.alex).partner_id, fresh_claimant(couple.sam).partner_id) == (
        couple.sam.id,
        couple.alex.id,
    )


def fresh_claimant(claimant):  # noqa: ANN001, ANN201
    return db.session.get(type(claimant), claimant.id)


def test_the_partners_pages_never_name_the_other_claimants_adviser(client, couple):
    client.get("/api/v1/journal", headers=bearer(couple.token))  # Tom reads Alex's journal

    pages = {path: couple.sam_phone.get(path) for path in ("/", "/access", "/history")}

    for path, page in pages.items():
        assert page.status_code == 200, path
        assert "Tom Reed" not in page.text, path
        assert "Riverside" not in page.text, path
    assert "Nobody can see your journal now." in pages["/access"].text
    assert "Nobody has looked at your journal yet." in pages["/history"].text


@pytest.mark.parametrize(
    "path", ["/access/{id}/revoke", "/access/{id}/review", "/contact/{id}/stop"]
)
def test_the_partner_cannot_open_the_other_claimants_grant_pages(couple, path):
    answer = couple.sam_phone.get(path.format(id=couple.grant.id))

    assert answer.status_code == 404


def test_the_partner_cannot_revoke_the_other_claimants_grant(couple):
    csrf = csrf_from(couple.sam_phone.get("/access").text)
    events = audit_actions(couple.alex.id)

    answer = couple.sam_phone.post(f"/access/{couple.grant.id}/revoke", data={"csrf_token": csrf})
    review = couple.sam_phone.post(
        f"/access/{couple.grant.id}/review", data={"csrf_token": csrf, "choice": "end"}
    )

    assert (answer.status_code, review.status_code) == (404, 404)
    assert fresh(couple.grant).status == "active"
    assert audit_actions(couple.alex.id) == events


def test_the_partner_never_sees_the_other_claimants_nominated_contact(couple):
    contact = contact_grant(couple.alex, now=clock.now(), name="Jo Morgan")

    access = couple.sam_phone.get("/access").text
    stop = couple.sam_phone.get(f"/contact/{contact.id}/stop")

    assert "Jo Morgan" not in access
    assert stop.status_code == 404


def test_notices_about_a_grant_go_to_its_claimant_only(couple):
    staff = make_staff("Jordan Lee")
    grant = phone_grant(couple.alex, couple.tom, staff, now=clock.now())

    assert "recorded_by_phone" in [m.kind for m in outbox(couple.alex.id) if m.grant_id == grant.id]
    assert [m for m in outbox(couple.sam.id) if m.grant_id == grant.id] == []


def test_an_adviser_token_without_the_sensitive_scope_never_reads_sensitive_entries(client, couple):
    listed = client.get("/api/v1/journal", headers=bearer(couple.token))
    direct = client.get(f"/api/v1/journal/{couple.health.id}", headers=bearer(couple.token))

    assert [e["subject"] for e in listed.json["entries"]] == ["Your claim"]
    assert direct.status_code == 404
    refused = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.resource == f"journal_entry:{couple.health.id}")
    ).one()
    assert refused.outcome == "refused:not_found"


def test_the_sensitive_scope_chosen_by_the_claimant_lets_the_adviser_read_them(client, couple):
    grant = make_grant(couple.alex, couple.tom, "journal:read journal:sensitive", months=3)
    token, _ = issue_token(grant)

    direct = client.get(f"/api/v1/journal/{couple.health.id}", headers=bearer(token))

    assert direct.status_code == 200
    assert direct.json["subject"] == "Your health assessment"


def test_the_partners_own_adviser_cannot_reach_the_other_claimants_entries(client, couple):
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    sams_grant = make_grant(couple.sam, priya, "journal:read journal:sensitive", months=3)
    token, jti = issue_token(sams_grant)

    direct = client.get(f"/api/v1/journal/{couple.health.id}", headers=bearer(token))
    listed = client.get("/api/v1/journal", headers=bearer(token))

    assert direct.status_code == 404
    assert listed.json["entries"] == []
    assert [
        e.claimant_id
        for e in db.session.scalars(db.select(AuditEvent).where(AuditEvent.token_id == jti))
    ] == [couple.sam.id, couple.sam.id]


def test_the_consent_screen_warns_in_plain_words_only_when_a_sensitive_scope_is_chosen(couple):
    def confirm(scopes: list[str]) -> str:
        page = couple.sam_phone.get("/access/new")
        return couple.sam_phone.post(
            "/access/new",
            data={
                "csrf_token": csrf_from(page.text),
                "adviser_code": couple.tom.code,
                "scopes": scopes,
                "months": "3",
                "purpose": "Help",
                "relationship": "Adviser",
            },
        ).text

    warned = confirm(["journal:read", "journal:sensitive"])
    plain = confirm(["journal:read"])

    assert "They will see notes about your health or about abuse." in warned
    assert "govuk-warning-text" in warned
    assert "notes about your health or about abuse" not in plain
