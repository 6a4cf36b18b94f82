"""security.md 22: device-code guessing and fast polling. Device codes carry at least 128 bits
and are stored hashed; polling faster than the interval is slow_down (and the interval grows);
a device code gives tokens once."""

from __future__ import annotations

import hashlib

from broker.consent import clients
from broker.extensions import db
from broker.models import AccessToken, DeviceAuthorization
from tests.oauth.helpers import answer_device, make_client, poll_device, start_device


def test_device_codes_are_long_random_and_stored_only_as_hashes(app, ctx):
    device_client, _ = make_client(
        name="Desk", redirect_uris=(), auth_method="none", grant_types=(clients.DEVICE_GRANT,)
    )
    codes = [
        start_device(app.test_client(), device_client.id).json["device_code"] for _ in range(3)
    ]

    assert len(set(codes)) == 3
    assert all(len(code) * 6 >= 128 for code in codes)  # base64url: 6 bits a character
    stored = {row.device_code_hash for row in db.session.scalars(db.select(DeviceAuthorization))}
    assert stored == {hashlib.sha256(code.encode()).hexdigest() for code in codes}
    guess = poll_device(app.test_client(), device_client.id, None, codes[0][:-1] + "x")
    assert guess.status_code == 400 and guess.json["error"] in ("invalid_request", "invalid_grant")


def test_polling_too_fast_is_slow_down_and_the_interval_grows(app, case, frozen_clock):
    device_client, _ = make_client(
        name="Desk", redirect_uris=(), auth_method="none", grant_types=(clients.DEVICE_GRANT,)
    )
    started = start_device(app.test_client(), device_client.id).json
    api = app.test_client()

    first = poll_device(api, device_client.id, None, started["device_code"])
    frozen_clock.advance(seconds=started["interval"] - 1)
    too_fast = poll_device(api, device_client.id, None, started["device_code"])
    frozen_clock.advance(seconds=started["interval"] + 1)  # the old interval is not enough now
    still_too_fast = poll_device(api, device_client.id, None, started["device_code"])
    frozen_clock.advance(seconds=started["interval"] + 10 + 1)
    patient = poll_device(api, device_client.id, None, started["device_code"])

    assert first.json["error"] == "authorization_pending"
    assert too_fast.json["error"] == still_too_fast.json["error"] == "slow_down"
    assert patient.json["error"] == "authorization_pending"
    assert db.session.scalars(db.select(DeviceAuthorization)).one().interval == 15
    assert db.session.scalars(db.select(AccessToken)).all() == []


def test_a_device_code_gives_tokens_only_once(app, case):
    device_client, _ = make_client(
        name="Desk", redirect_uris=(), auth_method="none", grant_types=(clients.DEVICE_GRANT,)
    )
    started = start_device(app.test_client(), device_client.id).json
    answer_device(app.test_client(), case.username, started["user_code"])
    api = app.test_client()

    first = poll_device(api, device_client.id, None, started["device_code"])
    second = poll_device(api, device_client.id, None, started["device_code"])

    assert first.status_code == 200
    assert second.status_code == 400 and second.json["error"] == "invalid_grant"
    assert len(db.session.scalars(db.select(AccessToken)).all()) == 1
