"""The new words a claimant reads about access that ends when the case does (the choice, the
check page, the card, the receipt, the message) are at a Flesch-Kincaid grade of 6 or lower, as
whole pages are measured (tests/i18n/test_plain_english.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.casetied.helpers import STARTED, case_tied, decided
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, messages_to
from tests.i18n.readability import GRADE, grade, readable_text


def test_the_new_sentences_are_grade_6_or_lower(app, ctx, runner, frozen_clock):
    frozen_clock.now = STARTED
    claimant, adviser = make_claimant("Alex Morgan"), make_adviser("Priya Shah")
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    pages = {"give access": phone.get("/access/new").text}
    check = phone.post(
        "/access/new",
        data={
            "csrf_token": csrf_from(pages["give access"]),
            "adviser_code": adviser.code,
            "scopes": ["mr:read"],
            "months": "6",
            "until_decided": "y",
            "purpose": "Help with my appeal",
            "relationship": "My adviser",
        },
    )
    pages["check"] = check.text
    grant = case_tied(claimant, adviser)
    pages["card"] = phone.get("/").text
    pages["who can see"] = phone.get("/access").text
    frozen_clock.now = datetime(2028, 2, 2, 9, 0, tzinfo=UTC)
    decided(runner, claimant, "2028-02-01")
    sign_in(phone, claimant.account.username)  # weeks later: a new session
    receipts = phone.get(f"/access/{grant.id}/receipts")
    assert receipts.status_code == 200, receipts.status_code
    pages["receipts"] = receipts.text
    [message] = messages_to(claimant.id, "grant_case_decided")

    grades = {name: grade(readable_text(html)) for name, html in pages.items()}
    grades["message"] = grade(message.body)

    print("reading grades:", grades)
    assert "Until my reconsideration is decided" in readable_text(pages["give access"])
    assert "Until your reconsideration is decided, and no later than" in readable_text(
        pages["card"]
    )
    assert "Your case was decided" in readable_text(pages["receipts"])
    assert {name for name, g in grades.items() if g > GRADE} == set()
