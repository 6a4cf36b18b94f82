"""Attack 65: locking everyone at an advice centre or a library out of "Give someone access" by
typing five wrong adviser codes there. Wrong codes count per claimant (5 in 15 minutes), and per
address only at a much higher limit shared by everyone there (ratelimit.SHARED_GUESS_LIMIT), so
one person's guesses stop only that person."""

from __future__ import annotations

from broker import ratelimit
from broker.extensions import db
from broker.models import Grant
from broker.people import accounts
from tests.factories import make_adviser, make_claimant
from tests.security.test_32_adviser_code_guessing import give_access, phone_at

LIBRARY = "203.0.113.40"


def test_one_claimants_wrong_codes_do_not_stop_another_at_the_same_address(app, case):
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    guesser = phone_at(app, case.username, LIBRARY)
    neighbour = phone_at(app, make_claimant("Sam Lee").account.username, LIBRARY)

    wrong = [give_access(guesser, f"NSA-{n:04d}") for n in range(accounts.WRONG_CODE_LIMIT)]
    theirs = give_access(neighbour, adviser.code)
    given = give_access(neighbour, adviser.code, confirmed="yes")

    assert [r.status_code for r in wrong] == [400] * accounts.WRONG_CODE_LIMIT
    assert theirs.status_code == 200 and "Priya Shah" in theirs.text  # the check page
    assert given.status_code in (302, 303)
    assert len(db.session.scalars(db.select(Grant)).all()) == 1


def test_the_guesser_is_still_limited_wherever_they_are(app, case):
    adviser = make_adviser()
    guesser = phone_at(app, case.username, LIBRARY)
    for n in range(accounts.WRONG_CODE_LIMIT):
        give_access(guesser, f"NSA-{n:04d}")

    assert give_access(guesser, adviser.code).status_code == 429
    elsewhere = phone_at(app, case.username, "198.51.100.41")
    assert give_access(elsewhere, adviser.code).status_code == 429


def test_many_accounts_guessing_from_one_address_are_still_stopped(app, ctx):
    adviser = make_adviser()
    for n in range(ratelimit.SHARED_GUESS_LIMIT):
        if n % accounts.WRONG_CODE_LIMIT == 0:
            phone = phone_at(app, make_claimant().account.username, LIBRARY)
        give_access(phone, f"ZZZ-{n:04d}")

    fresh = phone_at(app, make_claimant().account.username, LIBRARY)
    assert give_access(fresh, adviser.code).status_code == 429
    assert ratelimit.SHARED_GUESS_LIMIT >= 10 * accounts.WRONG_CODE_LIMIT
