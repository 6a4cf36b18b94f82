"""The password hasher's cost comes from configuration: argon2-cffi's own defaults unless set."""

from __future__ import annotations

from argon2 import PasswordHasher

from broker.services import password_hasher


def test_the_hasher_keeps_argon2_defaults_unless_configured():
    defaults, unset = PasswordHasher(), password_hasher({})
    assert (unset.time_cost, unset.memory_cost) == (defaults.time_cost, defaults.memory_cost)


def test_the_hasher_takes_its_cost_from_configuration():
    cheap = password_hasher({"BROKER_ARGON2_TIME_COST": "1", "BROKER_ARGON2_MEMORY_KIB": "64"})
    assert (cheap.time_cost, cheap.memory_cost) == (1, 64)
    assert cheap.verify(cheap.hash("pw"), "pw")
