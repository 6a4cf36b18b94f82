"""Removing the additional-support flag asks first, with the need shown and a reason required;
only the POST removes it, and the removal is an audit event in the claimant's chain that keeps
who removed it and why (issue 12)."""

from __future__ import annotations

import pytest

from broker import clock
from broker.extensions import db
from broker.models import Claimant
from broker.people import records
from tests.factories import chain_events
from tests.staff.helpers import assert_page, audit_actions, error_summary, post_form, text_of

NEED = "Finds phone calls hard: contact by letter"
REASON = "The claimant told us they are happy to take calls again"


@pytest.fixture
def flagged(people):  # noqa: ANN001, ANN201
    records.set_additional_support(people.claimant, NEED, staff=people.staff, now=clock.now())
    db.session.commit()
    return people.claimant


def remove_path(claimant: Claimant) -> str:
    return f"/staff/claimants/{claimant.reference}/additional-support/remove"


def flag_of(claimant: Claimant) -> str | None:
    db.session.expire_all()
    return db.session.get(Claimant, claimant.id).additional_support


def test_the_record_links_to_a_page_that_asks_before_removing(staff_client, flagged):
    record = assert_page(staff_client.get(f"/staff/claimants/{flagged.reference}"))
    assert f'href="{remove_path(flagged)}"' in record

    html = assert_page(staff_client.get(remove_path(flagged)))
    words = text_of(html)

    assert "Remove the additional support flag" in words
    assert f"Needs additional support: {NEED}" in words
    assert "Why are you removing the flag?" in words
    assert flag_of(flagged) == NEED
    changes = [a for a in audit_actions(flagged.id) if a not in records.STAFF_READS]
    assert changes[-1] == "record.support_set"  # opening the record was a read, not a change


def test_removing_without_a_reason_says_to_enter_one_and_keeps_the_flag(staff_client, flagged):
    html = assert_page(post_form(staff_client, remove_path(flagged), {"reason": "  "}), 400)

    assert error_summary(html) == [("reason", "Enter why you are removing the flag")]
    assert flag_of(flagged) == NEED
    assert audit_actions(flagged.id)[-1] == "record.support_set"


def test_a_reason_longer_than_the_record_keeps_is_refused(staff_client, flagged):
    html = assert_page(post_form(staff_client, remove_path(flagged), {"reason": "x" * 181}), 400)

    assert error_summary(html) == [("reason", "The reason must be 180 characters or fewer")]
    assert flag_of(flagged) == NEED


def test_removing_with_a_reason_clears_the_flag_and_audits_who_and_why(
    staff_client, people, flagged
):
    done = post_form(staff_client, remove_path(flagged), {"reason": f"  {REASON}\n"})

    assert done.status_code == 303
    assert done.headers["Location"] == f"/staff/claimants/{flagged.reference}"
    assert flag_of(flagged) is None
    event = chain_events(flagged.id)[-1]
    assert (event.action, event.actor, event.grant_id, event.outcome) == (
        "record.support_clear",
        f"staff:{people.staff.id}",
        "",
        "done",
    )
    assert event.resource == f"additional_support:{REASON}"
    words = text_of(assert_page(staff_client.get(done.headers["Location"])))
    assert "The additional support flag is removed" in words
    assert "Needs additional support" not in words
    assert f"by Jordan Lee: {REASON}" in words


def test_a_post_without_the_csrf_token_removes_nothing(staff_client, flagged):
    staff_client.get(remove_path(flagged))

    answer = staff_client.post(remove_path(flagged), data={"reason": REASON})

    assert answer.status_code == 400
    assert flag_of(flagged) == NEED
    assert audit_actions(flagged.id)[-1] == "record.support_set"


def test_setting_the_flag_again_hides_the_old_removal(staff_client, people, flagged):
    post_form(staff_client, remove_path(flagged), {"reason": REASON})
    post_form(
        staff_client,
        f"/staff/claimants/{flagged.reference}/additional-support",
        {"description": "Needs an interpreter: Polish"},
    )

    words = text_of(assert_page(staff_client.get(f"/staff/claimants/{flagged.reference}")))

    assert "Needs additional support: Needs an interpreter: Polish" in words
    assert REASON not in words


def test_with_no_flag_the_remove_page_goes_back_to_the_record(staff_client, people):
    answer = staff_client.get(remove_path(people.claimant))

    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/staff/claimants/{people.claimant.reference}"
