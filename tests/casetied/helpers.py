"""Consent tied to the claimant's reconsideration, and the decision that ends it, as the casetied
tests make them."""

from __future__ import annotations

from datetime import UTC, datetime

from broker.consent import grants
from broker.models import Adviser, Claimant, Grant
from tests.factories import make_grant

STARTED = datetime(2028, 1, 10, 9, 30, tzinfo=UTC)


def case_tied(
    claimant: Claimant,
    adviser: Adviser,
    *,
    months: int = 6,
    now: datetime = STARTED,
    scope_names: str = "mr:read journal:read",
) -> Grant:
    """Consent until the reconsideration is decided, and no later than `months` from `now`."""
    return make_grant(
        claimant,
        adviser,
        scope_names,
        months,
        now,
        purpose="Help with my reconsideration",
        until_event=grants.MR_DECIDED,
    )


def decided(runner, claimant: Claimant, on: str) -> None:  # noqa: ANN001
    """A decision dated `on` arrives through the README's command."""
    result = runner.invoke(
        args=["journal", "add-mr-decision", claimant.reference, "--outcome", "not_changed",
              "--decided-on", on]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
