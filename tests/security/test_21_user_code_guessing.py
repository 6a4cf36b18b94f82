"""security.md 21: user-code guessing. 8 characters from 20 consonants; at most 5 wrong tries per
window (per account and per address), then 429; a code lasts at most 10 minutes; single use."""

from __future__ import annotations

import re

from broker.consent import clients, device
from broker.extensions import db
from broker.models import DeviceAuthorization, Grant
from tests.conftest import sign_in
from tests.factories import make_claimant
from tests.oauth.helpers import answer_device, make_client, poll_device, start_device

CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{8}$")


def open_request(app) -> dict:  # noqa: ANN001
    device_client, _ = make_client(
        name="Desk", redirect_uris=(), auth_method="none", grant_types=(clients.DEVICE_GRANT,)
    )
    started = start_device(app.test_client(), device_client.id).json
    return {**started, "client_id": device_client.id}


def test_ten_thousand_user_codes_use_only_the_consonant_alphabet():
    codes = [device.new_user_code() for _ in range(10_000)]

    assert all(CODE.match(code) for code in codes)
    assert len(set(codes)) > 9_990  # 20^8 possibilities: repeats are vanishingly rare
    assert all(re.match(r"^[A-Z]{4}-[A-Z]{4}$", device.display(c)) for c in codes[:100])


def test_the_sixth_wrong_try_is_429_even_with_the_right_code(app, case):
    started = open_request(app)
    phone = app.test_client()
    sign_in(phone, case.username)

    wrong = [phone.get(f"/device?user_code=BBBB-BBB{c}") for c in "CDFGH"]
    sixth = phone.get(f"/device?user_code={started['user_code']}")
    other_account = app.test_client()  # a second account from the same address
    sign_in(other_account, make_claimant().account.username)
    same_address = other_account.get(f"/device?user_code={started['user_code']}")

    assert [r.status_code for r in wrong] == [400] * 5
    assert "We cannot find that code" in wrong[0].text
    assert sixth.status_code == same_address.status_code == 429
    assert "Retry-After" in sixth.headers
    assert db.session.scalars(db.select(DeviceAuthorization)).one().status == "pending"


def test_a_code_runs_out_after_ten_minutes(app, case, frozen_clock):
    started = open_request(app)
    assert started["expires_in"] <= 600

    frozen_clock.advance(seconds=started["expires_in"] + 1)
    phone = app.test_client()
    sign_in(phone, case.username)
    page = phone.get(f"/device?user_code={started['user_code']}")
    polled = poll_device(app.test_client(), started["client_id"], None, started["device_code"])

    assert page.status_code == 400 and "This code has run out" in page.text
    assert polled.json["error"] == "expired_token"
    assert db.session.scalars(db.select(Grant)).all() == []


def test_a_code_works_once(app, case):
    started = open_request(app)
    first = answer_device(app.test_client(), case.username, started["user_code"])

    phone = app.test_client()
    sign_in(phone, case.username)
    again = phone.get(f"/device?user_code={started['user_code']}")

    assert first.status_code == 303
    assert again.status_code == 400 and "already been used" in again.text
    assert len(db.session.scalars(db.select(Grant)).all()) == 1


def test_an_empty_code_says_enter_the_code_and_is_not_a_wrong_try(app, case):
    started = open_request(app)
    phone = app.test_client()
    sign_in(phone, case.username)

    empties = [phone.get(f"/device?user_code={typed}") for typed in ("", " ", "-", "", " - ", "")]
    wrong = [phone.get(f"/device?user_code=BBBB-BBB{c}") for c in "CDFG"]
    right = phone.get(f"/device?user_code={started['user_code']}")

    assert [r.status_code for r in empties] == [400] * 6
    assert "Enter the code" in empties[0].text
    assert "We cannot find that code" not in empties[0].text
    assert [r.status_code for r in wrong] == [400] * 4
    assert right.status_code == 200  # six empty entries and four wrong ones: still allowed
