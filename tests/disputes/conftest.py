from __future__ import annotations

import pytest

from tests.conftest import sign_in
from tests.factories import make_people
from tests.staff.helpers import signed_in_staff


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    """A claimant, an adviser, and a DWP staff member."""
    return make_people()


@pytest.fixture
def staff_client(app, people):  # noqa: ANN001, ANN201
    return signed_in_staff(app, people.staff)


@pytest.fixture
def phone(app, people):  # noqa: ANN001, ANN201
    """The claimant, signed in."""
    client = app.test_client()
    sign_in(client, people.claimant.account.username)
    return client
