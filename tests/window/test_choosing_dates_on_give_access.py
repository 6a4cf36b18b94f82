"""A claimant chooses a date window on "Give someone access": checked, shown on the check page
and the card in plain words, kept through "Change", and refused when it cannot be."""

from __future__ import annotations

from datetime import date

import pytest

from broker.extensions import db
from broker.models import Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant


@pytest.fixture
def signed_in(app, ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    return phone, claimant, adviser


def _form(phone, adviser, **fields: object) -> dict[str, object]:  # noqa: ANN001
    page = phone.get("/access/new")
    return {
        "csrf_token": csrf_from(page.text),
        "adviser_code": adviser.code,
        "purpose": "Help with the payment cut",
        "relationship": "Welfare rights adviser",
        "months": "3",
        "scopes": ["journal:read", "payments:read"],
        **fields,
    }


def test_the_page_offers_a_start_date_and_an_end_date(signed_in):
    phone, _, _ = signed_in

    page = phone.get("/access/new")

    assert "Only from a date" in page.text
    assert 'id="date_from"' in page.text and 'id="date_to"' in page.text
    assert "For example, 3 3 2026" in page.text


def test_the_check_page_says_the_dates_and_giving_access_keeps_them(signed_in):
    phone, claimant, adviser = signed_in
    answers = _form(phone, adviser, date_from="3 3 2026", date_to="30/6/2026")

    check = phone.post("/access/new", data=answers)
    done = phone.post("/access/new", data={**answers, "confirmed": "yes"})
    card = phone.get("/access")

    assert "From 3 March 2026 to 30 June 2026" in check.text
    assert done.status_code == 303
    grant = db.session.scalar(db.select(Grant).where(Grant.claimant_id == claimant.id))
    assert (grant.date_from, grant.date_to) == (date(2026, 3, 3), date(2026, 6, 30))
    assert "Which dates" in card.text and "From 3 March 2026 to 30 June 2026" in card.text


def test_only_a_start_date_reads_only_from(signed_in):
    phone, _, adviser = signed_in

    check = phone.post("/access/new", data=_form(phone, adviser, date_from="2026-03-03"))

    assert "Only from 3 March 2026" in check.text


def test_no_dates_means_all_of_it(signed_in):
    phone, claimant, adviser = signed_in
    answers = _form(phone, adviser)

    check = phone.post("/access/new", data=answers)
    phone.post("/access/new", data={**answers, "confirmed": "yes"})

    assert "All of it, old and new" in check.text
    grant = db.session.scalar(db.select(Grant).where(Grant.claimant_id == claimant.id))
    assert (grant.date_from, grant.date_to) == (None, None)
    assert "Which dates" not in phone.get("/access").text


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"date_from": "31 2 2026"}, "date_from", "Enter a real date, like 3 3 2026"),
        ({"date_to": "next week"}, "date_to", "Enter a real date, like 3 3 2026"),
        (
            {"date_from": "30 6 2026", "date_to": "3 3 2026"},
            "date_to",
            "The end date must be on or after the start date",
        ),
        ({"date_from": "1 1 2030"}, "date_to", "Choose dates less than a year from today"),
    ],
)
def test_dates_that_cannot_be_are_refused_and_nothing_is_given(signed_in, fields, field, says):
    phone, claimant, adviser = signed_in

    refused = phone.post(
        "/access/new", data={**_form(phone, adviser, **fields), "confirmed": "yes"}
    )

    assert refused.status_code == 400
    assert says in refused.text
    assert f'href="#{field}"' in refused.text  # the error summary links to the field
    assert db.session.scalar(db.select(Grant).where(Grant.claimant_id == claimant.id)) is None


def test_change_on_the_check_page_keeps_the_dates(signed_in):
    phone, _, adviser = signed_in
    answers = _form(phone, adviser, date_from="3 3 2026")

    phone.post("/access/new", data=answers)
    back = phone.post("/access/new", data={**answers, "edit": "window"})

    assert 'name="date_from" type="text" value="3 3 2026"' in back.text
