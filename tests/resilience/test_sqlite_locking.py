"""SQLite under contention: a request that cannot get the write lock within the busy timeout is
answered 503 with a clear body, never 500; otherwise it waits its turn and succeeds."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from .conftest import bearer, ledger, prepare, verify_audit


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def test_a_write_lock_held_past_the_busy_timeout_is_503_then_service_resumes(
    serve, tmp_path: Path
) -> None:
    path = tmp_path / "locked.sqlite3"
    url = f"sqlite:///{path}"
    (person,) = prepare(url, tmp_path)
    server = serve(url, workers=2, SQLITE_BUSY_TIMEOUT_MS="300")
    headers = bearer(person["token"])
    read_path = f"/api/v1/mr-decisions/{person['decision_id']}"
    with httpx.Client(base_url=server.base_url, timeout=20) as http:
        sign_in_page = http.get("/sign-in")
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock for a long time
        try:
            read = http.get(read_path, headers=headers)
            write = http.post(
                "/api/v1/mr-requests",
                headers=headers,
                json={"decision_about": "while locked", "reasons": "R"},
            )
            page = http.post(
                "/sign-in",
                data={
                    "username": person["username"],
                    "password": "pw-for-tests",
                    "csrf_token": _csrf(sign_in_page.text),
                },
            )
        finally:
            blocker.rollback()
            blocker.close()
        read_after = http.get(read_path, headers=headers)

    for response in (read, write):
        assert response.status_code == 503
        assert response.json()["error"] == "temporarily_unavailable"
        assert response.headers["Retry-After"]
    assert page.status_code == 503
    assert "<h1" in page.text
    assert read_after.status_code == 200
    held = ledger(url)
    assert held.requests == {}  # the locked-out write left nothing behind
    assert held.allowed(person["jti"], "mr.read") == 1
    assert verify_audit(url, tmp_path).returncode == 0


def test_many_writers_through_several_workers_wait_their_turn_and_never_see_a_500(
    serve, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    people = prepare(url, tmp_path, claimants=3)
    server = serve(url, workers=3)
    stop_at = time.monotonic() + 4
    seen: list[tuple[str, int | str]] = []
    written: set[str] = set()

    def client(person: dict[str, str], name: str) -> None:
        headers = bearer(person["token"])
        n = 0
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            while time.monotonic() < stop_at:
                n += 1
                try:
                    if n % 2:
                        response = http.get(
                            f"/api/v1/mr-decisions/{person['decision_id']}", headers=headers
                        )
                    else:
                        request = {"decision_about": f"{name} {n}", "reasons": "R"}
                        response = http.post("/api/v1/mr-requests", headers=headers, json=request)
                        if response.status_code == 201:
                            written.add(response.json()["subject"])
                    seen.append((name, response.status_code))
                except httpx.TransportError as exc:
                    seen.append((name, type(exc).__name__))

    threads = [
        threading.Thread(target=client, args=(person, f"client {i}-{k}"))
        for i, person in enumerate(people)
        for k in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = {status for _name, status in seen}
    assert statuses <= {200, 201, 503}, statuses
    assert {200, 201} <= statuses
    held = ledger(url)
    for person in people:
        subjects = held.requests.get(person["jti"], set())
        assert len(subjects) == held.allowed(person["jti"], "mr.request")
    assert written <= set().union(*held.requests.values())
    assert verify_audit(url, tmp_path).returncode == 0
