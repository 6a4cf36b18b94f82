"""Email by plain SMTP: a real SMTP server (aiosmtpd) runs in the test process, the sweep sends
through BROKER_SMTP_URL, and the test reads what arrived. STARTTLS is used when offered."""

from __future__ import annotations

import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.messages.smtp_sender import SmtpSender
from tests.contact.conftest import by_smtp, deliveries, queue_test_message, run_sweep
from tests.contact.servers import Inbox, free_port
from tests.factories import make_grant, signer
from tests.tls import self_signed


def test_an_email_really_arrives_in_welsh_for_a_welsh_claimant(people, frozen_clock, smtp_inbox):
    inbox, port = smtp_inbox
    people.claimant.account.language = "cy"
    db.session.commit()
    grant = make_grant(people.claimant, people.adviser)
    sender = by_smtp(port)
    run_sweep(sender)  # the alert that access was given (tests/claimant/test_access_alert.py)
    inbox.messages.clear()
    frozen_clock.advance(minutes=1)
    grants.suspend(grant, signer=signer(), staff=people.staff, reason="Checking", now=clock.now())
    db.session.commit()

    report = run_sweep(sender)

    assert report.sent == 2 and report.failed == 0
    by_rcpt = {tuple(rcpts): (message, tls) for message, rcpts, tls, _auth in inbox.messages}
    welsh, tls = by_rcpt[(people.claimant.account.username,)]
    assert not tls  # this server offers no STARTTLS, so there was none to use
    assert welsh["Subject"] == "Neges gan Rhannu eich dyddlyfr"
    assert welsh["Content-Language"] == "cy"
    assert welsh["From"] == "hello@broker.test"
    assert welsh.get_content_type() == "text/plain"
    assert welsh.get_content_charset() == "utf-8"
    assert welsh.get_content().startswith("Mae DWP wedi oedi mynediad Priya Shah")
    english, _tls = by_rcpt[(people.adviser.account.username,)]
    assert english["Content-Language"] == "en"
    assert english["Subject"] == "A message from Share your journal"
    [_alert, sent] = deliveries(people.claimant.id, "email")
    assert sent.status == "sent" and sent.sent_at == clock.now()
    assert sent.provider_reference == welsh["Message-ID"]


def test_starttls_is_used_before_the_password_when_the_server_offers_it(people, tmp_path):
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox = Inbox()

    def authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
        return AuthResult(success=ok, auth_data=auth_data)

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        queue_test_message(people.claimant.id, "Hello over TLS")
        sender = SmtpSender.from_url(f"smtp://broker:s3cret@127.0.0.1:{controller.port}")
        sender.tls_context = ssl.create_default_context(cafile=str(cert))  # trust the test CA
        report = run_sweep(sender)
    finally:
        controller.stop()

    assert report.sent == 1
    [(message, rcpts, tls, auth)] = inbox.messages
    assert tls and rcpts == [people.claimant.account.username]
    assert auth.login == b"broker"
    assert message.get_content().strip() == "Hello over TLS"


def test_a_refused_email_is_retried_on_the_next_run(people, frozen_clock):
    inbox = Inbox(refuse=True)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        queue_test_message(people.claimant.id, "Try me again")
        sender = SmtpSender.from_url(f"smtp://127.0.0.1:{controller.port}")
        first = run_sweep(sender)
        [waiting] = deliveries(people.claimant.id, "email")
        after_first = (waiting.status, waiting.last_error or "")
        inbox.refuse = False
        frozen_clock.advance(minutes=5)
        second = run_sweep(sender)
    finally:
        controller.stop()

    assert (first.failed, second.sent) == (1, 1)
    assert after_first[0] == "queued" and "451" in after_first[1]
    [delivered] = deliveries(people.claimant.id, "email")
    assert (delivered.status, delivered.attempts) == ("sent", 2)
    assert [m.get_content().strip() for m, *_ in inbox.messages] == ["Try me again"]


def test_the_smtp_url_must_name_a_host():
    with pytest.raises(ValueError, match="smtp://"):
        SmtpSender.from_url("http://example.com")
    sender = SmtpSender.from_url("smtp://user%40example.com:p%3Ass@mail.example:2525")
    assert (sender.host, sender.port, sender.username, sender.password) == (
        "mail.example",
        2525,
        "user@example.com",
        "p:ss",
    )
