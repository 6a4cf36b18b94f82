"""The claimant shortens a window at once on "Change what they can see" (a receipt says so);
making it longer there is refused, and is an amendment they approve instead."""

from __future__ import annotations

from datetime import date

import pytest

from broker.consent import receipts
from broker.consent.windows import Window
from broker.extensions import db
from broker.models import AuditEvent, Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    bearer,
    bound,
    issue_token,
    make_adviser,
    make_claimant,
    make_staff,
    make_staff_key,
)
from tests.staff.helpers import signed_in_staff
from tests.window.dated import at, entry, windowed


@pytest.fixture
def alex(app, ctx):  # noqa: ANN001, ANN201
    """Alex lets Priya see their journal and payments only from 3 March 2026."""
    claimant = make_claimant("Alex Morgan")
    grant = windowed(
        claimant,
        make_adviser("Priya Shah", "Northside Citizens Advice"),
        Window(date(2026, 3, 3)),
        "journal:read payments:read",
    )
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    return phone, claimant, grant


def change(phone, grant: Grant, **dates: str):  # noqa: ANN001, ANN201
    page = phone.get(f"/access/{grant.id}/change")
    assert page.status_code == 200, page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "scopes": list(grant.scope_names),
        "date_from": "3 3 2026",
        "date_to": "",
        **dates,
    }
    return phone.post(f"/access/{grant.id}/change", data=form)


def fresh(grant: Grant) -> Grant:
    db.session.rollback()
    return db.session.get(Grant, grant.id)


def test_the_change_page_shows_the_dates_they_have_now(alex):
    phone, _, grant = alex

    page = phone.get(f"/access/{grant.id}/change")

    assert 'name="date_from" type="text" value="3 3 2026"' in page.text
    assert 'name="date_to" type="text" value=""' in page.text
    assert "Here you can only pick a later first day or an earlier last day." in page.text
    assert "Leave both empty" not in page.text


def test_a_later_start_takes_effect_at_once_with_a_receipt(alex, client):
    phone, claimant, grant = alex
    entry(claimant, at(date(2026, 3, 10)), "Tenth of March")
    token, _ = issue_token(grant)

    done = change(phone, grant, date_from="1 4 2026", date_to="30 6 2026")
    after = client.get("/api/v1/journal", headers=bearer(token))

    assert done.status_code == 303
    grant = fresh(grant)
    assert (grant.date_from, grant.date_to) == (date(2026, 4, 1), date(2026, 6, 30))
    assert after.json["entries"] == []  # the same token, the narrower window at once
    narrowed = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "grant.narrow")
    ).one()
    assert narrowed.actor == f"claimant:{claimant.id}"
    latest = receipts.for_grant(claimant.id, grant.id)[0]
    document = phone.get(f"/receipts/{latest.id}.json").get_json()
    valid, words = receipts.verify(document, bound().key_set())
    assert valid, words
    event = document["receipt"]["event"]
    assert (event["type"], event["dateFrom"], event["dateTo"]) == (
        "narrowed",
        "2026-04-01",
        "2026-06-30",
    )
    assert "From 1 April 2026 to 30 June 2026" in phone.get("/access").text
    assert "From 1 April 2026 to 30 June 2026" in phone.get(f"/access/{grant.id}/receipts").text


@pytest.mark.parametrize("dates", [{"date_from": "1 1 2026"}, {"date_from": ""}])
def test_an_earlier_start_or_no_start_is_refused_here(alex, dates):
    phone, _, grant = alex

    refused = change(phone, grant, **dates)

    assert refused.status_code == 400
    assert "You can only make the dates shorter here, not longer" in refused.text
    assert fresh(grant).date_from == date(2026, 3, 3)


def test_the_same_dates_change_nothing(alex):
    phone, _, grant = alex

    refused = change(phone, grant)

    assert refused.status_code == 400
    assert "You did not untick anything, so nothing has changed" in refused.text


def test_another_claimant_cannot_change_the_dates(alex, app):
    _, _, grant = alex
    other = app.test_client()
    sign_in(other, make_claimant("Bob").account.username)

    page = other.get(f"/access/{grant.id}/change")

    assert page.status_code == 404
    assert fresh(grant).date_from == date(2026, 3, 3)


def test_staff_see_the_dates_on_the_banner_and_in_the_staff_api(alex, app, client):
    _, claimant, grant = alex
    grant.date_to = date(2026, 6, 30)
    db.session.commit()
    staff = signed_in_staff(app, make_staff("Jordan Lee"))
    key = make_staff_key()

    record = staff.get(f"/staff/claimants/{claimant.reference}")
    api = client.get(f"/api/v1/staff/claimants/{claimant.reference}/consents", headers=bearer(key))

    assert "Only entries from 3 March 2026 to 30 June 2026" in record.text
    consent = next(c for c in api.json["consents"] if c["id"] == grant.id)
    assert (consent["date_from"], consent["date_to"]) == ("2026-03-03", "2026-06-30")
