"""A claimant chooses how each kind of message reaches them (inbox always; email, text, post),
and their language; the sweep's senders get exactly those channels."""

from __future__ import annotations

from broker import clock, inputs
from broker.consent import grants
from broker.extensions import db
from broker.messages import contact, letters, notify
from broker.models import Account, AuditEvent
from tests.contact.conftest import (
    choose,
    deliveries,
    phone_of,
    queue_test_message,
    run_sweep,
)
from tests.factories import bearer, make_grant, make_staff_key
from tests.lifecycle.senders import RecordingSender
from tests.staff.helpers import assert_page, error_summary, post_form, signed_in_staff, text_of


def test_a_claimant_who_never_chose_gets_the_inbox_and_email(app, people):
    queue_test_message(people.claimant.id, "Hello")

    assert [d.channel for d in deliveries(people.claimant.id)] == ["email", "inbox"]
    page = assert_page(phone_of(app, people.claimant).get("/contact-preferences"))
    assert 'id="reminders-email" name="reminders" type="checkbox" value="email" checked' in page
    assert 'value="sms" checked' not in page


def test_choices_saved_on_the_phone_are_honoured_by_the_sweep(app, people, frozen_clock):
    phone = phone_of(app, people.claimant)
    answer = post_form(
        phone,
        "/contact-preferences",
        {
            "reminders": ["email", "sms"],
            "letters": ["post"],
            "mobile": "07700 900 982",
            "language": "en",
        },
    )
    assert answer.status_code == 303
    assert "Your choices are saved." in text_of(phone.get(answer.headers["Location"]).text)
    saved = contact.of(people.claimant.id)
    assert saved.channels == {
        "reminders": ("inbox", "email", "sms"),
        "access_notices": ("inbox",),
        "letters": ("inbox", "post"),
    }
    assert saved.mobile == "+447700900982"
    [event] = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "contact.preferences")
    ).all()
    assert event.claimant_id == people.claimant.id
    assert "reminders=inbox+email+sms" in event.resource

    grant = make_grant(people.claimant, people.adviser, months=1)
    notify.suspended(grant, now=clock.now())  # a notice about access: inbox only
    owed = grants.Reminder(grant, "end", grant.ends_at, 14)
    notify.reminder(owed, now=clock.now(), adviser_too=False)  # a reminder: email and text
    letters.send_letter(
        people.claimant, "Your payment date", language="en", staff=people.staff, now=clock.now()
    )  # a letter: post
    db.session.commit()
    sender = RecordingSender()
    run_sweep(sender)

    mine = [m for m in sender.sent if m.account_id == people.claimant.id]
    # The notice about access stays in the inbox, as chosen; the alert that access was given
    # always leaves the service, here by text (issue 23).
    assert sorted((m.kind, m.channel, m.address) for m in mine) == [
        ("access_given", "sms", "+447700900982"),
        ("end_reminder", "email", people.claimant.account.username),
        ("end_reminder", "sms", "+447700900982"),
    ]
    [post] = deliveries(people.claimant.id, "post")
    assert post.status == "print_due"  # there is no postal API: never marked delivered
    record = signed_in_staff(app, people.staff).get(f"/staff/claimants/{people.claimant.reference}")
    assert "A printed letter is due for 1 message" in text_of(record.text)


def test_text_messages_need_a_uk_mobile_number(app, people):
    phone = phone_of(app, people.claimant)

    missing = post_form(phone, "/contact-preferences", {"reminders": ["sms"], "mobile": ""})
    wrong = post_form(phone, "/contact-preferences", {"reminders": ["sms"], "mobile": "12345"})

    assert error_summary(assert_page(missing, 400)) == [
        ("mobile", "Enter your mobile number to get text messages")
    ]
    page = assert_page(wrong, 400)
    assert error_summary(page) == [("mobile", "Enter a UK mobile number, like 07700 900 982")]
    assert 'value="12345"' in page  # what they typed is kept
    assert 'name="reminders" type="checkbox" value="sms" checked' in page
    assert contact.of(people.claimant.id).chosen is False  # nothing saved


def test_a_uk_mobile_number_is_accepted_in_the_usual_ways():
    for typed in ("07700 900982", "+44 7700 900982", "07700-900-982", "447700900982"):
        assert inputs.uk_mobile(typed) == "+447700900982", typed
    for typed in ("01632 960 001", "0770090098", "+1 202 555 0100", "07700 900 98x"):
        assert inputs.uk_mobile(typed) is None, typed


def test_the_preferences_form_needs_its_csrf_token(app, people):
    phone = phone_of(app, people.claimant)
    phone.get("/contact-preferences")

    answer = phone.post("/contact-preferences", data={"reminders": ["post"]})

    assert answer.status_code == 400
    assert contact.of(people.claimant.id).chosen is False


def test_choosing_welsh_writes_the_next_messages_in_welsh(app, people, frozen_clock):
    phone = phone_of(app, people.claimant)
    post_form(phone, "/contact-preferences", {"access_notices": ["email"], "language": "cy"})
    assert db.session.get(Account, people.claimant.id).language == "cy"

    grant = make_grant(people.claimant, people.adviser)
    notify.suspended(grant, now=clock.now())
    db.session.commit()
    sender = RecordingSender()
    run_sweep(sender)

    [welsh] = [
        m for m in sender.sent if m.account_id == people.claimant.id and m.kind == "grant_suspended"
    ]
    assert welsh.language == "cy" and welsh.body.startswith("Mae DWP wedi oedi")


def test_preferences_are_on_the_staff_record_and_the_banner_api(app, people, client):
    choose(people.claimant.id, mobile="07700900982", reminders=["sms"], letters=["email"])
    key = make_staff_key("Case system")

    record = text_of(
        signed_in_staff(app, people.staff).get(f"/staff/claimants/{people.claimant.reference}").text
    )
    banner = client.get(
        f"/api/v1/staff/claimants/{people.claimant.reference}/consents", headers=bearer(key)
    ).json

    assert "Reminders Letters inbox, Text message" in record
    assert "Letters from DWP Letters inbox, Email" in record
    assert "Mobile +447700900982" in record
    assert banner["contact_preferences"] == {
        "chosen": True,
        "channels": {
            "reminders": ["inbox", "sms"],
            "access_notices": ["inbox"],
            "letters": ["inbox", "email"],
        },
        "mobile": "+447700900982",
        "language": "en",
    }
