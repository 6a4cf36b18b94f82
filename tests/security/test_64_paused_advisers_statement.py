"""Attack 64: a paused adviser's statement as a spyglass. An adviser whose access is suspended
(by staff, or by their agency) or waits for a review whose date passed unconfirmed can no longer
use it, so their statement stops where their access stopped, exactly as a revoked one does
(security.md 29): asked again later, it covers the same checkpoint and the same events, however
much the claimant does with others meanwhile. Once access works again, it covers the latest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker import clock
from broker.consent import grants
from broker.extensions import db
from tests.factories import bearer, issue_token, make_decision, make_staff, signer
from tests.proof import conftest as proof
from tests.proof.conftest import download_statement

account = pytest.fixture(proof.account.__wrapped__, name="account")  # tests/proof's fixture


def suspend(account) -> None:  # noqa: ANN001
    grants.suspend(
        account.priya_grant,
        signer=signer(),
        staff=make_staff(),
        reason="Checking a complaint",
        now=clock.now(),
    )


def review_due(account) -> None:  # noqa: ANN001
    # Its review date passed a moment ago and nobody confirmed it.
    account.priya_grant.review_at = clock.now() - timedelta(seconds=1)


@pytest.mark.parametrize("pause", [suspend, review_due], ids=["suspended", "review_due"])
def test_a_paused_advisers_statement_stops_where_their_access_stopped(
    pause, account, client, runner, frozen_clock
):
    pause(account)
    db.session.commit()
    frozen_clock.advance(seconds=61)
    assert "Signed checkpoint" in runner.invoke(args=["checkpoint"]).output
    first = download_statement(client, account.priya, account.priya_grant, seal=False)

    # The claimant goes on with Tom, and the checkpoints carry on every minute.
    tom_token, _ = issue_token(account.tom_grant)
    decision = make_decision(account.claimant, "Later decision")
    for _ in range(3):
        client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(tom_token))
        frozen_clock.advance(seconds=61)
        assert "Signed checkpoint" in runner.invoke(args=["checkpoint"]).output

    later = download_statement(client, account.priya, account.priya_grant, seal=False)

    assert later["statement"]["access_ended"] is not None
    assert later["statement"]["checkpoint"] == first["statement"]["checkpoint"]
    assert later["statement"]["leaf"] == first["statement"]["leaf"]
    assert len(later["statement"]["events"]) == len(first["statement"]["events"])


def test_once_access_works_again_the_statement_covers_the_latest(
    account, client, runner, frozen_clock
):
    suspend(account)
    db.session.commit()
    frozen_clock.advance(seconds=61)
    runner.invoke(args=["checkpoint"])
    paused = download_statement(client, account.priya, account.priya_grant, seal=False)
    grants.lift_suspension(
        account.priya_grant, signer=signer(), staff=make_staff(), now=clock.now()
    )
    db.session.commit()
    frozen_clock.advance(seconds=61)
    assert "Signed checkpoint" in runner.invoke(args=["checkpoint"]).output

    live = download_statement(client, account.priya, account.priya_grant, seal=False)

    assert live["statement"]["access_ended"] is None
    assert live["statement"]["leaf"]["seq"] > paused["statement"]["leaf"]["seq"]
