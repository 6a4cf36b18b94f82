"""`make run`'s demo (issue 23): Jo, Sam's nominated contact, has a confirmed email address and
gets copies of Sam's letters and reminders; Chris asked twelve days ago to be Alex's contact and
nobody answered, so it is on Jordan's "waiting too long" list, and Alex can say yes with the code
the README prints."""

from __future__ import annotations

from broker import demo
from broker.extensions import db
from broker.models import ContactAddress, ContactRequest, Grant
from tests.demo import demo_client, seed_demo_twice
from tests.staff.helpers import post_form, text_of


def test_the_demo_shows_a_confirmed_contact_and_a_request_waiting_too_long(app, ctx, runner):
    seed_demo_twice(runner)
    [address] = db.session.scalars(db.select(ContactAddress)).all()
    assert (address.address, address.kinds) == ("jo.morgan@example.com", "reminders letters")
    assert address.confirmed_at is not None
    [request] = db.session.scalars(db.select(ContactRequest)).all()

    staff = demo_client(app, "jordan@dwp.example")
    listed = text_of(staff.get("/staff/contact-requests").text)
    assert "Alex Morgan, UC-1001-AM" in listed and "Chris Morgan, Brother" in listed
    record = text_of(staff.get("/staff/claimants/UC-1001-AM").text)
    assert "Offer to send letters through someone they trust" in record
    phone = demo_client(app, "alex@example.com")
    assert "Waiting 12 days" in text_of(phone.get("/").text)

    yes = post_form(
        phone,
        f"/contact/requests/{request.id}",
        {
            "decision": "yes",
            "code": demo.DEMO_REQUEST_CODE,
            "scopes": ["contact:letters"],
            "copies": ["letters"],
            "months": "3",
            "purpose": "Chris helps me with letters",
        },
    )

    assert yes.status_code == 303
    assert (
        db.session.scalar(
            db.select(Grant.representative_name).where(
                Grant.claimant_id == request.claimant_id, Grant.kind == "contact"
            )
        )
        == "Chris Morgan"
    )
