"""The passkey pages a claimant reads are at a Flesch-Kincaid grade of 6 or lower, and every
one of them is in Welsh for a claimant who chose Welsh."""

from __future__ import annotations

from flask import Flask

from broker import i18n
from broker.extensions import db
from broker.models import Passkey
from tests.conftest import csrf_from, sign_in
from tests.factories import make_claimant
from tests.i18n.readability import GRADE, grade, readable_text

from .conftest import add_passkey


def _pages(app: Flask, device) -> dict[str, str]:  # noqa: ANN001
    claimant = make_claimant()
    client = app.test_client()
    pages = {"sign in": client.get("/sign-in").text}
    sign_in(client, claimant.account.username)
    pages["no passkeys"] = client.get("/account/sign-in").text
    assert add_passkey(client, device).status_code == 200
    pages["a passkey"] = client.get("/account/sign-in").text
    passkey_id = db.session.scalar(db.select(Passkey.id))
    pages["remove"] = client.get(f"/account/passkeys/{passkey_id}/remove").text
    csrf = csrf_from(pages["a passkey"])
    client.post("/account/passwords", data={"csrf_token": csrf, "turn": "off"})
    pages["passwords off"] = client.get("/account/sign-in").text
    pages["last passkey"] = client.post(
        f"/account/passkeys/{passkey_id}/remove", data={"csrf_token": csrf}
    ).text
    pages["history"] = client.get("/account/history").text
    return pages


def test_every_passkey_page_is_grade_6_or_lower(app: Flask, ctx, device):
    grades = {name: grade(readable_text(html)) for name, html in _pages(app, device).items()}
    print("reading grades:", grades)
    assert {name for name, g in grades.items() if g > GRADE} == set()


def test_the_passkey_pages_are_in_welsh_for_a_claimant_who_chose_welsh(app: Flask, ctx, device):
    claimant = make_claimant()
    i18n.choose(claimant.account, "cy")
    db.session.commit()
    client = app.test_client()
    sign_in(client, claimant.account.username)
    assert add_passkey(client, device).status_code == 200
    page = client.get("/account/sign-in").text
    assert "Eich allweddi mynediad" in page and "Ychwanegu allwedd mynediad" in page
    assert "Your passkeys" not in page
    history = client.get("/account/history").text
    assert "Ychwanegwyd allwedd mynediad" in history
    assert "Hanes eich mewngofnodi" in client.get("/history").text
