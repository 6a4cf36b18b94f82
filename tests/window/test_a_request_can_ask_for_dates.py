"""An adviser's system asks for a date window in RFC 9396 authorization_details (date_from,
date_to): it is checked, shown to the claimant in plain words, and the claimant may start it
later but never earlier than asked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from broker import clock
from broker.extensions import db
from broker.models import AuditEvent, Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import make_claimant
from tests.oauth.helpers import authorize_query, details, make_client, pkce_pair, query_of


@pytest.fixture
def asking(app, ctx):  # noqa: ANN001, ANN201
    client, _secret = make_client()
    claimant = make_claimant("Alex Morgan")
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    return phone, client, claimant


def _url(client_id: str, **window: object) -> str:
    _verifier, challenge = pkce_pair()
    return authorize_query(client_id, challenge, authorization_details=details(**window))


def _answer(phone, url: str, **fields: object):  # noqa: ANN001, ANN201
    page = phone.get(url)
    assert page.status_code == 200, page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "decision": "approve",
        "scopes": ["mr:read", "journal:read"],
        "months": "3",
        **fields,
    }
    return page, phone.post(url, data=form)


@pytest.mark.parametrize(
    ("window", "says"),
    [
        ({"date_from": "3 March 2026"}, "date_from must be a date written YYYY-MM-DD"),
        ({"date_to": 20260630}, "date_to must be a date written YYYY-MM-DD"),
        ({"date_from": "2026-02-30"}, "date_from must be a date written YYYY-MM-DD"),
        (
            {"date_from": "2026-06-30", "date_to": "2026-03-03"},
            "The end date must be on or after the start date",
        ),
    ],
)
def test_a_window_that_cannot_be_is_refused_as_invalid_authorization_details(asking, window, says):
    phone, client, _ = asking

    response = phone.get(_url(client.id, **window))

    assert response.status_code == 302
    answer = query_of(response.headers["Location"])
    assert answer["error"] == "invalid_authorization_details"
    assert answer["error_description"] == says


def test_a_start_far_in_the_future_is_refused(asking):
    phone, client, _ = asking
    far = clock.uk_day(clock.now()) + timedelta(days=400)

    response = phone.get(_url(client.id, date_from=far.isoformat()))

    assert query_of(response.headers["Location"])["error"] == "invalid_authorization_details"


def test_the_consent_screen_says_the_dates_in_plain_words(asking):
    phone, client, _ = asking

    page = phone.get(_url(client.id, date_from="2026-03-03", date_to="2026-06-30"))

    assert "They ask to see only some dates: From 3 March 2026 to 30 June 2026." in page.text
    assert 'name="date_from" type="text" value="3 3 2026"' in page.text


def test_the_claimant_can_start_the_window_later_than_asked(asking):
    phone, client, claimant = asking

    _page, answered = _answer(phone, _url(client.id, date_from="2026-03-03"), date_from="1 4 2026")

    assert answered.status_code == 303
    assert "code" in query_of(answered.headers["Location"])
    grant = db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).one()
    assert (grant.date_from, grant.date_to) == (date(2026, 4, 1), None)


def test_an_earlier_start_than_asked_is_refused_and_nothing_is_given(asking):
    phone, client, claimant = asking

    _page, answered = _answer(phone, _url(client.id, date_from="2026-03-03"), date_from="1 1 2026")

    assert answered.status_code == 400
    assert "You can only choose a later start date than they asked for" in answered.text
    assert db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).all() == []


def test_an_emptied_start_date_is_earlier_than_asked_so_it_is_refused(asking):
    phone, client, claimant = asking

    _page, answered = _answer(phone, _url(client.id, date_from="2026-03-03"), date_from="")

    assert answered.status_code == 400
    assert db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).all() == []


def test_an_answer_without_the_date_field_gets_only_the_window_asked_for(asking):
    phone, client, claimant = asking

    _page, answered = _answer(phone, _url(client.id, date_from="2026-03-03", date_to="2026-06-30"))

    assert answered.status_code == 303
    grant = db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).one()
    assert (grant.date_from, grant.date_to) == (date(2026, 3, 3), date(2026, 6, 30))


def test_more_dates_are_an_amendment_the_claimant_sees_and_approves(asking):
    phone, client, claimant = asking
    _answer(phone, _url(client.id, date_from="2026-03-03"))

    page, answered = _answer(phone, _url(client.id, date_from="2026-01-05"))

    assert "They ask to see only some dates: Only from 5 January 2026." in page.text
    assert "Now they can see: Only from 3 March 2026." in page.text
    assert answered.status_code == 303
    grant = db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).one()
    assert grant.date_from == date(2026, 1, 5)
    actions = db.session.scalars(
        db.select(AuditEvent.action).where(AuditEvent.claimant_id == claimant.id)
    ).all()
    assert actions.count("grant.amend") == 1


def test_a_later_request_without_dates_leaves_the_window_as_it_is(asking):
    phone, client, claimant = asking
    _answer(phone, _url(client.id, date_from="2026-03-03"))

    _page, answered = _answer(phone, _url(client.id))

    assert answered.status_code == 303
    grant = db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).one()
    assert grant.date_from == date(2026, 3, 3)
