"""A sign-in challenge lasts 5 minutes: the sweep deletes the ones past that, and keeps the rest."""

from __future__ import annotations

from datetime import timedelta

from broker import clock, sweep
from broker.extensions import db
from broker.models import PasskeyChallenge
from tests.factories import bound
from tests.lifecycle.senders import RecordingSender

from .conftest import passkey_options


def _kept() -> int:
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count()).select_from(PasskeyChallenge))


def test_the_sweep_forgets_challenges_past_their_5_minutes(app, ctx):
    passkey_options(app.test_client())
    asked = _kept()

    soon = sweep.run(
        now=clock.now() + timedelta(minutes=4), sender=RecordingSender(), services=bound()
    )
    kept = _kept()
    later = sweep.run(
        now=clock.now() + timedelta(minutes=6), sender=RecordingSender(), services=bound()
    )

    assert asked == 1
    assert (soon.passkey_challenges_forgotten, kept) == (0, 1)
    assert (later.passkey_challenges_forgotten, _kept()) == (1, 0)
