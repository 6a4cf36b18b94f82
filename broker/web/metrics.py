"""GET /metrics in Prometheus' text format (issue 26), for the operator's monitoring only.

What it answers (security.md 73):
- 404 when BROKER_METRICS_TOKEN is unset: there is no such page until the operator asks for it;
- 401 with `WWW-Authenticate: Bearer` unless the request sends `Authorization: Bearer <token>`
  (compared in constant time);
- else the counters every process keeps (broker/metrics.py), and gauges read from the database
  now: the unsealed audit events, the outbox, the deliveries and the push queue, and each
  scheduled job's last success, duration and failure (job_runs).

Under gunicorn (PROMETHEUS_MULTIPROC_DIR set by gunicorn.conf.py) the counters are the sum of
every worker's and the scheduler's files in that directory, whichever worker answers the scrape;
without it, this process's own. Every label is a kind of thing, never a person or an ID.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .. import clock, metrics, scheduler, units
from ..casework import deliveries
from ..chain import checkpoints
from ..messages import notify
from .access import bearer_matches

bp = Blueprint("metrics", __name__)

STARTED = "broker.metrics.started"  # the request's start, in its WSGI environ


def init_app(app: Flask) -> None:
    """Time and count every request. Registered before any other hook, so the time covers them."""
    app.before_request(_start)
    app.after_request(_count)


def _start() -> None:
    request.environ[STARTED] = time.perf_counter()


def _count(response: Response) -> Response:
    started = request.environ.get(STARTED)
    # The URL rule ("/invitation/<token>"), never the path that filled it in.
    route = request.url_rule.rule if request.url_rule is not None else metrics.UNMATCHED
    counted, timed = _series(metrics.method_label(request.method), route, response.status_code)
    counted.inc()
    if started is not None:
        timed.observe(time.perf_counter() - started)
    return response


_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The request's counter and histogram, looked up once per method, rule and status:
    prometheus_client's `labels()` checks and locks on every call, on every answer. Bounded, as
    its own children are, by the app's rules, the known methods and the statuses answered."""
    key = (method, route, status)
    found = _SERIES.get(key)
    if found is None:
        found = _SERIES[key] = (
            metrics.HTTP_REQUESTS.labels(method, route, str(status)),
            metrics.HTTP_DURATION.labels(method, route),
        )
    return found


@bp.get("/metrics")
def scrape() -> Response:
    expected = current_app.config.get("BROKER_METRICS_TOKEN")
    if not expected:
        abort(404)
    if not bearer_matches(expected):
        answer = Response("A valid metrics bearer token is required\n", 401, mimetype="text/plain")
        answer.headers["WWW-Authenticate"] = 'Bearer realm="consent-broker metrics"'
        return answer
    answer = Response(generate_latest(_registry()), mimetype=None)
    answer.headers["Content-Type"] = CONTENT_TYPE_LATEST
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _registry() -> CollectorRegistry:
    """This scrape's registry: every process's counters, and the database's gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(metrics.REGISTRY)
    registry.register(DatabaseGauges())
    return registry


class DatabaseGauges(Collector):
    """Gauges read from the database at scrape time, so they are right whichever process (or
    host) did the work. A database that cannot answer gives broker_metrics_database_up 0 and
    none of the others, rather than failing the scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = clock.now()
        try:
            gauges = list(_database_gauges(now))
        except Exception:  # noqa: BLE001 - the scrape still reports the counters, and this
            units.discard()
            gauges = []
            up = 0.0
        else:
            units.discard()  # a read only: end it
            up = 1.0
        yield GaugeMetricFamily(
            "broker_metrics_database_up", "1 if the database answered this scrape's reads", up
        )
        yield from gauges


def _age(now: datetime, then: datetime | None) -> float:
    return max((now - then).total_seconds(), 0.0) if then is not None else 0.0


def _database_gauges(now: datetime) -> Iterator[GaugeMetricFamily]:
    unsealed = checkpoints.unsealed()
    yield GaugeMetricFamily(
        "broker_audit_unsealed_events", "Audit events no checkpoint has signed yet", unsealed.events
    )
    yield GaugeMetricFamily(
        "broker_audit_unsealed_oldest_age_seconds",
        "Age of the oldest audit event no checkpoint has signed (0 when all are sealed)",
        _age(now, unsealed.oldest),
    )

    count, oldest = notify.unsent_messages()
    yield GaugeMetricFamily(
        "broker_outbox_unsent_messages", "Outbox messages with a delivery still to go", count
    )
    yield GaugeMetricFamily(
        "broker_outbox_oldest_unsent_age_seconds",
        "Age of the oldest outbox message with a delivery still to go (0 when none)",
        _age(now, oldest),
    )
    waiting = GaugeMetricFamily(
        "broker_deliveries_waiting",
        "Deliveries still to go, by channel and state (queued, given_up, print_due)",
        labels=["channel", "state"],
    )
    for (channel, state), n in sorted(notify.waiting_by_channel().items()):
        waiting.add_metric([channel, state], n)
    yield waiting

    total, due = deliveries.waiting(now)
    yield GaugeMetricFamily(
        "broker_push_waiting", "Security Event Tokens waiting to be pushed to case systems", total
    )
    yield GaugeMetricFamily(
        "broker_push_due", "Security Event Tokens whose next try is due now (or overdue)", due
    )

    yield from _jobs()


def _jobs() -> Iterator[GaugeMetricFamily]:
    success = GaugeMetricFamily(
        "broker_job_last_success_timestamp_seconds",
        "When each scheduled job last succeeded (Unix time), from job_runs",
        labels=["job"],
    )
    duration = GaugeMetricFamily(
        "broker_job_last_duration_seconds",
        "How long each scheduled job's last success took, from job_runs",
        labels=["job"],
    )
    failure = GaugeMetricFamily(
        "broker_job_last_failure_timestamp_seconds",
        "When each scheduled job last failed (Unix time; 0 if never), from job_runs",
        labels=["job"],
    )
    for record in scheduler.records():
        if record.last_success_at is not None:
            success.add_metric([record.name], record.last_success_at.timestamp())
        if record.last_duration_ms is not None:
            duration.add_metric([record.name], record.last_duration_ms / 1000)
        failed = record.last_error_at.timestamp() if record.last_error_at is not None else 0.0
        failure.add_metric([record.name], failed)
    yield success
    yield duration
    yield failure
