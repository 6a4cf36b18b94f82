"""Each consent card that lets someone send things shows "Check with me before they send
anything" with Turn off / Turn on: a POST with the form's token, audited; off means the adviser's
next request is lodged at once. It is on for consent given on the phone, off for existing ones."""

from __future__ import annotations

from broker.extensions import db
from broker.models import Grant
from tests.conftest import csrf_from
from tests.drafts.conftest import mr_entries, send_request
from tests.factories import chain_events, make_adviser, make_claimant, make_grant
from tests.staff.helpers import assert_page, text_of


def _toggle(phone, grant_id: str, to: str):  # noqa: ANN001, ANN201
    page = phone.get("/access")
    return phone.post(
        f"/access/{grant_id}/check-first", data={"csrf_token": csrf_from(page.text), "check": to}
    )


def test_the_card_shows_the_setting_and_turning_it_off_is_audited(people, client, phone):
    card = text_of(assert_page(phone.get("/access")))
    assert "Check with me before they send anything" in card and "On. We ask you first." in card

    answer = _toggle(phone, people.grant.id, "off")

    assert answer.status_code == 303
    after = text_of(phone.get("/access").text)
    assert "Priya Shah can now send things without asking you." in after
    assert "Off. They can send without asking you." in after
    db.session.expire_all()
    assert db.session.get(Grant, people.grant.id).check_before_send is False
    last = chain_events(people.claimant.id)[-1]
    assert (last.action, last.actor) == (
        "grant.check_before_send.off",
        f"claimant:{people.claimant.id}",
    )
    assert send_request(client, people.token).status_code == 201
    assert len(mr_entries(people.claimant.id)) == 1


def test_turning_it_back_on_makes_the_next_request_a_draft(people, client, phone):
    _toggle(phone, people.grant.id, "off")
    _toggle(phone, people.grant.id, "on")

    assert send_request(client, people.token).status_code == 202
    assert mr_entries(people.claimant.id) == []


def test_the_setting_needs_the_forms_token_and_the_claimants_own_consent(people, phone):
    assert (
        phone.post(f"/access/{people.grant.id}/check-first", data={"check": "off"}).status_code
        == 400
    )
    stranger = make_claimant("Sam Other")
    theirs = make_grant(stranger, make_adviser("Eve"), "mr:read mr:request")

    assert _toggle(phone, theirs.id, "off").status_code == 404
    db.session.expire_all()
    assert db.session.get(Grant, people.grant.id).check_before_send is True


def test_a_consent_given_on_the_phone_has_it_on_and_existing_ones_off(people, phone):
    assert people.grant.check_before_send is True  # the phone's default (conftest)
    stranger = make_claimant("Sam Other")
    assert make_grant(stranger, make_adviser("Eve"), "mr:request").check_before_send is False
