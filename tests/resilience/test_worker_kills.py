"""Killing gunicorn workers with SIGKILL under load loses no audit event: every read or write a
client saw succeed has its event, no write exists without one, and the chains verify."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from pathlib import Path

import httpx

from .conftest import Server, bearer, ledger, prepare, verify_audit

LOAD_SECONDS = 6
KILL_EVERY = 1.2


class Client(threading.Thread):
    """Reads an MR decision and lodges MR requests in turn with one token, never retrying."""

    def __init__(self, base_url: str, person: dict[str, str], stop_at: float) -> None:
        super().__init__(daemon=True)
        self.base_url, self.person, self.stop_at = base_url, person, stop_at
        self.reads_ok = self.reads_lost = self.writes_lost = 0
        self.writes_ok: set[str] = set()
        self.unexpected: list[object] = []

    def run(self) -> None:
        headers = bearer(self.person["token"])
        n = 0
        with httpx.Client(base_url=self.base_url, timeout=20) as http:
            while time.monotonic() < self.stop_at:
                n += 1
                reading = n % 3 != 0
                # Split, so that a hex jti such as "ab123456" never reads as an NI number (the
                # screening would rightly refuse it: 422).
                about = f"{self.person['jti'][:4]}-{self.person['jti'][4:8]} request {n}"
                try:
                    if reading:
                        response = http.get(
                            f"/api/v1/mr-decisions/{self.person['decision_id']}", headers=headers
                        )
                    else:
                        request = {"decision_about": about, "reasons": "Evidence"}
                        response = http.post("/api/v1/mr-requests", headers=headers, json=request)
                except httpx.TransportError:
                    # The worker died with the request: it may or may not have committed.
                    if reading:
                        self.reads_lost += 1
                    else:
                        self.writes_lost += 1
                    continue
                if reading and response.status_code == 200:
                    self.reads_ok += 1
                elif not reading and response.status_code == 201:
                    self.writes_ok.add(response.json()["subject"])
                elif response.status_code not in (502, 503):
                    self.unexpected.append((response.status_code, response.text[:200]))


def kill_workers_under_load(
    server: Server, people: list[dict[str, str]], *, seed: int
) -> tuple[list[Client], int]:
    """A Client per person for LOAD_SECONDS while a random worker is SIGKILLed every KILL_EVERY
    seconds; the clients once they have stopped, and how many workers were killed."""
    stop_at = time.monotonic() + LOAD_SECONDS
    clients = [Client(server.base_url, person, stop_at) for person in people]
    for client in clients:
        client.start()
    killed = 0
    rng = random.Random(seed)
    while time.monotonic() < stop_at - 0.5:
        time.sleep(KILL_EVERY)
        workers = server.workers()
        if workers:
            os.kill(rng.choice(workers), signal.SIGKILL)
            killed += 1
    for client in clients:
        client.join(timeout=60)
    return clients, killed


def test_sigkill_of_workers_under_load_loses_no_audit_event(
    resilience_pg, serve, tmp_path: Path
) -> None:
    url = resilience_pg.fresh_database("resilience_kill")
    people = prepare(url, tmp_path, claimants=4)
    server = serve(url, workers=3)
    clients, killed = kill_workers_under_load(server, people, seed=7)

    assert killed >= 3
    assert all(not c.is_alive() for c in clients)
    assert [c.unexpected for c in clients] == [[]] * len(clients)
    assert sum(c.reads_ok for c in clients) > 0 and sum(len(c.writes_ok) for c in clients) > 0
    held = ledger(url)
    for client in clients:
        jti = client.person["jti"]
        # Every read the client saw succeed has its event; a read lost with its worker may have.
        reads = held.allowed(jti, "mr.read")
        assert client.reads_ok <= reads <= client.reads_ok + client.reads_lost
        # Every write has exactly one event, and every write the client saw succeed is there.
        written = held.requests.get(jti, set())
        assert len(written) == held.allowed(jti, "mr.request")
        assert client.writes_ok <= written
        assert len(written) <= len(client.writes_ok) + client.writes_lost
    result = verify_audit(url, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Every audit chain is intact" in result.stdout
