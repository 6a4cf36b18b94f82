"""Properties of the date window (issue 16): over random windows and random moments, no row
dated outside the window ever leaves the API, by list or by ID, and every row inside it does;
and a window the claimant may choose on a consent screen never reaches past what was asked."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from broker.casework.appeals import uk_day
from broker.consent import windows
from broker.consent.windows import Window
from broker.extensions import db
from broker.models import JournalEntry, MRDecision, Payment, Todo
from tests.factories import bearer, issue_token, make_adviser, make_claimant
from tests.window.dated import decision, entry, payment, todo, windowed

# Around both 2026 clock changes (29 March, 25 October), where a UK day and a UTC day differ.
moments = st.datetimes(
    min_value=datetime(2026, 3, 20), max_value=datetime(2026, 11, 5), timezones=st.just(UTC)
)
days = st.one_of(st.none(), st.dates(min_value=date(2026, 3, 20), max_value=date(2026, 11, 5)))
FAST = settings(max_examples=300, deadline=None, database=None, derandomize=True)


def expected(window: Window, moment: datetime) -> bool:
    """The oracle: the UK calendar day the moment falls on, compared with the window's days."""
    day = uk_day(moment)
    return (window.date_from is None or day >= window.date_from) and (
        window.date_to is None or day <= window.date_to
    )


@FAST
@given(start=days, end=days, moment=moments)
def test_a_window_holds_a_moment_exactly_when_its_uk_day_is_inside(start, end, moment):
    assume(not (start and end and end < start))
    window = Window(start, end)

    assert window.holds(moment) == expected(window, moment)


@FAST
@given(asked_from=days, asked_to=days, chosen_from=days, chosen_to=days, moment=moments)
def test_a_chosen_window_never_lets_through_what_the_asked_one_would_not(
    asked_from, asked_to, chosen_from, chosen_to, moment
):
    asked, chosen = Window(asked_from, asked_to), Window(chosen_from, chosen_to)
    try:
        kept = windows.no_earlier(asked, chosen)
    except windows.WindowRefused:
        return
    if kept.holds(moment):
        assert asked.holds(moment)


@pytest.fixture
def alex(ctx):  # noqa: ANN201
    claimant = make_claimant("Alex Morgan")
    grant = windowed(claimant, make_adviser(), Window())
    token, _ = issue_token(grant)
    return claimant, grant, token


def test_no_row_outside_the_window_is_ever_returned_and_none_inside_is_lost(app, alex):
    claimant, grant, token = alex
    client = app.test_client()

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(start=days, end=days, dated=st.lists(moments, min_size=1, max_size=5))
    def reads(start, end, dated) -> None:  # noqa: ANN001
        assume(not (start and end and end < start))
        for table in (JournalEntry, MRDecision, Todo, Payment):
            db.session.execute(db.delete(table))
        grant.date_from, grant.date_to = start, end
        db.session.commit()
        window = Window(start, end)
        rows = [
            (
                entry(claimant, moment, f"e{n}"),
                decision(claimant, moment, f"d{n}"),
                todo(claimant, moment, f"t{n}"),
                payment(claimant, moment, n + 1),
                expected(window, moment),
            )
            for n, moment in enumerate(dated)
        ]
        inside = [n for n, row in enumerate(rows) if row[4]]

        listed = {
            "journal": client.get("/api/v1/journal", headers=bearer(token)).json["entries"],
            "mr": client.get("/api/v1/mr-decisions", headers=bearer(token)).json["decisions"],
            "todo": client.get("/api/v1/todos", headers=bearer(token)).json["todos"],
            "pay": client.get("/api/v1/payments", headers=bearer(token)).json["payments"],
        }

        assert sorted(e["subject"] for e in listed["journal"]) == sorted(f"e{n}" for n in inside)
        assert sorted(d["subject"] for d in listed["mr"]) == sorted(f"d{n}" for n in inside)
        assert sorted(t["title"] for t in listed["todo"]) == sorted(f"t{n}" for n in inside)
        assert sorted(p["amount_pence"] for p in listed["pay"]) == sorted(n + 1 for n in inside)
        for journal_entry, mr_decision, _t, _p, held in rows:
            by_id = (
                client.get(f"/api/v1/journal/{journal_entry.id}", headers=bearer(token)),
                client.get(f"/api/v1/mr-decisions/{mr_decision.id}", headers=bearer(token)),
            )
            assert [r.status_code for r in by_id] == ([200, 200] if held else [404, 404])

    reads()
