"""The letters inbox on the claimant's phone: every message the broker sends them is filed there,
staff send letters to it from the record, and each shows when it was sent, delivered and opened.
The unread count is on the home page; nobody else's letters can be opened."""

from __future__ import annotations

import json

from broker import clock
from broker.chain import signed
from broker.extensions import db
from broker.messages import notify
from broker.models import AuditEvent, OutboxMessage
from tests.contact.conftest import (
    deliveries,
    phone_of,
    queue_test_message,
    run_sweep,
)
from tests.factories import bound, make_claimant, make_grant
from tests.lifecycle.senders import RecordingSender
from tests.staff.helpers import (
    assert_page,
    error_summary,
    outbox,
    post_form,
    signed_in_staff,
    text_of,
)


def letter_ids(claimant_id: str) -> list[str]:
    return [m.id for m in reversed(outbox(claimant_id))]  # newest first, as the inbox lists


def test_every_message_to_the_claimant_is_filed_in_their_inbox_newest_first(
    app, people, frozen_clock
):
    grant = make_grant(people.claimant, people.adviser)
    notify.suspended(grant, now=clock.now())
    db.session.commit()
    frozen_clock.advance(minutes=1)
    notify.resumed(grant, now=clock.now())
    db.session.commit()

    page = text_of(assert_page(phone_of(app, people.claimant).get("/letters")))

    assert page.index("Priya Shah's access has restarted") < page.index("Sent")
    assert page.index("Priya Shah's access has restarted") < page.index("DWP paused Priya Shah's")
    first, second = letter_ids(people.claimant.id)
    html = phone_of(app, people.claimant).get("/letters").text
    assert html.index(f"/letters/{first}") < html.index(f"/letters/{second}")
    assert deliveries(people.adviser.id, "inbox") == []  # advisers have no inbox here


def test_the_home_page_shows_how_many_letters_are_unread(app, people, frozen_clock):
    phone = phone_of(app, people.claimant)
    assert "Your letters" in text_of(phone.get("/").text)

    for body in ("One", "Two"):
        queue_test_message(people.claimant.id, body)
    assert "You have 2 new letters" in text_of(phone.get("/").text)

    newest = letter_ids(people.claimant.id)[0]
    phone.get(f"/letters/{newest}")
    assert "You have 1 new letter" in text_of(phone.get("/").text)
    phone.get(f"/letters/{newest}")  # opening it again is not a second unread letter less
    assert "You have 1 new letter" in text_of(phone.get("/").text)


def test_opening_a_letter_shows_when_it_was_sent_delivered_and_opened(app, people, frozen_clock):
    queue_test_message(people.claimant.id, "Priya can see your journal again.")
    run_sweep(RecordingSender())
    frozen_clock.advance(hours=2)
    [letter] = letter_ids(people.claimant.id)

    html = assert_page(phone_of(app, people.claimant).get(f"/letters/{letter}"))

    words = text_of(html)
    assert "Priya can see your journal again." in words
    assert "Email Sent" in words  # handed to the email sender; no receipt from it yet
    [inbox] = deliveries(people.claimant.id, "inbox")
    assert inbox.opened_at == clock.now()
    assert "You opened it" in words


def test_a_claimant_cannot_open_another_claimants_letter(app, people):
    queue_test_message(people.claimant.id, "Private to Alex")
    [letter] = letter_ids(people.claimant.id)
    sam = make_claimant("Sam Morgan")

    answer = phone_of(app, sam).get(f"/letters/{letter}")

    assert answer.status_code == 404
    assert "Private to Alex" not in answer.text
    assert "Private to Alex" not in phone_of(app, sam).get("/letters").text
    assert deliveries(people.claimant.id, "inbox")[0].opened_at is None
    assert phone_of(app, sam).get("/letters/not-a-uuid").status_code == 404


def test_staff_send_a_letter_in_welsh_from_the_record(app, people, frozen_clock):
    staff = signed_in_staff(app, people.staff)
    record = f"/staff/claimants/{people.claimant.reference}"
    assert 'action="/staff/claimants/' in staff.get(record).text

    answer = post_form(
        staff,
        f"{record}/letters",
        {"body": "Mae eich taliad yn dod ar 5 Ionawr.\r\n\r\nDiolch.", "language": "cy"},
        form_page=record,
    )

    assert answer.status_code == 303 and answer.headers["Location"] == record
    [message] = outbox(people.claimant.id)
    assert message.kind == "dwp_letter"
    assert message.body == "Mae eich taliad yn dod ar 5 Ionawr.\n\nDiolch."
    [event] = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "letter.send"))
    assert event.claimant_id == people.claimant.id
    assert event.resource == f"letter:{message.id}"
    assert event.actor == f"staff:{people.staff.id}"
    assert {d.language for d in deliveries(people.claimant.id)} == {"cy"}
    page = phone_of(app, people.claimant).get(f"/letters/{message.id}").text
    assert '<div class="govuk-inset-text app-letter" id="letter-body" lang="cy">' in page
    title = '<span lang="cy">Mae eich taliad yn dod ar 5 Ionawr</span>'  # its opening, in Welsh
    assert f'<h1 class="govuk-heading-l">{title}</h1>' in page
    sender = RecordingSender()
    run_sweep(sender)
    [email] = [m for m in sender.sent if m.account_id == people.claimant.id]
    assert email.language == "cy"


def test_a_letter_too_long_or_empty_is_refused_with_the_text_kept(app, people):
    staff = signed_in_staff(app, people.staff)
    path = f"/staff/claimants/{people.claimant.reference}/letters"
    long_text = "word " * 1000 + "x"

    too_long = post_form(staff, path, {"body": long_text, "language": "en"})
    empty = post_form(staff, path, {"body": "   ", "language": "en"})
    odd_language = post_form(staff, path, {"body": "Hello", "language": "fr"})

    page = assert_page(too_long, 400)
    assert error_summary(page) == [("body", "The letter must be 5,000 characters or fewer")]
    assert long_text.strip() in page  # nothing lost: the text is back in the box
    assert error_summary(assert_page(empty, 400)) == [("body", "Enter the letter")]
    assert odd_language.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0
    assert staff.post(path, data={"body": "No token", "language": "en"}).status_code == 400
    # Exactly 5,000 characters is allowed; a browser's CRLF line breaks count as one each.
    exact = post_form(staff, path, {"body": "a" * 4998 + "\r\nb", "language": "en"})
    assert exact.status_code == 303
    assert len(outbox(people.claimant.id)[0].body) == 5000


def test_staff_see_each_message_with_sent_delivered_and_opened(app, people, frozen_clock):
    queue_test_message(people.claimant.id, "First")
    run_sweep(RecordingSender())
    [letter] = letter_ids(people.claimant.id)
    frozen_clock.advance(minutes=30)
    phone_of(app, people.claimant).get(f"/letters/{letter}")

    record = text_of(
        signed_in_staff(app, people.staff).get(f"/staff/claimants/{people.claimant.reference}").text
    )

    assert "Messages sent to them" in record
    assert "Letters inbox: delivered" in record
    assert "Email: sent" in record and "no receipt yet" in record
    assert "Not opened" not in record
    assert "How they want to be contacted" in record
    assert "They have not chosen: these are the defaults." in record


def test_the_history_copy_includes_each_message_with_its_delivery_times(app, people, frozen_clock):
    queue_test_message(people.claimant.id, "Hello")
    run_sweep(RecordingSender())
    [letter] = letter_ids(people.claimant.id)
    phone = phone_of(app, people.claimant)
    phone.get(f"/letters/{letter}")

    document = json.loads(phone.get("/history.json").text)

    history = signed.verify(document["jws"], signed.HISTORY, bound().key_set())
    [message] = history["messages"]
    assert message["id"] == letter and message["opened_at"] == clock.now().isoformat()
    channels = {d["channel"]: d for d in message["deliveries"]}
    assert channels["inbox"]["delivered_at"] == clock.now().isoformat()
    assert channels["email"]["status"] == "sent"
    assert channels["email"]["sent_at"] == clock.now().isoformat()
