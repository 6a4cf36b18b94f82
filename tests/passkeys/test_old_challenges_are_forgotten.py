"""A sign-in challenge lasts 5 minutes: retention deletes the ones past that, and keeps the rest."""

from __future__ import annotations

from datetime import timedelta

from broker import clock, retention
from broker.extensions import db
from broker.models import PasskeyChallenge

from .conftest import passkey_options


def _kept() -> int:
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count()).select_from(PasskeyChallenge))


def test_retention_forgets_challenges_past_their_5_minutes(app, ctx):
    passkey_options(app.test_client())
    asked = _kept()

    soon = retention.run(now=clock.now() + timedelta(minutes=4), config=app.config)
    kept = _kept()
    later = retention.run(now=clock.now() + timedelta(minutes=6), config=app.config)

    assert asked == 1
    assert (soon.deleted["passkey_challenges"], kept) == (0, 1)
    assert (later.deleted["passkey_challenges"], _kept()) == (1, 0)
