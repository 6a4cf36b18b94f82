"""A claimant gives an adviser access by the adviser's code; the rules of a grant hold."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

import scopes
from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.models import Grant, Organisation
from broker.people import accounts
from tests.conftest import csrf_from, sign_in
from tests.factories import bound, make_adviser, make_claimant, signer


def _form(page_html: str, **fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf_from(page_html),
        "purpose": "Help with my appeal",
        "relationship": "Welfare rights adviser",
        "months": "3",
        "scopes": ["mr:read"],
    }
    data.update(fields)
    return data


@pytest.fixture
def signed_in(app, ctx):  # noqa: ANN201
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    client = app.test_client()
    sign_in(client, claimant.account.username)
    return client, claimant, adviser


def test_continue_shows_who_what_how_long_and_why_before_anything_is_granted(signed_in):
    client, claimant, adviser = signed_in
    page = client.get("/access/new")

    check = client.post("/access/new", data=_form(page.text, adviser_code=adviser.code))

    assert check.status_code == 200
    assert "Check before you give access" in check.text
    assert "Priya Shah, Northside Citizens Advice" in check.text
    assert scopes.lookup("mr:read").sentence_in("en") in check.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Grant)) == 0


def test_confirming_creates_an_active_grant_listed_on_who_can_see_your_journal(signed_in):
    client, claimant, adviser = signed_in
    page = client.get("/access/new")
    typed_code = f"{adviser.code[:3].lower()}-{adviser.code[3:]}"  # people type dashes, any case

    done = client.post(
        "/access/new", data=_form(page.text, adviser_code=typed_code, confirmed="yes")
    )
    listing = client.get("/access")

    assert done.status_code == 303
    grant = db.session.scalar(db.select(Grant))
    assert (grant.status, grant.adviser_id, grant.scopes) == ("active", adviser.id, "mr:read")
    assert grant.ends_at == grants.add_months(grant.starts_at, 3)
    assert "Priya Shah can now see what you chose" in listing.text
    assert "Priya Shah, Northside Citizens Advice" in listing.text


def test_an_unknown_adviser_code_is_refused_with_a_clear_message(signed_in):
    client, _, _ = signed_in
    page = client.get("/access/new")

    response = client.post(
        "/access/new", data=_form(page.text, adviser_code="ZZZ-0000", confirmed="yes")
    )

    assert response.status_code == 400
    assert "We cannot find an adviser with that code" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Grant)) == 0


def test_a_scope_shorter_maximum_is_enforced_with_a_clear_message(signed_in):
    client, _, adviser = signed_in
    page = client.get("/access/new")

    response = client.post(
        "/access/new",
        data=_form(
            page.text,
            adviser_code=adviser.code,
            scopes=["mr:read", "mr:request"],
            months="6",
            confirmed="yes",
        ),
    )

    assert response.status_code == 400
    assert "can last 3 months at most" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Grant)) == 0


def test_a_tampered_duration_longer_than_six_months_is_refused(signed_in):
    client, _, adviser = signed_in
    page = client.get("/access/new")

    response = client.post(
        "/access/new",
        data=_form(page.text, adviser_code=adviser.code, months="12", confirmed="yes"),
    )

    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Grant)) == 0


def test_an_unknown_scope_is_refused(signed_in):
    client, _, adviser = signed_in
    page = client.get("/access/new")

    response = client.post(
        "/access/new",
        data=_form(page.text, adviser_code=adviser.code, scopes=["bank:write"], confirmed="yes"),
    )

    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Grant)) == 0


def test_the_grants_module_refuses_more_than_six_months_and_unknown_scopes(ctx):
    claimant, adviser = make_claimant(), make_adviser()
    now = clock.now()
    representative = grants.Representative.of(adviser)
    common = {"purpose": "Appeal", "relationship": "Adviser", "now": now}

    with pytest.raises(grants.GrantRefused, match="6 months at most"):
        grants.give(
            claimant,
            representative,
            scope_names="mr:read",
            ends_at=grants.add_months(now, 6) + timedelta(seconds=1),
            **common,
            signer=signer(),
        )
    with pytest.raises(grants.GrantRefused, match="3 months at most"):
        grants.give(
            claimant,
            representative,
            scope_names="mr:read mr:request",
            ends_at=grants.add_months(now, 4),
            **common,
            signer=signer(),
        )
    with pytest.raises(grants.GrantRefused, match="do not know this kind of access: bank:write"):
        grants.give(
            claimant,
            representative,
            scope_names="bank:write",
            ends_at=grants.add_months(now, 1),
            **common,
            signer=signer(),
        )
    six = grants.give(
        claimant,
        representative,
        scope_names="mr:read",
        ends_at=grants.add_months(now, 6),
        **common,
        signer=signer(),
    )
    assert six.status == "active"


def test_add_months_keeps_the_day_or_clamps_to_the_end_of_the_month():
    from datetime import UTC, datetime

    assert grants.add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(
        2027, 2, 28, tzinfo=UTC
    )
    assert grants.add_months(datetime(2026, 11, 23, 9, tzinfo=UTC), 3) == datetime(
        2027, 2, 23, 9, tzinfo=UTC
    )


def test_the_adviser_code_hint_shows_a_code_that_belongs_to_nobody(app, signed_in, runner):
    client, _, _ = signed_in
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # the demo advisers too

    page = client.get("/access/new")
    hint = re.search(r"It looks like ([A-Z]{3}-\d{4})\.", page.text)

    assert hint is not None
    assert accounts.adviser_by_code(hint.group(1)) is None
    assert "NSA-4821" not in page.text  # Priya's real code
    with pytest.raises(ValueError, match="example code"):
        accounts.create_adviser(
            "copycat@example.org",
            "pw",
            "Copy Cat",
            Organisation(name="X"),
            "abc 1234",
            clock.now(),
            hasher=bound().hasher,
        )


def _fields(html: str) -> dict[str, object]:
    """What the give-access form shows filled in: text values, ticked boxes, the chosen radio."""
    text = {
        name: value
        for name, value in re.findall(
            r'<input class="govuk-input[^"]*" id="(\w+)" name="\w+" '
            r'type="text" value="([^"]*)"',
            html,
        )
    }
    text["purpose"] = re.search(r'<textarea[^>]*name="purpose"[^>]*>([^<]*)</textarea>', html)[1]
    text["scopes"] = re.findall(r'name="scopes" type="checkbox" value="([^"]+)"[^>]*checked', html)
    text["months"] = re.findall(r'name="months" type="radio" value="(\d)" checked', html)
    return text


def test_change_on_the_check_page_goes_back_to_that_question_with_every_answer_kept(signed_in):
    client, _, adviser = signed_in
    page = client.get("/access/new")
    answers = _form(page.text, adviser_code=adviser.code, scopes=["mr:read", "journal:read"])
    check = client.post("/access/new", data=answers)
    change = re.search(
        r'<button type="submit" form="change-answers" name="edit" value="purpose" '
        r'formaction="([^"]+)"',
        check.text,
    )
    assert change is not None and change[1] == "/access/new#purpose"
    hidden = re.search(r'<form id="change-answers".*?</form>', check.text, re.S)[0]
    assert 'name="confirmed"' not in hidden  # Change can never give access

    back = client.post(
        "/access/new", data={**{k: v for k, v in answers.items()}, "edit": "purpose"}
    )

    assert back.status_code == 200
    assert "Give someone access" in back.text and "There is a problem" not in back.text
    assert _fields(back.text) == {
        "adviser_code": adviser.code,
        "relationship": "Welfare rights adviser",
        "purpose": "Help with my appeal",
        "scopes": ["mr:read", "journal:read"],
        "months": ["3"],
        "date_from": "",
        "date_to": "",
    }
    assert db.session.scalar(db.select(db.func.count()).select_from(Grant)) == 0


def test_each_answer_on_the_check_page_has_its_own_change_button(signed_in):
    client, _, adviser = signed_in
    page = client.get("/access/new")

    check = client.post("/access/new", data=_form(page.text, adviser_code=adviser.code))

    edits = re.findall(r'name="edit" value="(\w+)"', check.text)
    assert edits == ["adviser_code", "scopes", "months", "window", "purpose", "relationship"]
    assert check.text.count('>Change<span class="govuk-visually-hidden">') == 6


def test_change_without_the_csrf_token_is_refused(signed_in):
    client, _, adviser = signed_in
    page = client.get("/access/new")
    answers = _form(page.text, adviser_code=adviser.code, edit="purpose")
    del answers["csrf_token"]

    assert client.post("/access/new", data=answers).status_code == 400
