"""The MR decision notice anyone can check (issue 27 item 1): issued to the claimant, checked at
/verify by its code or its file, refused when altered or unknown, sealed after a checkpoint."""

from __future__ import annotations

import base64
import io
import json
import re

from sqlalchemy import select

from broker.extensions import db
from broker.models import SignedDocument
from broker.proof import documents
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, make_decision, make_grant
from tests.proof.test_checkpoints import checkpoint

CODE_RE = re.compile(r'id="check-code">([0-9A-Z-]+)<')


def issue(client, claimant, decision) -> str:  # noqa: ANN001
    sign_in(client, claimant.account.username)
    page = client.get(f"/decisions/{decision.id}/notice")
    assert page.status_code == 200
    assert "Mandatory Reconsideration decision notice" in page.text
    return CODE_RE.search(page.text).group(1)


def test_the_notice_carries_the_dates_and_the_same_code_each_time(ctx, client):
    claimant = make_claimant("Alex Morgan")
    decision = make_decision(claimant)
    code = issue(client, claimant, decision)
    again = client.get(f"/decisions/{decision.id}/notice").text
    assert CODE_RE.search(again).group(1) == code
    assert "Last day to appeal" in again and "13-month limit" in again
    assert "<svg" in again  # the QR code
    assert f"/verify?code={code.replace('-', '')}" in again
    pdf = client.get(f"/decisions/{decision.id}/notice.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_checked_by_code_not_sealed_then_sealed_after_a_checkpoint(ctx, client, runner):
    claimant = make_claimant("Alex Morgan")
    code = issue(client, claimant, make_decision(claimant))
    first = client.get(f"/verify?code={code}")
    assert first.status_code == 200
    assert "This document was issued by this service and has not been changed." in first.text
    assert "It is not yet sealed in our audit" in first.text
    assert "not changed" in first.text and claimant.reference in first.text
    assert "Alex Morgan" not in first.text  # only the facts the notice carries
    checkpoint(runner)
    typed = client.get("/verify")
    second = client.post(
        "/verify",
        data={"csrf_token": csrf_from(typed.text), "code": code.lower().replace("-", " ")},
    )
    assert second.status_code == 200, second.text
    assert "It is sealed in our audit" in second.text


def test_the_code_form_needs_its_csrf_token(ctx, client):
    assert client.post("/verify", data={"code": "ABCDE-FGHJK"}).status_code == 400


def test_checked_by_file_and_an_altered_file_is_refused(ctx, client):
    claimant = make_claimant("Alex Morgan")
    decision = make_decision(claimant)
    issue(client, claimant, decision)
    file = client.get(f"/decisions/{decision.id}/notice.json").get_json()
    page = client.get("/verify")

    def upload(document: dict) -> str:  # noqa: ANN001
        body = io.BytesIO(json.dumps(document).encode())
        return client.post(
            "/verify",
            data={"csrf_token": csrf_from(page.text), "file": (body, "notice.json")},
            content_type="multipart/form-data",
        ).text

    assert "has not been changed" in upload(file)
    header, payload, signature = file["jws"].split(".")
    facts = json.loads(base64.urlsafe_b64decode(payload + "=="))
    facts["facts"]["outcome_words"] = "changed"
    forged = base64.urlsafe_b64encode(json.dumps(facts).encode()).rstrip(b"=").decode()
    altered = upload({"jws": f"{header}.{forged}.{signature}"})
    assert "This document is not genuine or has been changed" in altered
    assert "has not been changed" not in altered


def test_an_unknown_or_malformed_code_gets_the_same_answer_and_is_rate_limited(ctx, client):
    answers = {
        client.get(f"/verify?code={code}").text.count(documents.NOT_FOUND)
        for code in ("ABCDE-FGHJK", "not a code", "0000000000", "ABCDE-FGHJ2")
    }
    assert answers == {1}
    client.get("/verify?code=ABCDEFGHJ3")  # the fifth miss from this address
    assert client.get("/verify?code=ABCDEFGHJ4").status_code == 429
    other = client.get("/verify?code=ABCDEFGHJ4", environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 404  # per address


def test_another_claimants_decision_is_404(ctx, client):
    claimant, other = make_claimant("Alex Morgan"), make_claimant("Other Person")
    theirs = make_decision(other)
    sign_in(client, claimant.account.username)
    assert client.get(f"/decisions/{theirs.id}/notice").status_code == 404
    assert client.get(f"/decisions/{theirs.id}/notice.pdf").status_code == 404


def test_the_history_shows_the_notice_issued_and_each_check(ctx, client):
    claimant = make_claimant("Alex Morgan")
    code = issue(client, claimant, make_decision(claimant))
    client.get(f"/verify?code={code}")
    history = client.get("/history").text
    assert "Issued: Mandatory Reconsideration decision notice" in history
    assert "Checked at /verify on" in history
    assert "Someone checked your Mandatory Reconsideration decision notice." in history


def test_the_claimant_opens_any_document_issued_to_them_from_the_history(ctx, client):
    claimant, other = make_claimant("Alex Morgan"), make_claimant("Other Person")
    code = issue(client, claimant, make_decision(claimant))
    row = db.session.scalar(select(SignedDocument).where(SignedDocument.claimant_id == claimant.id))
    history = client.get("/history").text
    assert f'href="/documents/{row.id}"' in history
    page = client.get(f"/documents/{row.id}")
    assert page.status_code == 200
    assert code in page.text and "Last day to appeal" in page.text
    assert client.get(f"/documents/{row.id}.pdf").data.startswith(b"%PDF")
    assert client.get(f"/documents/{row.id}.json").json["jws"] == row.jws
    client.post("/sign-out", data={"csrf_token": csrf_from(client.get("/history").text)})
    sign_in(client, other.account.username)
    for suffix in ("", ".pdf", ".json"):
        assert client.get(f"/documents/{row.id}{suffix}").status_code == 404


def test_an_adviser_with_mr_read_gets_the_same_notice(ctx, client):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, adviser, "mr:read")
    decision = make_decision(claimant)
    sign_in(client, adviser.account.username)
    assert "Signed notice for the appeal" in client.get(f"/adviser/clients/{grant.id}").text
    page = client.get(f"/adviser/clients/{grant.id}/decisions/{decision.id}/notice")
    assert page.status_code == 200
    code = CODE_RE.search(page.text).group(1)
    assert "Last day to appeal" in page.text
    pdf = client.get(f"/adviser/clients/{grant.id}/decisions/{decision.id}/notice.pdf")
    assert pdf.data.startswith(b"%PDF")
    assert "has not been changed" in client.get(f"/verify?code={code}").text
    assert issue(client, claimant, decision) == code  # the claimant's notice is the same one


def test_an_adviser_without_mr_read_is_refused(ctx, client):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, adviser, "journal:read")
    decision = make_decision(claimant)
    sign_in(client, adviser.account.username)
    answer = client.get(f"/adviser/clients/{grant.id}/decisions/{decision.id}/notice")
    assert answer.status_code == 403
    other = make_claimant("Other Person")
    theirs = make_decision(other)
    mine = make_grant(claimant, make_adviser("Tom Reed", "Riverside"), "mr:read")
    assert (
        client.get(f"/adviser/clients/{mine.id}/decisions/{decision.id}/notice").status_code == 404
    )
    ok = make_grant(claimant, adviser, "mr:read")
    assert client.get(f"/adviser/clients/{ok.id}/decisions/{theirs.id}/notice").status_code == 404


def test_the_pdf_says_the_outcome_in_words_not_its_code():
    """The printed notice reads "The decision was not changed", as the page does in English."""
    import zlib

    from broker.proof import notice_pdf

    document = {
        "kind": "mr-decision-notice",
        "claimant": {"reference": "UC-1001-AM"},
        "issued_at": "2026-12-05T08:00:00+00:00",
        "facts": {
            "decided_on": "2026-12-01",
            "outcome": "not_changed",
            "appeal_by": "2027-01-01",
            "appeal_outside_limit": "2028-01-01",
        },
    }
    pdf = notice_pdf.render(document, "ABCDE-FGHJK", "http://localhost/verify?code=ABCDEFGHJK")
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    text = b"".join(zlib.decompress(s) for s in streams if s[:2] == b"x\x9c")
    assert b"The decision was not changed" in text
    assert b"not_changed" not in text
