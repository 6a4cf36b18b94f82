"""A nominated contact: a grant of its own kind, made by the claimant on their phone or by staff
by phone with the five facts; the staff record shows "Contact through" above everything."""

from __future__ import annotations

from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.models import Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import make_grant, signer
from tests.staff.helpers import (
    assert_page,
    contact_grant,
    fresh,
    grant_in_state,
    outbox,
    post_form,
    text_of,
)

FACTS = {
    "consented": "y",
    "name": "Jo Morgan",
    "relationship": "Daughter",
    "scopes": ["contact:phone", "contact:letters"],
    # Issue 23: letters and messages go to an address (confirmed by a code, tests/contact/)
    "address": "jo.morgan@example.com",
    "copies": ["letters"],
    "purpose": "My mum finds phone calls hard",
    "months": "6",
    "review_months": "1",
}


def contacts(claimant) -> list[Grant]:  # noqa: ANN001
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(Grant)
            .where(Grant.claimant_id == claimant.id, Grant.kind == "contact")
            .order_by(Grant.created_at)
        )
    )


def test_staff_record_a_contact_and_it_shows_above_everything(staff_client, people):
    make_grant(people.claimant, people.adviser)
    path = f"/staff/claimants/{people.claimant.reference}/contact/new"

    done = post_form(staff_client, path, FACTS)
    html = assert_page(staff_client.get(f"/staff/claimants/{people.claimant.reference}"))

    assert done.status_code == 303
    [contact] = contacts(people.claimant)
    assert (contact.kind, contact.recorded_by, contact.adviser_id) == ("contact", "staff", None)
    assert contact.scopes == "contact:phone contact:letters"
    assert contact.review_at == grants.add_months(contact.starts_at, 1)
    assert "Contact through: Jo Morgan, Daughter" in text_of(html)
    top = html.index('id="contact-through"')
    assert top < html.index('id="consent-banner"')
    assert "Nominated contact: Jo Morgan Current" in text_of(html)


def test_each_fact_is_required_for_a_contact_too(staff_client, people):
    path = f"/staff/claimants/{people.claimant.reference}/contact/new"
    for missing in ("consented", "name", "relationship", "scopes", "purpose"):
        facts = {k: v for k, v in FACTS.items() if k != missing}
        answer = post_form(staff_client, path, facts)
        assert f'href="#{missing}"' in assert_page(answer, 400), missing
    assert contacts(people.claimant) == []


def test_contact_scopes_are_their_own_and_adviser_scopes_are_refused(ctx, people):
    try:
        contact_grant(people.claimant, people.staff, now=clock.now())
        grants.create_contact(
            people.claimant,
            name="Jo",
            relationship="Daughter",
            scope_names="journal:read",
            purpose="x",
            ends_at=grants.add_months(clock.now(), 1),
            now=clock.now(),
            signer=signer(),
        )
    except grants.GrantRefused as refusal:
        assert "We do not know this kind of contact: journal:read" in str(refusal)
    else:
        raise AssertionError("an adviser scope was accepted for a contact")


def test_the_claimant_names_a_contact_on_their_phone(app, people):
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)
    page = phone.get("/contact/new")
    data = {
        "csrf_token": csrf_from(page.text),
        "name": "Jo Morgan",
        "relationship": "My daughter",
        "scopes": ["contact:phone"],
        "months": "3",
        "purpose": "Phone calls are hard",
    }

    check = phone.post("/contact/new", data=data)
    assert "Check before we contact them" in check.text
    assert contacts(people.claimant) == []
    done = phone.post("/contact/new", data={**data, "confirmed": "yes"})
    access = text_of(phone.get("/access").text)

    assert done.status_code == 303
    [contact] = contacts(people.claimant)
    assert (contact.recorded_by, contact.relationship) == ("claimant", "My daughter")
    assert "Who we contact for you Jo Morgan, My daughter" in access
    assert "We can talk to them about your claim on the phone." in access
    assert "Given by You, online" in access


def test_a_contact_never_shows_as_someone_who_can_see_the_journal(app, people):
    contact_grant(people.claimant, now=clock.now())
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)

    home = text_of(phone.get("/").text)

    assert "Nobody can see your journal." in home


def test_the_claimant_finds_the_receipts_of_a_contact_under_it(app, people):
    contact = contact_grant(people.claimant, people.staff, now=clock.now())
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)

    access = phone.get("/access").text
    receipts = phone.get(f"/access/{contact.id}/receipts")

    assert f"/access/{contact.id}/receipts" in access
    assert receipts.status_code == 200
    assert contact.representative_name in receipts.text


def test_the_claimant_can_stop_a_contact_recorded_by_staff(app, people):
    contact = contact_grant(people.claimant, people.staff, now=clock.now())
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)

    stopped = post_form(phone, f"/contact/{contact.id}/stop")

    assert stopped.status_code == 303
    assert fresh(contact).status == "revoked"
    assert "We only contact you." in phone.get("/access").text


def test_a_new_contact_replaces_the_old_one(staff_client, people):
    first = contact_grant(people.claimant, people.staff, now=clock.now(), name="Sam Old")

    post_form(staff_client, f"/staff/claimants/{people.claimant.reference}/contact/new", FACTS)
    html = staff_client.get(f"/staff/claimants/{people.claimant.reference}").text

    assert fresh(first).status == "revoked"
    assert fresh(first).end_reason == "Replaced by a new nominated contact"
    assert "Contact through: Jo Morgan, Daughter" in text_of(html)
    assert "Contact through: Sam Old" not in text_of(html)


def test_a_contact_recorded_by_phone_is_told_to_the_claimant(ctx, people):
    contact_grant(people.claimant, people.staff, now=clock.now())

    [notice] = outbox(people.claimant.id)

    assert notice.kind == "recorded_by_phone"
    assert "you want us to contact Jo Morgan about your claim" in notice.body


def test_a_suspended_contact_shows_its_state_on_the_contact_line(staff_client, people):
    contact = contact_grant(people.claimant, people.staff, now=clock.now())
    grants.suspend(
        contact,
        staff=people.staff,
        reason="Claimant asked us to pause it",
        now=clock.now(),
        signer=signer(),
    )
    db.session.commit()
    grant_in_state("current", people.claimant, people.adviser, people.staff)

    words = text_of(staff_client.get(f"/staff/claimants/{people.claimant.reference}").text)

    assert (
        "Contact through: Jo Morgan, Daughter Talk about their claim on the phone; Letters "
        "and messages Suspended" in words
    )
