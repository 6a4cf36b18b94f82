"""Seed 004: "a simple request for the DWP to direct communication through Naz's daughter ... sat
... for a period of 4 months". A request to be someone's contact that nobody has answered shows
its age to the claimant and on the staff record, and after 5 working days it is on the staff's
"waiting too long" list. When the additional-support flag is set, the record prompts staff to
offer letters through someone the claimant trusts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.messages import contact_requests, nominated
from broker.models import ContactRequest
from broker.people import records
from tests.contact.conftest import phone_of
from tests.factories import make_claimant, record_by_phone
from tests.staff.helpers import assert_page, signed_in_staff, text_of


def waiting_since(claimant, when: datetime, name: str = "Amina Khan") -> ContactRequest:  # noqa: ANN001
    """A request whose asker proved their address at `when` and has waited since."""
    request = ContactRequest(
        claimant_id=claimant.id,
        name=name,
        relationship="Daughter",
        channel="email",
        address=f"{name.split()[0].lower()}@example.com",
        language="en",
        status=contact_requests.WAITING,
        created_at=when,
        confirmed_at=when,
    )
    db.session.add(request)
    db.session.commit()
    return request


def test_working_days_count_monday_to_friday():
    friday, monday = date(2026, 12, 4), date(2026, 12, 7)

    assert contact_requests.working_days_between(friday, friday) == 0
    assert contact_requests.working_days_between(friday, monday) == 1  # the weekend is not
    assert contact_requests.working_days_between(friday, date(2026, 12, 11)) == 5
    assert contact_requests.working_days_between(friday, date(2026, 12, 14)) == 6
    assert contact_requests.working_days_between(monday, friday) == 0


def test_a_request_left_four_months_is_on_the_staff_list_and_its_age_is_shown_everywhere(
    app, people, frozen_clock
):
    frozen_clock.now = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)  # a Monday
    naz = people.claimant
    old = waiting_since(naz, clock.now() - timedelta(days=122))
    fresh = waiting_since(make_claimant("Sam Morgan"), clock.now() - timedelta(days=3), "Kit Lee")
    staff = signed_in_staff(app, people.staff)

    listed = assert_page(staff.get("/staff/contact-requests"))

    words = text_of(listed)
    assert "Requests waiting too long" in words
    assert f"{naz.name}, {naz.reference}" in words
    assert "Amina Khan, Daughter" in words and "Waiting 122 days (86 working days)" in words
    assert "Kit Lee" not in words  # three days: on the record, not yet on the list
    record = text_of(staff.get(f"/staff/claimants/{naz.reference}").text)
    assert "Amina Khan, Daughter, amina@example.com: Waiting 122 days" in record
    home = text_of(phone_of(app, naz).get("/").text)
    assert "Waiting 4 months" in home
    assert contact_requests.age_of(fresh, clock.now()).too_long is False
    assert [r.id for r, _c in contact_requests.waiting_too_long(clock.now())] == [old.id]


def test_the_list_starts_after_five_full_working_days_and_forgets_answered_requests(
    app, people, frozen_clock
):
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    request = waiting_since(people.claimant, monday)

    def listed(at: datetime) -> bool:
        return request.id in {r.id for r, _c in contact_requests.waiting_too_long(at)}

    assert not listed(datetime(2026, 12, 14, 23, 0, tzinfo=UTC))  # next Monday: 5 days
    assert listed(datetime(2026, 12, 15, 0, 30, tzinfo=UTC))  # Tuesday: the 6th
    frozen_clock.now = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
    contact_requests.decline(request, people.claimant, now=clock.now())
    db.session.commit()
    assert not listed(clock.now())
    staff = signed_in_staff(app, people.staff)
    assert "No request has waited" in text_of(staff.get("/staff/contact-requests").text)


def test_staff_are_prompted_to_offer_a_trusted_contact_when_support_is_flagged(
    app, people, frozen_clock
):
    staff = signed_in_staff(app, people.staff)
    path = f"/staff/claimants/{people.claimant.reference}"
    assert "Offer to send letters through someone they trust" not in staff.get(path).text

    records.set_additional_support(
        people.claimant, "Finds letters frightening", staff=people.staff, now=clock.now()
    )
    db.session.commit()
    prompted = assert_page(staff.get(path))
    assert "Offer to send letters through someone they trust" in text_of(prompted)
    assert f'href="{path}/contact/new"' in prompted

    grant = record_by_phone(
        people.claimant,
        grants.Representative("Jo Morgan"),
        staff=people.staff,
        scope_names=("contact:letters",),
        purpose="Finds letters frightening",
        relationship="Daughter",
        kind=grants.CONTACT,
    )
    nominated.attach(
        grant, typed_address="jo@example.com", kinds=("letters",), by="t", now=clock.now()
    )
    db.session.commit()
    assert "Offer to send letters through someone they trust" not in staff.get(path).text
