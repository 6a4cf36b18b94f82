"""When PostgreSQL goes away mid-run, requests get a clear 503 (never a 500 or a dropped
connection), nothing is half-written, and the service comes back by itself with the database."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from .conftest import bearer, ledger, prepare, verify_audit


def _until(check, seconds: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_losing_postgresql_mid_run_answers_503_and_service_resumes_by_itself(
    resilience_pg, serve, tmp_path: Path
) -> None:
    url = resilience_pg.fresh_database("resilience_loss")
    (person,) = prepare(url, tmp_path)
    server = serve(url, workers=2)
    read_path = f"/api/v1/mr-decisions/{person['decision_id']}"
    headers = bearer(person["token"])
    statuses: list[int | str] = []
    written: set[str] = set()
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=server.base_url, timeout=20) as http:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    if n % 2:
                        response = http.get(read_path, headers=headers)
                    else:
                        request = {"decision_about": f"loss {n}", "reasons": "R"}
                        response = http.post("/api/v1/mr-requests", headers=headers, json=request)
                        if response.status_code == 201:
                            written.add(response.json()["subject"])
                    statuses.append(response.status_code)
                except httpx.TransportError as exc:
                    statuses.append(type(exc).__name__)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    with httpx.Client(base_url=server.base_url, timeout=20) as http:
        try:
            assert _until(lambda: 200 in statuses and 201 in statuses, 20)
            resilience_pg.stop()
            during = [
                http.get(read_path, headers=headers),
                http.post(
                    "/api/v1/mr-requests",
                    headers=headers,
                    json={"decision_about": "while down", "reasons": "R"},
                ),
            ]
            down_at = len(statuses)
            time.sleep(1)
        finally:
            resilience_pg.start()
        assert _until(lambda: http.get(read_path, headers=headers).status_code == 200, 30)
        after = http.post(
            "/api/v1/mr-requests", headers=headers, json={"decision_about": "after", "reasons": "R"}
        )
    stop.set()
    loader.join(timeout=30)

    for response in during:
        assert response.status_code == 503
        assert response.json()["error"] == "temporarily_unavailable"
        assert "database is unavailable" in response.json()["error_description"]
        assert response.headers["Retry-After"]
    assert 503 in statuses[down_at:]
    assert set(statuses) <= {200, 201, 503}, "no 500 and no dropped connection"
    assert after.status_code == 201
    held = ledger(url)
    jti = person["jti"]
    subjects = held.requests.get(jti, set())
    assert not any("while down" in s for s in subjects)
    assert written | {after.json()["subject"]} <= subjects
    assert len(subjects) == held.allowed(jti, "mr.request")  # no write without its event
    result = verify_audit(url, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_restart_while_idle_costs_no_request(resilience_pg, serve, tmp_path: Path) -> None:
    # Pooled connections are pinged before use, so the first request after a quiet restart of
    # the database gets a fresh connection, not a 503.
    url = resilience_pg.fresh_database("resilience_idle")
    (person,) = prepare(url, tmp_path)
    server = serve(url, workers=1)
    read_path = f"/api/v1/mr-decisions/{person['decision_id']}"
    with httpx.Client(base_url=server.base_url, timeout=20) as http:
        assert http.get(read_path, headers=bearer(person["token"])).status_code == 200
        resilience_pg.stop()
        resilience_pg.start()

        after_restart = http.get(read_path, headers=bearer(person["token"]))

    assert after_restart.status_code == 200, after_restart.text
