from __future__ import annotations

import pytest

from tests.factories import make_people, make_staff_key
from tests.staff.helpers import signed_in_staff


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    """A claimant, an adviser, and a DWP staff member."""
    return make_people()


@pytest.fixture
def key(ctx) -> str:  # noqa: ANN001
    """A case management system's staff API key."""
    return make_staff_key()


@pytest.fixture
def staff_client(app, people):  # noqa: ANN001, ANN201
    return signed_in_staff(app, people.staff)
