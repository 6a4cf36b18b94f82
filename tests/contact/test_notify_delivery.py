"""Email and text messages through GOV.UK Notify with its official client, against a small local
HTTP server that answers as Notify's documented endpoints do (POST /v2/notifications/email and
/sms: a JWT bearer signed with the key's secret, 201 with the notification's id); and Notify's
delivery receipts at /callbacks/notify, with good and bad tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from broker.messages import channels, notify
from broker.messages.notify_sender import NotifySender
from broker.messages.smtp_sender import SmtpSender
from tests.conftest import sign_in
from tests.contact.conftest import choose, deliveries, queue_test_message, run_sweep
from tests.contact.servers import (
    API_KEY,
    SERVICE_ID,
    SMS_TEMPLATE,
    FakeNotify,
    notify_sender,
    post_receipt,
    receipt,
)


def sent_by_notify(people, base_url: str) -> str:  # noqa: ANN001
    """Queue one message, send it through the fake Notify; the provider reference it keeps."""
    queue_test_message(people.claimant.id, "Your access changed")
    report = run_sweep(notify_sender(base_url))
    assert report.sent == 1
    [email] = deliveries(people.claimant.id, "email")
    return email.provider_reference


def test_the_sweep_sends_email_and_text_through_notify_and_keeps_its_ids(
    people, frozen_clock, notify_api
):
    choose(people.claimant.id, mobile="07700 900 982", access_notices=["email", "sms"])
    queue_test_message(people.claimant.id, "Your access changed")

    report = run_sweep(notify_sender(notify_api))

    assert report.sent == 2
    by_kind = dict(FakeNotify.received)
    email, sms = deliveries(people.claimant.id, "email"), deliveries(people.claimant.id, "sms")
    assert by_kind["email"]["email_address"] == people.claimant.account.username
    assert by_kind["email"]["personalisation"] == {"body": "Your access changed"}
    assert by_kind["email"]["reference"] == email[0].id
    assert by_kind["sms"]["phone_number"] == "+447700900982"
    assert by_kind["sms"]["template_id"] == SMS_TEMPLATE
    assert {d.status for d in email + sms} == {"sent"}
    assert all(uuid.UUID(d.provider_reference) for d in email + sms)  # Notify's own ids


def test_a_wrong_api_key_is_a_failed_send_retried_later(people, frozen_clock, notify_api):
    queue_test_message(people.claimant.id, "Hello")
    wrong = f"broker_test-{SERVICE_ID}-{uuid.uuid4()}"

    report = run_sweep(notify_sender(notify_api, wrong))

    assert (report.sent, report.failed) == (0, 1)
    [email] = deliveries(people.claimant.id, "email")
    assert (email.status, email.attempts) == ("queued", 1)
    assert "403" in email.last_error and "API key not found" in email.last_error
    frozen_clock.advance(minutes=5)
    assert run_sweep(notify_sender(notify_api)).sent == 1


def test_a_notify_callback_marks_the_message_delivered(
    app, people, client, frozen_clock, notify_api, notify_callbacks
):
    reference = sent_by_notify(people, notify_api)

    answer = post_receipt(client, receipt(reference), notify_callbacks)

    assert answer.status_code == 200
    [email] = deliveries(people.claimant.id, "email")
    assert email.status == "delivered"
    assert email.delivered_at == datetime(2026, 12, 1, 10, 0, 7, tzinfo=UTC)
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)
    inbox = phone.get("/letters").text
    letter_path = inbox.split('href="/letters/')[1].split('"')[0]
    page = phone.get(f"/letters/{letter_path}").text
    assert "Delivered 1 December 2026" in page


def test_a_callback_with_a_wrong_or_missing_token_is_refused(
    people, client, frozen_clock, notify_api, notify_callbacks
):
    reference = sent_by_notify(people, notify_api)

    wrong = post_receipt(client, receipt(reference), "not-the-token")
    missing = post_receipt(client, receipt(reference), None)
    basic = client.post(
        "/callbacks/notify", json=receipt(reference), headers={"Authorization": "Basic eDp5"}
    )

    assert [r.status_code for r in (wrong, missing, basic)] == [401, 401, 401]
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    [email] = deliveries(people.claimant.id, "email")
    assert (email.status, email.delivered_at) == ("sent", None)


def test_with_no_callback_token_configured_every_callback_is_refused(
    people, client, frozen_clock, notify_api
):
    reference = sent_by_notify(people, notify_api)

    assert post_receipt(client, receipt(reference), "").status_code == 401
    assert deliveries(people.claimant.id, "email")[0].status == "sent"


def test_a_callback_for_an_unknown_notification_or_with_bad_json_changes_nothing(
    people, client, frozen_clock, notify_api, notify_callbacks
):
    reference = sent_by_notify(people, notify_api)
    [inbox_copy] = deliveries(people.claimant.id, "inbox")

    unknown = post_receipt(client, receipt(str(uuid.uuid4())), notify_callbacks)
    # A delivery's own ID is not Notify's: only Notify's id names a delivery.
    own_id = post_receipt(client, receipt(inbox_copy.id), notify_callbacks)
    not_json = client.post(
        "/callbacks/notify",
        data=b"{not json",
        headers={"Authorization": f"Bearer {notify_callbacks}", "Content-Type": "application/json"},
    )
    no_id = post_receipt(client, {"status": "delivered"}, notify_callbacks)
    bad_time = post_receipt(client, receipt(reference, completed_at="yesterday"), notify_callbacks)

    assert (unknown.status_code, unknown.json) == (404, {"error": "not_found"})
    assert own_id.status_code == 404
    assert [r.status_code for r in (not_json, no_id, bad_time)] == [400, 400, 400]
    assert deliveries(people.claimant.id, "email")[0].status == "sent"


def test_a_permanent_failure_is_shown_and_a_later_receipt_never_undoes_delivered(
    people, client, frozen_clock, notify_api, notify_callbacks
):
    reference = sent_by_notify(people, notify_api)

    post_receipt(client, receipt(reference, "permanent-failure"), notify_callbacks)
    [failed] = deliveries(people.claimant.id, "email")
    assert (failed.status, failed.last_error) == ("failed", "permanent-failure")

    post_receipt(client, receipt(reference, "delivered"), notify_callbacks)
    post_receipt(client, receipt(reference, "technical-failure"), notify_callbacks)
    [delivered] = deliveries(people.claimant.id, "email")
    assert delivered.status == "delivered" and delivered.failed_at is not None


def test_a_number_notify_refuses_is_a_failed_send(people, frozen_clock, notify_api):
    choose(people.claimant.id, mobile="07700 900 000", access_notices=["sms"])
    FakeNotify.refuse_numbers = {"+447700900000"}
    queue_test_message(people.claimant.id, "Hello")

    report = run_sweep(notify_sender(notify_api))

    assert (report.sent, report.failed) == (0, 1)
    [sms] = deliveries(people.claimant.id, "sms")
    assert sms.status == "queued" and "Not a UK mobile number" in sms.last_error


def test_email_goes_by_smtp_and_text_by_notify_when_both_are_set_and_the_log_when_neither():
    both = channels.from_config(
        {
            "BROKER_SMTP_URL": "smtp://mail.example:587",
            "BROKER_NOTIFY_API_KEY": API_KEY,
            "BROKER_NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE,
        }
    )
    neither = channels.from_config({})

    assert isinstance(both.email, SmtpSender) and isinstance(both.sms, NotifySender)
    assert isinstance(neither.email, notify.LoggingSender)
    assert isinstance(neither.sms, notify.LoggingSender)
