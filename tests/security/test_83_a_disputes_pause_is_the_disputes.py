"""security.md 83: a pause a claimant's "This wasn't right" made is the dispute's to lift. DWP
staff pressing "Lift the suspension", an agency resuming its adviser, or any other call of
grants.restart, is refused while the dispute is open: only closing it as "resumed" restarts
the access (a dispute passed on leaves an ordinary pause, which DWP may then lift)."""

from __future__ import annotations

import pytest

from broker import clock
from broker.consent import agency_grants, grants
from broker.extensions import db
from broker.models import AuditEvent
from broker.people import records
from tests.conftest import sign_in
from tests.factories import bearer, issue_token, make_grant, make_people, signer
from tests.staff.helpers import (
    assert_page,
    audit_actions,
    fresh,
    post_form,
    signed_in_staff,
    text_of,
)

REFUSED = (
    "The claimant said a line of their history was wrong, which paused this consent. "
    "It restarts only when the dispute is closed as resumed (Disputes)"
)


@pytest.fixture
def scene(app, ctx):  # noqa: ANN001, ANN201
    """Alex disputed the line that gave Priya access: the grant is paused by the dispute."""
    people = make_people()
    grant = make_grant(people.claimant, people.adviser)
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)
    line = db.session.scalars(db.select(AuditEvent).where(AuditEvent.grant_id == grant.id)).first()
    post_form(phone, f"/history/lines/{line.id}/wrong", {"words": "I never agreed to this"})
    assert fresh(grant).status == "suspended"
    return people, grant, signed_in_staff(app, people.staff)


def _lift(staff_client, people, grant):  # noqa: ANN001, ANN201
    return post_form(
        staff_client,
        f"/staff/claimants/{people.claimant.reference}/grants/{grant.id}/lift",
        form_page=f"/staff/claimants/{people.claimant.reference}",
    )


def _changes(claimant_id: str) -> list[str]:
    """The claimant's chain without the staff reads of their record (each page view is one)."""
    return [a for a in audit_actions(claimant_id) if a not in records.STAFF_READS]


def test_staff_lifting_the_suspension_is_refused_plainly_and_nothing_changes(app, client, scene):
    people, grant, staff_client = scene
    before = _changes(people.claimant.id)

    answer = _lift(staff_client, people, grant)

    # As for an agency's hold: the record page again, the reason in its banner, nothing
    # written (the refusal is undone with the request, so no event either).
    assert REFUSED in text_of(assert_page(answer, 400))
    assert fresh(grant).status == "suspended"
    assert _changes(people.claimant.id) == before
    token, _ = issue_token(fresh(grant))
    assert client.get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 401


def test_the_record_offers_no_lift_and_says_where_it_restarts(scene):
    people, grant, staff_client = scene

    record = assert_page(staff_client.get(f"/staff/claimants/{people.claimant.reference}"))

    assert f"/grants/{grant.id}/lift" not in record
    assert "It restarts only when the dispute is closed as resumed: see Disputes" in text_of(record)


def test_no_other_restart_undoes_it_either(scene):
    people, grant, _staff = scene

    with pytest.raises(grants.GrantRefused, match="only when the dispute is closed"):
        grants.restart(
            grant,
            by="system:test",
            action="grant.lift_suspension",
            signer=signer(),
            now=clock.now(),
        )
    db.session.rollback()
    # An agency resuming its adviser restarts only what the agency held.
    adviser = db.session.get(type(people.adviser), people.adviser.id)
    assert (
        agency_grants.release_for(adviser, by="system:test", signer=signer(), now=clock.now()) == 0
    )
    assert fresh(grant).status == "suspended"


def test_closing_the_dispute_as_resumed_is_what_restarts_it(scene):
    people, grant, staff_client = scene
    [dispute_id] = db.session.scalars(db.select(db.text("id")).select_from(db.table("disputes")))

    post_form(
        staff_client,
        f"/staff/disputes/{dispute_id}/close",
        {"outcome": "resumed"},
        "/staff/disputes",
    )

    assert fresh(grant).status == "active"
    assert audit_actions(people.claimant.id)[-2:] == ["grant.dispute_resume", "dispute.close"]


def test_a_dispute_passed_on_leaves_a_pause_dwp_may_lift(scene):
    people, grant, staff_client = scene
    [dispute_id] = db.session.scalars(db.select(db.text("id")).select_from(db.table("disputes")))
    post_form(
        staff_client,
        f"/staff/disputes/{dispute_id}/close",
        {"outcome": "passed_on"},
        "/staff/disputes",
    )
    assert fresh(grant).status == "suspended"

    assert _lift(staff_client, people, grant).status_code == 303
    assert fresh(grant).status == "active"
