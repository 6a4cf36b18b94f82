"""People for the caller check tests: a claimant, the DWP staff member and the adviser who call
them (the adviser with a live consent), each signed in on their own client."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in
from tests.factories import make_grant, make_people


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    found = make_people()
    found.grant = make_grant(found.claimant, found.adviser)
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
