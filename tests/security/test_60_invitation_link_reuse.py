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
