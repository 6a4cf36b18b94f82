"""An adviser asks a client for access from the console: a QR code of the complete verification
URI, the URL as text and the user code; the page learns the client's answer by polling (slow_down
respected) or by the no-JavaScript button; the grant, once given, is the adviser's."""

from __future__ import annotations

import re

from broker.consent import device
from broker.consent.clients import CONSOLE_CLIENT_ID
from broker.extensions import db
from broker.models import DeviceAuthorization, Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, make_decision
from tests.oauth.helpers import CODE, answer_device, ask


def test_the_ask_page_shows_a_qr_code_the_url_and_the_code(app, ctx):
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    browser = app.test_client()
    sign_in(browser, adviser.account.username)

    page = browser.get(ask(browser))

    assert page.status_code == 200
    user_code = CODE.search(page.text).group(1)
    complete = f"http://broker.test/device?user_code={user_code}"
    assert complete in page.text  # the URL, as text
    assert "http://broker.test/device" in page.text
    qr_path = re.search(r'<img src="([^"]+qr\.svg)"', page.text).group(1)
    script = re.search(r'<script src="(/static/js/ask\.\w{12}\.js)" defer></script>', page.text)
    assert script, "the page loads static/js/ask.js under its content-hashed name"
    assert "Check if they have answered" in page.text  # the no-JavaScript way
    image = browser.get(qr_path)
    assert image.status_code == 200
    assert image.mimetype == "image/svg+xml"
    assert image.data == device.qr_code_svg(complete)  # the QR code encodes the complete URI
    assert b"http://" not in image.data.replace(b"http://www.w3.org/2000/svg", b"")
    assert browser.get("/static/js/ask.js").status_code == 200
    assert browser.get(script.group(1)).data == browser.get("/static/js/ask.js").data


def test_the_adviser_learns_the_answer_by_polling_and_holds_the_grant(app, ctx, frozen_clock):
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    claimant = make_claimant("Alex Morgan")
    make_decision(claimant, subject="Housing costs element")
    browser = app.test_client()
    sign_in(browser, adviser.account.username)
    waiting = ask(browser)
    user_code = CODE.search(browser.get(waiting).text).group(1)
    status = f"{waiting}/status"

    first = browser.get(status).json
    too_soon = browser.get(status).json
    frozen_clock.advance(seconds=too_soon["interval"] + 1)
    later = browser.get(status).json
    answered = answer_device(
        app.test_client(), claimant.account.username, user_code, scopes=["mr:read"], months="1"
    )
    after = browser.get(status).json

    assert (first["status"], first["interval"]) == ("pending", 5)
    assert (too_soon["status"], too_soon["interval"]) == ("slow_down", 10)  # RFC 8628 3.5
    assert later["status"] == "pending"
    assert answered.status_code == 303
    grant = db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).one()
    assert after["status"] == "approved" and after["interval"] == 10
    assert after["next"].startswith(f"/adviser/clients/{grant.id}?asked=")
    assert (grant.adviser_id, grant.client_id, grant.scopes) == (
        adviser.id,
        CONSOLE_CLIENT_ID,
        "mr:read",
    )
    assert grant.representative_name == "Priya Shah"
    assert "Your client said yes" in browser.get(waiting).text
    assert "Alex Morgan" in browser.get("/adviser/").text
    client_page = browser.get(f"/adviser/clients/{grant.id}")
    assert client_page.status_code == 200
    assert "Housing costs element" in client_page.text


def test_a_refusal_reaches_the_adviser_and_no_grant_is_made(app, ctx):
    adviser = make_adviser()
    claimant = make_claimant()
    browser = app.test_client()
    sign_in(browser, adviser.account.username)
    waiting = ask(browser)
    user_code = CODE.search(browser.get(waiting).text).group(1)

    refused = answer_device(
        app.test_client(), claimant.account.username, user_code, decision="refuse"
    )

    assert refused.status_code == 303
    assert browser.get(f"{waiting}/status").json["status"] == "denied"
    assert "Your client said no" in browser.get(waiting).text
    assert db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).all() == []


def test_another_adviser_cannot_see_the_request(app, ctx):
    owner, other = make_adviser(), make_adviser()
    browser = app.test_client()
    sign_in(browser, owner.account.username)
    waiting = ask(browser)
    intruder = app.test_client()
    sign_in(intruder, other.account.username)

    for path in (waiting, f"{waiting}/status", f"{waiting}/qr.svg"):
        assert intruder.get(path).status_code == 404
    assert db.session.scalars(db.select(DeviceAuthorization)).one().status == "pending"


def test_asking_for_a_write_scope_for_too_long_is_refused_on_the_form(app, ctx):
    adviser = make_adviser()
    browser = app.test_client()
    sign_in(browser, adviser.account.username)
    page = browser.get("/adviser/ask")

    response = browser.post(
        "/adviser/ask",
        data={
            "csrf_token": csrf_from(page.text),
            "scopes": ["mr:request"],
            "months": "6",
            "purpose": "Lodge your reconsideration",
            "relationship": "Adviser",
        },
    )

    assert response.status_code == 400
    assert "can last 3 months at most" in response.text
    assert db.session.scalars(db.select(DeviceAuthorization)).all() == []
