"""GET /api/v1/staff/claimants/<ref>/consents: the banner as JSON for staff systems, with a
staff API key only. A staff session cookie, an adviser's token, or a revoked key get 401."""

from __future__ import annotations

from broker import clock
from broker.extensions import db
from broker.models import AuditEvent, StaffApiKey
from broker.people import staff_keys
from tests.factories import bearer, issue_token, make_adviser, make_grant
from tests.staff.helpers import audit_actions, contact_grant, grant_in_state, phone_grant


def consents_path(claimant) -> str:  # noqa: ANN001
    return f"/api/v1/staff/claimants/{claimant.reference}/consents"


def test_a_staff_key_reads_every_consent_with_its_state_now(client, people, key):
    grant = phone_grant(people.claimant, people.adviser, people.staff, now=clock.now())
    grant_in_state("revoked", people.claimant, make_adviser("Tom Reed"), people.staff)
    contact_grant(people.claimant, people.staff, now=clock.now())
    people.claimant.additional_support = "Needs an interpreter"
    db.session.commit()

    answer = client.get(consents_path(people.claimant), headers=bearer(key))

    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json
    assert body["reference"] == people.claimant.reference
    assert body["contact_through"] == {
        "name": "Jo Morgan",
        "relationship": "Daughter",
        "state": "current",
    }
    assert body["additional_support"] == {"description": "Needs an interpreter"}
    by_id = {c["id"]: c for c in body["consents"]}
    consent = by_id[grant.id]
    assert consent["state"] == "current" and consent["kind"] == "access"
    assert consent["representative"] == {
        "name": "Priya Shah",
        "organisation": "Northside Citizens Advice",
    }
    assert consent["relationship"] == "Welfare rights adviser"
    assert consent["information"] == [
        {"scope": "mr:read", "description": "Their reconsideration decisions"},
        {"scope": "journal:read", "description": "Their journal"},
    ]
    assert consent["purpose"] == "Help with a Mandatory Reconsideration"
    assert consent["recorded_by"] == {"how": "staff_by_phone", "staff_name": "Jordan Lee"}
    assert consent["review_at"] < consent["ends_at"]
    assert sorted(c["state"] for c in body["consents"]) == ["current", "current", "revoked"]


def test_each_read_is_audited_in_the_claimants_chain_with_the_key_id(client, people, key):
    client.get(consents_path(people.claimant), headers=bearer(key))

    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "staff.consents.read")
    ).one()
    row = db.session.scalar(db.select(StaffApiKey))
    assert (event.claimant_id, event.actor, event.outcome) == (
        people.claimant.id,
        f"staff-system:{row.id}",
        "allowed",
    )


def test_no_credential_is_401_with_a_bearer_challenge(client, people):
    answer = client.get(consents_path(people.claimant))

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer ")
    assert answer.json["error"] == "invalid_request"


def test_a_staff_members_session_cookie_is_not_a_credential(staff_client, people):
    answer = staff_client.get(consents_path(people.claimant))

    assert answer.status_code == 401
    assert "staff.consents.read" not in audit_actions(people.claimant.id)


def test_an_advisers_access_token_is_refused(client, people):
    token, _ = issue_token(make_grant(people.claimant, people.adviser))

    answer = client.get(consents_path(people.claimant), headers=bearer(token))

    assert answer.status_code == 401
    assert answer.json["error"] == "invalid_token"
    assert "staff.consents.read" not in audit_actions(people.claimant.id)


def test_a_revoked_or_altered_key_is_refused(client, people, key):
    row = db.session.scalar(db.select(StaffApiKey))
    staff_keys.revoke(row.id, now=clock.now())
    db.session.commit()

    revoked = client.get(consents_path(people.claimant), headers=bearer(key))
    altered = client.get(consents_path(people.claimant), headers=bearer(key[:-1] + "x"))

    assert (revoked.status_code, altered.status_code) == (401, 401)


def test_only_the_keys_hash_is_stored(ctx, key):
    row = db.session.scalar(db.select(StaffApiKey))

    assert key not in (row.key_hash, row.name, row.id)
    assert len(row.key_hash) == 64


def test_an_unknown_reference_is_404(client, people, key):
    answer = client.get("/api/v1/staff/claimants/UC-0000-XX/consents", headers=bearer(key))

    assert answer.status_code == 404
    assert answer.json["error"] == "not_found"


def test_the_cli_creates_lists_and_revokes_keys(runner, ctx):
    created = runner.invoke(args=["staff-api-key", "create", "Payments system"])
    key_id = created.output.split()[1]
    listed = runner.invoke(args=["staff-api-key", "list"])
    revoked = runner.invoke(args=["staff-api-key", "revoke", key_id])

    assert created.exit_code == 0, created.output
    assert created.output.splitlines()[1].startswith(staff_keys.PREFIX)
    assert f"{key_id}  Payments system" in listed.output and "live" in listed.output
    assert revoked.exit_code == 0
    db.session.expire_all()
    assert db.session.get(StaffApiKey, key_id).revoked_at is not None
