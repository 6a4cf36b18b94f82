"""Attack 66: filling a claimant's phone with caller checks. One staff API key is many callers
(a telephony system names the person at each phone), so varying the name got round the limit
per caller and put 12 live codes on one phone. At most 3 checks are live on a claimant's phone
at once, whoever started them (caller_checks.LIVE_LIMIT): the 4th is 429 for the API, a staff
member and an adviser alike, until one ends; a caller replacing their own live check is not
refused for the others'."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker.casework import caller_checks
from tests.caller_checks import conftest as callers
from tests.caller_checks.helpers import adviser_starts, codes_on, staff_starts
from tests.factories import bearer, make_staff_key

# tests/caller_checks' fixtures: the claimant (signed in on their phone), staff and adviser.
people = pytest.fixture(callers.people.__wrapped__, name="people")
phone = pytest.fixture(callers.phone.__wrapped__, name="phone")
staff = pytest.fixture(callers.staff.__wrapped__, name="staff")
adviser = pytest.fixture(callers.adviser.__wrapped__, name="adviser")


@pytest.fixture
def key(ctx) -> str:  # noqa: ANN001
    return make_staff_key("Contact centre telephony")


def api_start(client, reference: str, key: str, name: str):  # noqa: ANN001, ANN201
    return client.post(
        f"/api/v1/staff/claimants/{reference}/caller-checks",
        headers=bearer(key),
        json={"caller_name": name},
    )


def test_one_key_varying_the_callers_name_puts_at_most_3_codes_on_a_phone(
    client, people, key, phone
):
    answers = [api_start(client, people.claimant.reference, key, f"Caller {n}") for n in range(12)]

    assert [a.status_code for a in answers] == [201] * 3 + [429] * 9
    assert int(answers[3].headers["Retry-After"]) > 0
    assert "already has 3 caller checks" in answers[3].json["error_description"]
    assert len(codes_on(phone.get("/who-is-calling").text)) == caller_checks.LIVE_LIMIT == 3


def test_the_limit_holds_whoever_asks_until_a_check_ends(
    client, people, key, phone, staff, adviser, frozen_clock
):
    for n in range(3):
        assert api_start(client, people.claimant.reference, key, f"Caller {n}").status_code == 201

    assert staff_starts(staff, people.claimant.reference).status_code == 429
    assert adviser_starts(adviser, people.grant.id).status_code == 429

    frozen_clock.advance(minutes=caller_checks.LIFETIME // timedelta(minutes=1), seconds=1)
    assert staff_starts(staff, people.claimant.reference).status_code in (302, 303)


def test_a_caller_may_replace_their_own_live_check(client, people, key, phone):
    for n in range(3):
        assert api_start(client, people.claimant.reference, key, f"Caller {n}").status_code == 201

    again = api_start(client, people.claimant.reference, key, "Caller 1")

    assert again.status_code == 201
    assert len(codes_on(phone.get("/who-is-calling").text)) == 3
