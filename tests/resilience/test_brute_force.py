"""Rate limits hold across gunicorn workers: the counter lives in the database, so a burst spread
over every worker is refused after the limit, not after the limit times the number of workers.
Sign-in failures count per account-and-address pair (then a growing wait), user codes and
adviser codes per account and per address (security.md 21, 26, 31, 32)."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from broker.people.accounts import SIGN_IN_LIMIT

from .conftest import prepare

WORKERS = 3


def _burst(send, count: int) -> Counter:
    """Send `count` requests from several threads at once, so that every worker takes some and
    they race each other on the shared counter; the statuses, counted."""
    with ThreadPoolExecutor(max_workers=WORKERS * 2) as pool:
        return Counter(pool.map(send, range(count)))


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def test_a_sign_in_burst_for_one_account_from_one_address_is_refused_after_the_limit(
    pass_database: str, serve, tmp_path: Path
) -> None:
    (person,) = prepare(pass_database, tmp_path, scopes="mr:read")
    server = serve(pass_database, workers=WORKERS)
    attempts = SIGN_IN_LIMIT * WORKERS
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        token = _csrf(http.get("/sign-in").text)
        first_pid_line = len(server.answering_pids())

        def guess(n: int) -> int:
            return http.post(
                "/sign-in",
                headers={"Connection": "close"},
                data={
                    "username": person["username"],
                    "password": f"guess-{n}",
                    "csrf_token": token,
                },
            ).status_code

        statuses = _burst(guess, attempts)
        right_password = http.post(
            "/sign-in",
            data={"username": person["username"], "password": "pw-for-tests", "csrf_token": token},
        )

    answered_by = set(server.answering_pids()[first_pid_line:])
    assert len(answered_by) >= 2, "the burst should be spread over several workers"
    assert statuses == Counter({400: SIGN_IN_LIMIT, 429: attempts - SIGN_IN_LIMIT})
    assert right_password.status_code == 429  # even the right password waits out the window
    assert right_password.headers["Retry-After"]
    assert "account_id" not in str(http.cookies)


def test_a_user_code_guessing_burst_across_all_workers_is_refused_after_the_limit(
    pass_database: str, serve, tmp_path: Path
) -> None:
    from broker.consent.device import WRONG_CODE_LIMIT

    (person,) = prepare(pass_database, tmp_path, scopes="mr:read")
    server = serve(pass_database, workers=WORKERS)
    guesses = WRONG_CODE_LIMIT * WORKERS
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        page = http.get("/sign-in")
        signed_in = http.post(
            "/sign-in",
            data={
                "username": person["username"],
                "password": "pw-for-tests",
                "csrf_token": _csrf(page.text),
            },
        )
        assert signed_in.status_code == 303
        first_pid_line = len(server.answering_pids())

        def guess(n: int) -> int:
            letter = "BCDFGHJKLMNPQRSTVWXZ"[n]
            return http.get(
                "/device",
                params={"user_code": f"BCDF-GH{letter}{letter}"},
                headers={"Connection": "close"},
            ).status_code

        statuses = _burst(guess, guesses)

    assert len(set(server.answering_pids()[first_pid_line:])) >= 2
    assert statuses == Counter({400: WRONG_CODE_LIMIT, 429: guesses - WRONG_CODE_LIMIT})


def test_an_adviser_code_guessing_burst_across_all_workers_is_refused_after_the_limit(
    pass_database: str, serve, tmp_path: Path
) -> None:
    from broker.people.accounts import WRONG_CODE_LIMIT

    (person,) = prepare(pass_database, tmp_path, scopes="mr:read")
    server = serve(pass_database, workers=WORKERS)
    guesses = WRONG_CODE_LIMIT * WORKERS
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        page = http.get("/sign-in")
        signed_in = http.post(
            "/sign-in",
            data={
                "username": person["username"],
                "password": "pw-for-tests",
                "csrf_token": _csrf(page.text),
            },
        )
        assert signed_in.status_code == 303
        token = _csrf(http.get("/access/new").text)
        first_pid_line = len(server.answering_pids())

        def guess(n: int) -> int:
            return http.post(
                "/access/new",
                headers={"Connection": "close"},
                data={
                    "csrf_token": token,
                    "adviser_code": f"ZZZ-{n:04d}",
                    "purpose": "Help with my appeal",
                    "relationship": "Welfare rights adviser",
                    "months": "3",
                    "scopes": ["mr:read"],
                },
            ).status_code

        statuses = _burst(guess, guesses)

    assert len(set(server.answering_pids()[first_pid_line:])) >= 2
    assert statuses == Counter({400: WRONG_CODE_LIMIT, 429: guesses - WRONG_CODE_LIMIT})
