"""gunicorn serves each database with the worker model `make bench` chose for it (issue 28,
broker/serving.py, gunicorn.conf.py): on this machine sync workers for both, one request at a
time each; an operator's BROKER_WORKER_CLASS / BROKER_THREADS win, and then a worker serves
requests on threads of its own (on SQLite they share a commit: test_group_commit.py)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from broker import serving

from .conftest import bearer, prepare

CHOSEN = ("BROKER_WORKER_CLASS", "BROKER_THREADS", "BROKER_KEEPALIVE")


def test_each_database_has_its_model_and_the_environment_overrides_it() -> None:
    assert serving.for_database(None, {}) == serving.SQLITE  # the default database is SQLite
    assert serving.for_database("sqlite:///instance/broker.sqlite3", {}) == serving.SQLITE
    assert serving.for_database("postgresql+psycopg://db/broker", {}) == serving.POSTGRES
    assert serving.SQLITE == serving.POSTGRES == serving.WorkerModel("sync", 1, 0)

    told = {"BROKER_WORKER_CLASS": "gthread", "BROKER_THREADS": "4", "BROKER_KEEPALIVE": "2"}
    assert serving.for_database("postgresql://db/broker", told) == serving.WorkerModel(
        "gthread", 4, 2
    )


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


@pytest.mark.parametrize(
    "told",
    [{}, {"BROKER_WORKER_CLASS": "gthread", "BROKER_THREADS": "4"}],
    ids=["as chosen", "as the operator says"],
)
def test_gunicorn_serves_this_database_with_its_model(
    serve, pass_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, told: dict
) -> None:
    for name in CHOSEN:  # only what this case tells it
        monkeypatch.delenv(name, raising=False)
    [person] = prepare(pass_database, tmp_path)
    server = serve(pass_database, workers=1, **told)
    [worker] = server.workers()
    before = _threads(worker)
    url = f"{server.base_url}/api/v1/mr-decisions/{person['decision_id']}"

    def read(_: int) -> int:
        return httpx.get(url, headers=bearer(person["token"]), timeout=20).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(read, range(64)))

    assert statuses == [200] * 64
    model = serving.for_database(pass_database, told)
    if model.threads > 1:  # the requests were served by the worker's own threads
        assert _threads(worker) > before
    else:  # one at a time, on the worker's one thread
        assert _threads(worker) == before
