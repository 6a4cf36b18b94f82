"""security.md 27: a session kept after sign-out. Sessions live in the database: sign-out, "sign
out everywhere else" and "stop all access" end them wherever the cookie was copied; an idle limit
(30 minutes for claimants) and an absolute one (12 hours); CSRF tokens die with their session;
every sign-in gets a new session ID."""

from __future__ import annotations

from broker.extensions import db
from broker.models import Grant, UserSession
from tests.conftest import csrf_from, sign_in
from tests.factories import bound, make_adviser, make_grant

COOKIE = "session"


def copy_cookie(source, target) -> None:  # noqa: ANN001
    """What a thief does: take the session cookie from one browser into another."""
    target.set_cookie(COOKIE, source.get_cookie(COOKIE).value)


def goes_to_sign_in(response) -> bool:  # noqa: ANN001
    return response.status_code == 303 and response.headers["Location"].startswith("/sign-in")


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, case):
    victim = app.test_client()
    sign_in(victim, case.username)
    thief = app.test_client()
    copy_cookie(victim, thief)
    assert thief.get("/access").status_code == 200  # the copy works while the session lives

    victim.post("/sign-out", data={"csrf_token": csrf_from(victim.get("/").text)})

    assert goes_to_sign_in(thief.get("/access"))
    assert goes_to_sign_in(thief.get("/history.json"))
    assert goes_to_sign_in(victim.get("/access"))
    row = db.session.scalars(db.select(UserSession)).one()
    assert row.ended_at is not None and row.end_reason == "signed-out"


def test_a_csrf_token_of_an_ended_session_changes_nothing(app, case):
    make_grant(case.claimant, make_adviser())
    victim = app.test_client()
    sign_in(victim, case.username)
    thief = app.test_client()
    copy_cookie(victim, thief)
    token = csrf_from(thief.get("/access/stop-all").text)

    victim.post("/sign-out", data={"csrf_token": csrf_from(victim.get("/").text)})
    stop = thief.post("/access/stop-all", data={"csrf_token": token})

    assert stop.status_code in (303, 400)
    assert stop.status_code == 400 or goes_to_sign_in(stop)
    assert db.session.scalars(db.select(Grant)).one().status == "active"


def test_the_session_id_and_csrf_secret_are_new_at_every_sign_in(app, case):
    browser = app.test_client()
    before = browser.get("/sign-in")
    planted = browser.get_cookie(COOKIE).value  # what a fixation attacker would plant
    sign_in(browser, case.username)
    first = browser.get_cookie(COOKIE).value
    first_token = csrf_from(browser.get("/").text)
    old = app.test_client()
    copy_cookie(browser, old)

    sign_in(browser, case.username)  # signing in again in the same browser
    second = browser.get_cookie(COOKIE).value

    assert len({planted, first, second}) == 3
    assert csrf_from(before.text) != first_token != csrf_from(browser.get("/").text)
    assert goes_to_sign_in(old.get("/access"))  # the session it replaced has ended
    stale = browser.post("/access/stop-all", data={"csrf_token": first_token})
    assert stale.status_code == 400  # a token of the old session is not one of this session
    assert browser.get("/access").status_code == 200


def test_the_database_holds_only_a_hash_of_the_session_id(app, case):
    browser = app.test_client()
    sign_in(browser, case.username)
    cookie = browser.get_cookie(COOKIE).value
    row = db.session.scalars(db.select(UserSession)).one()

    from itsdangerous import URLSafeTimedSerializer

    raw = URLSafeTimedSerializer(
        app.secret_key, salt="cookie-session", signer_kwargs={"key_derivation": "hmac"}
    ).loads(cookie)
    assert set(raw) == {"sid"}  # the cookie carries the session ID and nothing else
    assert raw["sid"] not in (row.id_hash, row.csrf_secret)
    import hashlib

    assert row.id_hash == hashlib.sha256(raw["sid"].encode()).hexdigest()
    assert row.account_id == case.claimant_id


def test_an_idle_claimant_session_ends_after_30_minutes(app, case, frozen_clock):
    browser = app.test_client()
    sign_in(browser, case.username)

    frozen_clock.advance(minutes=29)
    assert browser.get("/access").status_code == 200  # used in time: the idle clock restarts
    frozen_clock.advance(minutes=29)
    assert browser.get("/access").status_code == 200
    frozen_clock.advance(minutes=30)

    assert goes_to_sign_in(browser.get("/access"))


def test_a_busy_session_still_ends_12_hours_after_sign_in(app, case, frozen_clock):
    browser = app.test_client()
    sign_in(browser, case.username)
    for _ in range(23):
        frozen_clock.advance(minutes=30, seconds=-1)
        assert browser.get("/").status_code == 200

    frozen_clock.advance(minutes=30)

    assert goes_to_sign_in(browser.get("/access"))


def test_last_seen_is_written_at_most_once_a_minute(app, case, frozen_clock):
    browser = app.test_client()
    sign_in(browser, case.username)
    signed_in_at = db.session.scalars(db.select(UserSession.last_seen_at)).one()

    for _ in range(5):
        frozen_clock.advance(seconds=10)
        browser.get("/access")
    db.session.expire_all()
    unchanged = db.session.scalars(db.select(UserSession.last_seen_at)).one()
    frozen_clock.advance(seconds=20)
    browser.get("/access")
    db.session.expire_all()
    moved = db.session.scalars(db.select(UserSession.last_seen_at)).one()

    assert unchanged == signed_in_at
    assert moved == frozen_clock.now


PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36"
)


def test_sign_out_everywhere_else_ends_every_other_session_and_keeps_this_one(app, case):
    phone = app.test_client()
    sign_in(phone, case.username)
    stolen = app.test_client()
    stolen.environ_base["HTTP_USER_AGENT"] = PHONE_UA
    sign_in(stolen, case.username)
    copy = app.test_client()
    copy_cookie(stolen, copy)

    question = phone.get("/sign-out-elsewhere")
    done = phone.post("/sign-out-elsewhere", data={"csrf_token": csrf_from(question.text)})
    home = phone.get(done.headers["Location"])

    assert question.status_code == 200
    assert "Sign out everywhere else?" in question.text
    assert "You are also signed in on 1 other phone or computer" in question.text
    assert "Chrome on Android" in question.text
    assert done.status_code == 303
    assert "You signed out everywhere else" in home.text
    assert home.status_code == 200 and phone.get("/access").status_code == 200
    assert goes_to_sign_in(stolen.get("/access"))
    assert goes_to_sign_in(copy.get("/history.json"))
    again = phone.get("/sign-out-elsewhere")
    assert "You are not signed in on any other phone or computer" in again.text


def test_sign_out_everywhere_else_needs_its_csrf_token(app, case):
    phone = app.test_client()
    sign_in(phone, case.username)
    other = app.test_client()
    sign_in(other, case.username)

    refused = phone.post("/sign-out-elsewhere")

    assert refused.status_code == 400
    assert other.get("/access").status_code == 200


def test_stop_all_access_also_ends_the_claimants_other_sessions(app, case):
    make_grant(case.claimant, make_adviser())
    phone = app.test_client()
    sign_in(phone, case.username)
    thief = app.test_client()
    sign_in(thief, case.username)  # someone who knows the password, on another phone

    question = phone.get("/access/stop-all")
    phone.post("/access/stop-all", data={"csrf_token": csrf_from(question.text)})

    assert goes_to_sign_in(thief.get("/access"))
    assert phone.get("/access").status_code == 200
    assert db.session.scalars(db.select(Grant)).one().status == "revoked"


def test_the_home_page_links_to_sign_out_everywhere_else(app, case):
    phone = app.test_client()
    sign_in(phone, case.username)

    assert 'href="/sign-out-elsewhere">Sign out everywhere else</a>' in phone.get("/").text


def test_sign_out_everywhere_else_is_in_welsh_for_a_welsh_speaker(app, case):
    phone = app.test_client()
    phone.set_cookie("language", "cy")
    sign_in(phone, case.username)
    other = app.test_client()
    sign_in(other, case.username)

    question = phone.get("/sign-out-elsewhere")
    done = phone.post("/sign-out-elsewhere", data={"csrf_token": csrf_from(question.text)})
    home = phone.get(done.headers["Location"])

    assert 'lang="cy"' in question.text
    assert "Allgofnodi ym mhob man arall?" in question.text
    assert "Sign out everywhere else" not in question.text
    assert "Rydych wedi allgofnodi ym mhob man arall" in home.text


def test_an_admin_session_idles_out_after_15_minutes_an_advisers_after_30(app, ctx, frozen_clock):
    from broker import clock
    from broker.people import accounts

    admin = accounts.create_account(
        "robin@broker.example",
        "pw-for-tests",
        "admin",
        "Robin Admin",
        clock.now(),
        hasher=bound().hasher,
    )
    db.session.commit()
    adviser = make_adviser()
    admin_browser, adviser_browser = app.test_client(), app.test_client()
    sign_in(admin_browser, admin.username)
    sign_in(adviser_browser, adviser.account.username)

    frozen_clock.advance(minutes=16)

    assert goes_to_sign_in(admin_browser.get("/admin/"))
    assert adviser_browser.get("/adviser/").status_code == 200
