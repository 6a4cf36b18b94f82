"""Property tests for the rules of a grant's life: no grant outlasts six months or its narrowest
scope's maximum; every change of status is a legal one; and a revoked or expired grant never
authorises anything, whatever the clock says, down to the protected API refusing its tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scopes
from broker import services
from broker.consent import disclosure, grants
from broker.extensions import db
from broker.models import Grant
from tests.factories import bearer, make_adviser, make_claimant, make_decision, make_staff, signer

SCOPES = list(scopes.catalogue())
ACTIVE, SUSPENDED, PENDING = grants.ACTIVE, grants.SUSPENDED, grants.PENDING
REVOKED, EXPIRED = grants.REVOKED, grants.EXPIRED
# The legal moves between stored statuses; anything else is a bug.
LEGAL = {
    (PENDING, ACTIVE),
    (PENDING, REVOKED),
    (PENDING, EXPIRED),
    (ACTIVE, SUSPENDED),
    (ACTIVE, REVOKED),
    (ACTIVE, EXPIRED),
    (SUSPENDED, ACTIVE),
    (SUSPENDED, REVOKED),
    (SUSPENDED, EXPIRED),
}

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
scope_sets = st.lists(st.sampled_from(SCOPES), min_size=1, max_size=len(SCOPES), unique=True)
statuses = st.sampled_from([PENDING, ACTIVE, SUSPENDED, REVOKED, EXPIRED])
FAST = settings(max_examples=400, deadline=None, database=None, derandomize=True)


@FAST
@given(names=scope_sets, start=moments, minutes=st.integers(min_value=-60, max_value=300_000))
def test_no_end_date_is_accepted_past_six_months_or_a_scopes_maximum(names, start, minutes):
    ends_at = start + timedelta(minutes=minutes)
    narrowest = min(scopes.lookup(n).max_months for n in names)
    limit = grants.add_months(start, narrowest)
    try:
        grants.check_end(names, starts_at=start, ends_at=ends_at)
    except grants.GrantRefused:
        assert ends_at <= start or ends_at > limit  # refused only when it breaks a rule
    else:
        assert start < ends_at <= limit <= grants.add_months(start, 6)


@FAST
@given(start=moments, months=st.integers(min_value=0, max_value=24))
def test_adding_months_moves_forward_to_the_same_day_or_the_months_last(start, months):
    later = grants.add_months(start, months)
    assert later >= start and later.time() == start.time()
    assert (later.year - start.year) * 12 + later.month - start.month == months
    assert later.day == start.day or later.day < start.day  # clamped to a shorter month
    assert grants.add_months(start, months + 1) > later


@FAST
@given(status=statuses, review=moments, end=moments, now=moments)
def test_an_ended_or_lapsed_grant_never_authorises(status, review, end, now):
    allowed = disclosure.authorises(status, review, end, now)
    if status in (REVOKED, EXPIRED, SUSPENDED, PENDING) or now >= end or now >= review:
        assert not allowed
    grant = Grant(status=status, review_at=review, ends_at=end)
    assert allowed == (grants.state_at(grant, now) == "current")


# A grant's life, step by step, in the real database and through the real protected API.

ACTIONS = [
    "wait",
    "revoke",
    "suspend",
    "suspend",
    "lift",
    "confirm_review",
    "end_at_review",
    "expire",
]
waits = st.one_of(
    st.integers(min_value=1, max_value=60 * 24 * 200),
    st.sampled_from([1, 60 * 24 * 31, 60 * 24 * 93, 60 * 24 * 190]),
)
steps = st.lists(st.tuples(st.sampled_from(ACTIONS), waits), max_size=8)


@pytest.fixture
def people(ctx):  # noqa: ANN201
    claimant = make_claimant()
    return claimant, make_adviser(), make_staff(), make_decision(claimant)


def test_every_change_of_status_is_legal_and_an_ended_grant_never_works_again(
    app, people, frozen_clock
):
    claimant, adviser, staff, decision = people
    service = services.of(app).tokens
    client = app.test_client()
    reached: set[str] = set()

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        names=scope_sets,
        months=st.integers(min_value=1, max_value=7),
        review_months=st.integers(min_value=1, max_value=7),
        life=steps,
    )
    def life_of_a_grant(names, months, review_months, life) -> None:  # noqa: ANN001
        now = frozen_clock.now
        names = sorted(set(names) | {"mr:read"})  # so the API has something to read
        review_at = grants.add_months(now, min(review_months, months))
        try:
            grant = grants.give(
                claimant,
                grants.Representative.of(adviser),
                scope_names=names,
                ends_at=grants.add_months(now, months),
                purpose="Appeal",
                relationship="Adviser",
                now=now,
                review_at=review_at,
                signer=signer(),
            )
        except grants.GrantRefused:
            db.session.rollback()
            narrowest = min(scopes.lookup(n).max_months for n in names)
            assert months > narrowest
            return
        db.session.commit()
        assert grant.ends_at <= grants.add_months(grant.starts_at, 6)
        assert grant.ends_at <= grants.latest_end(grant.scope_names, grant.starts_at)
        assert grant.review_at <= grant.ends_at
        ended_at: datetime | None = None
        # The life drawn, then past any end date with the sweep running: every grant ends.
        for action, minutes in [
            *life,
            ("wait", 60 * 24 * 200),
            ("expire", 0),
            ("wait", 60 * 24 * 400),
        ]:
            before = grant.status
            frozen_clock.advance(minutes=minutes if action == "wait" else 1)
            now = frozen_clock.now
            try:
                _act(action, grant, staff, now)
                db.session.commit()
            except grants.GrantRefused:
                db.session.rollback()
            db.session.refresh(grant)
            assert grant.status == before or (before, grant.status) in LEGAL, (action, before)
            if grant.status in grants.ENDED:
                ended_at = ended_at or now
            assert ended_at is None or grant.status in grants.ENDED  # never comes back
            reached.add(grant.status)
            _assert_the_api_agrees(service, client, grant, decision, now)
        assert grant.status in grants.ENDED

    life_of_a_grant()
    assert {ACTIVE, SUSPENDED, REVOKED, EXPIRED} <= reached  # every status was visited


def _act(action: str, grant: Grant, staff, now: datetime) -> None:  # noqa: ANN001
    if action == "revoke":
        grants.revoke(grant, by=f"claimant:{grant.claimant_id}", now=now, signer=signer())
    elif action == "suspend":
        grants.suspend(grant, staff=staff, reason="Checking a concern", now=now, signer=signer())
    elif action == "lift":
        grants.lift_suspension(grant, staff=staff, now=now, signer=signer())
    elif action == "confirm_review":
        grants.confirm_review(grant, by=f"claimant:{grant.claimant_id}", now=now, signer=signer())
    elif action == "end_at_review":
        grants.end_at_review(grant, by=f"claimant:{grant.claimant_id}", now=now, signer=signer())
    elif action == "expire":
        grants.expire(grant.id, now=now, signer=signer())


def _assert_the_api_agrees(service, client, grant: Grant, decision, now: datetime) -> None:  # noqa: ANN001
    """A token minted right now under the grant works exactly when the grant authorises."""
    token, _row, _ = service.issue(grant, client_id="property-test", scopes=("mr:read",), now=now)
    db.session.commit()
    response = client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))
    authorised = disclosure.authorises(grant.status, grant.review_at, grant.ends_at, now)
    if grant.status in grants.ENDED or now >= grant.ends_at:
        assert not authorised
    assert response.status_code == (200 if authorised else 401), (grant.status, response.text)
