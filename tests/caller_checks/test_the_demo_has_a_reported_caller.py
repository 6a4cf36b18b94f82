"""`make run`'s demo: Sam reported yesterday's caller as not genuine, so Jordan sees the warning
on Sam's record; seeding twice adds nothing."""

from __future__ import annotations

from broker.extensions import db
from broker.models import CallerCheck
from tests.conftest import sign_in
from tests.staff.helpers import text_of


def test_jordan_sees_sams_report_on_the_record(app, runner, ctx):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    jordan = app.test_client()
    sign_in(jordan, "jordan@dwp.example", "demo-password")

    record = text_of(jordan.get("/staff/claimants/UC-1002-SM").text)

    assert "The claimant reported a caller as not genuine" in record
    assert "Chris Dale, Department for Work and Pensions" in record
    assert len(db.session.scalars(db.select(CallerCheck)).all()) == 1
