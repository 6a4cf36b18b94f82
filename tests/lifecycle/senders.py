"""A sender the CLI can load by name (tests.lifecycle.senders:Collecting)."""

from __future__ import annotations

from broker.messages import notify

COLLECTED: list[notify.Message] = []


class Collecting:
    def send(self, message: notify.Message) -> None:
        COLLECTED.append(message)
