"""security.md 31: lock-out as a weapon. Wrong passwords count per account-and-address pair with a
growing wait (1 minute after 5 failures, then 2, 4, 8, at most 15), so a stranger's failures from
elsewhere never lock a claimant out of their own phone, and people behind one shared address do
not lock each other out; one address spraying many accounts meets a higher cap (security.md 26).
"""

from __future__ import annotations

from broker.people import accounts
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_claimant


def browser_at(app, address: str):  # noqa: ANN001, ANN201
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def attempt(browser, username: str, password: str):  # noqa: ANN001, ANN201
    page = browser.get("/sign-in")
    return browser.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
    )


def test_a_strangers_failures_do_not_lock_the_claimant_out_of_their_own_phone(app, case):
    stranger = browser_at(app, "203.0.113.66")
    tries = [attempt(stranger, case.username, f"guess-{n}").status_code for n in range(20)]

    own_phone = attempt(browser_at(app, "198.51.100.1"), case.username, PASSWORD)

    assert tries[:5] == [400] * 5 and set(tries[5:]) == {429}  # the stranger waits
    assert own_phone.status_code == 303
    assert attempt(stranger, case.username, PASSWORD).status_code == 429


def test_people_behind_one_shared_address_do_not_lock_each_other_out(app, case):
    advice_centre = "192.0.2.80"
    for _ in range(5):
        person = make_claimant()
        for n in range(4):
            attempt(browser_at(app, advice_centre), person.account.username, f"typo-{n}")

    signed_in = attempt(browser_at(app, advice_centre), case.username, PASSWORD)

    assert signed_in.status_code == 303


def test_the_wait_grows_with_each_failure_and_stops_at_15_minutes(app, case, frozen_clock):
    guesser = browser_at(app, "203.0.113.67")
    for n in range(accounts.SIGN_IN_LIMIT):
        attempt(guesser, case.username, f"guess-{n}")

    waits = []
    for n in range(7):
        refused = attempt(guesser, case.username, f"early-{n}")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        frozen_clock.advance(seconds=waits[-1])
        assert attempt(guesser, case.username, f"late-{n}").status_code == 400

    assert waits == [60, 120, 240, 480, 900, 900, 900]


def test_the_right_password_forgets_the_pairs_failures(app, case):
    phone = browser_at(app, "198.51.100.2")
    for n in range(accounts.SIGN_IN_LIMIT - 1):
        attempt(phone, case.username, f"typo-{n}")
    assert attempt(phone, case.username, PASSWORD).status_code == 303

    later = browser_at(app, "198.51.100.2")
    again = [attempt(later, case.username, f"typo-{n}").status_code for n in range(4)]

    assert again == [400] * 4
    assert attempt(later, case.username, PASSWORD).status_code == 303
