from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.factories import make_adviser, make_claimant, make_staff
from tests.staff.helpers import signed_in_staff


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    """A claimant, an adviser, and a DWP staff member."""
    return SimpleNamespace(
        claimant=make_claimant("Alex Morgan"),
        adviser=make_adviser("Priya Shah", "Northside Citizens Advice"),
        staff=make_staff("Jordan Lee"),
    )


@pytest.fixture
def staff_client(app, people):  # noqa: ANN001, ANN201
    return signed_in_staff(app, people.staff)
