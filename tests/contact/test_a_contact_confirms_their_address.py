"""A nominated contact's email address or UK mobile is confirmed by a 6-digit code sent to it,
through the real senders, before anything else is sent to it. The claimant (on their phone) or
staff (on the phone) type in the code the contact reads out; wrong codes are counted per contact
and never lock anyone else out; every step is on the claimant's audit chain."""

from __future__ import annotations

from broker import clock
from broker.extensions import db
from broker.messages import letters, nominated
from broker.models import AuditEvent, Delivery, Grant, OutboxMessage
from tests.contact.conftest import (
    JO,
    by_smtp,
    code_in,
    contact_of,
    emails_to,
    name_contact,
    phone_of,
    run_sweep,
    staff_name_contact,
    type_code,
)
from tests.contact.servers import FakeNotify, notify_sender
from tests.factories import make_claimant
from tests.staff.helpers import (
    assert_page,
    audit_actions,
    error_summary,
    post_form,
    signed_in_staff,
    text_of,
)


def test_the_code_really_arrives_by_email_and_nothing_else_goes_until_it_is_typed_in(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    phone = phone_of(app, people.claimant)
    name_contact(phone)
    grant, address = contact_of(people.claimant)
    assert (address.channel, address.address, address.kinds) == ("email", JO, "letters")
    # A letter before the address is confirmed: the claimant gets it, the contact does not.
    letters.send_letter(
        people.claimant, "Your payment is due.", language="en", staff=people.staff, now=clock.now()
    )
    db.session.commit()

    run_sweep(by_smtp(port))

    [code_email] = emails_to(inbox, JO)
    assert "Alex Morgan wants us to send you copies" in code_email
    code = code_in(code_email)
    assert "Enter the code we sent to Jo Morgan" in text_of(phone.get("/access").text)

    answer = type_code(phone, grant, code)

    assert answer.status_code == 303
    assert "Address checked Yes" in text_of(phone.get("/access").text)
    _grant, address = contact_of(people.claimant)
    assert address.confirmed_at == clock.now() and address.code_hash is None
    assert emails_to(inbox, JO) == [code_email]  # the earlier letter is never copied
    # The code's text leaves the outbox once it is sent; only its hash was ever kept.
    sent_code = db.session.scalar(
        db.select(OutboxMessage).where(OutboxMessage.kind == "contact_code")
    )
    assert code not in sent_code.body
    actions = [a for a in audit_actions(people.claimant.id) if a.startswith("contact.")]
    assert actions == ["contact.address", "contact.code_sent", "contact.confirm"]


def test_staff_record_a_contact_by_phone_whose_code_goes_by_text_through_notify(
    app,
    people,
    frozen_clock,
    notify_api,
):
    staff = signed_in_staff(app, people.staff)
    reference = people.claimant.reference
    recorded = staff_name_contact(
        staff, reference, copies=("letters", "reminders"), purpose="Finds phone calls hard"
    )
    assert recorded.status_code == 303
    record = text_of(staff.get(f"/staff/claimants/{reference}").text)
    assert "We sent a code to +447700900123: ask them for it" in record
    assert "Copies of Reminders, Letters from DWP" in record
    assert "Not yet nothing is sent to it until the code is entered" in record

    run_sweep(notify_sender(notify_api))

    texts = [body for kind, body in FakeNotify.received if kind == "sms"]
    assert [t["phone_number"] for t in texts] == ["+447700900123"]
    code = code_in(texts[0]["personalisation"]["body"])
    confirmed = post_form(
        staff,
        f"/staff/claimants/{reference}/contact/code",
        {"code": code},
        form_page=f"/staff/claimants/{reference}",
    )
    assert confirmed.status_code == 303
    assert "Confirmed Yes" in text_of(staff.get(f"/staff/claimants/{reference}").text)
    grant, _address = contact_of(people.claimant)
    steps = db.session.execute(
        db.select(AuditEvent.action, AuditEvent.actor, AuditEvent.outcome)
        .where(AuditEvent.grant_id == grant.id, AuditEvent.action.like("contact.%"))
        .order_by(AuditEvent.seq)
    ).all()
    actor = f"staff:{people.staff.id}"
    assert [tuple(step) for step in steps] == [
        ("contact.address", actor, "done"),
        ("contact.code_sent", actor, "done"),
        ("contact.confirm", actor, "done"),
    ]


def test_wrong_codes_are_counted_per_contact_and_never_lock_anyone_else_out(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    other = make_claimant("Sam Morgan")
    phone, other_phone = phone_of(app, people.claimant), phone_of(app, other)
    name_contact(phone, address="jo@example.com")
    name_contact(other_phone, address="kit@example.com")
    run_sweep(by_smtp(port))
    jo_code = code_in(emails_to(inbox, "jo@example.com")[0])
    kit_code = code_in(emails_to(inbox, "kit@example.com")[0])
    grant, _ = contact_of(people.claimant)
    other_grant, _ = contact_of(other)
    wrong = "000000" if jo_code != "000000" else "111111"

    answers = [type_code(phone, grant, wrong) for _ in range(nominated.ratelimit.GUESS_LIMIT)]
    even_right = type_code(phone, grant, jo_code)
    theirs = type_code(other_phone, other_grant, kit_code)

    assert [a.status_code for a in answers] == [400] * 5
    assert error_summary(answers[0].text) == [
        ("code", "That code is not right. Check it and try again")
    ]
    assert even_right.status_code == 429 and int(even_right.headers["Retry-After"]) > 0
    assert theirs.status_code == 303  # another claimant's contact is not locked out
    assert contact_of(people.claimant)[1].confirmed_at is None
    assert contact_of(other)[1].confirmed_at is not None
    refused = [a for a in audit_actions(people.claimant.id) if a == "contact.confirm"]
    assert len(refused) == 5  # each wrong try is on the chain (the locked-out one tried nothing)
    frozen_clock.advance(minutes=16)
    assert type_code(phone, grant, jo_code).status_code == 303


def test_a_code_runs_out_after_an_hour_and_a_new_one_can_be_sent(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    phone = phone_of(app, people.claimant)
    name_contact(phone)
    run_sweep(by_smtp(port))
    old = code_in(emails_to(inbox, JO)[0])
    grant, _ = contact_of(people.claimant)
    frozen_clock.advance(minutes=nominated.CODE_MINUTES + 1)
    phone = phone_of(app, people.claimant)  # signed out meanwhile, after an idle hour

    late = type_code(phone, grant, old)
    assert late.status_code == 400
    assert ("code", "That code has run out. Send them a new one") in error_summary(late.text)

    assert post_form(phone, f"/contact/{grant.id}/new-code", form_page="/access").status_code == 303
    run_sweep(by_smtp(port))
    new = code_in(emails_to(inbox, JO)[1])
    assert type_code(phone, grant, new).status_code == 303


def test_new_codes_are_limited_per_contact(app, people, frozen_clock):
    phone = phone_of(app, people.claimant)
    name_contact(phone)  # the first code
    grant, _ = contact_of(people.claimant)

    answers = [
        post_form(phone, f"/contact/{grant.id}/new-code", form_page="/access")
        for _ in range(nominated.CODES_PER_WINDOW)
    ]

    assert [a.status_code for a in answers] == [303] * 4 + [429]
    sent = db.session.scalar(
        db.select(db.func.count()).select_from(Delivery).where(Delivery.recipient == "contact")
    )
    assert sent == nominated.CODES_PER_WINDOW


def test_an_address_that_is_neither_an_email_nor_a_uk_mobile_is_refused_and_kept(
    app, people, frozen_clock
):
    phone = phone_of(app, people.claimant)
    base = {
        "name": "Jo Morgan",
        "relationship": "Daughter",
        "scopes": ["contact:letters"],
        "months": "3",
        "purpose": "I find letters hard",
        "copies": ["letters"],
    }
    cases = {
        "jo.morgan@example": "Enter an email address in the right format, like name@example.com",
        "0161 496 0000": "Enter a UK mobile number, like 07700 900 982",
        "Jo's house": (
            "Enter an email address, like name@example.com, or a UK mobile number, "
            "like 07700 900 982"
        ),
        "": "Enter their email address or UK mobile number",
    }
    for typed, message in cases.items():
        answer = post_form(phone, "/contact/new", {**base, "address": typed})
        html = assert_page(answer, 400)
        assert error_summary(html) == [("address", message)], typed
        assert f'value="{typed}"' in html.replace("&#39;", "'")
        assert 'value="Jo Morgan"' in html  # everything else typed is kept too
    no_copies = post_form(phone, "/contact/new", {**base, "address": JO, "copies": []})
    assert error_summary(no_copies.text) == [("copies", "Choose what we send them a copy of")]
    staff = signed_in_staff(app, people.staff)
    on_phone = post_form(
        staff,
        f"/staff/claimants/{people.claimant.reference}/contact/new",
        {**base, "address": "07700 90", "review_months": "1", "consented": "y"},
    )
    assert error_summary(on_phone.text) == [
        ("address", "Enter a UK mobile number, like 07700 900 982")
    ]
    assert 'value="07700 90"' in on_phone.text
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Grant)) == 0
