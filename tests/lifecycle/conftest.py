from __future__ import annotations

from types import SimpleNamespace

import pytest

from broker.messages import notify
from tests.factories import make_adviser, make_claimant, make_staff


class RecordingSender:
    """A sender that keeps what it was given (the real interface, no network)."""

    def __init__(self) -> None:
        self.sent: list[notify.Message] = []

    def send(self, message: notify.Message) -> None:
        self.sent.append(message)


class BrokenSender:
    """A sender whose delivery service is down: every send raises."""

    def __init__(self) -> None:
        self.tries = 0

    def send(self, message: notify.Message) -> None:
        self.tries += 1
        raise ConnectionError("notifications service unavailable")


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    return SimpleNamespace(
        claimant=make_claimant("Alex Morgan"),
        adviser=make_adviser("Priya Shah", "Northside Citizens Advice"),
        staff=make_staff("Jordan Lee"),
    )


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()
