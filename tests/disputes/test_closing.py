"""Staff see each open dispute with the claimant's reference, the line, the claimant's words and
the line's inclusion proof against the latest checkpoint, and close it with an outcome that
reaches the claimant as a signed document and a message."""

from __future__ import annotations

import pytest

from broker import clock
from broker.casework import disputes
from broker.chain import checkpoints, merkle, signed
from broker.extensions import db
from broker.services import of as services_of
from tests.factories import make_grant, messages_to
from tests.staff.helpers import assert_page, audit_actions, fresh, post_form, text_of

from .helpers import disputes_of, line_of, wrong_path

WORDS = "I never asked this adviser to read my journal"


@pytest.fixture
def disputed(phone, people):  # noqa: ANN001, ANN201
    grant = make_grant(people.claimant, people.adviser)
    post_form(phone, wrong_path(line_of(grant)), {"words": WORDS})
    [dispute] = disputes_of(people.claimant.id)
    return grant, dispute


def close(staff_client, dispute, outcome: str):  # noqa: ANN001, ANN201
    return post_form(
        staff_client, f"/staff/disputes/{dispute.id}/close", {"outcome": outcome}, "/staff/disputes"
    )


def test_staff_see_the_reference_the_line_and_the_claimants_words(staff_client, people, disputed):
    words = text_of(assert_page(staff_client.get("/staff/disputes")))

    assert f"Claimant {people.claimant.reference}" in words
    assert "grant.create" in words
    assert WORDS in words
    assert "Not sealed yet: the next checkpoint will cover it." in words


def test_the_inclusion_proof_is_against_the_latest_checkpoint_and_checks(
    app, staff_client, people, disputed
):
    checkpoints.make(services_of(app), now=clock.now(), force=True)
    db.session.commit()
    latest = checkpoints.latest()
    event = line_of(disputed[0])

    html = staff_client.get("/staff/disputes").text
    proof = disputes.inclusion(event)

    assert proof.sealed and proof.checkpoint_seq == latest.seq
    assert proof.root in html and proof.leaf_hash in html
    assert merkle.root_from_inclusion_proof(
        proof.index,
        proof.tree_size,
        bytes.fromhex(proof.leaf_hash),
        [bytes.fromhex(h) for h in proof.path],
    ) == bytes(latest.root)


def test_resumed_restarts_the_grant_and_the_claimant_gets_a_signed_outcome(
    app, staff_client, phone, people, disputed
):
    grant, dispute = disputed

    done = close(staff_client, dispute, "resumed")

    assert done.status_code == 303
    assert fresh(grant).status == "active"
    [row] = disputes_of(people.claimant.id)
    assert (row.outcome, row.closed_by_staff_id) == ("resumed", people.staff.id)
    keys = phone.get("/api/v1/audit/keys").get_json()
    claims = signed.verify(row.receipt, "consent-broker-dispute", keys)
    assert (claims["outcome"], claims["claimant"]["reference"]) == (
        "resumed",
        people.claimant.reference,
    )
    assert phone.get(f"/history/disputes/{row.id}/outcome.json").get_json()["jws"] == row.receipt
    [told] = messages_to(people.claimant.id, "dispute_closed")
    assert "access to your journal has restarted" in told.body
    assert audit_actions(people.claimant.id)[-2:] == ["grant.dispute_resume", "dispute.close"]
    assert "No disputes are open." in text_of(staff_client.get("/staff/disputes").text)


def test_stopped_revokes_the_grant(staff_client, people, disputed):
    grant, dispute = disputed

    close(staff_client, dispute, "stopped")

    assert fresh(grant).status == "revoked"
    [told] = messages_to(people.claimant.id, "dispute_closed")
    assert "access to your journal has stopped" in told.body
    assert audit_actions(people.claimant.id)[-2:] == ["grant.revoke", "dispute.close"]


def test_passed_on_keeps_the_grant_paused(staff_client, phone, people, disputed):
    grant, dispute = disputed

    close(staff_client, dispute, "passed_on")

    assert fresh(grant).status == "suspended"
    [told] = messages_to(people.claimant.id, "dispute_closed")
    assert "access stays paused" in told.body
    page = text_of(phone.get(f"/history/disputes/{dispute.id}").text)
    assert "DWP passed it on to be looked at further." in page
    assert "Download the signed outcome" in page
    history = phone.get("/history").text
    assert f'href="/history/disputes/{dispute.id}"' in history
    assert "Lines you told us were wrong" in text_of(history)


def test_a_closed_dispute_cannot_be_closed_again_and_the_line_can_be_disputed_again(
    staff_client, phone, people, disputed
):
    grant, dispute = disputed
    close(staff_client, dispute, "resumed")

    again = close(staff_client, dispute, "stopped")

    assert again.status_code == 400
    assert "This dispute is already closed" in text_of(again.text)
    assert fresh(grant).status == "active"
    assert "What was wrong?" in phone.get(wrong_path(line_of(grant))).text


def test_an_outcome_is_required_and_csrf_is_checked(staff_client, people, disputed):
    grant, dispute = disputed

    none = close(staff_client, dispute, "")
    forged = staff_client.post(f"/staff/disputes/{dispute.id}/close", data={"outcome": "stopped"})

    assert none.status_code == 400 and "Choose an outcome" in none.text
    assert forged.status_code == 400
    assert fresh(grant).status == "suspended"


def test_claimants_cannot_see_the_staff_list_or_another_claimants_dispute(
    app, phone, people, disputed
):
    from tests.conftest import sign_in
    from tests.factories import make_claimant

    other = make_claimant("Sam Other")
    theirs = app.test_client()
    sign_in(theirs, other.account.username)

    assert phone.get("/staff/disputes").status_code in (302, 403, 404)
    assert theirs.get(f"/history/disputes/{disputed[1].id}").status_code == 404
