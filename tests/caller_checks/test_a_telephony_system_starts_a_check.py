"""POST /api/v1/staff/claimants/<ref>/caller-checks: a telephony system, with a staff API key,
starts a check for the person at the phone and gets the code back to show them. A bad key is
401, an unknown reference 404, the 4th start in 10 minutes for one caller 429 with an error body;
each start is audited naming the key."""

from __future__ import annotations

import re

import pytest

from broker.extensions import db
from broker.models import StaffApiKey
from tests.caller_checks.helpers import caller_events, checks_of, codes_on
from tests.factories import bearer, make_staff_key


@pytest.fixture
def key(ctx) -> str:  # noqa: ANN001
    return make_staff_key("Contact centre telephony")


def path(reference: str) -> str:
    return f"/api/v1/staff/claimants/{reference}/caller-checks"


def test_a_good_key_starts_a_check_and_gets_the_code(client, people, key, phone):
    answer = client.post(
        path(people.claimant.reference), headers=bearer(key), json={"caller_name": "Sam Patel"}
    )

    assert answer.status_code == 201
    body = answer.json
    assert re.fullmatch(r"\d{4}", body["code"])
    assert body["caller"] == {
        "name": "Sam Patel",
        "organisation": "Department for Work and Pensions",
    }
    [check] = checks_of(people.claimant.id)
    assert body["expires_at"].startswith(check.expires_at.strftime("%Y-%m-%dT%H:%M"))
    assert codes_on(phone.get("/who-is-calling").text) == [body["code"]]
    row = db.session.scalar(db.select(StaffApiKey))
    assert caller_events(people.claimant.id)[0] == (
        "caller_check.started",
        f"staff-system:{row.id}",
        f"caller_check:{check.id}",
    )


def test_a_bad_key_is_401_and_starts_nothing(client, people):
    answer = client.post(
        path(people.claimant.reference),
        headers=bearer("dwpstaff_not-a-real-key"),
        json={"caller_name": "Sam Patel"},
    )

    assert answer.status_code == 401
    assert answer.json["error"] == "invalid_token"
    assert checks_of(people.claimant.id) == []


def test_no_key_is_401(client, people):
    answer = client.post(path(people.claimant.reference), json={"caller_name": "Sam Patel"})

    assert answer.status_code == 401
    assert checks_of(people.claimant.id) == []


def test_an_unknown_reference_is_404(client, people, key):
    answer = client.post(path("UC-0000-XX"), headers=bearer(key), json={"caller_name": "Sam"})

    assert answer.status_code == 404
    assert answer.json["error"] == "not_found"


def test_the_fourth_start_for_one_caller_in_ten_minutes_is_429(client, people, key, frozen_clock):
    for _ in range(3):
        started = client.post(
            path(people.claimant.reference), headers=bearer(key), json={"caller_name": "Sam Patel"}
        )
        assert started.status_code == 201

    refused = client.post(
        path(people.claimant.reference), headers=bearer(key), json={"caller_name": "sam  patel"}
    )
    other_caller = client.post(
        path(people.claimant.reference), headers=bearer(key), json={"caller_name": "Ann Lee"}
    )

    assert refused.status_code == 429
    assert refused.json["error"] == "too_many_requests"
    assert "You have started 3 caller checks" in refused.json["error_description"]
    assert refused.headers["Retry-After"] == str(10 * 60)
    assert other_caller.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"caller_name": ""},
        {"caller_name": "   "},
        {"caller_name": 7},
        {"caller_name": "x" * 101},
        {"caller_name": "Sam\x07"},
        ["Sam"],
    ],
)
def test_a_bad_body_is_400_and_starts_nothing(client, people, key, body):
    answer = client.post(path(people.claimant.reference), headers=bearer(key), json=body)

    assert answer.status_code == 400
    assert answer.json["error"] == "invalid_request"
    assert checks_of(people.claimant.id) == []


def test_the_code_is_never_in_the_log(client, people, key, caplog):
    caplog.set_level("DEBUG")
    answer = client.post(
        path(people.claimant.reference), headers=bearer(key), json={"caller_name": "Sam Patel"}
    )

    code = answer.json["code"]
    assert all(code not in record.getMessage() for record in caplog.records)


def test_a_long_name_in_any_script_is_kept_as_sent(client, people, key):
    name = "ΐ" * 100  # casefolds to three times its length

    answer = client.post(
        path(people.claimant.reference), headers=bearer(key), json={"caller_name": name}
    )

    assert answer.status_code == 201
    assert answer.json["caller"]["name"] == name
