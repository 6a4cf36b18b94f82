from __future__ import annotations

import re
import threading
from http.server import ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from broker import clock, sweep
from broker.extensions import db
from broker.messages import channels, contact, notify
from broker.models import ContactAddress, Delivery, Grant, OutboxMessage
from tests.conftest import csrf_from, sign_in
from tests.contact.servers import CALLBACK_TOKEN, FakeNotify, Inbox, free_port
from tests.factories import bound, make_people
from tests.staff.helpers import post_form


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    return make_people()


def run_sweep(sender) -> sweep.SweepReport:  # noqa: ANN001
    return sweep.run(now=clock.now(), sender=sender, services=bound(), checkpoint=False)


def deliveries(account_id: str, channel: str | None = None) -> list[Delivery]:
    db.session.expire_all()
    query = (
        db.select(Delivery)
        .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
        .where(OutboxMessage.account_id == account_id)
        .order_by(OutboxMessage.created_at, Delivery.channel)
    )
    if channel:
        query = query.where(Delivery.channel == channel)
    return list(db.session.scalars(query))


def queue_test_message(account_id: str, body: str, kind: str = "grant_suspended") -> None:
    notify.queue(
        account_id=account_id,
        kind=kind,
        body=body,
        dedupe_key=f"test:{body}:{account_id}",
        now=clock.now(),
    )
    db.session.commit()


def choose(claimant_id: str, mobile: str = "", language: str = "en", **channels: list[str]) -> None:
    contact.save(claimant_id, channels, mobile=mobile, language=language, now=clock.now())
    db.session.commit()


# Issue 23: a nominated contact's address, the code that confirms it and the copies they get,
# through the real senders: a real SMTP server (aiosmtpd) and the GOV.UK Notify stand-in.


@pytest.fixture
def smtp_inbox():  # noqa: ANN201
    """A real SMTP server in the test process: (its handler, which keeps what arrives, port)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def by_smtp(port: int) -> channels.ChannelSenders:
    return channels.from_config(
        {"BROKER_SMTP_URL": f"smtp://127.0.0.1:{port}", "BROKER_SMTP_FROM": "hello@broker.test"}
    )


def emails_to(inbox, address: str) -> list[str]:  # noqa: ANN001
    """The bodies of the emails the SMTP server accepted for `address`, oldest first."""
    return [
        message.get_content() for message, rcpts, _tls, _auth in inbox.messages if address in rcpts
    ]


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


@pytest.fixture
def notify_api():  # noqa: ANN201
    """The GOV.UK Notify stand-in (tests/contact/servers.py), served on a free port: its base
    URL. FakeNotify.received holds what it accepted."""
    FakeNotify.received, FakeNotify.refuse_numbers = [], set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNotify)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def notify_callbacks(app, monkeypatch) -> str:  # noqa: ANN001
    """Notify's callbacks are accepted with this bearer token."""
    monkeypatch.setitem(app.config, "BROKER_NOTIFY_CALLBACK_TOKEN", CALLBACK_TOKEN)
    return CALLBACK_TOKEN


def texts_to(number: str) -> list[str]:
    """The bodies of the text messages the Notify stand-in accepted for `number`."""
    return [
        body["personalisation"]["body"]
        for kind, body in FakeNotify.received
        if kind == "sms" and body["phone_number"] == number
    ]


JO = "jo.morgan@example.com"


def phone_of(app, claimant):  # noqa: ANN001, ANN201
    client = app.test_client()
    sign_in(client, claimant.account.username)
    return client


def name_contact(phone, address: str = JO, copies=("letters",), scopes=("contact:letters",)):  # noqa: ANN001, ANN201
    """The claimant's two steps: the form, then "Confirm" on the check page."""
    answers = {
        "name": "Jo Morgan",
        "relationship": "Daughter",
        "scopes": list(scopes),
        "months": "3",
        "purpose": "I find letters hard",
        "address": address,
        "copies": list(copies),
    }
    check = post_form(phone, "/contact/new", answers)
    assert check.status_code == 200, check.text
    done = phone.post(
        "/contact/new", data={**answers, "confirmed": "yes", "csrf_token": csrf_from(check.text)}
    )
    assert done.status_code == 303, done.text
    return check


def staff_name_contact(staff, reference: str, *, copies: tuple[str, ...], purpose: str):  # noqa: ANN001, ANN201
    """A staff member records Jo on a call as the claimant's contact, with a UK mobile."""
    return post_form(
        staff,
        f"/staff/claimants/{reference}/contact/new",
        {
            "name": "Jo Morgan",
            "relationship": "Daughter",
            "scopes": ["contact:letters"],
            "address": "07700 900 123",
            "copies": list(copies),
            "purpose": purpose,
            "months": "6",
            "review_months": "3",
            "consented": "y",
        },
    )


def contact_of(claimant) -> tuple[Grant, ContactAddress]:  # noqa: ANN001
    db.session.expire_all()
    grant = db.session.scalar(
        db.select(Grant).where(Grant.claimant_id == claimant.id, Grant.kind == "contact")
    )
    return grant, db.session.get(ContactAddress, grant.id)


def type_code(phone, grant: Grant, code: str):  # noqa: ANN001, ANN201
    return post_form(phone, f"/contact/{grant.id}/code", {"code": code}, form_page="/access")
