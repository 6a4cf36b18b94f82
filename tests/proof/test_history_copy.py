"""The claimant downloads their own access history as CSV and as a signed JSON file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from broker.chain import signed
from broker.extensions import db
from broker.proof import history_copy
from tests.conftest import sign_in
from tests.factories import bearer, bound, issue_token, make_adviser, make_claimant, make_grant


def test_the_claimant_downloads_their_history_as_csv(account, client):
    sign_in(client, account.claimant.account.username)
    assert "/history.csv" in client.get("/history").text

    response = client.get("/history.csv")

    assert response.headers["Content-Disposition"] == 'attachment; filename="access-history.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    reads = [r for r in rows if r["What happened"].startswith("Read a reconsideration decision")]
    assert len(reads) == 5  # Priya's two reads and Tom's three
    assert {r["Access given to"] for r in reads} == {
        "Priya Shah, Northside Citizens Advice",
        "Tom Reed, Riverside Law Centre",
    }
    assert all(len(r["Reference"]) == 8 and r["Full reference"] for r in reads)
    assert all(r["Full reference"].startswith(r["Reference"]) for r in reads)


def test_the_signed_copy_verifies_and_an_edited_one_does_not(account, client, runner, tmp_path):
    sign_in(client, account.claimant.account.username)
    document = client.get("/history.json").get_json()
    assert signed.verify(document["jws"], signed.HISTORY, bound().key_set()) == document["history"]
    path = tmp_path / "history.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(args=["verify-statement", str(path)])
    assert result.exit_code == 0, result.output
    assert f"VALID. Access history of {account.claimant.reference}" in result.output

    document["history"]["events"].pop()
    path.write_text(json.dumps(document))
    result = runner.invoke(args=["verify-statement", str(path)])
    assert result.exit_code == 1
    assert "the readable copy differs from what was signed" in result.output


def test_the_csv_is_in_plain_words_and_uk_time_with_no_codes(ctx, client, frozen_clock):
    claimant = make_claimant("Alex Morgan")
    frozen_clock.now = datetime(2026, 7, 1, 12, 11, tzinfo=UTC)  # summer: 13:11 in London
    grant = make_grant(claimant, make_adviser("Priya Shah", "Northside Citizens Advice"), months=6)
    frozen_clock.now = datetime(2026, 12, 1, 13, 11, tzinfo=UTC)  # winter: 13:11 in London
    token, _ = issue_token(grant)
    client.get("/api/v1/mr-decisions", headers=bearer(token))
    sign_in(client, claimant.account.username)

    text = client.get("/history.csv").text
    rows = list(csv.reader(io.StringIO(text)))

    assert rows[0] == [
        "When (UK time)",
        "Access given to",
        "What happened",
        "Who",
        "Result",
        "Reference",
        "Full reference",
    ]
    looked, given = rows[1], rows[-1]
    assert looked[:5] == [
        "1 Dec 2026 13:11",
        "Priya Shah, Northside Citizens Advice",
        "Looked at your reconsideration decisions",
        "Priya Shah, Northside Citizens Advice",
        "Allowed",
    ]
    assert given[:5] == ["1 Jul 2026 13:11", "Priya Shah, Northside Citizens Advice"] + [
        "Access given",
        "You",
        "",  # a change to the grant is neither allowed nor refused: an empty cell
    ]
    for code in ("mr.list", "mr.read", "grant.create", "allowed", "done", "+00:00", "claimant:"):
        assert code not in text
    assert not any(cell.startswith("'") for row in rows for cell in row)  # no stray apostrophe


def test_only_cells_that_start_like_a_formula_are_guarded():
    body = history_copy.as_csv(["a", "b"], [["=SUM(A1)", ""], ["+1", "plain"], ["-2", "@x"]])

    assert list(csv.reader(io.StringIO(body))) == [
        ["a", "b"],
        ["'=SUM(A1)", ""],
        ["'+1", "plain"],
        ["'-2", "'@x"],
    ]


def test_the_csv_speaks_welsh_to_a_welsh_speaker(ctx, client):
    claimant = make_claimant("Alex Morgan")
    claimant.account.language = "cy"
    db.session.commit()
    make_grant(claimant, make_adviser("Priya Shah", "Northside"))
    sign_in(client, claimant.account.username)

    rows = list(csv.reader(io.StringIO(client.get("/history.csv").text)))

    assert rows[0][0] != "When (UK time)"
    assert rows[1][2] != "Access given"
