"""How gunicorn serves the broker on each database (issue 28): the worker class, the threads
per worker and keep-alive, as `make bench` measured best on this 2-core machine (README,
Performance). gunicorn.conf.py applies it, so `make run`, `make bench` and production all take
it from here; BROKER_WORKER_CLASS, BROKER_THREADS and BROKER_KEEPALIVE override it.

Measured on this machine (2 cores, interleaved A/B runs, 3 rounds of 10 s, wrk 16 connections;
the closing note of issue 28 has the tables): sync workers, one per core (two in all), served
the audited read fastest and with the shortest tail on both databases.
- SQLite FULL: 2 sync workers 1513 req/s, p99 17 ms; 3 or 4 sync workers 1333-1336, p99 19-20;
  gthread 2 x 8 1394, p99 78 (a request holding the batch's connection loses the GIL to the
  others every few milliseconds, and the batch waits for it); 2 x 4 1309, p99 26.
- PostgreSQL: 2 sync workers 1022 req/s, p99 30 ms; 4 sync 908; gthread with a connection per
  thread, 2 x 2 783 (p99 80) and 2 x 4 889 (p99 124).
On two cores the read is CPU-bound: threads add switching, not overlap. On a machine with more
cores than busy workers, or a slow disk, gthread's shared commit (oauth/batches.py) can win on
SQLite: set BROKER_WORKER_CLASS=gthread and BROKER_THREADS, and measure with `make bench`.
gunicorn's threaded worker keeps a client's connection on the worker that accepted it, so
keep-alive is off by default (each request a new connection, handed by the kernel to a free
worker, as sync workers always do); BROKER_KEEPALIVE sets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WorkerModel:
    worker_class: str
    threads: int
    keepalive: int  # seconds gunicorn waits for a next request on a connection (0: none)

    def describe(self, workers: int) -> str:
        if self.threads == 1:
            return f"{workers} {self.worker_class} workers"
        return f"{workers} {self.worker_class} workers x {self.threads} threads"


# Each measured on its own; on this machine both came out the same.
SQLITE = WorkerModel("sync", 1, 0)
POSTGRES = WorkerModel("sync", 1, 0)


def for_database(url: str | None, environ: Mapping[str, str]) -> WorkerModel:
    """The model for the database at `url` (None: the default, SQLite in instance/), with any
    override the environment sets."""
    if url is not None and url.startswith("postgres"):
        chosen = POSTGRES
    else:
        chosen = SQLITE
    return WorkerModel(
        environ.get("BROKER_WORKER_CLASS", chosen.worker_class),
        int(environ.get("BROKER_THREADS", chosen.threads)),
        int(environ.get("BROKER_KEEPALIVE", chosen.keepalive)),
    )
