"""Shared set-up for the attacks: a claimant with an MR decision, and a confidential case system
registered with one exact redirect URI."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from broker.extensions import db
from broker.models import AuditEvent
from tests.factories import make_claimant, make_decision
from tests.oauth.helpers import code_flow, make_client


@pytest.fixture
def case(ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    decision = make_decision(claimant, subject="Limited capability for work")
    client, secret = make_client()
    return SimpleNamespace(
        claimant=claimant,
        claimant_id=claimant.id,
        username=claimant.account.username,
        decision=decision,
        decision_id=decision.id,
        client=client,
        client_id=client.id,
        secret=secret,
    )


@pytest.fixture
def tokens(app, case):  # noqa: ANN001, ANN201
    """The token response of a complete code + PKCE flow for the case system."""
    return code_flow(app, case.username, case.client_id, case.secret)


def audit_trail(claimant_id: str) -> list[tuple[str, str, str]]:
    """(action, outcome, token_id) of every audit event on the claimant's chain, in order."""
    db.session.rollback()
    return [
        tuple(row)
        for row in db.session.execute(
            db.select(AuditEvent.action, AuditEvent.outcome, AuditEvent.token_id)
            .where(AuditEvent.claimant_id == claimant_id)
            .order_by(AuditEvent.seq)
        )
    ]


# Issue 25: the sign-in attacks (rows 56 to 59) run against a real OpenID Connect provider.
from tests.oidc.fixtures import (  # noqa: E402, F401
    broker_port,
    client_key_file,
    oidc_app,
    oidc_provider,
    staff_key_file,
)
