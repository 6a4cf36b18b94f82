"""People for the caller check tests: a claimant, the DWP staff member and the adviser who call
them (the adviser with a live consent), each signed in on their own client."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from broker.extensions import db
from tests.conftest import sign_in
from tests.factories import make_adviser, make_claimant, make_grant, make_staff


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    found = SimpleNamespace(
        claimant=claimant,
        staff=make_staff("Jordan Lee"),
        adviser=adviser,
        grant=make_grant(claimant, adviser),
    )
    db.session.commit()
    return found


def signed_in(app, username: str):  # noqa: ANN001, ANN201
    client = app.test_client()
    sign_in(client, username)
    return client


@pytest.fixture
def phone(app, people):  # noqa: ANN001, ANN201
    """The claimant's phone, signed in."""
    return signed_in(app, people.claimant.account.username)


@pytest.fixture
def staff(app, people):  # noqa: ANN001, ANN201
    return signed_in(app, people.staff.account.username)


@pytest.fixture
def adviser(app, people):  # noqa: ANN001, ANN201
    return signed_in(app, people.adviser.account.username)
