"""The evidence bundle (issue 27 item 1): the journal entries and MR decisions an adviser chose
for an appeal, signed, checkable at /verify, shown to the claimant; anything the token could not
read on its own refuses the whole bundle with the API's 404, audited (security.md 87)."""

from __future__ import annotations

import io
import json
import re
import zlib
from datetime import date, timedelta

from sqlalchemy import func, select

from broker import clock
from broker.consent.windows import Window
from broker.extensions import db
from broker.models import AuditEvent, SignedDocument
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_entry,
    make_grant,
)
from tests.window.dated import at, windowed

URL = "/api/v1/evidence-bundles"


def pdf_text(body: bytes) -> str:
    """The text an fpdf2 PDF draws (its page streams are deflated)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
    text = []
    for stream in streams:
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(text)


def documents_of(claimant) -> int:  # noqa: ANN001
    return db.session.scalar(
        select(func.count())
        .select_from(SignedDocument)
        .where(SignedDocument.claimant_id == claimant.id)
    )


def setup(scopes: str = "mr:read journal:read"):  # noqa: ANN201
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, adviser, scopes)
    token, jti = issue_token(grant)
    return claimant, grant, token, jti


def test_a_bundle_is_signed_checkable_and_lists_its_items_in_date_order(ctx, client):
    claimant, _grant, token, jti = setup()
    older = make_entry(claimant, "Sick note sent", created_at=clock.now() - timedelta(days=9))
    decision = make_decision(claimant)  # two days ago
    answer = client.post(
        URL,
        headers=bearer(token),
        json={"journal_entries": [older.id], "mr_decisions": [decision.id]},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json
    assert set(body) == {"document_id", "check_code", "verify_uri", "jws", "facts"}
    facts = body["facts"]
    assert facts["prepared_by"] == "Priya Shah"
    assert facts["organisation"] == "Northside Citizens Advice"
    assert facts["count"] == "2"
    assert [item["what"] for item in facts["items"]] == [
        "Journal entry: Sick note sent",
        "Mandatory Reconsideration decision: not changed",
    ]
    assert "Last day to appeal" in facts["items"][1]["text"]
    assert body["verify_uri"].endswith(f"/verify?code={body['check_code'].replace('-', '')}")

    # Audited: each item read with the token's ID, the document issued, the request itself
    # (naming the document, with the token's ID).
    events = chain_events(claimant.id, "%", "action", "resource", "token_id", "outcome")
    assert ("journal.read", f"journal_entry:{older.id}", jti, "allowed") in events
    assert ("mr.read", f"mr_decision:{decision.id}", jti, "allowed") in events
    issued = [e for e in events if e[0] == "document.issue"]
    assert len(issued) == 1 and issued[0][1].startswith(f"document:{body['document_id']}:")
    assert events[-1] == ("evidence.bundle", f"document:{body['document_id']}", jti, "allowed")

    # Checked by its code, and by the uploaded file.
    checked = client.get(f"/verify?code={body['check_code']}")
    assert "This document was issued by this service and has not been changed." in checked.text
    assert "Evidence bundle for an appeal" in checked.text
    assert "Journal entry: Sick note sent" in checked.text
    page = client.get("/verify")
    upload = io.BytesIO(json.dumps({"jws": body["jws"]}).encode())
    by_file = client.post(
        "/verify",
        data={"csrf_token": csrf_from(page.text), "file": (upload, "bundle.json")},
        content_type="multipart/form-data",
    )
    assert "has not been changed" in by_file.text

    # The claimant sees it in their history and opens it; its PDF lists the items.
    sign_in(client, claimant.account.username)
    history = client.get("/history").text
    assert "Issued: Evidence bundle for an appeal" in history
    assert f'href="/documents/{body["document_id"]}"' in history
    assert "Someone checked an evidence bundle made from your journal." in history
    assert "Asked for an evidence bundle for an appeal" in history
    assert "Read a journal message: Sick note sent" in history
    assert "evidence.bundle" not in history and "document.issue" not in history
    mine = client.get(f"/documents/{body['document_id']}")
    assert mine.status_code == 200 and "Sick note sent" in mine.text
    pdf = client.get(f"/documents/{body['document_id']}.pdf")
    assert pdf.data.startswith(b"%PDF")
    drawn = pdf_text(pdf.data)
    assert "Journal entry: Sick note sent" in drawn
    assert "Mandatory Reconsideration decision: not changed" in drawn
    assert "Evidence bundle for an appeal" in drawn


def test_security_87_an_entry_outside_the_window_is_404_audited_and_nothing_issued(ctx, client):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    today = clock.uk_day(clock.now())
    grant = windowed(claimant, adviser, Window(today - timedelta(days=20), today))
    token, jti = issue_token(grant)
    inside = make_entry(claimant, "Inside", created_at=at(today - timedelta(days=3)))
    outside = make_entry(claimant, "Outside", created_at=at(today - timedelta(days=40)))
    answer = client.post(
        URL, headers=bearer(token), json={"journal_entries": [inside.id, outside.id]}
    )
    assert answer.status_code == 404
    assert answer.json == {
        "error": "not_found",
        "error_description": f"No such journal entry: {outside.id}",
    }
    assert documents_of(claimant) == 0
    events = chain_events(claimant.id, "%", "action", "resource", "token_id", "outcome")
    assert events[-1] == ("evidence.bundle", "evidence_bundle", jti, "refused:not_found")
    assert not [e for e in events if e[0] in ("document.issue", "journal.read")]


def test_security_87_a_decision_without_mr_read_is_404(ctx, client):
    claimant, _grant, token, jti = setup("journal:read")
    entry, decision = make_entry(claimant), make_decision(claimant)
    answer = client.post(
        URL,
        headers=bearer(token),
        json={"journal_entries": [entry.id], "mr_decisions": [decision.id]},
    )
    assert answer.status_code == 404
    assert answer.json["error_description"] == f"No such MR decision: {decision.id}"
    assert documents_of(claimant) == 0
    assert chain_events(claimant.id, "evidence.bundle", "outcome") == [("refused:not_found",)]


def test_security_87_another_claimants_entry_is_404(ctx, client):
    claimant, _grant, token, _jti = setup()
    theirs = make_entry(make_claimant("Other Person"), "Not yours")
    mine = make_entry(claimant)
    answer = client.post(URL, headers=bearer(token), json={"journal_entries": [mine.id, theirs.id]})
    assert answer.status_code == 404
    assert documents_of(claimant) == 0


def test_security_87_a_sensitive_entry_needs_journal_sensitive(ctx, client):
    claimant, _grant, token, _jti = setup()
    hidden = make_entry(claimant, "Health", sensitive=True)
    answer = client.post(URL, headers=bearer(token), json={"journal_entries": [hidden.id]})
    assert answer.status_code == 404
    assert documents_of(claimant) == 0


def test_a_token_with_neither_scope_is_403_and_bad_bodies_are_400(ctx, client):
    claimant, _grant, token, _jti = setup("todo:read")
    entry = make_entry(claimant)
    refused = client.post(URL, headers=bearer(token), json={"journal_entries": [entry.id]})
    assert refused.status_code == 403
    assert refused.json["error"] == "insufficient_scope"
    _claimant, _grant, token, _jti = setup()
    for body in (
        {},
        {"journal_entries": []},
        {"journal_entries": "x"},
        {"journal_entries": ["not-an-id"]},
        {"journal_entries": [entry.id, entry.id]},
        {"journal_entries": [entry.id], "other": 1},
        {"journal_entries": [str(i) * 32 for i in range(10)] * 6},
        [],
    ):
        answer = client.post(URL, headers=bearer(token), json=body)
        assert answer.status_code == 400, body
        assert answer.json["error"] == "invalid_request"


def test_without_a_token_it_is_401(ctx, client):
    assert client.post(URL, json={"journal_entries": []}).status_code == 401


def test_each_bundle_is_a_document_of_its_own(ctx, client):
    claimant, _grant, token, _jti = setup()
    entry = make_entry(claimant)
    ids = {
        client.post(URL, headers=bearer(token), json={"journal_entries": [entry.id]}).json[
            "document_id"
        ]
        for _ in range(2)
    }
    assert len(ids) == 2 and documents_of(claimant) == 2
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.claimant_id == claimant.id)
    ).all()
    assert events.count("document.issue") == 2


def test_the_days_are_uk_days(ctx, client):
    claimant, _grant, token, _jti = setup()
    late = make_entry(claimant, "Late", created_at=at(date(2026, 7, 1), hours=23.5))
    answer = client.post(URL, headers=bearer(token), json={"journal_entries": [late.id]})
    assert answer.json["facts"]["items"][0]["on"] == "2026-07-01"


def test_the_claimant_reads_their_bundle_in_welsh(ctx, client):
    claimant, _grant, token, _jti = setup()
    entry = make_entry(claimant, "Fit note")
    made = client.post(URL, headers=bearer(token), json={"journal_entries": [entry.id]}).json
    sign_in(client, claimant.account.username)
    where = f"/documents/{made['document_id']}"
    token = csrf_from(client.get(where).text)
    client.post("/language", data={"csrf_token": token, "language": "cy", "next": where})
    page = client.get(where).text
    assert "Bwndel tystiolaeth ar gyfer apêl" in page
    assert "Wedi’i baratoi gan" in page and "Cofnodion a phenderfyniadau ynddo" in page
    assert "Journal entry: Fit note" in page  # the signed words stay as they were signed


def test_either_scope_will_do_for_the_items_it_covers(ctx, client):
    claimant, _grant, token, _jti = setup("mr:read")
    decision, entry = make_decision(claimant), make_entry(claimant)
    made = client.post(URL, headers=bearer(token), json={"mr_decisions": [decision.id]})
    assert made.status_code == 201
    refused = client.post(URL, headers=bearer(token), json={"journal_entries": [entry.id]})
    assert refused.status_code == 404
    _claimant, _grant, neither, _jti = setup("todo:read")
    answer = client.post(URL, headers=bearer(neither), json={"mr_decisions": [decision.id]})
    assert answer.status_code == 403
    assert 'scope="journal:read mr:read"' in answer.headers["WWW-Authenticate"]
