"""Reading the broker's counters in this test process (no PROMETHEUS_MULTIPROC_DIR here, so they
live in broker.metrics.REGISTRY), and the operator's token for /metrics."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from broker import clock, metrics
from broker.extensions import db
from broker.messages import notify

TOKEN = "mT9-vQ2xLr7bZ_k4WjN8pYe3sHd6GuCfA0"  # random-looking, as production asks (security.md 73)


def sample(name: str, **labels: str) -> float:
    """One sample's value now (0 when it was never counted)."""
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def moved(name: str, **labels: str) -> Callable[[], float]:
    """How much a sample moved since this call: `after = moved(...)`, act, `after()`."""
    before = sample(name, **labels)
    return lambda: sample(name, **labels) - before


@pytest.fixture
def scrape(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[[], str]:
    """GET /metrics with the operator's token configured and sent: the text it answers."""
    monkeypatch.setitem(app.config, "BROKER_METRICS_TOKEN", TOKEN)

    def get() -> str:
        response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.text
        return response.text

    return get


def queue_email(account_id: str, dedupe_key: str) -> None:
    """One message to the claimant that leaves the service by email (the sweep sends it)."""
    notify.queue(
        account_id=account_id,
        kind="access_alert",
        body="Someone was given access in your name.",
        dedupe_key=dedupe_key,
        now=clock.now(),
        outside=True,
    )
    db.session.commit()
