"""The broker's counters and histograms (issue 26): their definitions only, at the frame's bottom,
so any domain module can count what it does without knowing the web (broker/web/metrics.py
serves them at /metrics, with the gauges it reads from the database at scrape time).

Under gunicorn every process counts on its own: gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR
before anything imports prometheus_client, which then keeps each value in a file per process in
that directory, and the scrape adds the files up (prometheus_client's multiprocess mode). Without
it (the Flask development server, the tests in one process) the values live in REGISTRY.

Labels name kinds of things (a URL rule, a channel, an outcome), never a person, a claimant, a
token or an address: every label value here comes from a fixed set in the code.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

# The `_created` series say when each value was first made in this process: noise under gunicorn
# (multiprocess mode leaves them out), so left out here too, and the two modes read alike.
disable_created_metrics()
REGISTRY = CollectorRegistry()

HTTP_REQUESTS = Counter(
    "broker_http_requests",
    "Requests answered, by method, URL rule (never the raw path) and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "broker_http_request_duration_seconds",
    "Time to answer a request, by method and URL rule",
    ["method", "route"],
    registry=REGISTRY,
)
GUARDED = Counter(
    "broker_guarded_requests",
    "Bearer-guarded API requests (broker/oauth/protect.py), by the scope's access (read or"
    " write) and the audited outcome: allowed, refused:<reason>, or error",
    ["access", "outcome"],
    registry=REGISTRY,
)
AUDIT_WRITE_FAILURES = Counter(
    "broker_audit_write_failures",
    "Audit events that could not be written (the action they record did not happen)",
    registry=REGISTRY,
)
DELIVERY_FAILURES = Counter(
    "broker_delivery_failures",
    "Messages that failed on a channel: stage=send (the sender raised; retried) or"
    " stage=receipt (the provider reported it undelivered)",
    ["channel", "stage"],
    registry=REGISTRY,
)
PUSH_ATTEMPTS = Counter(
    "broker_push_attempts",
    "Security Event Token pushes to case systems, by result: delivered, retry (failed, tried"
    " again later), given_up (failed for good) or withheld (its grant no longer allows it)",
    ["result"],
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "broker_job_runs",
    "Scheduled job runs in this scheduler (the sweep, the checkpoint), by result",
    ["job", "result"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "broker_job_duration_seconds",
    "How long each successful scheduled job run took",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
DPOP_REPLAYS = Counter(
    "broker_dpop_replays_refused",
    "DPoP proofs refused because they were used before, at the token endpoint or a resource",
    ["endpoint"],
    registry=REGISTRY,
)
SIGN_IN_LOCKOUTS = Counter(
    "broker_sign_in_lockouts",
    "Password sign-ins refused by a lock-out: limit=account_and_address (the growing delay of"
    " one account from one address) or limit=address (too many failures from one address)",
    ["limit"],
    registry=REGISTRY,
)
CODE_GUESS_LOCKOUTS = Counter(
    "broker_code_guess_lockouts",
    "Code guesses refused by a lock-out (user, adviser, contact and sign-in codes): limit=person"
    " or limit=shared_address",
    ["limit"],
    registry=REGISTRY,
)

# The values a label may take where the code cannot bound them itself.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # a request no URL rule matched (404, 405): never its raw path


def method_label(method: str) -> str:
    """The method as a label: any other a client makes up is "other"."""
    return method if method in METHODS else "other"
