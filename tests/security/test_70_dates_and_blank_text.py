"""Attack 70: nonsense that looks like a value. A staff system's decision dated before Universal
Credit began (29 April 2013), or text with nothing visible in it (spaces, zero-width and other
characters that print nothing), is refused wherever a person or system sends it: the staff
API's decisions and claimant names (400 naming the field), the adviser API's MR requests, and
staff letters, pinned notes and suspension reasons and the adviser's MR request page (the page
again with its usual error), and a system's reasons for asking (`authorization_details`)."""

from __future__ import annotations

import pytest
from flask import Flask

from broker import inputs
from broker.extensions import db
from broker.models import Grant, MRDecision, OutboxMessage, PinnedNote
from tests.factories import bearer, issue_token, make_grant, make_people, make_staff_key
from tests.oauth.helpers import DEVICE_GRANT, make_client, start_device
from tests.staff.helpers import assert_page, error_summary, post_form, signed_in_staff

# Zero-width space, word joiner, BOM, soft hyphen, Hangul filler, ideographic space, line breaks.
BLANK = ["\u200b\u200b\u200b", " \u2060\ufeff ", "\u00ad", "\u3164", "\u3000\n\u200b"]


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    return make_people()


@pytest.fixture
def key(ctx) -> str:  # noqa: ANN001
    return make_staff_key("DWP decision system")


def decisions_path(people) -> str:  # noqa: ANN001
    return f"/api/v1/staff/claimants/{people.claimant.reference}/mr-decisions"


def decisions_of(people) -> int:  # noqa: ANN001
    query = db.select(db.func.count()).select_from(MRDecision)
    return db.session.scalar(query.where(MRDecision.claimant_id == people.claimant.id))


def test_the_check_sees_only_text_that_prints_something():
    assert not any(inputs.visible(text) for text in [*BLANK, "", "   \t"])
    assert all(inputs.visible(text) for text in ["a", " x\u200b", "Cymraeg ŵ", "日本", "👍"])


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2013-04-28"])
def test_a_decision_dated_before_universal_credit_began_is_refused(client, people, key, day):
    answer = client.post(
        decisions_path(people), json={"outcome": "changed", "decided_on": day}, headers=bearer(key)
    )
    assert answer.status_code == 400
    assert (answer.json["error"], answer.json["field"]) == ("invalid_request", "decided_on")
    assert "2013-04-29" in answer.json["error_description"]
    assert decisions_of(people) == 0


def test_a_decision_on_the_first_day_of_universal_credit_is_taken(client, people, key):
    answer = client.post(
        decisions_path(people),
        json={"outcome": "changed", "decided_on": "2013-04-29"},
        headers=bearer(key),
    )
    assert answer.status_code == 201, answer.json
    assert decisions_of(people) == 1


@pytest.mark.parametrize("field", ["subject", "body"])
@pytest.mark.parametrize("blank", BLANK)
def test_a_decision_whose_letter_shows_nothing_is_refused(client, people, key, field, blank):
    answer = client.post(
        decisions_path(people),
        json={"outcome": "changed", "decided_on": "2024-01-31", field: blank},
        headers=bearer(key),
    )
    if not blank.strip():  # only spaces: left out, the usual words are used
        assert answer.status_code == 201
        return
    assert answer.status_code == 400
    assert answer.json["field"] == field
    assert decisions_of(people) == 0


def test_a_claimant_name_that_shows_nothing_is_refused(client, key):
    answer = client.post(
        "/api/v1/staff/claimants",
        json={"reference": "UC-7000-ZW", "name": "\u200b\u200b", "language": "en"},
        headers=bearer(key),
    )
    assert answer.status_code == 400
    assert answer.json["field"] == "name"


@pytest.mark.parametrize("field", ["decision_about", "reasons"])
def test_an_mr_request_that_shows_nothing_is_refused_naming_the_field(client, people, field):
    grant = make_grant(people.claimant, people.adviser, "mr:read mr:request")
    token, _ = issue_token(grant)
    body = {"decision_about": "Limited capability for work", "reasons": "My evidence was missed."}
    answer = client.post(
        "/api/v1/mr-requests", headers=bearer(token), json={**body, field: "\u200b\u2060"}
    )
    assert answer.status_code == 400
    assert answer.json["error"] == "invalid_request"
    assert field in answer.json["error_description"]


@pytest.mark.parametrize("blank", BLANK)
def test_a_staff_letter_that_shows_nothing_is_refused_on_the_page(app: Flask, people, blank):
    staff = signed_in_staff(app, people.staff)
    path = f"/staff/claimants/{people.claimant.reference}/letters"
    answer = post_form(staff, path, {"body": blank, "language": "en"})
    assert error_summary(assert_page(answer, 400)) == [("body", "Enter the letter")]
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0


def test_a_pinned_note_or_suspension_reason_that_shows_nothing_is_refused(app: Flask, people):
    staff = signed_in_staff(app, people.staff)
    reference = people.claimant.reference
    note = post_form(staff, f"/staff/claimants/{reference}/notes/new", {"body": "\u200b \u200b"})
    assert error_summary(assert_page(note, 400)) == [("body", "Enter the note")]
    assert db.session.scalar(db.select(db.func.count()).select_from(PinnedNote)) == 0

    grant = make_grant(people.claimant, people.adviser, "mr:read")
    path = f"/staff/claimants/{reference}/grants/{grant.id}/suspend"
    suspended = post_form(staff, path, {"reason": "\ufeff\u200b"})
    assert error_summary(assert_page(suspended, 400)) == [
        ("reason", "Enter why you are suspending this consent")
    ]
    db.session.expire_all()
    assert db.session.get(Grant, grant.id).status == "active"


def test_the_advisers_mr_request_page_refuses_reasons_that_show_nothing(app: Flask, people):
    grant = make_grant(people.claimant, people.adviser, "mr:read mr:request")
    adviser = signed_in_staff(app, people.adviser)
    path = f"/adviser/clients/{grant.id}/mr-request"
    answer = post_form(adviser, path, {"decision_about": "Sanction", "reasons": "\u200b\u200b"})
    assert error_summary(assert_page(answer, 400)) == [("reasons", "Enter the reasons")]


@pytest.mark.parametrize("field", ["purpose", "relationship", "information"])
def test_a_request_for_access_whose_reason_shows_nothing_is_refused(client, ctx, field):
    system, secret = make_client(grant_types=(DEVICE_GRANT,))
    answer = start_device(client, system.id, secret, **{field: "\u200b\u2060"})
    assert answer.status_code == 400
    assert answer.json["error"] == "invalid_authorization_details"
    assert field in answer.json["error_description"]
