"""The claimant downloads their own access history as CSV and as a signed JSON file."""

from __future__ import annotations

import csv
import io
import json

from broker import signed
from tests.conftest import sign_in


def test_the_claimant_downloads_their_history_as_csv(account, client):
    sign_in(client, account.claimant.account.username)
    assert "/history.csv" in client.get("/history").text

    response = client.get("/history.csv")

    assert response.headers["Content-Disposition"] == 'attachment; filename="access-history.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    reads = [r for r in rows if r["action"] == "mr.read"]
    assert len(reads) == 5  # Priya's two reads and Tom's three
    assert {r["representative"] for r in reads} == {"Priya Shah", "Tom Reed"}
    assert all(r["token_id"] for r in reads)


def test_the_signed_copy_verifies_and_an_edited_one_does_not(account, client, runner, tmp_path):
    sign_in(client, account.claimant.account.username)
    document = client.get("/history.json").get_json()
    assert signed.verify(document["jws"], signed.HISTORY, signed.jwks()) == document["history"]
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
