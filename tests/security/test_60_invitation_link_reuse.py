"""Attack 60: an invitation link used twice, late, guessed or raced. Only its SHA-256 is kept;
it is claimed by one conditional UPDATE (unused and unexpired), so a second use, a use after 7
days or a made-up link makes no account, and a form without its CSRF token makes nothing."""

from __future__ import annotations

from flask import Flask

from broker import clock
from broker.extensions import db
from broker.models import Account, Invitation
from broker.people import invitations
from tests.agencies.helpers import make_agency
from tests.conftest import csrf_from
from tests.factories import bound


def _link(email: str) -> str:
    agency = make_agency()
    _, token = invitations.invite(agency.org, email, by="test", now=clock.now())
    db.session.commit()
    return f"/invitations/{token}"


def _accounts(email: str) -> int:
    return db.session.scalar(db.select(db.func.count(Account.id)).where(Account.username == email))


def test_a_used_link_makes_no_second_account(app: Flask, ctx):
    link = _link("sam@nsa.example")
    first, second = app.test_client(), app.test_client()
    # Both pages opened before either is sent, as in two tabs.
    pages = [first.get(link), second.get(link)]
    answers = [
        client.post(
            link,
            data={
                "csrf_token": csrf_from(page.text),
                "name": f"Sam {n}",
                "password": "a long enough password",
            },
        )
        for n, (client, page) in enumerate(zip((first, second), pages, strict=True))
    ]
    assert [a.status_code for a in answers] == [200, 410]
    assert _accounts("sam@nsa.example") == 1


def test_the_claim_is_one_conditional_update(app: Flask, ctx):
    """The domain refuses a second claim even when the page's check was passed first."""
    token = _link("kim@nsa.example").rsplit("/", 1)[1]
    invitations.accept(
        token,
        name="Kim",
        password="a long enough password",
        now=clock.now(),
        hasher=bound().hasher,
    )
    db.session.commit()
    try:
        invitations.accept(
            token,
            name="Kim Again",
            password="a long enough password",
            now=clock.now(),
            hasher=bound().hasher,
        )
    except invitations.InvitationRefused as refusal:
        assert refusal.reason == "used"
    else:
        raise AssertionError("a used invitation was accepted again")
    db.session.rollback()
    assert _accounts("kim@nsa.example") == 1


def test_a_late_link_makes_nothing(app: Flask, ctx, frozen_clock):
    link = _link("lou@nsa.example")
    client = app.test_client()
    page = client.get(link)
    frozen_clock.advance(days=6, hours=23, minutes=59)
    assert app.test_client().get(link).status_code == 200
    frozen_clock.advance(minutes=1)
    late = client.post(
        link,
        data={"csrf_token": csrf_from(page.text), "name": "Lou", "password": "a long password!"},
    )
    assert late.status_code == 410
    assert _accounts("lou@nsa.example") == 0


def test_only_the_hash_is_kept_and_a_guess_is_refused(app: Flask, ctx):
    link = _link("max@nsa.example")
    token = link.rsplit("/", 1)[1]
    assert db.session.scalar(db.select(Invitation.id).where(Invitation.token_hash == token)) is None
    assert app.test_client().get(link[:-1] + ("A" if link[-1] != "A" else "B")).status_code == 400


def test_no_csrf_token_makes_nothing(app: Flask, ctx):
    link = _link("ned@nsa.example")
    client = app.test_client()
    client.get(link)
    response = client.post(link, data={"name": "Ned", "password": "a long enough password"})
    assert response.status_code in (200, 400)
    assert _accounts("ned@nsa.example") == 0


# Issue 25: the passkey path claims the link by the same conditional UPDATE.


def _passkey_answer(client, link: str) -> tuple[str, dict]:  # noqa: ANN001
    """The page opened and a passkey made for it: the CSRF token and the answer, not yet sent."""
    from tests.passkeys.authenticator import SoftAuthenticator
    from tests.passkeys.conftest import ORIGIN, RP_ID

    csrf = csrf_from(client.get(link).text)
    options = client.post(
        f"{link}/passkey/options", json={"name": "Sam"}, headers={"X-CSRFToken": csrf}
    ).get_json()
    return csrf, SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID).create(options)


def _send(client, link: str, csrf: str, credential: dict):  # noqa: ANN001, ANN202
    return client.post(
        f"{link}/passkey",
        json={"credential": credential, "name": "Sam"},
        headers={"X-CSRFToken": csrf},
    )


def test_a_password_tab_and_a_passkey_tab_make_one_account(app: Flask, ctx):
    from broker.models import Passkey

    link = _link("pat@nsa.example")
    passkey_tab, password_tab = app.test_client(), app.test_client()
    csrf, credential = _passkey_answer(passkey_tab, link)
    page = password_tab.get(link)
    done = password_tab.post(
        link,
        data={"csrf_token": csrf_from(page.text), "name": "Pat", "password": "a long password!"},
    )
    assert done.status_code == 200
    late = _send(passkey_tab, link, csrf, credential)
    assert late.status_code == 410
    assert _accounts("pat@nsa.example") == 1
    assert db.session.scalar(db.select(db.func.count(Passkey.id))) == 0, "no passkey kept"
    assert passkey_tab.get("/adviser/").status_code == 303, "the late tab is not signed in"


def test_two_passkey_tabs_or_a_replayed_answer_make_one_account(app: Flask, ctx):
    link = _link("quinn@nsa.example")
    first, second = app.test_client(), app.test_client()
    answers = [_passkey_answer(first, link), _passkey_answer(second, link)]
    assert _send(first, link, *answers[0]).status_code == 200
    assert _send(second, link, *answers[1]).status_code == 410
    # The first answer sent again, from another browser with its own CSRF token.
    replayer = app.test_client()
    csrf = csrf_from(replayer.get("/sign-in").text)
    assert _send(replayer, link, csrf, answers[0][1]).status_code == 410
    assert _accounts("quinn@nsa.example") == 1
    assert replayer.get("/adviser/").status_code == 303


def test_a_late_passkey_answer_makes_nothing(app: Flask, ctx, frozen_clock):
    link = _link("ray@nsa.example")
    client = app.test_client()
    csrf, credential = _passkey_answer(client, link)
    frozen_clock.advance(days=7)
    assert _send(client, link, csrf, credential).status_code == 410
    assert _accounts("ray@nsa.example") == 0


def test_a_passkey_answer_without_the_csrf_token_makes_nothing(app: Flask, ctx):
    link = _link("sol@nsa.example")
    client = app.test_client()
    _, credential = _passkey_answer(client, link)
    response = client.post(f"{link}/passkey", json={"credential": credential, "name": "Sol"})
    assert response.status_code == 400
    assert _accounts("sol@nsa.example") == 0
