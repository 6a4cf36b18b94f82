"""`make run`'s demo: Sam gave Priya access on the phone, so Priya's MR request waits on Sam's
home page; staff see it on Sam's record; seeding twice adds nothing."""

from __future__ import annotations

from broker.extensions import db
from broker.models import MRDraft
from tests.demo import demo_client, seed_demo_twice
from tests.staff.helpers import text_of


def test_sam_sees_priyas_request_to_check(app, ctx, runner):
    seed_demo_twice(runner)
    sam = demo_client(app, "sam@example.com")

    home = text_of(sam.get("/").text)

    assert "Priya Shah, Northside Citizens Advice wants to send this for you." in home
    assert "Send it" in home and "Don't send" in home
    # Sam and Alex are a couple, and the request mentions Sam's doctor (security.md 78).
    assert "Your partner will not be able to read this. It mentions health or abuse" in home
    assert db.session.scalar(db.select(db.func.count()).select_from(MRDraft)) == 1
