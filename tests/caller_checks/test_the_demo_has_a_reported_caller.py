"""`make run`'s demo: Sam reported yesterday's caller as not genuine, so Jordan sees the warning
on Sam's record; seeding twice adds nothing."""

from __future__ import annotations

from broker.extensions import db
from broker.models import CallerCheck
from tests.demo import demo_client, seed_demo_twice
from tests.staff.helpers import text_of


def test_jordan_sees_sams_report_on_the_record(app, runner, ctx):
    seed_demo_twice(runner)
    jordan = demo_client(app, "jordan@dwp.example")

    record = text_of(jordan.get("/staff/claimants/UC-1002-SM").text)

    assert "The claimant reported a caller as not genuine" in record
    assert "Chris Dale, Department for Work and Pensions" in record
    assert len(db.session.scalars(db.select(CallerCheck)).all()) == 1
