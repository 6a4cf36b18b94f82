"""Every change to a grant gives the claimant a signed consent receipt (Kantara / ISO/IEC TS
27560 fields), listed under the grant on their phone, downloadable, in plain words; an altered
receipt is refused."""

from __future__ import annotations

import json

import pytest

from broker import clock, sweep
from broker.chain import signed
from broker.consent import grants, receipts
from broker.extensions import db
from broker.messages.notify import LoggingSender
from tests.conftest import sign_in
from tests.factories import (
    bound,
    make_adviser,
    make_claimant,
    make_grant,
    make_staff,
    record_by_phone,
    signer,
)


@pytest.fixture
def grant(ctx, frozen_clock):  # noqa: ANN001, ANN201
    return make_grant(make_claimant("Alex Morgan"), make_adviser("Priya Shah", "Northside"))


def events_of(grant) -> list[str]:  # noqa: ANN001
    return [r.event for r in reversed(receipts.for_grant(grant.claimant_id, grant.id))]


def test_each_change_to_a_grant_makes_a_receipt(grant, frozen_clock):
    staff = make_staff()
    frozen_clock.advance(minutes=1)
    grants.suspend(grant, staff=staff, reason="Checking identity", now=clock.now(), signer=signer())
    frozen_clock.advance(minutes=1)
    grants.lift_suspension(grant, staff=staff, now=clock.now(), signer=signer())
    db.session.commit()
    frozen_clock.advance(days=200)
    sweep.run(now=clock.now(), sender=LoggingSender(), services=bound())

    assert events_of(grant) == ["given", "suspended", "resumed", "expired"]


def test_reviewing_and_revoking_make_receipts(ctx, frozen_clock):
    claimant = make_claimant()
    grant = record_by_phone(claimant, make_adviser(), review_months=1)
    frozen_clock.advance(days=25)
    grants.confirm_review(grant, by=f"claimant:{claimant.id}", now=clock.now(), signer=signer())
    frozen_clock.advance(minutes=1)
    grants.revoke(grant, by=f"claimant:{claimant.id}", now=clock.now(), signer=signer())
    db.session.commit()

    assert events_of(grant) == ["given", "reviewed", "revoked"]


def test_a_receipt_carries_the_consent_receipt_fields(grant, app):
    payload = receipts.payload_of(
        receipts.for_grant(grant.claimant_id, grant.id)[0], bound().key_set()
    )

    assert payload["version"] == "KI-CR-v1.1.0"
    assert payload["piiPrincipalId"] == grant.claimant.reference
    purpose = payload["services"][0]["purposes"][0]
    assert purpose["thirdPartyName"] == "Priya Shah, Northside"
    assert purpose["purpose"] == "Help with an appeal"
    assert purpose["termination"] == grant.ends_at.isoformat()
    assert purpose["consentType"] == "EXPLICIT"
    assert payload["event"]["type"] == "given"
    assert "Stop access" in payload["withdrawal"]


def test_the_claimant_sees_receipts_under_the_grant_and_can_download_one(grant, client):
    sign_in(client, grant.claimant.account.username)
    assert f"/access/{grant.id}/receipts" in client.get("/access").text

    page = client.get(f"/access/{grant.id}/receipts")

    assert page.status_code == 200
    assert "Access given" in page.text and "Priya Shah" in page.text
    assert "Choose Stop access on the page Who can see your journal." in page.text
    receipt = receipts.for_grant(grant.claimant_id, grant.id)[0]
    download = client.get(f"/receipts/{receipt.id}.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert receipts.verify(download.get_json(), bound().key_set())[0]


def test_another_claimant_cannot_see_or_download_the_receipts(grant, client):
    stranger = make_claimant("Stranger")
    receipt = receipts.for_grant(grant.claimant_id, grant.id)[0]
    sign_in(client, stranger.account.username)
    assert client.get(f"/access/{grant.id}/receipts").status_code == 404
    assert client.get(f"/receipts/{receipt.id}.json").status_code == 404


def test_an_altered_receipt_is_refused(grant, client, runner, tmp_path):
    sign_in(client, grant.claimant.account.username)
    receipt = receipts.for_grant(grant.claimant_id, grant.id)[0]
    document = client.get(f"/receipts/{receipt.id}.json").get_json()
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(document))
    assert runner.invoke(args=["verify-statement", str(path)]).exit_code == 0

    header, body, signature = document["jws"].split(".")
    payload = json.loads(
        signed.verify(document["jws"], signed.RECEIPT, bound().key_set())
        and __import__("base64").urlsafe_b64decode(body + "=" * (-len(body) % 4))
    )
    payload["services"][0]["purposes"][0]["termination"] = "2099-01-01T00:00:00+00:00"
    import jwt

    forged_body = jwt.utils.base64url_encode(signed.canonical_json(payload)).decode()
    path.write_text(json.dumps({"jws": f"{header}.{forged_body}.{signature}"}))
    result = runner.invoke(args=["verify-statement", str(path)])
    assert result.exit_code == 1
    assert (
        "NOT VALID: the receipt is not genuine: the signature does not match its contents"
        in result.output
    )

    document["receipt"]["services"][0]["purposes"][0]["purpose"] = "Anything at all"
    path.write_text(json.dumps(document))
    result = runner.invoke(args=["verify-statement", str(path)])
    assert result.exit_code == 1
    assert "the readable copy differs from what was signed" in result.output


def test_receipts_for_ended_access_are_in_the_past_tense_with_no_way_to_stop_it(
    grant, client, frozen_clock
):
    frozen_clock.advance(days=2)
    grants.revoke(grant, by=f"claimant:{grant.claimant_id}", now=clock.now(), signer=signer())
    db.session.commit()
    sign_in(client, grant.claimant.account.username)

    page = client.get(f"/access/{grant.id}/receipts").text

    assert "Access stopped" in page and "Access given" in page
    assert page.count("What they could see or do") == 2  # both receipts
    assert "What they can see or do" not in page
    assert page.count("Ended on") == 2
    assert "How to stop it" not in page and "Choose Stop access" not in page
    assert "This access has ended." in page
