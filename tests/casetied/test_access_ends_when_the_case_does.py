"""A consent given "until my reconsideration is decided": it ends 31 days after the decision
date (the end of that UK day), never later than its own end date (six months at most), through
the ordinary expiry; the claimant and adviser are told, the claimant gets a receipt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app

from broker import services
from broker.consent import disclosure, grants, receipts
from broker.extensions import db
from broker.models import AuditEvent, Grant, Receipt
from tests.casetied.helpers import STARTED, case_tied, decided
from tests.factories import make_adviser, make_claimant, make_grant, messages_to, signer


def sweep(runner) -> str:  # noqa: ANN001
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    return result.output


def fresh(grant: Grant) -> Grant:
    db.session.expire_all()
    return db.session.get(Grant, grant.id)


@pytest.fixture
def people(ctx, frozen_clock):  # noqa: ANN001, ANN201
    frozen_clock.now = STARTED
    return make_claimant("Alex Morgan"), make_adviser("Priya Shah")


def test_it_ends_31_days_after_the_decision_and_not_before(runner, people, frozen_clock):
    claimant, adviser = people
    grant = case_tied(claimant, adviser)
    frozen_clock.now = datetime(2028, 2, 20, 12, 0, tzinfo=UTC)
    sweep(runner)
    assert fresh(grant).status == "active"
    assert fresh(grant).ends_at == grants.add_months(STARTED, 6)  # no decision yet: no change

    decided(runner, claimant, "2028-02-19")

    # 19 February + 31 days = 21 March; live all that UK day (GMT, so 23:59:59 UTC).
    last = datetime(2028, 3, 21, 23, 59, 59, tzinfo=UTC)
    assert fresh(grant).ends_at == last
    assert fresh(grant).status == "active"
    frozen_clock.now = last - timedelta(seconds=1)
    sweep(runner)
    assert disclosure.authorises(
        fresh(grant).status, fresh(grant).review_at, fresh(grant).ends_at, frozen_clock.now
    )
    frozen_clock.now = last
    sweep(runner)
    assert fresh(grant).status == "expired"
    assert fresh(grant).end_reason == "Reached its end date"


def test_summer_time_the_last_day_is_a_uk_day(runner, people, frozen_clock):
    claimant, adviser = people
    frozen_clock.now = start = datetime(2028, 4, 1, 9, 0, tzinfo=UTC)
    grant = case_tied(claimant, adviser, now=start)
    frozen_clock.now = datetime(2028, 5, 2, 9, 0, tzinfo=UTC)
    decided(runner, claimant, "2028-05-01")
    # 1 May + 31 days = 1 June, British Summer Time: the day ends at 22:59:59 UTC.
    assert fresh(grant).ends_at == datetime(2028, 6, 1, 22, 59, 59, tzinfo=UTC)


def test_with_no_decision_the_six_month_cap_still_ends_it(runner, people, frozen_clock):
    claimant, adviser = people
    grant = case_tied(claimant, adviser)
    cap = grants.add_months(STARTED, 6)
    frozen_clock.now = cap - timedelta(seconds=1)
    sweep(runner)
    assert fresh(grant).status == "active"
    frozen_clock.now = cap
    sweep(runner)
    assert fresh(grant).status == "expired"


def test_a_late_decision_never_makes_it_last_longer(runner, people, frozen_clock):
    claimant, adviser = people
    grant = case_tied(claimant, adviser, months=1)
    frozen_clock.now = datetime(2028, 2, 1, 9, 0, tzinfo=UTC)
    decided(runner, claimant, "2028-02-01")  # + 31 days is after the chosen month
    assert fresh(grant).ends_at == grants.add_months(STARTED, 1)
    assert fresh(grant).event_decision_id is not None


def test_an_old_decision_does_not_end_a_new_consent(runner, people, frozen_clock):
    claimant, adviser = people
    grant = case_tied(claimant, adviser)
    frozen_clock.now = STARTED + timedelta(days=2)
    decided(runner, claimant, "2028-01-09")  # dated the day before consent was given

    assert fresh(grant).ends_at == grants.add_months(STARTED, 6)
    assert fresh(grant).event_decision_id is None
    decided(runner, claimant, "2028-01-12")  # the real one, after: this one counts
    assert fresh(grant).ends_at == datetime(2028, 2, 12, 23, 59, 59, tzinfo=UTC)


def test_a_decision_found_too_late_ends_it_at_once(runner, people, frozen_clock):
    claimant, adviser = people
    grant = case_tied(claimant, adviser)
    frozen_clock.now = datetime(2028, 3, 1, 9, 0, tzinfo=UTC)
    decided(runner, claimant, "2028-01-20")  # 20 February has passed

    assert fresh(grant).status == "expired"
    assert fresh(grant).ended_at == datetime(2028, 2, 20, 23, 59, 59, tzinfo=UTC)


def test_ordinary_consent_and_other_claimants_are_not_touched(runner, people, frozen_clock):
    claimant, adviser = people
    ordinary = make_grant(claimant, make_adviser("Sam Lee"), months=6, now=STARTED)
    other = make_claimant("Jo Bloggs")
    theirs = case_tied(other, adviser)
    frozen_clock.now = datetime(2028, 2, 2, 9, 0, tzinfo=UTC)

    decided(runner, claimant, "2028-02-01")

    assert fresh(ordinary).ends_at == grants.add_months(STARTED, 6)
    assert fresh(theirs).ends_at == grants.add_months(STARTED, 6)


def test_the_claimant_gets_a_receipt_and_both_are_told(runner, people, frozen_clock):
    claimant, adviser = people
    grant = case_tied(claimant, adviser)
    frozen_clock.now = datetime(2028, 2, 2, 9, 0, tzinfo=UTC)
    decided(runner, claimant, "2028-02-01")
    db.session.expire_all()

    rows = receipts.for_grant(claimant.id, grant.id)
    key_set = services.of(current_app).tokens.jwks()
    payloads = [receipts.payload_of(row, key_set) for row in rows]
    assert [p["event"]["type"] for p in payloads] == ["case_decided", "given"]
    assert all(p["event"]["untilEvent"] == "mr_decided" for p in payloads)
    assert payloads[0]["services"][0]["purposes"][0]["termination"].startswith("2028-03-03")
    assert (
        db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.action == "grant.case_decided")
        ).actor
        == "system:mr_decision"
    )
    [said] = messages_to(claimant.id, "grant_case_decided")
    to_adviser = messages_to(adviser.id, "grant_case_decided")
    assert said.body.startswith("Your reconsideration has been decided. Priya Shah")
    assert "can see your journal until 3 March 2028" in said.body
    assert "now ends on 3 March 2028" in to_adviser[0].body
    assert db.session.scalar(db.select(db.func.count()).select_from(Receipt)) == 2


def test_a_welsh_speaker_is_told_in_welsh(runner, people, frozen_clock):
    claimant, adviser = people
    claimant.account.language = "cy"
    db.session.commit()
    case_tied(claimant, adviser)
    frozen_clock.now = datetime(2028, 2, 2, 9, 0, tzinfo=UTC)
    decided(runner, claimant, "2028-02-01")

    [said] = messages_to(claimant.id, "grant_case_decided")
    assert said.body.startswith("Mae penderfyniad wedi'i wneud ar eich ailystyriaeth.")
    assert "tan 3 Mawrth 2028" in said.body


def test_an_event_we_do_not_know_is_refused(people):
    claimant, adviser = people
    with pytest.raises(grants.GrantRefused, match="do not know this event"):
        grants.give(
            claimant,
            grants.Representative.of(adviser),
            scope_names="mr:read",
            ends_at=grants.add_months(STARTED, 1),
            purpose="Help",
            relationship="Adviser",
            now=STARTED,
            signer=signer(),
            until_event="appeal_heard",
        )


def test_giving_again_without_the_tie_unties_it(people):
    claimant, adviser = people
    grant = case_tied(claimant, adviser)
    again = make_grant(
        claimant,
        adviser,
        months=6,
        now=STARTED + timedelta(hours=1),
        purpose="Help with my reconsideration",
        until_event="",
    )
    assert again.id == grant.id
    assert fresh(grant).until_event is None
