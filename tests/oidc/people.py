"""Claimants whose email the provider's accounts name (tests/oidc/fixtures.py ACCOUNTS)."""

from __future__ import annotations

from broker import clock
from broker.extensions import db
from broker.models import Claimant
from broker.people import accounts
from tests.factories import PASSWORD, bound


def claimant_with_email(email: str, reference: str, name: str = "Alex Morgan") -> Claimant:
    claimant = accounts.create_claimant(
        email, PASSWORD, name, reference, clock.now(), hasher=bound().hasher
    )
    db.session.commit()
    return claimant
