"""A relative or friend asks to be the claimant's contact the way an adviser asks for access: on a
public page they give the claimant's reference, their name, who they are and their address; a
code sent there proves the address; they get a short code that the claimant types in on their
phone to say yes (or they say no). The asker is never told the claimant's name or answer."""

from __future__ import annotations

import re

from broker import clock, ratelimit
from broker.extensions import db
from broker.messages import contact_requests, letters
from broker.models import AuditEvent, ContactAddress, ContactRequest, Grant, OutboxMessage
from tests.conftest import csrf_from
from tests.contact.conftest import by_smtp, code_in, emails_to, phone_of, run_sweep
from tests.factories import make_claimant
from tests.staff.helpers import assert_page, error_summary, post_form, signed_in_staff, text_of

JO = "jo.morgan@example.com"
ASK = "/ask-to-be-a-contact"


def ask(client, reference: str, address: str = JO, **facts: str):  # noqa: ANN001, ANN003, ANN201
    return post_form(
        client,
        ASK,
        {
            "reference": reference,
            "name": facts.get("name", "Jo Morgan"),
            "relationship": facts.get("relationship", "Daughter"),
            "address": address,
        },
    )


def answer_code_of(html: str) -> str:
    found = re.search(r'id="answer-code"[^>]*>([A-Z]{4}-[A-Z]{4})<', html)
    assert found, html
    return found.group(1)


def asked_and_proved(client, people, inbox, port) -> tuple[ContactRequest, str]:  # noqa: ANN001
    """Jo asks, proves her address with the code that really arrives, gets the short code."""
    asked = ask(client, people.claimant.reference)
    assert asked.status_code == 303
    page = asked.headers["Location"]
    run_sweep(by_smtp(port))
    code = code_in(emails_to(inbox, JO)[-1])
    proved = post_form(client, page, {"code": code})
    html = assert_page(proved)
    db.session.expire_all()
    return db.session.scalar(db.select(ContactRequest)), answer_code_of(html)


def say_yes(phone, request_id: str, code: str, **overrides):  # noqa: ANN001, ANN003, ANN201
    return post_form(
        phone,
        f"/contact/requests/{request_id}",
        {
            "decision": "yes",
            "code": code,
            "scopes": ["contact:letters"],
            "copies": ["letters"],
            "months": "3",
            "purpose": "I want Jo to see my letters",
            **overrides,
        },
    )


def test_a_daughter_asks_proves_her_address_and_her_mother_says_yes_on_her_phone(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    relative = app.test_client()
    form = assert_page(relative.get(ASK))
    assert "Ask to get copies of someone's letters" in text_of(form)

    request, code = asked_and_proved(relative, people, inbox, port)

    assert (request.status, request.channel, request.address) == ("waiting", "email", JO)
    assert "Alex" not in emails_to(inbox, JO)[0]  # the asker is never told whose claim it is
    phone = phone_of(app, people.claimant)
    home = text_of(phone.get("/").text)
    assert "Jo Morgan (Daughter) asks to get copies of messages about your claim." in home
    assert "Waiting since today" in home
    told = db.session.scalar(
        db.select(OutboxMessage.body).where(OutboxMessage.kind == "contact_request")
    )
    assert told.startswith("Jo Morgan (Daughter) asks")  # in her letters inbox too
    page = assert_page(phone.get(f"/contact/requests/{request.id}"))
    assert JO in text_of(page)

    yes = say_yes(phone, request.id, code.lower().replace("-", " "))

    assert yes.status_code == 303, yes.text
    db.session.expire_all()
    grant = db.session.scalar(db.select(Grant).where(Grant.kind == "contact"))
    address = db.session.get(ContactAddress, grant.id)
    assert (grant.representative_name, grant.relationship) == ("Jo Morgan", "Daughter")
    assert (address.address, address.kinds) == (JO, "letters")
    assert address.confirmed_at == request.confirmed_at  # proved when she asked: no new code
    assert db.session.get(ContactRequest, request.id).status == "approved"
    codes = db.session.scalar(
        db.select(db.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind.like("%code"))
    )
    assert codes == 1
    # And she really gets copies of what her mother chose.
    letters.send_letter(
        people.claimant, "Your payment is due.", language="en", staff=people.staff, now=clock.now()
    )
    db.session.commit()
    run_sweep(by_smtp(port))
    assert "Your payment is due." in emails_to(inbox, JO)[-1]
    assert text_of(relative.get(f"{ASK}/{request.id}").text).count("has been answered") == 1
    steps = db.session.execute(
        db.select(AuditEvent.action, AuditEvent.outcome)
        .where(AuditEvent.resource == f"contact_request:{request.id}")
        .order_by(AuditEvent.seq)
    ).all()
    assert [tuple(s) for s in steps] == [
        ("contact_request.made", "done"),
        ("contact_request.approve", "done"),
    ]


def test_saying_no_needs_no_code_and_the_asker_only_learns_it_was_answered(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    relative = app.test_client()
    request, _code = asked_and_proved(relative, people, inbox, port)
    phone = phone_of(app, people.claimant)

    no = post_form(phone, f"/contact/requests/{request.id}", {"decision": "no"})

    assert no.status_code == 303
    db.session.expire_all()
    assert db.session.get(ContactRequest, request.id).status == "declined"
    assert db.session.scalar(db.select(Grant).where(Grant.kind == "contact")) is None
    assert "Someone asks to be your contact" not in phone.get("/access").text
    told = text_of(relative.get(f"{ASK}/{request.id}").text)
    assert "This request has been answered." in told and "no" not in told.split("answered")[1][:5]


def test_a_wrong_short_code_is_counted_per_request_and_audited(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    request, code = asked_and_proved(app.test_client(), people, inbox, port)
    phone = phone_of(app, people.claimant)

    wrong = [say_yes(phone, request.id, "BBBB-BBBB") for _ in range(ratelimit.GUESS_LIMIT)]
    locked = say_yes(phone, request.id, code)

    assert [w.status_code for w in wrong] == [400] * 5
    assert error_summary(wrong[0].text) == [
        ("code", "That code is not right. Ask them for the code again")
    ]
    assert 'value="BBBB-BBBB"' in wrong[0].text  # what was typed is kept
    assert locked.status_code == 429 and "tried too many codes" in locked.text
    assert int(locked.headers["Retry-After"]) > 0
    refused = db.session.scalars(
        db.select(AuditEvent.outcome).where(AuditEvent.action == "contact_request.approve")
    ).all()
    assert refused == ["refused:wrong_code"] * 5
    frozen_clock.advance(minutes=16)
    assert say_yes(phone_of(app, people.claimant), request.id, code).status_code == 303


def test_a_reference_that_is_no_claims_is_said_plainly_and_guessing_is_limited(
    app, people, frozen_clock
):
    relative = app.test_client()

    answers = [ask(relative, f"UC-9{n:03d}-XX") for n in range(ratelimit.GUESS_LIMIT)]
    then_right = ask(relative, people.claimant.reference)

    assert [a.status_code for a in answers] == [400] * 5
    assert error_summary(answers[0].text) == [
        ("reference", "We cannot find a claim with that reference. Check it with them")
    ]
    assert 'value="Jo Morgan"' in answers[0].text
    assert then_right.status_code == 429 and int(then_right.headers["Retry-After"]) > 0
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0


def test_an_address_that_is_neither_email_nor_mobile_is_refused_and_nothing_is_sent(
    app, people, frozen_clock
):
    relative = app.test_client()

    answer = ask(relative, people.claimant.reference, address="jo at example dot com")

    html = assert_page(answer, 400)
    assert error_summary(html) == [
        (
            "address",
            "Enter an email address, like name@example.com, or a UK mobile number, "
            "like 07700 900 982",
        )
    ]
    assert 'value="jo at example dot com"' in html
    assert f'value="{people.claimant.reference}"' in html
    assert db.session.scalar(db.select(db.func.count()).select_from(ContactRequest)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0


def test_a_wrong_address_code_is_counted_per_request_and_the_pages_never_name_the_claimant(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    other = make_claimant("Sam Morgan")
    relative, stranger = app.test_client(), app.test_client()
    mine = ask(relative, people.claimant.reference).headers["Location"]
    theirs = ask(stranger, other.reference, address="kit@example.com").headers["Location"]
    run_sweep(by_smtp(port))

    wrong = [post_form(relative, mine, {"code": "999999"}) for _ in range(5)]
    locked = post_form(relative, mine, {"code": code_in(emails_to(inbox, JO)[0])})
    fine = post_form(stranger, theirs, {"code": code_in(emails_to(inbox, "kit@example.com")[0])})

    assert [w.status_code for w in wrong] == [400] * 5
    assert locked.status_code == 429
    assert fine.status_code == 200 and answer_code_of(fine.text)
    for html in [w.text for w in wrong] + [locked.text, fine.text]:
        assert "Alex" not in html and "Sam Morgan" not in html


def test_staff_see_a_request_and_how_long_it_has_waited_on_the_record(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    asked_and_proved(app.test_client(), people, inbox, port)
    frozen_clock.advance(days=3)
    staff = signed_in_staff(app, people.staff)

    record = text_of(staff.get(f"/staff/claimants/{people.claimant.reference}").text)

    assert "Asking to be the nominated contact" in record
    assert f"Jo Morgan, Daughter, {JO}: Waiting 3 days" in record
    phone = phone_of(app, people.claimant)
    assert "Waiting 3 days" in text_of(phone.get("/access").text)


def test_the_short_code_can_be_shown_again_as_a_new_one_and_the_old_one_stops(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    relative = app.test_client()
    request, old = asked_and_proved(relative, people, inbox, port)
    page = relative.get(f"{ASK}/{request.id}")
    assert "Your request is waiting for them to answer." in text_of(page.text)

    again = relative.post(
        f"{ASK}/{request.id}/answer-code", data={"csrf_token": csrf_from(page.text)}
    )
    new = answer_code_of(assert_page(again))

    phone = phone_of(app, people.claimant)
    assert say_yes(phone, request.id, old).status_code == 400
    assert say_yes(phone, request.id, new).status_code == 303
    assert contact_requests.get(request.id).status == "approved"


def test_one_network_address_cannot_fill_a_claimants_page_with_requests(app, people, frozen_clock):
    asker = app.test_client()

    made = [
        ask(asker, people.claimant.reference, address=f"asker{n}@example.com")
        for n in range(contact_requests.REQUESTS_PER_ASKER + 1)
    ]

    assert [m.status_code for m in made] == [303] * 10 + [429]
    assert made[-1].headers["Retry-After"]
    assert db.session.scalar(db.select(db.func.count()).select_from(ContactRequest)) == 10
