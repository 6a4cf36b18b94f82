"""One relationship, one switch: a claimant holds at most one live consent per representative.
A second request from someone who already has access amends that consent once the claimant
agrees; "Stop access" ends everything the representative holds for the claimant; narrowing keeps
a case system working with less."""

from __future__ import annotations

import re

import pytest

from broker import clock
from broker.chain import signed
from broker.consent import grants, receipts
from broker.extensions import db
from broker.models import AuditEvent, Grant
from tests.claimant.helpers import give_by_code
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    bearer,
    bound,
    make_adviser,
    make_claimant,
    make_decision,
    make_entry,
    make_grant,
    make_staff,
    record_by_phone,
)
from tests.oauth.helpers import (
    CODE,
    CODE_AND_REFRESH,
    DEVICE_GRANT,
    answer_device,
    approve_code,
    ask,
    authorize_query,
    basic,
    code_flow,
    consent,
    make_client,
    pkce_pair,
    poll_device,
    query_of,
    redeem,
    refresh,
    start_device,
)


def live_grants(claimant_id: str) -> list[Grant]:
    db.session.rollback()
    return [
        g
        for g in db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant_id))
        if g.status in grants.LIVE
    ]


def actions(claimant_id: str) -> list[tuple[str, str]]:
    db.session.rollback()
    rows = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.claimant_id == claimant_id).order_by(AuditEvent.seq)
    )
    return [(row.action, row.outcome) for row in rows]


@pytest.fixture
def alex(app, ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    make_decision(claimant, "Limited capability for work")
    make_entry(claimant, "Your claim")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    return claimant, priya


def test_code_then_qr_approval_for_the_same_adviser_leaves_one_amended_grant(app, alex):
    claimant, priya = alex
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    give_by_code(phone, priya, scopes=("mr:read",))
    console = app.test_client()
    sign_in(console, priya.account.username)
    waiting = console.get(ask(console, scopes=("mr:read", "journal:read")))
    user_code = CODE.search(waiting.text).group(1)

    page = phone.get(f"/device?user_code={user_code}")
    answer = answer_device(phone, claimant.account.username, user_code)

    assert "Priya Shah asks for a change" in page.text
    assert "They already have access." in page.text
    assert "Keep the same end date" in page.text
    assert answer.status_code == 303
    (grant,) = live_grants(claimant.id)
    assert grant.scope_names == ("mr:read", "journal:read")
    assert [a for a, _ in actions(claimant.id) if a.startswith("grant.")] == [
        "grant.create",
        "grant.amend",
    ]
    listing = phone.get("/access")
    assert listing.text.count(f'href="/access/{grant.id}/revoke"') == 1
    assert listing.text.count("/revoke") == 1
    (amended,) = [r for r in receipts.for_grant(claimant.id, grant.id) if r.event == "amended"]
    assert signed.verify(amended.jws, signed.RECEIPT, bound().key_set())["event"][
        "addedScopes"
    ] == ["journal:read"]


def test_giving_access_again_by_code_shows_the_change_and_amends_the_one_grant(app, alex):
    claimant, priya = alex
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    give_by_code(phone, priya, scopes=("mr:read",), months="1")

    check, done = give_by_code(phone, priya, scopes=("journal:read",), months="6")

    assert "Priya Shah already has access." in check.text
    assert "They will also see: your journal." in check.text
    assert done.status_code == 303
    (grant,) = live_grants(claimant.id)
    assert grant.scope_names == ("mr:read", "journal:read")
    assert grant.ends_at == grants.add_months(grant.reviewed_at, 6)  # six months from approval
    assert "You changed what Priya Shah can see" in phone.get("/access").text


def test_three_authorizations_by_one_client_leave_one_grant(app, alex):
    claimant, _ = alex
    client, secret = make_client()

    tokens = [code_flow(app, claimant.account.username, client.id, secret) for _ in range(3)]

    (grant,) = live_grants(claimant.id)
    assert {t["scope"] for t in tokens} == {"mr:read journal:read"}
    assert all(
        app.test_client().get("/api/v1/mr-decisions", headers=bearer(t["access_token"])).status_code
        == 200
        for t in tokens
    )
    assert [a for a, _ in actions(claimant.id) if a.startswith("grant.")] == ["grant.create"]
    assert grant.id in {g.id for g in live_grants(claimant.id)}


def test_a_client_asking_for_more_is_shown_only_the_change_and_a_no_changes_nothing(app, alex):
    claimant, _ = alex
    client, secret = make_client()
    code_flow(app, claimant.account.username, client.id, secret, scope="mr:read")
    before = live_grants(claimant.id)[0]
    ends_at = before.ends_at
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    verifier, challenge = pkce_pair()
    url = authorize_query(client.id, challenge, scope="mr:read journal:read")

    page = phone.get(url)
    refused = consent(phone, url, decision="refuse")

    assert "Northside case system asks for a change" in page.text
    assert re.findall(r'name="scopes" type="checkbox" value="([^"]+)"', page.text) == [
        "journal:read"
    ]
    assert query_of(refused.headers["Location"])["error"] == "access_denied"
    (grant,) = live_grants(claimant.id)
    assert (grant.id, grant.scope_names, grant.ends_at) == (before.id, ("mr:read",), ends_at)

    location = approve_code(phone, claimant.account.username, url)
    token = redeem(app.test_client(), client.id, secret, query_of(location)["code"], verifier)

    assert token.json["scope"] == "mr:read journal:read"
    (grant,) = live_grants(claimant.id)
    assert grant.id == before.id and grant.scope_names == ("mr:read", "journal:read")
    assert grant.ends_at == ends_at  # "Keep the same end date" is the default


def test_stop_access_once_refuses_the_console_and_the_case_system_and_audits_both(app, alex):
    claimant, priya = alex
    client, secret = make_client()
    token = code_flow(app, claimant.account.username, client.id, secret)
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    give_by_code(phone, priya)
    console = app.test_client()
    sign_in(console, priya.account.username)
    priyas = next(g for g in live_grants(claimant.id) if g.adviser_id == priya.id)
    assert console.get(f"/adviser/clients/{priyas.id}").status_code == 200

    confirm = phone.get(f"/access/{priyas.id}/revoke")
    phone.post(f"/access/{priyas.id}/revoke", data={"csrf_token": csrf_from(confirm.text)})

    refused_page = console.get(f"/adviser/clients/{priyas.id}")
    assert refused_page.status_code == 403
    assert ("console.open", "refused:grant_inactive") in actions(claimant.id)
    # The case system is another relationship: still working until Alex stops it too.
    api = app.test_client()
    assert api.get("/api/v1/mr-decisions", headers=bearer(token["access_token"])).status_code == 200
    confirm = phone.get("/access/stop-all")
    phone.post("/access/stop-all", data={"csrf_token": csrf_from(confirm.text)})
    answer = api.get("/api/v1/mr-decisions", headers=bearer(token["access_token"]))
    assert answer.status_code == 401
    assert actions(claimant.id)[-1] == ("mr.list", "refused:grant_inactive")
    assert refresh(api, client.id, secret, token["refresh_token"]).json["error"] == "invalid_grant"
    assert live_grants(claimant.id) == []


def test_stopping_access_ends_codes_not_yet_redeemed_and_answers_not_yet_collected(app, alex):
    claimant, _ = alex
    client, secret = make_client(grant_types=(*CODE_AND_REFRESH, DEVICE_GRANT))
    verifier, challenge = pkce_pair()
    location = approve_code(
        app.test_client(), claimant.account.username, authorize_query(client.id, challenge)
    )
    api = app.test_client()
    started = start_device(api, client.id, secret).json
    answer_device(app.test_client(), claimant.account.username, started["user_code"])
    (grant,) = live_grants(claimant.id)
    phone = app.test_client()
    sign_in(phone, claimant.account.username)

    confirm = phone.get(f"/access/{grant.id}/revoke")
    phone.post(f"/access/{grant.id}/revoke", data={"csrf_token": csrf_from(confirm.text)})

    code = redeem(api, client.id, secret, query_of(location)["code"], verifier)
    collected = poll_device(api, client.id, secret, started["device_code"])
    assert code.status_code == 400 and code.json["error"] == "invalid_grant"
    assert collected.status_code == 400 and collected.json["error"] == "access_denied"


def test_narrowing_keeps_the_case_system_working_with_what_is_left(app, alex):
    claimant, _ = alex
    client, secret = make_client()
    token = code_flow(app, claimant.account.username, client.id, secret)
    (grant,) = live_grants(claimant.id)
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    page = phone.get(f"/access/{grant.id}/change")
    phone.post(
        f"/access/{grant.id}/change",
        data={"csrf_token": csrf_from(page.text), "scopes": ["journal:read"]},
    )
    api = app.test_client()

    old = api.get("/api/v1/journal", headers=bearer(token["access_token"]))
    renewed = refresh(api, client.id, secret, token["refresh_token"], scope="mr:read journal:read")

    assert old.status_code == 401
    assert "replaced" in old.json["error_description"]
    assert renewed.status_code == 200, renewed.text
    assert renewed.json["scope"] == "journal:read"
    fresh = bearer(renewed.json["access_token"])
    assert api.get("/api/v1/journal", headers=fresh).status_code == 200
    removed = api.get("/api/v1/mr-decisions", headers=fresh)
    assert removed.status_code == 403 and removed.json["error"] == "insufficient_scope"
    described = api.post(
        "/oauth/introspect",
        data={"token": renewed.json["refresh_token"]},
        headers=basic(client.id, secret),
    ).json
    assert described["active"] is True and described["scope"] == "journal:read"


def test_staff_recording_consent_for_an_adviser_who_has_access_amends_it(app, alex):
    claimant, priya = alex
    grant = make_grant(claimant, priya, "mr:read", months=1)
    staff = make_staff()

    recorded = record_by_phone(
        claimant,
        priya,
        staff=staff,
        scope_names="mr:read payments:read",
        purpose="Help with my appeal",
        relationship="Welfare rights adviser",
    )

    assert recorded.id == grant.id
    (only,) = live_grants(claimant.id)
    assert only.scope_names == ("mr:read", "payments:read")


def test_a_representative_by_phone_without_an_account_is_one_relationship_by_name(app, alex):
    claimant, _ = alex
    staff = make_staff()
    for name in ("Jo Bloggs", "  jo   BLOGGS "):
        record_by_phone(
            claimant,
            grants.Representative(name, "Helping Hands"),
            staff=staff,
            purpose="Help with letters",
            relationship="Friend",
            months=2,
        )

    assert len(live_grants(claimant.id)) == 1


def test_the_database_refuses_a_second_live_grant_for_one_relationship(app, alex):
    claimant, priya = alex
    first = make_grant(claimant, priya)
    now = clock.now()
    twin = Grant(
        kind="access",
        claimant_id=claimant.id,
        adviser_id=priya.id,
        representative_name="Priya Shah",
        relationship_key=first.relationship_key,
        scopes="mr:read",
        purpose="x",
        relationship="y",
        status="active",
        created_at=now,
        starts_at=now,
        review_at=first.ends_at,
        ends_at=first.ends_at,
    )
    db.session.add(twin)

    with pytest.raises(Exception, match="(?i)unique"):
        db.session.commit()
    db.session.rollback()
    assert [g.id for g in live_grants(claimant.id)] == [first.id]
