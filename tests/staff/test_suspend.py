"""Staff suspend a grant with a reason: its tokens stop at once, the claimant is told on their
phone (not the reason), and the staff member can lift the suspension."""

from __future__ import annotations

from broker import clock, i18n
from broker.extensions import db
from broker.models import AccessToken, AuditEvent
from tests.conftest import sign_in
from tests.factories import bearer, issue_token, make_claimant, make_grant
from tests.staff.helpers import (
    assert_page,
    audit_actions,
    fresh,
    grant_in_state,
    outbox,
    post_form,
    text_of,
)

REASON = "The claimant says they did not choose this adviser"


def suspend_path(claimant, grant) -> str:  # noqa: ANN001
    return f"/staff/claimants/{claimant.reference}/grants/{grant.id}/suspend"


def test_suspending_stops_the_token_at_once_and_the_refusal_is_audited(
    staff_client, client, people
):
    grant = make_grant(people.claimant, people.adviser)
    token, jti = issue_token(grant)
    assert client.get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 200

    done = post_form(staff_client, suspend_path(people.claimant, grant), {"reason": REASON})
    after = client.get("/api/v1/mr-decisions", headers=bearer(token))

    assert done.status_code == 303
    assert after.status_code == 401
    assert after.json["error"] == "invalid_token"
    grant = fresh(grant)
    assert (grant.status, grant.suspension_reason, grant.suspended_by_staff_id) == (
        "suspended",
        REASON,
        people.staff.id,
    )
    assert db.session.get(AccessToken, jti).revoked_at is not None
    last = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.token_id == jti).order_by(AuditEvent.seq.desc())
    ).first()
    assert last.outcome == "refused:grant_inactive"
    assert "grant.suspend" in audit_actions(people.claimant.id)


def test_a_reason_is_required(staff_client, people):
    grant = make_grant(people.claimant, people.adviser)

    answer = post_form(staff_client, suspend_path(people.claimant, grant), {"reason": "  "})

    assert "Enter why you are suspending this consent" in assert_page(answer, 400)
    assert fresh(grant).status == "active"


def test_the_banner_shows_who_suspended_it_and_why(staff_client, people):
    grant = make_grant(people.claimant, people.adviser)
    post_form(staff_client, suspend_path(people.claimant, grant), {"reason": REASON})

    words = text_of(staff_client.get(f"/staff/claimants/{people.claimant.reference}").text)

    assert "Priya Shah, Northside Citizens Advice Suspended" in words
    assert f"by Jordan Lee: {REASON}" in words
    assert "Lift the suspension for Priya Shah" in words


def test_the_claimant_is_told_on_their_phone_but_not_the_reason(app, staff_client, people):
    grant = make_grant(people.claimant, people.adviser)
    post_form(staff_client, suspend_path(people.claimant, grant), {"reason": REASON})
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)

    home = text_of(phone.get("/").text)
    access = text_of(phone.get("/access").text)
    [to_claimant] = outbox(people.claimant.id)
    [to_adviser] = outbox(people.adviser.id)

    assert "DWP has paused Priya Shah's access to your journal." in home
    assert "DWP has paused their access. They cannot see your journal for now." in access
    assert REASON not in home + access + to_claimant.body + to_adviser.body
    assert to_claimant.kind == to_adviser.kind == "grant_suspended"
    assert "DWP has paused Priya Shah from Northside Citizens Advice's access" in to_claimant.body
    assert to_adviser.body == (
        f"DWP has paused your access to Alex Morgan's journal from {i18n.day(clock.now())}."
    )


def test_lifting_the_suspension_lets_new_tokens_work_again(staff_client, client, people):
    grant = make_grant(people.claimant, people.adviser)
    post_form(staff_client, suspend_path(people.claimant, grant), {"reason": REASON})

    lifted = post_form(
        staff_client,
        f"/staff/claimants/{people.claimant.reference}/grants/{grant.id}/lift",
        form_page=f"/staff/claimants/{people.claimant.reference}",
    )
    token, _ = issue_token(fresh(grant))

    assert lifted.status_code == 303
    assert fresh(grant).status == "active"
    assert client.get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 200
    assert "grant.lift_suspension" in audit_actions(people.claimant.id)
    kinds = sorted(m.kind for m in outbox(people.claimant.id))
    assert kinds == ["grant_resumed", "grant_suspended"]


def test_an_ended_grant_cannot_be_suspended(staff_client, people):
    grant = grant_in_state("revoked", people.claimant, people.adviser, people.staff)

    answer = post_form(
        staff_client,
        suspend_path(people.claimant, grant),
        {"reason": REASON},
        form_page=suspend_path(people.claimant, grant),
    )

    assert "This consent has ended, so it cannot be suspended" in assert_page(answer, 400)
    assert fresh(grant).status == "revoked"


def test_a_grant_is_only_reachable_through_its_own_claimants_record(staff_client, people):
    grant = make_grant(people.claimant, people.adviser)
    other = make_claimant("Blake Other")

    page = staff_client.get(suspend_path(other, grant))

    assert page.status_code == 404
    assert fresh(grant).status == "active"


def test_suspending_without_the_csrf_token_changes_nothing(staff_client, people):
    grant = make_grant(people.claimant, people.adviser)

    answer = staff_client.post(suspend_path(people.claimant, grant), data={"reason": REASON})

    assert answer.status_code == 400
    assert fresh(grant).status == "active"
    assert outbox(people.claimant.id) == []
