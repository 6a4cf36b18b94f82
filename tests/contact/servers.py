"""The servers the contact tests send through: a real SMTP server's handler (aiosmtpd), and a
small HTTP server that answers as GOV.UK Notify's documented endpoints do (POST
/v2/notifications/email and /sms: a JWT bearer signed with the key's secret, 201 with the
notification's id), with the delivery receipts Notify sends back to /callbacks/notify."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import time
import uuid
from http.server import BaseHTTPRequestHandler

import jwt

from broker.messages import channels


class Inbox:
    """The server's handler: keeps each message it accepts, with whether TLS carried it."""

    def __init__(self, refuse: bool = False) -> None:
        self.messages: list[tuple[email.message.EmailMessage, list[str], bool, object]] = []
        self.refuse = refuse

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        if self.refuse:
            return "451 Try again later"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(
            (parsed, list(envelope.rcpt_tos), session.ssl is not None, session.auth_data)
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def notify_sender(base_url: str, key: str = API_KEY) -> channels.ChannelSenders:
    return channels.from_config(
        {
            "BROKER_NOTIFY_API_KEY": key,
            "BROKER_NOTIFY_EMAIL_TEMPLATE_ID": EMAIL_TEMPLATE,
            "BROKER_NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE,
            "BROKER_NOTIFY_BASE_URL": base_url,
        }
    )


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
