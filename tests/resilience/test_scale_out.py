"""The broker scales out: two broker servers (two gunicorn masters, each with gunicorn.conf.py's
settings and workers of its own, on two ports, as behind a load balancer) on one PostgreSQL act
as one. A revoke through one is honoured by the very next request on the other; a session cookie
from one opens the other, and signing out on one ends it on both; failed sign-ins on one count on
the other; and under concurrent load through both, each claimant's audit events form one unbroken
chain. Every piece of state lives in the database, none in a process.

Runs in both passes of CI: on its own PostgreSQL cluster (tests/resilience/conftest.py), whatever
the suite's own database."""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from broker.people.accounts import SIGN_IN_LIMIT

from .conftest import (
    Postgres,
    Server,
    bearer,
    ledger,
    prepare,
    start_server,
    stop_server,
    verify_audit,
)

APP = "broker:create_app()"  # as production serves it: configured from the environment alone
WORKERS = 2  # each server's own: four processes in all, none of which shares memory
LOAD_SECONDS = 5
REVOKE, SESSION, SIGN_IN, *LOADED = range(6)  # one claimant per test, so the tests stay apart


@dataclass
class Pair:
    url: str
    tmp_path: Path
    people: list[dict[str, str]]
    a: Server
    b: Server


@pytest.fixture(scope="module")
def pair(resilience_pg: Postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    tmp_path = tmp_path_factory.mktemp("scale-out")
    url = resilience_pg.fresh_database("resilience_scale_out")
    people = prepare(url, tmp_path, claimants=6)
    a = start_server(url, tmp_path, workers=WORKERS, app=APP)
    try:
        b = start_server(url, tmp_path, workers=WORKERS, app=APP)
    except BaseException:
        stop_server(a)
        raise
    yield Pair(url, tmp_path, people, a, b)
    with ThreadPoolExecutor() as pool:  # each waits out its graceful shutdown: side by side
        list(pool.map(stop_server, (a, b)))


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def _sign_in(http: httpx.Client, base: str, username: str, password: str) -> httpx.Response:
    page = http.get(f"{base}/sign-in")
    return http.post(
        f"{base}/sign-in",
        data={"username": username, "password": password, "csrf_token": _csrf(page.text)},
    )


def _read(base: str, person: dict[str, str]) -> int:
    """One read on a connection of its own, so each may land on any of the server's workers."""
    return httpx.get(
        f"{base}/api/v1/mr-decisions/{person['decision_id']}",
        headers={**bearer(person["token"]), "Connection": "close"},
        timeout=20,
    ).status_code


def test_a_revoke_through_one_server_is_honoured_by_the_next_request_on_the_other(
    pair: Pair,
) -> None:
    person = pair.people[REVOKE]
    # B's workers have seen the token and remember its signature (tokens.TokenService): only the
    # database can tell them that its grant has ended.
    warm = WORKERS * 4
    with ThreadPoolExecutor(max_workers=WORKERS * 2) as pool:
        before = list(pool.map(lambda _: _read(pair.b.base_url, person), range(warm)))
    assert before == [200] * warm

    with httpx.Client(timeout=20) as phone:
        signed_in = _sign_in(phone, pair.a.base_url, person["username"], "pw-for-tests")
        assert signed_in.status_code == 303
        confirm = phone.get(f"{pair.a.base_url}/access/{person['grant_id']}/revoke")
        revoked = phone.post(
            f"{pair.a.base_url}/access/{person['grant_id']}/revoke",
            data={"csrf_token": _csrf(confirm.text)},
        )
        after = [_read(pair.b.base_url, person) for _ in range(WORKERS * 3)]

    assert revoked.status_code == 303
    assert after == [401] * len(after)  # the very next request, and every one after, on B
    held = ledger(pair.url)
    assert held.allowed(person["jti"], "mr.read") == warm  # only the reads before
    assert held.events.get((person["jti"], "mr.read", "refused:grant_inactive")) == len(after)


def test_a_session_from_one_server_works_on_the_other_and_ends_on_both(pair: Pair) -> None:
    person = pair.people[SESSION]
    a, b = pair.a.base_url, pair.b.base_url
    with httpx.Client(timeout=20) as phone:  # one cookie jar: 127.0.0.1 is one site to it
        assert _sign_in(phone, a, person["username"], "pw-for-tests").status_code == 303
        copy_of_cookie = phone.cookies["session"]
        home_on_b = phone.get(f"{b}/access")
        sign_out = phone.post(f"{b}/sign-out", data={"csrf_token": _csrf(home_on_b.text)})
        after_on_a = phone.get(f"{a}/access")
        stale = httpx.get(f"{a}/access", cookies={"session": copy_of_cookie}, timeout=20)

    assert home_on_b.status_code == 200
    assert "/sign-out" in home_on_b.text  # signed in on B with A's session
    assert sign_out.status_code == 303
    assert after_on_a.status_code in (302, 303)  # signed out on A too: sent to sign in
    assert "/sign-in" in after_on_a.headers["Location"]
    assert stale.status_code in (302, 303)


def test_failed_sign_ins_on_one_server_count_on_the_other(pair: Pair) -> None:
    person = pair.people[SIGN_IN]
    servers = itertools.cycle((pair.a.base_url, pair.b.base_url))
    with httpx.Client(timeout=20) as http:
        wrong = [
            _sign_in(http, next(servers), person["username"], f"guess-{n}").status_code
            for n in range(SIGN_IN_LIMIT)
        ]
        right_on_a = _sign_in(http, pair.a.base_url, person["username"], "pw-for-tests")
        right_on_b = _sign_in(http, pair.b.base_url, person["username"], "pw-for-tests")

    assert wrong == [400] * SIGN_IN_LIMIT  # shared between A and B, not SIGN_IN_LIMIT each
    assert right_on_a.status_code == 429 and right_on_a.headers["Retry-After"]
    assert right_on_b.status_code == 429 and right_on_b.headers["Retry-After"]


class Client(threading.Thread):
    """Reads and lodges MR requests with one token, through A and B in turn, until told."""

    def __init__(self, servers: tuple[str, str], person: dict[str, str], stop_at: float) -> None:
        super().__init__(daemon=True)
        self.servers, self.person, self.stop_at = servers, person, stop_at
        self.reads_ok = 0
        self.writes_ok: set[str] = set()
        self.unexpected: list[object] = []

    def run(self) -> None:
        headers = bearer(self.person["token"])
        clients = [httpx.Client(base_url=base, timeout=20) for base in self.servers]
        try:
            for n in itertools.count():
                if time.monotonic() >= self.stop_at:
                    return
                http = clients[n % 2]
                if n % 3:
                    response = http.get(
                        f"/api/v1/mr-decisions/{self.person['decision_id']}", headers=headers
                    )
                    if response.status_code == 200:
                        self.reads_ok += 1
                        continue
                else:
                    about = f"{self.person['jti'][:8]} via {self.servers[0]} request {n}"
                    response = http.post(
                        "/api/v1/mr-requests",
                        headers=headers,
                        json={"decision_about": about, "reasons": "Evidence"},
                    )
                    if response.status_code == 201:
                        self.writes_ok.add(response.json()["subject"])
                        continue
                self.unexpected.append((response.status_code, response.text[:200]))
        finally:
            for http in clients:
                http.close()


def test_concurrent_load_through_both_servers_keeps_one_unbroken_chain_per_claimant(
    pair: Pair,
) -> None:
    stop_at = time.monotonic() + LOAD_SECONDS
    servers = (pair.a.base_url, pair.b.base_url)
    # Two clients per claimant, one starting on each server: the same chain is appended to by
    # both servers at the same moment.
    clients = [
        Client(servers if first else servers[::-1], pair.people[i], stop_at)
        for i in LOADED
        for first in (True, False)
    ]
    seen_a, seen_b = len(pair.a.answering_pids()), len(pair.b.answering_pids())
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=60)

    assert all(not c.is_alive() for c in clients)
    assert [c.unexpected for c in clients] == [[]] * len(clients)
    assert len(set(pair.a.answering_pids()[seen_a:])) == WORKERS  # every worker of both took some
    assert len(set(pair.b.answering_pids()[seen_b:])) == WORKERS
    held = ledger(pair.url)
    for i in LOADED:
        person = pair.people[i]
        mine = [c for c in clients if c.person is person]
        assert held.allowed(person["jti"], "mr.read") == sum(c.reads_ok for c in mine)
        written = set().union(*(c.writes_ok for c in mine))
        assert held.requests.get(person["jti"], set()) == written
        assert held.allowed(person["jti"], "mr.request") == len(written) > 0
    result = verify_audit(pair.url, pair.tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Every audit chain is intact" in result.stdout
