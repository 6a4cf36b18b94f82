"""Issue 27, the two-way check: the claimant's phone also shows a second code, which they read to
the caller; the caller types it on their page (staff, adviser) or through the staff API. A match
is in the claimant's chain and history as "the claimant confirmed it was them"; wrong codes are
counted and audited, and the 3rd spends the check. Only the caller who started a check can answer
it; the second code is never in a log or the chain (security.md 79)."""

from __future__ import annotations

import re

import pytest

from broker.extensions import db
from tests.caller_checks.conftest import signed_in
from tests.caller_checks.helpers import adviser_starts, caller_events, checks_of, staff_starts
from tests.conftest import csrf_from
from tests.factories import (
    bearer,
    chain_events,
    make_adviser,
    make_claimant,
    make_grant,
    make_staff,
    make_staff_key,
)
from tests.staff.helpers import assert_page, text_of

ANSWER_RE = re.compile(r"data-answer-code>\s*(\d{4})\s*<")


def staff_page(reference: str) -> str:
    return f"/staff/claimants/{reference}/caller-checks"


def staff_types(staff, reference: str, check_id: str, typed: str):  # noqa: ANN001, ANN201
    page = staff.get(staff_page(reference))
    return staff.post(
        f"{staff_page(reference)}/{check_id}/answer",
        data={"csrf_token": csrf_from(page.text), "answer_code": typed},
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10_000:04d}"


def test_the_phone_shows_a_second_code_for_the_claimant_to_read(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)

    page = phone.get("/who-is-calling").text

    assert ANSWER_RE.findall(page) == [check.answer_code]
    assert "If they ask, read this code to them." in text_of(page)
    assert check.answer_code not in staff.get(staff_page(people.claimant.reference)).text


def test_a_matching_code_is_the_claimant_confirming_it_was_them(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)

    answer = staff_types(staff, people.claimant.reference, check.id, f" {check.answer_code} ")

    assert answer.status_code == 303
    shown = text_of(assert_page(staff.get(answer.headers["Location"])))
    assert "The claimant confirmed it was them" in shown
    assert caller_events(people.claimant.id)[-1] == (
        "caller_check.confirmed",
        f"staff:{people.staff.id}",
        f"caller_check:{check.id}",
    )
    assert "You read your code to them: you confirmed it was them." in text_of(
        phone.get("/history").text
    )
    assert ANSWER_RE.findall(phone.get("/who-is-calling").text) == []  # nothing left to read


def test_wrong_codes_are_counted_and_audited_and_the_third_spends_the_check(people, staff):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    bad = wrong(check.answer_code)

    first = staff_types(staff, people.claimant.reference, check.id, bad)
    second = staff_types(staff, people.claimant.reference, check.id, "12x")
    third = staff_types(staff, people.claimant.reference, check.id, bad)
    late = staff_types(staff, people.claimant.reference, check.id, check.answer_code)

    assert [r.status_code for r in (first, second, third, late)] == [422, 422, 422, 409]
    assert "You can try 2 more times" in text_of(first.text)
    assert "You can try 1 more time" in text_of(second.text)
    assert "The check has ended: start a new one" in text_of(third.text)
    assert "This caller check has ended" in text_of(late.text)
    [check] = checks_of(people.claimant.id)
    assert (check.wrong_answers, check.end_reason, check.confirmed_at) == (3, "spent", None)
    assert [a for a, _, _ in caller_events(people.claimant.id)] == [
        "caller_check.started",
        "caller_check.wrong_answer",
        "caller_check.wrong_answer",
        "caller_check.wrong_answer",
        "caller_check.spent",
    ]


def test_an_empty_box_is_asked_again_and_not_counted(people, staff):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)

    answer = staff_types(staff, people.claimant.reference, check.id, "  ")

    assert answer.status_code == 400
    assert "Enter the code the claimant read to you" in text_of(answer.text)
    assert checks_of(people.claimant.id)[0].wrong_answers == 0


def test_an_expired_check_cannot_be_answered(people, staff, frozen_clock):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    frozen_clock.advance(minutes=5)

    answer = staff_types(staff, people.claimant.reference, check.id, check.answer_code)

    assert answer.status_code == 409
    assert checks_of(people.claimant.id)[0].confirmed_at is None


def test_another_callers_or_another_claimants_check_is_not_found(app, people, staff, adviser):
    adviser_starts(adviser, people.grant.id)
    [advisers] = checks_of(people.claimant.id)
    other = make_claimant("Ola")
    colleague = make_staff("Kim")
    db.session.commit()
    staff_starts(staff, other.reference)
    [others] = checks_of(other.id)
    kim = signed_in(app, colleague.account.username)

    # Staff cannot answer an adviser's check, nor one of theirs under another claimant's
    # reference, nor a colleague theirs.
    assert (
        staff_types(staff, people.claimant.reference, advisers.id, advisers.answer_code).status_code
        == 404
    )
    assert (
        staff_types(staff, people.claimant.reference, others.id, others.answer_code).status_code
        == 404
    )
    assert staff_types(kim, other.reference, others.id, others.answer_code).status_code == 404
    assert checks_of(other.id)[0].wrong_answers == 0
    assert not chain_events(other.id, "caller_check.confirmed")


def test_the_adviser_types_the_clients_code_on_their_page(app, people, adviser, phone):
    adviser_starts(adviser, people.grant.id)
    [check] = checks_of(people.claimant.id)
    base = f"/adviser/clients/{people.grant.id}/caller-checks"
    page = adviser.get(base)
    assert 'id="answer-code"' in page.text

    answer = adviser.post(
        f"{base}/{check.id}/answer",
        data={"csrf_token": csrf_from(page.text), "answer_code": check.answer_code},
    )

    assert answer.status_code == 303
    assert "The claimant confirmed it was them" in text_of(assert_page(adviser.get(base)))
    assert caller_events(people.claimant.id)[-1][:2] == (
        "caller_check.confirmed",
        f"adviser:{people.adviser.id}",
    )


def test_an_adviser_cannot_answer_another_advisers_check(app, people, adviser):
    adviser_starts(adviser, people.grant.id)
    [check] = checks_of(people.claimant.id)
    other = make_adviser("Robin Other", "Eastside Advice")
    their_grant = make_grant(people.claimant, other)  # the same client, their own access
    db.session.commit()
    robin = signed_in(app, other.account.username)
    base = f"/adviser/clients/{their_grant.id}/caller-checks"
    page = robin.get(base)

    through_theirs = robin.post(
        f"{base}/{check.id}/answer",
        data={"csrf_token": csrf_from(page.text), "answer_code": check.answer_code},
    )
    through_mine = robin.post(
        f"/adviser/clients/{people.grant.id}/caller-checks/{check.id}/answer",
        data={"csrf_token": csrf_from(page.text), "answer_code": check.answer_code},
    )

    assert (through_theirs.status_code, through_mine.status_code) == (404, 404)
    assert checks_of(people.claimant.id)[0].confirmed_at is None


@pytest.fixture
def key(ctx) -> str:  # noqa: ANN001
    return make_staff_key("Contact centre telephony")


def api_start(client, reference: str, key: str):  # noqa: ANN001, ANN201
    return client.post(
        f"/api/v1/staff/claimants/{reference}/caller-checks",
        headers=bearer(key),
        json={"caller_name": "Sam Patel"},
    )


def api_answer(client, reference: str, check_id: str, key: str, body):  # noqa: ANN001, ANN201
    return client.post(
        f"/api/v1/staff/claimants/{reference}/caller-checks/{check_id}/answer",
        headers=bearer(key),
        json=body,
    )


def test_the_api_answers_a_check_its_key_started(client, people, key, phone):
    started = api_start(client, people.claimant.reference, key).json
    [check] = checks_of(people.claimant.id)
    assert started["id"] == check.id
    ref = people.claimant.reference

    bad = api_answer(client, ref, check.id, key, {"code": wrong(check.answer_code)})
    empty = api_answer(client, ref, check.id, key, {"code": ""})
    good = api_answer(client, ref, check.id, key, {"code": check.answer_code})

    assert (bad.status_code, bad.json["error"]) == (422, "wrong_code")
    assert "You can try 2 more times" in bad.json["error_description"]
    assert empty.status_code == 400
    assert (good.status_code, good.json) == (200, {"confirmed": True})
    assert [a for a, _, _ in caller_events(people.claimant.id)][-2:] == [
        "caller_check.wrong_answer",
        "caller_check.confirmed",
    ]
    assert "Sam Patel from Department for Work and Pensions tried to call" in text_of(
        phone.get("/history").text
    )


def test_the_api_refuses_another_keys_check_and_an_ended_one(client, people, key, frozen_clock):
    other_key = make_staff_key("Another system")
    api_start(client, people.claimant.reference, key)
    [check] = checks_of(people.claimant.id)
    ref = people.claimant.reference

    stranger = api_answer(client, ref, check.id, other_key, {"code": check.answer_code})
    unknown = api_answer(client, "UC-NOPE", check.id, key, {"code": check.answer_code})
    frozen_clock.advance(minutes=5)
    ended = api_answer(client, ref, check.id, key, {"code": check.answer_code})

    assert (stranger.status_code, unknown.status_code, ended.status_code) == (404, 404, 409)
    assert checks_of(people.claimant.id)[0].confirmed_at is None


def test_the_second_code_is_never_in_the_log_or_the_chain(client, people, key, caplog):
    caplog.set_level("DEBUG")
    api_start(client, people.claimant.reference, key)
    [check] = checks_of(people.claimant.id)
    ref = people.claimant.reference
    api_answer(client, ref, check.id, key, {"code": wrong(check.answer_code)})
    api_answer(client, ref, check.id, key, {"code": check.answer_code})

    for event in chain_events(people.claimant.id):
        fields = (event.actor, event.action, event.resource, event.outcome, event.token_id)
        assert not any(check.answer_code in f or wrong(check.answer_code) in f for f in fields)
    assert caplog.records
    assert all(check.answer_code not in record.getMessage() for record in caplog.records)


def test_a_check_the_claimant_reported_cannot_be_confirmed(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    page = phone.get("/who-is-calling")
    phone.post(f"/who-is-calling/{check.id}/not-genuine", data={"csrf_token": csrf_from(page.text)})

    answer = staff_types(staff, people.claimant.reference, check.id, check.answer_code)

    assert answer.status_code == 409
    assert checks_of(people.claimant.id)[0].confirmed_at is None
    assert ANSWER_RE.findall(phone.get("/who-is-calling").text) == []  # nothing to read back
