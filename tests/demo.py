"""`make run`'s demo, as the tests that check it use it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from broker.demo import DEMO_PASSWORD
from tests.conftest import sign_in


def seed_demo_twice(runner) -> None:  # noqa: ANN001
    """Seeding again must add nothing; the tests count what they find after the second."""
    for _ in range(2):
        assert runner.invoke(args=["seed-demo"]).exit_code == 0


def demo_client(app: Flask, username: str) -> FlaskClient:
    """A client signed in as one of the demo's people."""
    client = app.test_client()
    sign_in(client, username, DEMO_PASSWORD)
    return client
