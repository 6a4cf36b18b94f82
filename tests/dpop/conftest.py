"""A claimant with an MR decision, and case systems (confidential and public) that use DPoP."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from broker import clock, demo
from broker.extensions import db
from tests.factories import make_claimant, make_decision
from tests.oauth.conftest import issuer_server  # noqa: F401 (the broker over real HTTP)
from tests.oauth.helpers import make_client


@pytest.fixture
def case(ctx):  # noqa: ANN001, ANN201
    return make_case()


def make_case() -> SimpleNamespace:
    claimant = make_claimant("Alex Morgan")
    decision = make_decision(claimant, subject="Limited capability for work")
    client, secret = make_client()
    public, _none = make_client(name="Northside phone app", auth_method="none")
    return SimpleNamespace(
        claimant_id=claimant.id,
        username=claimant.account.username,
        decision_id=decision.id,
        client_id=client.id,
        secret=secret,
        public_id=public.id,
    )


@pytest.fixture
def demo_dpop_client(ctx):  # noqa: ANN001, ANN201
    demo.seed_dpop_client(clock.now())
    db.session.commit()
    return demo.DEMO_DPOP_CLIENT_ID
