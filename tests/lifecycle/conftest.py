from __future__ import annotations

import pytest

from tests.factories import make_people
from tests.lifecycle.senders import RecordingSender


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    return make_people()


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()
