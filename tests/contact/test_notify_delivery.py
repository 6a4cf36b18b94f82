"""Email and text messages through GOV.UK Notify with its official client, against a small local
HTTP server that answers as Notify's documented endpoints do (POST /v2/notifications/email and
/sms: a JWT bearer signed with the key's secret, 201 with the notification's id); and Notify's
delivery receipts at /callbacks/notify, with good and bad tokens."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from broker.messages import channels, notify
from broker.messages.notify_sender import NotifySender
from broker.messages.smtp_sender import SmtpSender
from tests.conftest import sign_in
from tests.contact.conftest import choose, deliveries, queue_test_message, run_sweep

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"broker_test-{SERVICE_ID}-{SECRET}"
EMAIL_TEMPLATE, SMS_TEMPLATE = str(uuid.uuid4()), str(uuid.uuid4())
CALLBACK_TOKEN = "notify-callback-token-for-tests-0123456789"


class FakeNotify(BaseHTTPRequestHandler):
    """Notify's API as its documentation describes it, for the two endpoints the broker uses."""

    received: list[tuple[str, dict]] = []
    refuse_numbers: set[str] = set()

    def log_message(self, *args: object) -> None:  # keep the test output quiet
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer":
            return False
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": True})
        except jwt.PyJWTError:
            return False
        return claims.get("iss") == SERVICE_ID and abs(time.time() - claims["iat"]) <= 30

    def do_POST(self) -> None:  # noqa: N802
        if not self._authorised():
            self._answer(
                403,
                {
                    "status_code": 403,
                    "errors": [
                        {"error": "AuthError", "message": "Invalid token: API key not found"}
                    ],
                },
            )
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        kind = {"/v2/notifications/email": "email", "/v2/notifications/sms": "sms"}.get(self.path)
        needed = {"email": "email_address", "sms": "phone_number"}.get(kind or "")
        template = {"email": EMAIL_TEMPLATE, "sms": SMS_TEMPLATE}.get(kind or "")
        if kind is None or needed not in body or body.get("template_id") != template:
            self._answer(
                400,
                {
                    "status_code": 400,
                    "errors": [{"error": "BadRequestError", "message": "Template not found"}],
                },
            )
            return
        if body.get(needed) in self.refuse_numbers:
            self._answer(
                400,
                {
                    "status_code": 400,
                    "errors": [
                        {"error": "ValidationError", "message": f"{needed} Not a UK mobile number"}
                    ],
                },
            )
            return
        FakeNotify.received.append((kind, body))
        ident = str(uuid.uuid4())
        content = {"body": body["personalisation"]["body"]}
        content.update(
            {"subject": "A message", "from_email": "broker@notifications.service.gov.uk"}
            if kind == "email"
            else {"from_number": "GOVUK"}
        )
        self._answer(
            201,
            {
                "id": ident,
                "reference": body.get("reference"),
                "content": content,
                "uri": f"http://notify.test/v2/notifications/{ident}",
                "template": {
                    "id": template,
                    "version": 1,
                    "uri": f"http://notify.test/v2/template/{template}",
                },
            },
        )


@pytest.fixture
def fake_notify() -> Iterator[str]:
    FakeNotify.received, FakeNotify.refuse_numbers = [], set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNotify)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def notify_sender(base_url: str, key: str = API_KEY) -> channels.ChannelSenders:
    return channels.from_config(
        {
            "BROKER_NOTIFY_API_KEY": key,
            "BROKER_NOTIFY_EMAIL_TEMPLATE_ID": EMAIL_TEMPLATE,
            "BROKER_NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE,
            "BROKER_NOTIFY_BASE_URL": base_url,
        }
    )


@pytest.fixture
def callback_token(app, monkeypatch) -> str:  # noqa: ANN001
    monkeypatch.setitem(app.config, "BROKER_NOTIFY_CALLBACK_TOKEN", CALLBACK_TOKEN)
    return CALLBACK_TOKEN


def receipt(reference: str, status: str = "delivered", **extra: object) -> dict:
    """A callback body as Notify documents it."""
    return {
        "id": reference,
        "reference": extra.pop("reference", None),
        "to": "alex@example.com",
        "status": status,
        "created_at": "2026-12-01T10:00:00.000000Z",
        "completed_at": extra.pop("completed_at", "2026-12-01T10:00:07.000000Z"),
        "sent_at": "2026-12-01T10:00:01.000000Z",
        "notification_type": "email",
        "template_id": EMAIL_TEMPLATE,
        "template_version": 1,
        **extra,
    }


def post_receipt(client, body: object, token: str | None) -> object:  # noqa: ANN001
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post("/callbacks/notify", json=body, headers=headers)


def sent_by_notify(people, base_url: str) -> str:  # noqa: ANN001
    """Queue one message, send it through the fake Notify; the provider reference it keeps."""
    queue_test_message(people.claimant.id, "Your access changed")
    report = run_sweep(notify_sender(base_url))
    assert report.sent == 1
    [email] = deliveries(people.claimant.id, "email")
    return email.provider_reference


def test_the_sweep_sends_email_and_text_through_notify_and_keeps_its_ids(
    people, frozen_clock, fake_notify
):
    choose(people.claimant.id, mobile="07700 900 982", access_notices=["email", "sms"])
    queue_test_message(people.claimant.id, "Your access changed")

    report = run_sweep(notify_sender(fake_notify))

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


def test_a_wrong_api_key_is_a_failed_send_retried_later(people, frozen_clock, fake_notify):
    queue_test_message(people.claimant.id, "Hello")
    wrong = f"broker_test-{SERVICE_ID}-{uuid.uuid4()}"

    report = run_sweep(notify_sender(fake_notify, wrong))

    assert (report.sent, report.failed) == (0, 1)
    [email] = deliveries(people.claimant.id, "email")
    assert (email.status, email.attempts) == ("queued", 1)
    assert "403" in email.last_error and "API key not found" in email.last_error
    frozen_clock.advance(minutes=5)
    assert run_sweep(notify_sender(fake_notify)).sent == 1


def test_a_notify_callback_marks_the_message_delivered(
    app, people, client, frozen_clock, fake_notify, callback_token
):
    reference = sent_by_notify(people, fake_notify)

    answer = post_receipt(client, receipt(reference), callback_token)

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
    people, client, frozen_clock, fake_notify, callback_token
):
    reference = sent_by_notify(people, fake_notify)

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
    people, client, frozen_clock, fake_notify
):
    reference = sent_by_notify(people, fake_notify)

    assert post_receipt(client, receipt(reference), "").status_code == 401
    assert deliveries(people.claimant.id, "email")[0].status == "sent"


def test_a_callback_for_an_unknown_notification_or_with_bad_json_changes_nothing(
    people, client, frozen_clock, fake_notify, callback_token
):
    reference = sent_by_notify(people, fake_notify)
    [inbox_copy] = deliveries(people.claimant.id, "inbox")

    unknown = post_receipt(client, receipt(str(uuid.uuid4())), callback_token)
    # A delivery's own ID is not Notify's: only Notify's id names a delivery.
    own_id = post_receipt(client, receipt(inbox_copy.id), callback_token)
    not_json = client.post(
        "/callbacks/notify",
        data=b"{not json",
        headers={"Authorization": f"Bearer {callback_token}", "Content-Type": "application/json"},
    )
    no_id = post_receipt(client, {"status": "delivered"}, callback_token)
    bad_time = post_receipt(client, receipt(reference, completed_at="yesterday"), callback_token)

    assert (unknown.status_code, unknown.json) == (404, {"error": "not_found"})
    assert own_id.status_code == 404
    assert [r.status_code for r in (not_json, no_id, bad_time)] == [400, 400, 400]
    assert deliveries(people.claimant.id, "email")[0].status == "sent"


def test_a_permanent_failure_is_shown_and_a_later_receipt_never_undoes_delivered(
    people, client, frozen_clock, fake_notify, callback_token
):
    reference = sent_by_notify(people, fake_notify)

    post_receipt(client, receipt(reference, "permanent-failure"), callback_token)
    [failed] = deliveries(people.claimant.id, "email")
    assert (failed.status, failed.last_error) == ("failed", "permanent-failure")

    post_receipt(client, receipt(reference, "delivered"), callback_token)
    post_receipt(client, receipt(reference, "technical-failure"), callback_token)
    [delivered] = deliveries(people.claimant.id, "email")
    assert delivered.status == "delivered" and delivered.failed_at is not None


def test_a_number_notify_refuses_is_a_failed_send(people, frozen_clock, fake_notify):
    choose(people.claimant.id, mobile="07700 900 000", access_notices=["sms"])
    FakeNotify.refuse_numbers = {"+447700900000"}
    queue_test_message(people.claimant.id, "Hello")

    report = run_sweep(notify_sender(fake_notify))

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
