"""A claimant says a line of their history was wrong: the grant it is about is paused at once
(its token stops), the adviser is told and asked for their statement, and every step is on the
claimant's chain."""

from __future__ import annotations

from broker import clock
from broker.chain import audit
from broker.extensions import db
from broker.models import AuditEvent
from broker.people import passkeys
from tests.conftest import sign_in
from tests.factories import bearer, issue_token, make_claimant, make_grant, messages_to
from tests.staff.helpers import assert_page, audit_actions, fresh, post_form, text_of

from .helpers import disputes_of, line_of, wrong_path

WORDS = "I never asked this adviser to read my journal"


def test_every_line_of_the_history_links_to_the_form(phone, people):
    grant = make_grant(people.claimant, people.adviser)

    page = phone.get("/history").text

    assert f'href="{wrong_path(line_of(grant))}"' in page
    assert "This wasn't right" in text_of(page)


def test_disputing_a_line_pauses_the_grant_at_once_and_its_token_stops(client, phone, people):
    grant = make_grant(people.claimant, people.adviser)
    token, _jti = issue_token(grant)
    assert client.get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 200

    form = phone.get(wrong_path(line_of(grant)))
    assert "We pause Priya Shah's access straight away" in text_of(assert_page(form))
    done = post_form(phone, wrong_path(line_of(grant)), {"words": WORDS})

    assert done.status_code == 302
    confirmation = text_of(assert_page(phone.get(done.headers["Location"])))
    assert "We have your message" in confirmation
    assert "We have paused Priya Shah's access" in confirmation
    assert WORDS in confirmation
    assert fresh(grant).status == "suspended"
    assert client.get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 401
    [dispute] = disputes_of(people.claimant.id)
    assert (dispute.words, dispute.paused, dispute.grant_id) == (WORDS, True, grant.id)


def test_each_step_is_on_the_claimants_chain(phone, people):
    grant = make_grant(people.claimant, people.adviser)

    post_form(phone, wrong_path(line_of(grant)), {"words": WORDS})

    actions = audit_actions(people.claimant.id)
    assert actions[-3:] == ["dispute.open", "grant.dispute_pause", "dispute.adviser_asked"]
    words_on_chain = db.session.scalars(
        db.select(AuditEvent.resource).where(AuditEvent.claimant_id == people.claimant.id)
    ).all()
    assert not any(WORDS in r for r in words_on_chain)  # their words are not in the audit


def test_the_adviser_is_told_and_asked_for_their_statement(phone, people):
    grant = make_grant(people.claimant, people.adviser)

    post_form(phone, wrong_path(line_of(grant)), {"words": WORDS})

    kinds = [m.kind for m in messages_to(people.adviser.id)]
    assert "grant_suspended" in kinds
    [asked] = messages_to(people.adviser.id, "dispute_statement_asked")
    assert "make your signed statement for that day" in asked.body
    assert WORDS not in asked.body  # the claimant's words are for DWP
    [told] = messages_to(people.claimant.id, "dispute_opened")
    assert "We have paused Priya Shah from Northside Citizens Advice's access" in told.body


def test_the_adviser_page_shows_the_request_with_a_link_to_the_statement(app, phone, people):
    grant = make_grant(people.claimant, people.adviser)
    post_form(phone, wrong_path(line_of(grant)), {"words": WORDS})
    adviser = app.test_client()
    sign_in(adviser, people.adviser.account.username)

    page = adviser.get(f"/adviser/clients/{grant.id}")

    assert page.status_code == 403  # paused: the console is closed
    assert "DWP has asked for your signed statement for that day" in text_of(page.text)
    assert "so this access is paused while DWP looks at it" in text_of(page.text)
    assert f'href="/adviser/clients/{grant.id}/statement"' in page.text


def test_a_line_not_about_a_grant_can_be_disputed_but_pauses_nothing(phone, people):
    grant = make_grant(people.claimant, people.adviser)
    audit.append(
        audit.untokened(
            people.claimant.id, f"claimant:{people.claimant.id}", passkeys.PASSWORDS_OFF, ""
        ),
        now=clock.now(),
    )
    db.session.commit()
    sign_in_line = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == passkeys.PASSWORDS_OFF)
    ).one()

    form = text_of(assert_page(phone.get(wrong_path(sign_in_line))))
    done = post_form(phone, wrong_path(sign_in_line), {"words": "That was not me"})

    assert "not about anyone's access, so sending this pauses nothing" in form
    assert done.status_code == 302
    assert "We have not paused anyone's access" in text_of(phone.get(done.headers["Location"]).text)
    assert fresh(grant).status == "active"
    [dispute] = disputes_of(people.claimant.id)
    assert (dispute.paused, dispute.grant_id) == (False, None)


def test_a_second_dispute_on_the_same_line_is_refused_kindly(phone, people):
    grant = make_grant(people.claimant, people.adviser)
    post_form(phone, wrong_path(line_of(grant)), {"words": WORDS})

    again = text_of(assert_page(phone.get(wrong_path(line_of(grant)))))
    posted = post_form(phone, wrong_path(line_of(grant)), {"words": "again"}, form_page="/history")

    assert "You have already told us this line was wrong. We are looking at it." in again
    assert posted.status_code == 200  # the same kind page, no form, nothing stored
    assert len(disputes_of(people.claimant.id)) == 1


def test_another_claimants_line_is_not_found(app, phone, people):
    other = make_claimant("Sam Other")
    their_grant = make_grant(other, people.adviser)

    assert phone.get(wrong_path(line_of(their_grant))).status_code == 404
    posted = post_form(phone, wrong_path(line_of(their_grant)), {"words": WORDS}, "/history")
    assert posted.status_code == 404
    for nonsense in ("999999", "9" * 40, "-1", "abc", "١٢"):
        assert phone.get(f"/history/lines/{nonsense}/wrong").status_code == 404
    assert disputes_of(other.id) == []
    assert fresh(their_grant).status == "active"
