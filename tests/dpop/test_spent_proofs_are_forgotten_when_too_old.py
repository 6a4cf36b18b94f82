"""Each proof's jti is remembered only while the proof could still be accepted: retention
deletes the records of older ones, and keeps the rest."""

from __future__ import annotations

from datetime import timedelta

from broker import clock, retention
from broker.extensions import db
from broker.models import DpopProof

from .flows import dpop_tokens
from .proofs import ClientKey


def _remembered() -> int:
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count()).select_from(DpopProof))


def test_retention_forgets_proofs_too_old_to_be_accepted_and_keeps_fresh_ones(app, case):
    dpop_tokens(app, case, ClientKey())  # a nonce-less proof, then the one that was used
    spent = _remembered()

    soon = retention.run(now=clock.now() + timedelta(seconds=10), config=app.config)
    kept = _remembered()
    later = retention.run(now=clock.now() + timedelta(minutes=2), config=app.config)

    assert spent == 1  # the refused first try (no nonce) is not remembered: it never counted
    assert (soon.deleted["dpop_proofs"], kept) == (0, 1)
    assert (later.deleted["dpop_proofs"], _remembered()) == (1, 0)
