"""Senders with the real interface and no network: one that keeps what it is given, one whose
delivery service is down, and one the CLI can load by name (tests.lifecycle.senders:Collecting)."""

from __future__ import annotations

from broker.messages import notify

COLLECTED: list[notify.Message] = []


class Collecting:
    def send(self, message: notify.Message) -> None:
        COLLECTED.append(message)


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
