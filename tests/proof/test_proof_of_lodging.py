"""Proof of lodging (issue 27 item 1): every MR request the broker lodges, through the API or once
the claimant presses "Send it", gets a signed document anyone can check at /verify: when, the
entry's ID, the adviser and their organisation, the token's ID and the SHA-256 of the text (never
the text). The API's 201 carries it; the claimant's Sent page, their history and the adviser's
console show it."""

from __future__ import annotations

import hashlib
import io
import json
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from broker import services
from broker.chain import signed
from broker.extensions import db
from broker.models import AuditEvent, JournalEntry, SignedDocument
from broker.proof import documents, lodging
from tests.conftest import csrf_from, sign_in
from tests.drafts.conftest import press
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
)
from tests.staff.helpers import assert_page, text_of

ABOUT = "Limited capability for work"
REASONS = "The decision missed the payslips she sent in March. Ni chafodd ei llythyr ei ddarllen."
CODE = re.compile(r"^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$")


@pytest.fixture
def lodged(app, ctx):  # noqa: ANN001, ANN201
    """Alex, her adviser Priya with a token that may lodge, and the API's answer to one request."""
    alex = make_claimant("Alex Morgan")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(alex, priya, "mr:read mr:request journal:read")
    token, jti = issue_token(grant)
    answer = lodge(app.test_client(), token)
    assert answer.status_code == 201, answer.text
    return SimpleNamespace(alex=alex, priya=priya, grant=grant, token=token, jti=jti, answer=answer)


def lodge(client, token: str, reasons: str = REASONS, about: str = ABOUT):  # noqa: ANN001, ANN201
    return client.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": about, "reasons": reasons},
    )


def proofs(claimant_id: str) -> list[SignedDocument]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(SignedDocument).where(
                SignedDocument.claimant_id == claimant_id, SignedDocument.kind == lodging.KIND
            )
        )
    )


def facts_of(jws: str) -> dict:
    return signed.unverified_payload(jws)["facts"]


def upload(client, jws: str) -> str:  # noqa: ANN001
    page = client.get("/verify")
    return client.post(
        "/verify",
        data={
            "csrf_token": csrf_from(page.text),
            "file": (io.BytesIO(json.dumps({"jws": jws}).encode()), "proof.json"),
        },
        content_type="multipart/form-data",
    ).text


def test_the_apis_201_carries_the_proof_and_it_verifies_by_code_and_by_file(client, lodged):
    proof = lodged.answer.json["proof_of_lodging"]

    assert set(proof) == {"document_id", "check_code", "verify_uri", "jws"}
    assert CODE.match(proof["check_code"])
    assert proof["verify_uri"] == (
        f"http://broker.test/verify?code={proof['check_code'].replace('-', '')}"
    )
    [row] = proofs(lodged.alex.id)
    assert (row.id, row.jws, row.subject) == (
        proof["document_id"],
        proof["jws"],
        f"mr_request:{lodged.answer.json['id']}",
    )
    by_code = client.get(proof["verify_uri"].removeprefix("http://broker.test"))
    assert by_code.status_code == 200
    checked = text_of(by_code.text)
    assert "This document was issued by this service and has not been changed." in checked
    assert "Proof of lodging: Mandatory Reconsideration request" in checked
    assert hashlib.sha256(REASONS.encode()).hexdigest() in checked
    assert "Priya Shah, Northside Citizens Advice" in checked and lodged.jti in checked
    assert "has not been changed" in upload(client, proof["jws"])


def test_the_hash_in_the_proof_is_the_sha256_of_the_text_as_lodged(client, lodged):
    # Sent with spaces around it: the API lodges the trimmed text, and the hash is of that.
    again = lodge(client, lodged.token, reasons=f"  {REASONS}\n", about=f" {ABOUT} ")
    for answer in (lodged.answer, again):
        facts = facts_of(answer.json["proof_of_lodging"]["jws"])
        entry = db.session.get(JournalEntry, answer.json["id"])
        assert entry.body == REASONS
        assert facts["text_sha256"] == hashlib.sha256(entry.body.encode()).hexdigest()
        assert facts["about_sha256"] == hashlib.sha256(ABOUT.encode()).hexdigest()
        assert facts["request_id"] == entry.id
        assert facts["token_id"] == lodged.jti == entry.token_id
        assert facts["lodged_by"] == "Priya Shah, Northside Citizens Advice"
        assert facts["lodged_at"] == answer.json["created_at"]
        assert "sent_by_claimant_at" not in facts


def test_no_words_of_the_request_are_in_the_proof(client, lodged):
    proof = lodged.answer.json["proof_of_lodging"]
    payload = signed.unverified_payload(proof["jws"])
    written = json.dumps(payload)
    for word in ("payslips", "March", "llythyr", "ddarllen", "capability"):  # none of its words
        assert word not in written, word
    page = text_of(client.get(proof["verify_uri"].removeprefix("http://broker.test")).text)
    assert REASONS not in page and ABOUT not in page


def test_a_refused_request_issues_and_stores_nothing(client, lodged):
    before = len(chain_events(lodged.alex.id, "document.%"))

    phone = lodge(client, lodged.token, "Ring her back on 07700 900123 please.")
    blank = lodge(client, lodged.token, "")

    assert (phone.status_code, blank.status_code) == (422, 400)
    assert "proof_of_lodging" not in phone.json
    assert len(proofs(lodged.alex.id)) == 1  # the fixture's own
    assert len(chain_events(lodged.alex.id, "document.%")) == before
    entries = db.session.scalars(
        select(JournalEntry).where(JournalEntry.claimant_id == lodged.alex.id)
    ).all()
    assert len(entries) == 1


def test_the_pdf_of_a_proof_is_one_page(client, lodged):
    sign_in(client, lodged.alex.account.username)
    document_id = lodged.answer.json["proof_of_lodging"]["document_id"]

    pdf = client.get(f"/documents/{document_id}.pdf")

    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b", pdf.data)) == 1


def test_the_claimants_history_lists_the_proof_and_the_requests_line_links_to_it(client, lodged):
    document_id = lodged.answer.json["proof_of_lodging"]["document_id"]
    sign_in(client, lodged.alex.account.username)

    history = assert_page(client.get("/history"))

    assert "Issued: Proof of lodging: Mandatory Reconsideration request" in text_of(history)
    assert "See the proof it was sent" in history
    assert history.count(f'href="/documents/{document_id}"') == 2  # the line and the list
    page = text_of(assert_page(client.get(f"/documents/{document_id}")))
    assert "Lodged by (adviser and organisation)" in page
    assert lodged.answer.json["proof_of_lodging"]["check_code"] in page
    # The request's own line in the claimant's chain names the entry it lodged.
    assert chain_events(lodged.alex.id, "mr.request", "resource") == [
        (f"journal_entry:{lodged.answer.json['id']}",)
    ]


def test_the_page_of_the_proof_is_in_welsh(client, lodged):
    document_id = lodged.answer.json["proof_of_lodging"]["document_id"]
    sign_in(client, lodged.alex.account.username)
    token = csrf_from(client.get("/").text)
    client.post("/language", data={"csrf_token": token, "language": "cy", "next": "/"})

    page = text_of(assert_page(client.get(f"/documents/{document_id}")))

    assert "Prawf o gyflwyno: cais am Ailystyriaeth Orfodol" in page
    assert "Lodged by" not in page


def test_another_claimant_or_their_adviser_cannot_see_it(app, client, lodged):
    document_id = lodged.answer.json["proof_of_lodging"]["document_id"]
    entry_id = lodged.answer.json["id"]
    sam = make_claimant("Sam Jones")
    tom = make_adviser("Tom Reed", "Riverside Advice")
    theirs = make_grant(sam, tom, "mr:read mr:request journal:read")
    their_token, _ = issue_token(theirs)

    assert client.get(f"/api/v1/journal/{entry_id}", headers=bearer(their_token)).status_code == 404
    sign_in(client, sam.account.username)
    for suffix in ("", ".pdf", ".json"):
        assert client.get(f"/documents/{document_id}{suffix}").status_code == 404
    assert "Proof of lodging" not in client.get("/history").text
    console = app.test_client()
    sign_in(console, tom.account.username)
    code = lodged.answer.json["proof_of_lodging"]["check_code"]
    assert code not in console.get(f"/adviser/clients/{theirs.id}").text


def test_the_console_shows_the_proof_against_the_request_it_lodged(app, ctx):
    alex = make_claimant("Alex Morgan")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(alex, priya, "mr:read mr:request journal:read")
    console = app.test_client()
    sign_in(console, priya.account.username)
    form = console.get(f"/adviser/clients/{grant.id}/mr-request")

    made = console.post(
        f"/adviser/clients/{grant.id}/mr-request",
        data={"csrf_token": csrf_from(form.text), "decision_about": ABOUT, "reasons": REASONS},
    )

    assert made.status_code == 303
    [row] = proofs(alex.id)
    code = documents.as_json(row.id, row.jws, services.of(app))["check_code"]
    page = console.get(f"/adviser/clients/{grant.id}").text
    assert f"Proof of lodging: check code {code}" in page  # the message after lodging
    assert page.count(f">{code}</a>") == 1  # against the entry in the journal


@pytest.fixture
def waiting(app, ctx):  # noqa: ANN001, ANN201
    """A draft waiting for Alex (she asked to check first), and her phone signed in."""
    alex = make_claimant("Alex Morgan")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(alex, priya, "mr:read mr:request journal:read", check_before_send=True)
    token, jti = issue_token(grant)
    made = lodge(app.test_client(), token)
    assert made.status_code == 202, made.text
    phone = app.test_client()
    sign_in(phone, alex.account.username)
    return SimpleNamespace(
        alex=alex,
        priya=priya,
        grant=grant,
        token=token,
        jti=jti,
        phone=phone,
        draft_id=made.json["draft_id"],
    )


def test_a_draft_kept_for_the_claimant_has_no_proof_until_they_send_it(waiting):
    assert proofs(waiting.alex.id) == []
    assert waiting.phone.get(f"/drafts/{waiting.draft_id}/sent").status_code == 404


def test_send_it_issues_one_proof_shown_on_the_sent_page_history_and_console(app, waiting):
    sent = press(waiting.phone, "send", waiting.draft_id)

    assert sent.status_code == 303
    assert sent.headers["Location"] == f"/drafts/{waiting.draft_id}/sent"
    [row] = proofs(waiting.alex.id)
    [entry] = db.session.scalars(
        select(JournalEntry).where(JournalEntry.claimant_id == waiting.alex.id)
    ).all()
    facts = facts_of(row.jws)
    assert row.subject == f"mr_request:{entry.id}"
    assert facts["text_sha256"] == hashlib.sha256(entry.body.encode()).hexdigest()
    assert facts["token_id"] == waiting.jti and facts["request_id"] == entry.id
    assert facts["lodged_by"] == "Priya Shah, Northside Citizens Advice"
    assert "sent_by_claimant_at" in facts
    page = assert_page(waiting.phone.get(sent.headers["Location"]))
    assert "Sent. DWP will now look at the decision again." in text_of(page)
    code = re.search(r'id="check-code">([0-9A-Z-]+)<', page).group(1)
    assert f'href="/documents/{row.id}"' in page
    assert "Checked and sent by the claimant at" in waiting.phone.get(f"/documents/{row.id}").text
    assert "has not been changed" in waiting.phone.get(f"/verify?code={code}").text
    # The adviser's system finds it where it follows the draft.
    status = app.test_client().get(
        f"/api/v1/mr-drafts/{waiting.draft_id}", headers=bearer(waiting.token)
    )
    assert status.json["proof_of_lodging"] == {
        "document_id": row.id,
        "check_code": code,
        "verify_uri": f"http://broker.test/verify?code={code.replace('-', '')}",
        "jws": row.jws,
    }
    # Pressed again: nothing more is lodged or issued.
    press(waiting.phone, "send", waiting.draft_id)
    assert len(proofs(waiting.alex.id)) == 1
    history = waiting.phone.get("/history").text
    assert "See the proof it was sent" in history
    assert history.count(f'href="/documents/{row.id}"') == 2
    console = app.test_client()
    sign_in(console, waiting.priya.account.username)
    shown = console.get(f"/adviser/clients/{waiting.grant.id}").text
    assert shown.count(f">{code}</a>") == 2  # against the draft and against the entry


def test_a_declined_draft_issues_nothing(waiting):
    press(waiting.phone, "decline", waiting.draft_id)

    assert proofs(waiting.alex.id) == []
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.issue")) is None
    )
