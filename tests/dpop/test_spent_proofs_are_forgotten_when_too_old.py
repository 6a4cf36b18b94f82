"""Each proof's jti is remembered only while the proof could still be accepted: the sweep
deletes the records of older ones, and keeps the rest."""

from __future__ import annotations

from datetime import timedelta

from broker import clock, sweep
from broker.extensions import db
from broker.models import DpopProof
from tests.factories import bound
from tests.lifecycle.senders import RecordingSender

from .flows import dpop_tokens
from .proofs import ClientKey


def _remembered() -> int:
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count()).select_from(DpopProof))


def test_the_sweep_forgets_proofs_too_old_to_be_accepted_and_keeps_fresh_ones(app, case):
    dpop_tokens(app, case, ClientKey())  # a nonce-less proof, then the one that was used
    spent = _remembered()

    soon = sweep.run(
        now=clock.now() + timedelta(seconds=10), sender=RecordingSender(), services=bound()
    )
    kept = _remembered()
    later = sweep.run(
        now=clock.now() + timedelta(minutes=2), sender=RecordingSender(), services=bound()
    )

    assert spent == 1  # the refused first try (no nonce) is not remembered: it never counted
    assert (soon.dpop_proofs_forgotten, kept) == (0, 1)
    assert (later.dpop_proofs_forgotten, _remembered()) == (1, 0)
