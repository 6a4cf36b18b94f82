"""`make run`'s demo: Northside Citizens Advice holds the Advice Quality Standard and Priya is
its organisation admin, so her console has "Your organisation" with her client count."""

from __future__ import annotations

from broker.extensions import db
from broker.models import Organisation
from tests.conftest import sign_in


def test_priya_administers_northside(app, ctx, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # twice changes nothing
    northside = db.session.scalar(
        db.select(Organisation).where(Organisation.name == "Northside Citizens Advice")
    )
    assert (northside.kind, northside.mark_scheme, northside.code_prefix) == (
        "citizens_advice",
        "aqs",
        "NSA",
    )
    priya = app.test_client()
    sign_in(priya, "priya@northside.example", "demo-password")
    assert "Your organisation" in priya.get("/adviser/").text
    page = priya.get("/organisation/")
    assert page.status_code == 200
    assert "NSA-4821" in page.text
    assert "Alex Morgan" not in page.text and "Sam Morgan" not in page.text
    tom = app.test_client()
    sign_in(tom, "tom@riverside.example", "demo-password")
    assert "Your organisation" not in tom.get("/adviser/").text
    assert tom.get("/organisation/").status_code == 403
