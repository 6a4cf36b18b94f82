"""Choosing English or Welsh: the switch is a CSRF-protected form that returns to the same page,
the choice is kept in a cookie and on the claimant's account, and dates, durations and scope
wording follow it. Adviser and staff pages stay in English."""

from __future__ import annotations

from datetime import UTC, datetime

from broker import i18n
from broker.extensions import db
from broker.models import Account
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, make_grant


def switch(client, language: str, next_url: str, page: str = "/sign-in"):  # noqa: ANN001, ANN201
    token = csrf_from(client.get(page).text)
    return client.post(
        "/language", data={"csrf_token": token, "language": language, "next": next_url}
    )


def test_the_switch_returns_to_the_same_page_in_welsh_and_sets_a_cookie(client):
    response = switch(client, "cy", "/sign-in?next=/history")

    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in?next=/history"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("language=cy;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/sign-in?next=/history")
    assert '<html lang="cy"' in page.text and "Mewngofnodi" in page.text


def test_the_switch_never_sends_anyone_off_the_site(client):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", ""):
        assert switch(client, "cy", target).headers["Location"] == "/", target


def test_the_switch_without_its_csrf_token_changes_nothing(app, ctx):
    claimant = make_claimant()
    client = app.test_client()
    sign_in(client, claimant.account.username)

    response = client.post("/language", data={"language": "cy", "next": "/"})

    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers or "language=" not in response.headers["Set-Cookie"]
    db.session.expire_all()
    assert db.session.get(Account, claimant.id).language == "en"


def test_an_unknown_language_falls_back_to_english(client):
    response = switch(client, "xx", "/sign-in")
    assert response.headers["Set-Cookie"].startswith("language=en;")


def test_a_signed_in_claimants_choice_is_saved_and_follows_them_to_another_device(app, ctx):
    claimant = make_claimant("Alex Morgan")
    phone = app.test_client()
    sign_in(phone, claimant.account.username)

    switch(phone, "cy", "/access", page="/access")
    db.session.expire_all()
    assert db.session.get(Account, claimant.id).language == "cy"

    laptop = app.test_client()  # no cookie here
    assert '<html lang="en"' in laptop.get("/sign-in").text
    sign_in(laptop, claimant.account.username)
    home = laptop.get("/")
    assert '<html lang="cy"' in home.text and "Helo, Alex Morgan" in home.text
    assert laptop.get_cookie("language").value == "cy"  # so the next sign-in page is Welsh too


def test_a_choice_made_on_the_sign_in_page_is_saved_to_the_account(app, ctx):
    claimant = make_claimant()
    client = app.test_client()
    switch(client, "cy", "/sign-in")

    sign_in(client, claimant.account.username)

    db.session.expire_all()
    assert db.session.get(Account, claimant.id).language == "cy"


def test_a_welsh_browser_gets_welsh_until_they_choose(client):
    page = client.get("/sign-in", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"})
    assert '<html lang="cy"' in page.text
    client.set_cookie("language", "en")
    page = client.get("/sign-in", headers={"Accept-Language": "cy"})
    assert '<html lang="en"' in page.text


def test_adviser_pages_stay_in_english_without_a_switch(app, ctx):
    adviser = make_adviser("Priya Shah")
    client = app.test_client()
    client.set_cookie("language", "cy")
    sign_in(client, adviser.account.username)

    page = client.get("/", follow_redirects=True).text  # the adviser's own start page

    assert '<html lang="en"' in page
    assert 'action="/language"' not in page


def test_dates_durations_and_scope_wording_are_in_welsh(app, ctx):
    claimant = make_claimant("Alex Morgan")
    grant = make_grant(claimant, make_adviser("Priya Shah"), "mr:read payments:read", months=3)
    client = app.test_client()
    client.set_cookie("language", "cy")
    sign_in(client, claimant.account.username)

    access = client.get("/access").text
    give = client.get("/access/new").text

    assert i18n.LANGUAGES["cy"].name in access
    assert "Gweld faint rydych chi&#39;n cael eich talu a phryd." in access
    with app.test_request_context(headers={"Cookie": "language=cy"}):
        assert i18n.day(grant.ends_at) in access
        assert i18n.day(datetime(2026, 11, 23, tzinfo=UTC)) == "23 Tachwedd 2026"
        assert i18n.months(3) == "3 mis" and i18n.months(1) == "1 mis"
    assert "3 mis" in give and "Eich taliadau" in give


def test_dates_are_shown_on_the_uk_clock(app):
    with app.test_request_context():
        summer_midnight = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in London
        assert i18n.day(summer_midnight) == "2 July 2026"
        assert i18n.moment(summer_midnight) == "2 July 2026, 00:30"
