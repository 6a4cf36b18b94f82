"""security.md 78: an adviser's words reaching the wrong reader. Each kind of personal detail an
adviser might write is refused before anything is stored, and the refusal, its audit event and
the logs never repeat it; domestic-abuse words in Welsh keep the entry from anyone without
`journal:sensitive`. The patterns themselves are tested in tests/screening/."""

from __future__ import annotations

import logging

import pytest

from broker.extensions import db
from broker.models import AuditEvent, JournalEntry
from tests.factories import bearer, issue_token, make_adviser, make_claimant, make_grant

DETAILS = {
    "ni_number": "AB 12 34 56 C",
    "phone": "07700 900123",
    "email": "jo.partner@example.org",
    "bank_details": "20-00-00 account 12345678",
    "postcode": "CF10 1AA",
    "name": "Gareth Evans",
}


@pytest.fixture
def token(ctx):  # noqa: ANN001, ANN201
    grant = make_grant(make_claimant("Alex Morgan"), make_adviser(), "mr:request journal:read")
    return issue_token(grant)[0]


@pytest.mark.parametrize(("kind", "detail"), DETAILS.items())
def test_each_detail_is_refused_and_never_repeated(client, token, caplog, kind, detail):
    caplog.set_level(logging.DEBUG)
    reasons = f"Her ex-partner's name is {detail}" if kind == "name" else f"See {detail} please."

    answer = client.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": "Housing costs", "reasons": reasons},
    )

    assert answer.status_code == 422
    assert [found["kind"] for found in answer.json["found"]] == [kind]
    assert detail not in answer.text
    assert db.session.scalar(db.select(db.func.count()).select_from(JournalEntry)) == 0
    for event in db.session.scalars(db.select(AuditEvent)):
        assert detail not in f"{event.action} {event.resource} {event.outcome} {event.actor}"
    assert not [record for record in caplog.records if detail in record.getMessage()]


def test_welsh_domestic_abuse_words_hide_the_entry(client, token):
    answer = client.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={
            "decision_about": "Costau tai",
            "reasons": "Bu'n rhaid iddi ffoi rhag trais domestig a byw mewn lloches.",
        },
    )

    assert (answer.status_code, answer.json["sensitive"]) == (201, True)
    listed = client.get("/api/v1/journal", headers=bearer(token)).json["entries"]
    assert answer.json["id"] not in [entry["id"] for entry in listed]
