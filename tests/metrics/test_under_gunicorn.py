"""/metrics under gunicorn as production serves it (gunicorn.conf.py, two workers, the scheduler
beside them): whichever worker answers the scrape, it shows every request both workers served,
and the scheduler's job runs. gunicorn.conf.py made the master a directory of its own for the
counts (in TMPDIR here), each process wrote its own file there, and the master removes it at exit.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.resilience.conftest import (  # noqa: F401 - pass_database, resilience_pg: fixtures
    Server,
    bearer,
    pass_database,
    prepare,
    resilience_pg,
    start_server,
    stop_server,
)

from .conftest import TOKEN

WORKERS = 2
CLIENTS = 8  # concurrent clients, each request on a connection of its own
BATCH = 40
MOST_BATCHES = 10  # both workers answer the first batch in practice; this bounds the loop
HEALTHZ = {"method": "GET", "route": "/healthz", "status": "200"}


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def _value(text: str, name: str, **labels: str) -> float:
    return sum(value for found, value in _samples(text, name) if found.items() >= labels.items())


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _until(check, seconds: float = 60):  # noqa: ANN001, ANN202
    """Poll `check` until it gives something true, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _per_process(directory: Path, pid: int, name: str, **labels: str) -> float:
    """One process's own count, read from its file alone."""
    path = directory / f"counter_{pid}.db"
    if not path.exists():
        return 0.0
    return sum(
        sample.value
        for family in MultiProcessCollector.merge([str(path)])
        for sample in family.samples
        if sample.name == name and sample.labels.items() >= labels.items()
    )


def _get(url: str) -> int:
    return httpx.get(url, headers={"Connection": "close"}, timeout=10).status_code


def test_a_scrape_adds_up_both_workers_and_the_scheduler(pass_database: str, tmp_path: Path):  # noqa: F811
    url = pass_database  # SQLite, or a PostgreSQL of its own in the PostgreSQL pass
    [person] = prepare(url, tmp_path, claimants=1)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    server = start_server(
        url,
        tmp_path,
        workers=WORKERS,
        TMPDIR=str(temporary),
        BROKER_METRICS_TOKEN=TOKEN,
        BROKER_SCHEDULER="1",
        BROKER_CHECKPOINT_SECONDS="1",
        BROKER_SWEEP_SECONDS="1",
    )
    try:
        _check_served(server, temporary, person)
    finally:
        stop_server(server)
    assert list(temporary.glob("consent-broker-metrics-*")) == []  # the master removed it


def _processes(server: Server) -> tuple[list[int], int | None]:
    children = server.workers()
    scheduler = [pid for pid in children if "scheduler" in _command(pid)]
    return [pid for pid in children if pid not in scheduler], (scheduler or [None])[0]


def _healthz_answered(server: Server) -> Counter[int]:
    """How many GET /healthz each worker answered, by its access log lines ("pid status method
    path")."""
    if not server.access_log.exists():
        return Counter()
    lines = [line.split() for line in server.access_log.read_text().splitlines()]
    return Counter(int(f[0].strip("<>")) for f in lines if f[2:4] == ["GET", "/healthz"])


def _both_started(server: Server) -> tuple[list[int], int] | None:
    workers, scheduler = _processes(server)
    return (workers, scheduler) if len(workers) == WORKERS and scheduler else None


def _check_served(server: Server, temporary: Path, person: dict[str, str]) -> None:
    [directory] = temporary.glob("consent-broker-metrics-*")
    started = _until(lambda: _both_started(server))
    assert started, "two workers and the scheduler"
    workers, scheduler = started

    sent = 0
    served: Counter[int] = Counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        for _ in range(MOST_BATCHES):
            statuses = list(pool.map(_get, [server.base_url + "/healthz"] * BATCH))
            assert statuses == [200] * BATCH
            sent += BATCH
            # gunicorn logs a request once it has answered it: wait for the log to catch up.
            served = _until(lambda total=sent: _logged(server, total), 30)
            if len(served) == WORKERS:
                break
    assert sorted(served) == sorted(workers), "both workers answered"
    assert sum(served.values()) == sent

    api = httpx.get(
        f"{server.base_url}/api/v1/mr-decisions/{person['decision_id']}",
        headers=bearer(person["token"]),
        timeout=10,
    )
    assert api.status_code == 200

    refused = httpx.get(server.base_url + "/metrics", timeout=10)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")

    # The scheduler is a process of its own: its checkpoint runs show through its own file.
    text = _until(lambda: _scrape_once_the_scheduler_counted(server))
    assert text, "the scheduler's checkpoint runs never showed"

    assert _value(text, "broker_http_requests_total", **HEALTHZ) == sent
    timed = _value(
        text, "broker_http_request_duration_seconds_count", method="GET", route="/healthz"
    )
    assert timed == sent
    assert _value(text, "broker_guarded_requests_total", access="read", outcome="allowed") == 1
    assert _value(text, "broker_job_last_success_timestamp_seconds", job="checkpoint") > 0
    # Each worker's own file holds exactly the requests it answered, and the two add up.
    for pid in workers:
        assert _per_process(directory, pid, "broker_http_requests_total", **HEALTHZ) == served[pid]
    assert _per_process(directory, scheduler, "broker_job_runs_total", job="checkpoint") >= 1
    assert person["claimant_id"] not in text and person["token"] not in text


def _logged(server: Server, total: int) -> Counter[int] | None:
    answered = _healthz_answered(server)
    return answered if sum(answered.values()) >= total else None


def _scrape_once_the_scheduler_counted(server: Server) -> str | None:
    response = httpx.get(server.base_url + "/metrics", headers=bearer(TOKEN), timeout=10)
    assert response.status_code == 200, response.text
    ran = _value(response.text, "broker_job_runs_total", job="checkpoint", result="success")
    return response.text if ran >= 1 else None


def _serve_once(url: str, tmp_path: Path, temporary: Path, **env: str) -> list[int]:
    """Start gunicorn (no scheduler), answer one request per worker at most, scrape, stop;
    the worker pids."""
    server = start_server(
        url, tmp_path, workers=WORKERS, TMPDIR=str(temporary), BROKER_METRICS_TOKEN=TOKEN, **env
    )
    try:
        assert _get(server.base_url + "/healthz") == 200
        scraped = httpx.get(server.base_url + "/metrics", headers=bearer(TOKEN), timeout=10)
        assert _value(scraped.text, "broker_http_requests_total", **HEALTHZ) == 1
        return server.workers()
    finally:
        stop_server(server)


def test_a_directory_the_operator_sets_is_used_and_left_in_place(pass_database, tmp_path):  # noqa: F811
    prepare(pass_database, tmp_path, claimants=0)
    temporary, chosen = tmp_path / "tmp", tmp_path / "operators-metrics"
    temporary.mkdir()
    chosen.mkdir()

    workers = _serve_once(pass_database, tmp_path, temporary, PROMETHEUS_MULTIPROC_DIR=str(chosen))

    answered = sum(
        _per_process(chosen, pid, "broker_http_requests_total", **HEALTHZ) for pid in workers
    )
    assert answered == 1  # counted in the operator's directory, by the worker that answered
    assert list(temporary.iterdir()) == []  # no directory of its own


def test_a_master_that_inherits_another_masters_directory_makes_its_own(pass_database, tmp_path):  # noqa: F811
    """As gunicorn's USR2 upgrade starts the new master: with the old master's environment."""
    prepare(pass_database, tmp_path, claimants=0)
    temporary, old = tmp_path / "tmp", tmp_path / "old-masters-metrics"
    temporary.mkdir()
    old.mkdir()

    _serve_once(
        pass_database,
        tmp_path,
        temporary,
        PROMETHEUS_MULTIPROC_DIR=str(old),
        BROKER_METRICS_DIR_MADE_BY=f"1:{old}",  # made by another master (pid 1 is never ours)
    )

    assert list(old.iterdir()) == []  # the old master's counts are its own
    assert old.exists()  # and its directory is its to remove
    assert list(temporary.iterdir()) == []  # the new one made its own, and removed it at exit
