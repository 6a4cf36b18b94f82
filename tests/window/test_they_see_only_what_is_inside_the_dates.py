"""A grant with a date window: every list the API serves keeps to it, an ID dated outside it
answers 404 exactly like another claimant's ID, and the refusal is on the claimant's chain."""

from __future__ import annotations

from datetime import date

from broker.consent.windows import Window
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_entry,
)
from tests.window.dated import ALL_SCOPES, at, decision, entry, payment, todo, windowed

CUT = date(2026, 3, 3)  # "only from 3 March 2026, when my payment was cut"
LAST = date(2026, 6, 30)


def test_journal_entries_before_the_start_are_not_listed_and_their_ids_answer_404(ctx, client):
    claimant = make_claimant()
    old = entry(claimant, at(date(2026, 3, 2)), "Before the cut")
    new = entry(claimant, at(CUT), "The day of the cut")
    token, jti = issue_token(windowed(claimant, make_adviser(), Window(CUT)))

    listed = client.get("/api/v1/journal", headers=bearer(token))
    hidden = client.get(f"/api/v1/journal/{old.id}", headers=bearer(token))
    shown = client.get(f"/api/v1/journal/{new.id}", headers=bearer(token))

    assert [e["subject"] for e in listed.json["entries"]] == ["The day of the cut"]
    assert hidden.status_code == 404
    assert shown.status_code == 200
    refused = chain_events(claimant.id)[-2]
    assert (refused.token_id, refused.action, refused.outcome) == (
        jti,
        "journal.read",
        "refused:not_found",
    )
    assert refused.resource == f"journal_entry:{old.id}"


def test_an_id_outside_the_window_answers_exactly_like_another_claimants_id(ctx, client):
    alex, bob = make_claimant("Alex"), make_claimant("Bob")
    outside = entry(alex, at(date(2026, 1, 5)), "Old")
    bobs = make_entry(bob)
    token, _ = issue_token(windowed(alex, make_adviser(), Window(CUT)))

    theirs = client.get(f"/api/v1/journal/{bobs.id}", headers=bearer(token))
    too_old = client.get(f"/api/v1/journal/{outside.id}", headers=bearer(token))

    assert (too_old.status_code, too_old.json) == (theirs.status_code, theirs.json)
    assert too_old.headers.get("WWW-Authenticate") == theirs.headers.get("WWW-Authenticate")


def test_mr_decisions_outside_the_window_are_not_listed_and_their_ids_answer_404(ctx, client):
    claimant = make_claimant()
    before = decision(claimant, at(date(2026, 2, 1)), "Before")
    inside = decision(claimant, at(date(2026, 4, 1)), "Inside")
    after = decision(claimant, at(date(2026, 7, 1)), "After")
    token, jti = issue_token(windowed(claimant, make_adviser(), Window(CUT, LAST)))

    listed = client.get("/api/v1/mr-decisions", headers=bearer(token))
    answers = {
        row.subject: client.get(f"/api/v1/mr-decisions/{row.id}", headers=bearer(token))
        for row in (before, inside, after)
    }

    assert [d["subject"] for d in listed.json["decisions"]] == ["Inside"]
    assert {k: v.status_code for k, v in answers.items()} == {
        "Before": 404,
        "Inside": 200,
        "After": 404,
    }
    reads = [e for e in chain_events(claimant.id) if e.action == "mr.read"]
    assert [e.outcome for e in reads] == ["refused:not_found", "allowed", "refused:not_found"]
    assert all(e.token_id == jti for e in reads)


def test_todos_and_payments_outside_the_window_are_not_listed(ctx, client):
    claimant = make_claimant()
    todo(claimant, at(date(2026, 3, 1)), "Old task")
    todo(claimant, at(date(2026, 5, 1)), "Send fit note")
    todo(claimant, at(date(2026, 8, 1)), "Later task")
    payment(claimant, at(date(2026, 2, 15)), 50000)
    payment(claimant, at(date(2026, 3, 15)), 30000)
    payment(claimant, at(date(2026, 7, 15)), 40000)
    token, _ = issue_token(windowed(claimant, make_adviser(), Window(CUT, LAST)))

    todos = client.get("/api/v1/todos", headers=bearer(token))
    payments = client.get("/api/v1/payments", headers=bearer(token))

    assert [t["title"] for t in todos.json["todos"]] == ["Send fit note"]
    assert [p["amount_pence"] for p in payments.json["payments"]] == [30000]


def test_the_window_counts_uk_days_so_just_after_midnight_in_summer_is_that_day(ctx, client):
    # 30 June 2026 is British Summer Time: 00:30 UK time on 1 July is 23:30 UTC on 30 June.
    claimant = make_claimant()
    entry(claimant, at(date(2026, 6, 30), hours=23.9), "Last thing on the 30th")
    entry(claimant, at(date(2026, 7, 1), hours=0.5), "Half past midnight on the 1st")
    token, _ = issue_token(windowed(claimant, make_adviser(), Window(None, LAST)))

    listed = client.get("/api/v1/journal", headers=bearer(token))

    assert [e["subject"] for e in listed.json["entries"]] == ["Last thing on the 30th"]


def test_sensitive_entries_stay_out_without_the_sensitive_scope_whatever_the_window(ctx, client):
    claimant = make_claimant()
    secret = entry(claimant, at(date(2026, 4, 1)), "Health note", sensitive=True)
    entry(claimant, at(date(2026, 4, 2)), "Open note")
    without = windowed(claimant, make_adviser("A"), Window(CUT))
    with_it = windowed(claimant, make_adviser("B"), Window(CUT), scope_names=ALL_SCOPES)
    plain, _ = issue_token(without)
    full, _ = issue_token(with_it)

    assert [
        e["subject"] for e in client.get("/api/v1/journal", headers=bearer(plain)).json["entries"]
    ] == ["Open note"]
    assert client.get(f"/api/v1/journal/{secret.id}", headers=bearer(plain)).status_code == 404
    assert client.get(f"/api/v1/journal/{secret.id}", headers=bearer(full)).status_code == 200


def test_a_grant_without_a_window_still_sees_everything(ctx, client):
    claimant = make_claimant()
    entry(claimant, at(date(2025, 1, 1)), "Long ago")
    entry(claimant, at(date(2026, 4, 1)), "Recent")
    token, _ = issue_token(windowed(claimant, make_adviser(), Window()))

    listed = client.get("/api/v1/journal", headers=bearer(token))

    assert [e["subject"] for e in listed.json["entries"]] == ["Recent", "Long ago"]
