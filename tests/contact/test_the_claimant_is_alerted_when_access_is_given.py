"""An alert the claimant cannot miss (issue 23): access given or widened, from the claimant's own
account or by DWP staff on the phone, sends a message outside the service, by text if they gave
a mobile, else by email, whatever they chose for notices about access: who, what, until when,
and "If this was not you, stop it now" with the link. Through the real SMTP server and the
GOV.UK Notify stand-in."""

from __future__ import annotations

import re

from broker import clock, i18n
from broker.consent import grants
from broker.extensions import db
from broker.messages import letters
from broker.models import Grant
from tests.conftest import csrf_from, sign_in
from tests.contact.conftest import by_smtp, choose, emails_to, run_sweep, texts_to
from tests.contact.servers import notify_sender
from tests.factories import bound, make_grant
from tests.staff.helpers import phone_grant

STOP_LINK = re.compile(r"stop it now: (http://\S+/access/([0-9a-f-]{36})/revoke)")


def give_access_on_the_phone(app, claimant, adviser) -> Grant:  # noqa: ANN001
    """Alex gives Priya access from their own account, typing her adviser code, then says yes
    on the check page."""
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    form = {
        "adviser_code": adviser.code,
        "scopes": ["mr:read"],
        "months": "3",
        "purpose": "Help with my appeal",
        "relationship": "Welfare rights adviser",
    }
    check = phone.post(
        "/access/new", data={**form, "csrf_token": csrf_from(phone.get("/access/new").text)}
    )
    assert check.status_code == 200, check.text
    given = phone.post(
        "/access/new", data={**form, "csrf_token": csrf_from(check.text), "confirmed": "yes"}
    )
    assert given.status_code == 303, given.text
    db.session.expire_all()
    return db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).one()


def test_access_given_on_their_own_account_is_emailed_even_if_they_chose_the_inbox(
    app, people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    choose(people.claimant.id, access_notices=["inbox"])

    grant = give_access_on_the_phone(app, people.claimant, people.adviser)
    report = run_sweep(by_smtp(port))

    [alert] = emails_to(inbox, people.claimant.account.username)
    assert report.failed == 0
    assert alert.startswith(
        "Priya Shah from Northside Citizens Advice can now see your journal: "
        f"Your reconsideration decisions. This lasts until {i18n.day(grant.ends_at)}."
    )
    link, grant_id = STOP_LINK.search(alert).groups()
    assert grant_id == grant.id and link.startswith(bound().issuer)
    # The link leads the claimant, signed in, to the question that stops it.
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)
    question = phone.get(link.removeprefix(bound().issuer))
    assert question.status_code == 200 and "Yes, stop access" in question.text


def test_with_a_mobile_the_alert_goes_by_text_through_notify(app, people, frozen_clock, notify_api):
    choose(people.claimant.id, mobile="07700900982", access_notices=["inbox"])

    grant = give_access_on_the_phone(app, people.claimant, people.adviser)
    report = run_sweep(notify_sender(notify_api))

    [alert] = texts_to("+447700900982")
    assert report.failed == 0
    assert "can now see your journal" in alert
    assert STOP_LINK.search(alert).group(2) == grant.id


def test_consent_recorded_by_staff_on_the_phone_is_alerted_outside_too(
    people, frozen_clock, smtp_inbox
):
    inbox, port = smtp_inbox
    choose(people.claimant.id, access_notices=["inbox"])

    grant = phone_grant(people.claimant, people.adviser, people.staff, now=clock.now())
    run_sweep(by_smtp(port))

    [alert] = emails_to(inbox, people.claimant.account.username)
    assert alert.startswith("Jordan Lee from DWP wrote down on the phone that you agreed")
    assert "If you did not agree, stop it now: " in alert
    assert STOP_LINK.search(alert).group(2) == grant.id


def test_a_welsh_speaker_is_alerted_in_welsh(app, people, frozen_clock, smtp_inbox):
    inbox, port = smtp_inbox
    choose(people.claimant.id, language="cy", access_notices=["inbox"])

    give_access_on_the_phone(app, people.claimant, people.adviser)
    run_sweep(by_smtp(port))

    [alert] = emails_to(inbox, people.claimant.account.username)
    assert "Os nad chi oedd hyn, stopiwch ef nawr:" in alert


def test_the_alert_in_the_inbox_has_a_button_that_stops_it(app, people, frozen_clock):
    grant = give_access_on_the_phone(app, people.claimant, people.adviser)
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)
    [alert] = letters.inbox(people.claimant.id)

    page = phone.get(f"/letters/{alert.id}").text

    assert f'href="/access/{grant.id}/revoke">Stop access for Priya Shah</a>' in page


def test_access_until_the_reconsideration_is_decided_says_it_may_end_sooner(people, frozen_clock):
    grant = make_grant(
        people.claimant,
        people.adviser,
        "mr:read",
        6,
        purpose="Help with my appeal",
        until_event=grants.MR_DECIDED,
    )

    [alert] = [m for m in letters.inbox(people.claimant.id) if m.message.kind == "access_given"]

    assert (
        "This lasts until 31 days after your reconsideration is decided, and no later than "
        f"{i18n.day(grant.ends_at)}."
    ) in alert.message.body
