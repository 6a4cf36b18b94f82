"""security.md 85: a proof of lodging is read by anyone who holds its check code (/verify shows
its facts without an account), so it carries the request's text only as SHA-256 hashes: not in
the signed file, the /verify page, the audit event that records it, or any log line."""

from __future__ import annotations

import hashlib
import logging

from broker.chain import signed
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
)

ABOUT = "Work capability assessment"
# Sensitive (health) words: the entry is kept from a partner, and the proof must not undo that.
REASONS = "The assessor ignored her mental health and the letter from her psychiatrist."


def test_the_proof_holds_hashes_of_the_text_and_never_its_words(ctx, client, caplog):
    caplog.set_level(logging.DEBUG)
    alex = make_claimant("Alex Morgan")
    grant = make_grant(alex, make_adviser("Priya Shah", "Northside"), "mr:request journal:read")
    token, _ = issue_token(grant)

    made = client.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": ABOUT, "reasons": REASONS},
    )

    assert made.status_code == 201 and made.json["sensitive"] is True
    proof = made.json["proof_of_lodging"]
    facts = signed.unverified_payload(proof["jws"])["facts"]
    assert set(facts) == {
        "request_id", "lodged_at", "lodged_by", "token_id", "about_sha256", "text_sha256"
    }  # fmt: skip
    assert facts["text_sha256"] == hashlib.sha256(REASONS.encode()).hexdigest()
    assert facts["about_sha256"] == hashlib.sha256(ABOUT.encode()).hexdigest()
    checked = client.get(proof["verify_uri"].removeprefix("http://broker.test"))
    assert checked.status_code == 200 and "has not been changed" in checked.text
    recorded = " ".join(r for (r,) in chain_events(alex.id, "%", "resource"))
    for word in ("psychiatrist", "mental health", "capability"):
        assert word not in str(signed.unverified_payload(proof["jws"]))
        assert word not in checked.text
        assert word not in recorded
        assert word not in caplog.text
    assert proof["check_code"] not in caplog.text
