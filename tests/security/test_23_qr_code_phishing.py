"""security.md 23: remote phishing through the QR code. Opening the complete verification URI
only shows the request: adviser, organisation, what, how long, and the code to compare; nothing
is granted until the claimant confirms with a POST."""

from __future__ import annotations

import scopes
from broker.consent import clients
from broker.extensions import db
from broker.models import DeviceAuthorization, Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser
from tests.oauth.helpers import make_client, poll_device, start_device


def test_opening_the_complete_uri_grants_nothing(app, case):
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    console = app.test_client()
    sign_in(console, adviser.account.username)
    form = console.get("/adviser/ask")
    waiting = console.post(
        "/adviser/ask",
        data={
            "csrf_token": csrf_from(form.text),
            "scopes": ["mr:read", "journal:sensitive"],
            "months": "3",
            "purpose": "Help with your appeal",
            "relationship": "Welfare rights adviser",
        },
    ).headers["Location"]
    request = db.session.scalars(db.select(DeviceAuthorization)).one()
    code = f"{request.user_code[:4]}-{request.user_code[4:]}"
    phone = app.test_client()
    sign_in(phone, case.username)

    page = phone.get(f"/device?user_code={code}")
    phone.get(f"/device?user_code={code}&decision=approve&scopes=mr:read")  # still only a GET

    assert page.status_code == 200
    what = [scopes.lookup(n).sentence_in("en") for n in ("mr:read", "journal:sensitive")]
    for fact in (
        "Priya Shah",
        "Northside Citizens Advice",
        *what,
        "3 months, until",
        "Help with your appeal",
        "Welfare rights adviser",
        code,
        "They ask to see notes about your health or about abuse",
    ):
        assert fact in page.text, fact
    # Who, what, how long, why: in that order.
    assert (
        page.text.index("Priya Shah")
        < page.text.index(what[0])
        < page.text.index("3 months, until")
        < page.text.index("Help with your appeal")
    )
    db.session.rollback()
    assert db.session.scalars(db.select(DeviceAuthorization)).one().status == "pending"
    assert db.session.scalars(db.select(Grant)).all() == []
    assert console.get(f"{waiting}/status").json["status"] == "pending"


def test_a_device_client_still_waits_after_the_page_is_opened(app, case):
    device_client, _ = make_client(
        name="Desk", redirect_uris=(), auth_method="none", grant_types=(clients.DEVICE_GRANT,)
    )
    started = start_device(app.test_client(), device_client.id).json
    phone = app.test_client()
    sign_in(phone, case.username)

    opened = phone.get(started["verification_uri_complete"].replace("http://broker.test", ""))
    polled = poll_device(app.test_client(), device_client.id, None, started["device_code"])

    assert opened.status_code == 200 and "Yes, give access" in opened.text
    assert polled.json["error"] == "authorization_pending"
    assert db.session.scalars(db.select(Grant)).all() == []
