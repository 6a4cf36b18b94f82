"""Once a nominated contact's address is confirmed, copies of the kinds of message the claimant
chose (reminders, news about access, letters from DWP) go to it on its channel, each with its own
delivery record (sent, delivered or failed), shown to the claimant on the letter and to staff on
the record. The consent screen's sentence says exactly what will be sent, and it is true. A copy
the contact's grant no longer allows when it is due is withheld, and that is audited."""

from __future__ import annotations

from datetime import UTC, datetime

from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.messages import letters, nominated, notify
from broker.models import AuditEvent, Delivery, OutboxMessage
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
    texts_to,
    type_code,
)
from tests.contact.servers import FakeNotify, notify_sender, post_receipt, receipt
from tests.factories import bound, make_grant
from tests.i18n.readability import GRADE, grade, readable_text
from tests.staff.helpers import post_form, signed_in_staff, text_of

COPY_INTRO = "This is a copy of a message we sent to Alex Morgan. They asked us to send you copies."


def confirmed_contact(app, people, port, inbox, **choices):  # noqa: ANN001, ANN003, ANN201
    """Alex names Jo with these choices, Jo's code arrives by SMTP, Alex types it in."""
    phone = phone_of(app, people.claimant)
    check = name_contact(phone, **choices)
    run_sweep(by_smtp(port))
    grant, _address = contact_of(people.claimant)
    assert type_code(phone, grant, code_in(emails_to(inbox, JO)[-1])).status_code == 303
    return phone, grant, check


def letter(people, body: str) -> None:  # noqa: ANN001
    letters.send_letter(people.claimant, body, language="en", staff=people.staff, now=clock.now())
    db.session.commit()


def _letters(people):  # noqa: ANN001, ANN202
    return db.select(OutboxMessage.id).where(
        OutboxMessage.account_id == people.claimant.id, OutboxMessage.kind == "dwp_letter"
    )


def test_the_consent_screen_says_exactly_what_goes_to_them_and_it_really_does(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    phone, grant, check = confirmed_contact(
        app, people, port, inbox, copies=("letters", "reminders")
    )

    screen = text_of(check.text)
    assert (
        "We send a copy of these to jo.morgan@example.com: "
        "Reminders to check who can see your journal Letters from DWP"
    ) in screen
    assert "News about who can see your journal" not in screen
    assert "First we send a code to jo.morgan@example.com." in screen

    letter(people, "Your next payment is on 5 January.")
    adviser_grant = make_grant(people.claimant, people.adviser)
    notify.suspended(adviser_grant, now=clock.now())  # news about access: not chosen
    owed = grants.Reminder(adviser_grant, "review", adviser_grant.review_at, 14)
    notify.reminder(owed, now=clock.now(), adviser_too=False)  # a reminder: chosen
    db.session.commit()
    run_sweep(by_smtp(port))

    copies = emails_to(inbox, JO)[1:]  # after the code
    assert len(copies) == 2
    assert all(body.startswith(COPY_INTRO) for body in copies)
    assert any("Your next payment is on 5 January." in body for body in copies)
    assert any("Check by" in body and "Priya Shah" in body for body in copies)
    assert not any("paused" in body for body in copies)
    history = text_of(phone.get("/history").text)  # the claimant's account of who was told
    assert "We sent them a copy of a message" in history
    assert "Their address was checked with the code" in history


def test_each_copy_has_its_own_delivery_shown_on_the_letter_and_the_record(
    app,
    people,
    frozen_clock,
    notify_api,
    notify_callbacks,
):
    staff = signed_in_staff(app, people.staff)
    reference = people.claimant.reference
    staff_name_contact(staff, reference, copies=("letters",), purpose="Finds letters hard")
    run_sweep(notify_sender(notify_api))
    code = code_in(texts_to("+447700900123")[0])
    post_form(
        staff,
        f"/staff/claimants/{reference}/contact/code",
        {"code": code},
        form_page=f"/staff/claimants/{reference}",
    )
    letter(people, "We have your fit note.")

    run_sweep(notify_sender(notify_api))

    db.session.expire_all()
    [copy] = db.session.scalars(
        db.select(Delivery).where(
            Delivery.recipient == "contact", Delivery.message_id.in_(_letters(people))
        )
    ).all()
    assert (copy.channel, copy.status, copy.address) == ("sms", "sent", "+447700900123")
    [sms_body] = [
        body["personalisation"]["body"]
        for kind, body in FakeNotify.received
        if body.get("reference") == copy.id
    ]
    assert sms_body == f"{COPY_INTRO}\n\nWe have your fit note."
    own = db.session.scalars(
        db.select(Delivery).where(
            Delivery.message_id == copy.message_id, Delivery.recipient == "claimant"
        )
    ).all()
    assert {d.channel for d in own} == {"inbox", "email"}  # the claimant's own, apart

    answer = post_receipt(app.test_client(), receipt(copy.provider_reference), notify_callbacks)
    assert answer.status_code == 200

    phone = phone_of(app, people.claimant)
    page = text_of(phone.get(f"/letters/{copy.message_id}").text)
    assert "Copy to Jo Morgan (text message) Delivered 1 December 2026" in page
    record = text_of(staff.get(f"/staff/claimants/{reference}").text)
    assert "Copy to Jo Morgan (text message): delivered" in record
    db.session.expire_all()
    assert db.session.get(Delivery, copy.id).delivered_at == datetime(
        2026, 12, 1, 10, 0, 7, tzinfo=UTC
    )
    told = db.session.scalar(
        db.select(AuditEvent).where(
            AuditEvent.action == "contact.copy", AuditEvent.resource == f"letter:{copy.message_id}"
        )
    )
    assert (told.outcome, told.grant_id) == ("allowed", copy.contact_grant_id)


def test_a_copy_queued_before_the_contact_was_stopped_is_withheld_and_audited(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    phone, grant, _check = confirmed_contact(app, people, port, inbox)
    letter(people, "Your appointment is on Monday.")
    [queued] = db.session.scalars(
        db.select(Delivery).where(Delivery.recipient == "contact", Delivery.status == "queued")
    ).all()
    grants.revoke(
        grant, by=f"claimant:{people.claimant.id}", now=clock.now(), signer=bound().tokens
    )
    db.session.commit()

    report = run_sweep(by_smtp(port))

    assert len(emails_to(inbox, JO)) == 1  # the code only
    assert report.failed == 0
    db.session.expire_all()
    withheld = db.session.get(Delivery, queued.id)
    assert (withheld.status, withheld.last_error) == ("withheld", "grant_inactive")
    refused = db.session.scalar(
        db.select(AuditEvent.outcome).where(AuditEvent.action == "contact.copy")
    )
    assert refused == "refused:grant_inactive"
    page = text_of(phone.get(f"/letters/{queued.message_id}").text)
    assert "Copy to Jo Morgan (email) Not sent: we had stopped sending them copies" in page


def test_a_contact_who_only_talks_on_the_phone_gets_no_copies(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    phone, grant, _check = confirmed_contact(
        app, people, port, inbox, scopes=("contact:phone",), copies=()
    )
    _grant, address = contact_of(people.claimant)
    assert address.kinds == ""
    letter(people, "A letter for Alex only.")
    run_sweep(by_smtp(port))
    assert len(emails_to(inbox, JO)) == 1  # the code that confirmed it, nothing since
    assert nominated.why_not(grant, "dwp_letter", JO, clock.now()) == "scope_removed"
    assert "Copy to" not in text_of(phone.get("/letters").text)


def test_the_check_page_that_says_what_goes_to_them_is_plain_english(app, people, frozen_clock):
    check = name_contact(phone_of(app, people.claimant), copies=("letters", "reminders"))

    assert grade(readable_text(check.text)) <= GRADE
