from __future__ import annotations

from types import SimpleNamespace

import pytest

from broker import clock
from broker.consent import clients
from broker.extensions import db
from tests.factories import make_decision, make_grant, make_people


@pytest.fixture
def people(ctx, frozen_clock) -> SimpleNamespace:  # noqa: ANN001
    """The usual three, a live grant between the claimant and the adviser, the console client
    and an MR decision: what the rows retention deletes hang on."""
    found = make_people()
    found.grant = make_grant(found.claimant, found.adviser)
    found.client = clients.ensure_console_client(clock.now())
    found.decision = make_decision(found.claimant)
    db.session.commit()
    return found
