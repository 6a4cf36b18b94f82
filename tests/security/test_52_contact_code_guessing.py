"""security.md 52: guessing a nominated contact's code. A right code sends a claimant's letters
to the guesser's address, so each code is limited like a user code: 5 wrong tries in 15 minutes
per contact (or per request), then 429 even for the right code, and never for anyone else. The
code is kept only as its hash, and its text leaves the outbox once it is sent."""

from __future__ import annotations

import logging

from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.messages import nominated, notify
from broker.models import AuditEvent, ContactAddress, OutboxMessage
from tests.conftest import sign_in
from tests.contact.conftest import run_sweep
from tests.factories import make_claimant, record_by_phone
from tests.lifecycle.senders import RecordingSender
from tests.staff.helpers import post_form


def contact_with_address(claimant, address: str):  # noqa: ANN001, ANN201
    """A nominated contact recorded by staff, a code on its way to `address`."""
    grant = record_by_phone(
        claimant,
        grants.Representative("Jo Morgan"),
        scope_names=("contact:letters",),
        purpose="Finds letters hard",
        relationship="Daughter",
        kind=grants.CONTACT,
    )
    nominated.attach(
        grant, typed_address=address, kinds=("letters",), by="staff:test", now=clock.now()
    )
    db.session.commit()
    return grant


def test_guessing_a_contacts_code_stops_after_five_and_never_locks_out_another(
    app, ctx, frozen_clock, caplog
):
    victim, bystander = make_claimant("Alex Morgan"), make_claimant("Sam Morgan")
    target = contact_with_address(victim, "jo@example.com")
    other = contact_with_address(bystander, "kit@example.com")
    sender = RecordingSender()
    with caplog.at_level(logging.DEBUG):
        run_sweep(sender)
    codes = {m.address: m.body.split()[3].rstrip(".") for m in sender.sent}
    attacker = app.test_client()  # the claimant's own phone, in someone else's hand
    sign_in(attacker, victim.account.username)
    path = f"/contact/{target.id}/code"
    wrong = "123456" if codes["jo@example.com"] != "123456" else "654321"

    tries = [post_form(attacker, path, {"code": wrong}, form_page="/access") for _ in range(5)]
    right_too_late = post_form(
        attacker, path, {"code": codes["jo@example.com"]}, form_page="/access"
    )

    assert [t.status_code for t in tries] == [400] * 5
    assert right_too_late.status_code == 429 and right_too_late.headers["Retry-After"]
    assert db.session.get(ContactAddress, target.id).confirmed_at is None
    bystander_phone = app.test_client()
    sign_in(bystander_phone, bystander.account.username)
    theirs = post_form(
        bystander_phone,
        f"/contact/{other.id}/code",
        {"code": codes["kit@example.com"]},
        form_page="/access",
    )
    assert theirs.status_code == 303  # another contact is never locked out
    refused = db.session.scalars(
        db.select(AuditEvent.outcome).where(
            AuditEvent.action == "contact.confirm", AuditEvent.claimant_id == victim.id
        )
    ).all()
    assert refused == ["refused:wrong_code"] * 5
    # Only the code's hash is kept; its text is gone from the outbox once sent, and neither
    # the chain nor the log ever held it.
    db.session.expire_all()
    row = db.session.get(ContactAddress, target.id)
    assert codes["jo@example.com"] not in (row.code_hash or "")
    bodies = db.session.scalars(
        db.select(OutboxMessage.body).where(OutboxMessage.kind == notify.CONTACT_CODE)
    ).all()
    assert bodies == [nominated.CODE_REMOVED] * 2
    chain = " ".join(f"{e.resource} {e.outcome}" for e in db.session.scalars(db.select(AuditEvent)))
    for code in codes.values():
        assert code not in chain and code not in caplog.text


def test_nobody_can_use_the_contact_page_to_flood_an_address_with_codes(app, ctx, frozen_clock):
    claimant = make_claimant("Alex Morgan")
    grant = contact_with_address(claimant, "jo@example.com")  # code 1
    row = db.session.get(ContactAddress, grant.id)
    for _ in range(nominated.CODES_PER_WINDOW - 1):
        nominated.send_code(row, by="claimant:x", now=clock.now())
    db.session.commit()

    try:
        nominated.send_code(row, by="claimant:x", now=clock.now())
    except nominated.TooManyCodes as refusal:
        assert refusal.retry_after > 0
    else:
        raise AssertionError("a 6th code within the hour was sent")
    db.session.rollback()
    frozen_clock.advance(hours=1, minutes=1)
    nominated.send_code(row, by="claimant:x", now=clock.now())  # the window has passed
