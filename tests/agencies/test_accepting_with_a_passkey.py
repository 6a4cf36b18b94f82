"""Issue 25: the invitee chooses a passkey (offered first) or a password. With a passkey the
adviser account is made with password sign-in off, the passkey is theirs, the link is claimed
once and they are signed in; a failed or abandoned ceremony makes nothing and the link still
works. The answers come from tests/passkeys' own software authenticator."""

from __future__ import annotations

import re
import uuid

from flask import Flask
from flask.testing import FlaskClient

from broker import clock
from broker.extensions import db
from broker.models import Account, Adviser, Invitation, Passkey, PasskeyChallenge
from broker.people import invitations, passkeys
from tests.agencies.helpers import actions_on, make_agency
from tests.conftest import csrf_from
from tests.passkeys.authenticator import SoftAuthenticator, unb64url
from tests.passkeys.conftest import ORIGIN, RP_ID, passkey_options, post_assertion

EMAIL = "sam@nsa.example"


def _link(org, email: str = EMAIL) -> str:  # noqa: ANN001
    _, token = invitations.invite(org, email, by="test", now=clock.now())
    db.session.commit()
    return f"/invitations/{token}"


def _options(client: FlaskClient, link: str, name: str = "Sam Okafor") -> tuple[str, object]:
    csrf = csrf_from(client.get(link).text)
    answer = client.post(
        f"{link}/passkey/options", json={"name": name}, headers={"X-CSRFToken": csrf}
    )
    return csrf, answer


def _answer(client: FlaskClient, link: str, csrf: str, credential: dict, name: str = "Sam Okafor"):  # noqa: ANN202
    return client.post(
        f"{link}/passkey",
        json={"credential": credential, "name": name},
        headers={"X-CSRFToken": csrf},
    )


def _accounts(email: str = EMAIL) -> int:
    return db.session.scalar(db.select(db.func.count(Account.id)).where(Account.username == email))


def _accept_with_password(app: Flask, link: str):  # noqa: ANN202
    client = app.test_client()
    page = client.get(link)
    return client.post(
        link,
        data={
            "csrf_token": csrf_from(page.text),
            "name": "Sam Okafor",
            "password": "a long enough password",
        },
    )


def test_the_page_offers_a_passkey_first_and_a_password_second(app, ctx):
    agency = make_agency()
    page = app.test_client().get(_link(agency.org)).text
    passkey, password = page.index(">Use a passkey</button>"), page.index(">Choose a password<")
    assert passkey < page.index("Or choose a password") < password
    assert 'data-passkey="invitation"' in page and "/static/js/passkeys." in page
    # Without JavaScript the passkey panel stays hidden and the password form is all there is.
    assert re.search(r'<div hidden data-passkey="invitation"', page)


def test_accepting_with_a_passkey_makes_a_passwordless_adviser_and_signs_them_in(app, ctx):
    agency = make_agency()
    link = _link(agency.org)
    client = app.test_client()
    device = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    csrf, options = _options(client, link)
    assert options.status_code == 200
    options = options.get_json()
    assert options["rp"]["id"] == RP_ID
    assert options["user"]["name"] == EMAIL and options["user"]["displayName"] == "Sam Okafor"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert _accounts() == 0, "asking for options makes no account"

    done = _answer(client, link, csrf, device.create(options))
    assert done.status_code == 200, done.text
    assert done.get_json()["next"] == "/adviser/"
    home = client.get("/adviser/")
    assert home.status_code == 200, "the new adviser is signed in"
    assert "Your account is ready" in home.text

    db.session.expire_all()
    account = db.session.scalar(db.select(Account).where(Account.username == EMAIL))
    adviser = db.session.get(Adviser, account.id)
    assert account.role == "adviser" and account.name == "Sam Okafor"
    assert adviser.organisation_id == agency.org.id and adviser.code.startswith("NSA")
    assert f"NSA-{adviser.code[3:]}" in home.text
    # The passkey's user handle is the account's ID, so a later sign-in finds this account.
    assert account.id == str(uuid.UUID(unb64url(options["user"]["id"]).decode()))
    kept = passkeys.listed(account.id)
    assert [p.name for p in kept] == [invitations.PASSKEY_NAME]
    assert passkeys.passwords_off(account.id)
    invitation = db.session.scalar(db.select(Invitation).where(Invitation.email == EMAIL))
    assert invitation.used_at is not None and invitation.adviser_id == account.id
    assert actions_on(agency.org.id)[-2:] == ["invitation.create", "invitation.accept"]
    # Both at the same moment: the history's order between them is not the point.
    assert sorted(e.action for e in passkeys.history(account.id)) == [
        "passkey.added",
        "passwords.off",
    ]

    # The link is spent, and the passkey (no username, no password) signs the adviser in.
    assert app.test_client().get(link).status_code == 410
    later = app.test_client()
    csrf, sign_in_options = passkey_options(later)
    signed_in = post_assertion(later, csrf, device.get(sign_in_options))
    assert signed_in.status_code == 200 and signed_in.get_json()["next"] == "/adviser/"


def test_no_password_signs_the_passkey_adviser_in(app, ctx):
    agency = make_agency()
    link = _link(agency.org)
    client = app.test_client()
    csrf, options = _options(client, link)
    device = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    assert _answer(client, link, csrf, device.create(options.get_json())).status_code == 200
    other = app.test_client()
    page = other.get("/sign-in")
    refused = other.post(
        "/sign-in",
        data={"csrf_token": csrf_from(page.text), "username": EMAIL, "password": "anything at all"},
    )
    assert refused.status_code == 400
    assert "does not use a password" in refused.text or "wrong" in refused.text


def test_a_failed_ceremony_makes_nothing_and_the_link_still_works(app, ctx):
    agency = make_agency()
    link = _link(agency.org)
    client = app.test_client()
    device = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    for bad in (
        lambda o: device.create(o, origin="http://evil.example"),  # another site's answer
        lambda o: device.create(o, flags=0x01 | 0x40),  # the user was not verified
        lambda o: {**device.create(o), "response": {"clientDataJSON": "garbage"}},
    ):
        csrf, options = _options(client, link)
        refused = _answer(client, link, csrf, bad(options.get_json()))
        assert refused.status_code == 400
        assert "choose a password" in refused.get_json()["error"]
        assert client.get("/adviser/").status_code == 303, "nobody is signed in"
    assert _accounts() == 0
    assert db.session.scalar(db.select(db.func.count(Passkey.id))) == 0
    assert db.session.scalar(db.select(Invitation.used_at).where(Invitation.email == EMAIL)) is None
    # A ceremony abandoned after its options (cancelled in the browser) leaves nothing either.
    _options(client, link)
    assert _accounts() == 0
    assert _accept_with_password(app, link).status_code == 200
    assert _accounts() == 1


def test_a_name_is_needed_before_the_ceremony_and_with_its_answer(app, ctx):
    agency = make_agency()
    link = _link(agency.org)
    client = app.test_client()
    _, refused = _options(client, link, name="   ")
    assert refused.status_code == 400 and refused.get_json()["error"] == "Enter your full name"
    csrf, options = _options(client, link)
    device = SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)
    credential = device.create(options.get_json())
    refused = _answer(client, link, csrf, credential, name="")
    assert refused.status_code == 400 and refused.get_json()["error"] == "Enter your full name"
    assert _accounts() == 0
    # The answer was not spent by the refusal: with a name it is accepted.
    assert _answer(client, link, csrf, credential).status_code == 200
    assert _accounts() == 1


def test_a_used_or_unknown_link_gives_no_challenge(app, ctx):
    agency = make_agency()
    link = _link(agency.org)
    client = app.test_client()
    csrf = csrf_from(client.get(link).text)
    assert _accept_with_password(app, link).status_code == 200
    used = client.post(
        f"{link}/passkey/options", json={"name": "Sam"}, headers={"X-CSRFToken": csrf}
    )
    assert used.status_code == 410
    unknown = client.post(
        "/invitations/not-a-link/passkey/options",
        json={"name": "Sam"},
        headers={"X-CSRFToken": csrf},
    )
    assert unknown.status_code == 400
    assert db.session.scalar(db.select(db.func.count(PasskeyChallenge.id))) == 0


def test_a_body_that_is_not_a_passkey_answer_is_refused(app, ctx):
    agency = make_agency()
    link = _link(agency.org)
    client = app.test_client()
    csrf = csrf_from(client.get(link).text)
    for body in (None, [], {"credential": "x", "name": "Sam"}, {"credential": {}}):
        answer = client.post(f"{link}/passkey", json=body, headers={"X-CSRFToken": csrf})
        assert answer.status_code == 400
    assert _accounts() == 0
