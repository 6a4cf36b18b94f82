"""The one set of gunicorn settings: `make run` serves the broker with them (gunicorn reads this
file from the working directory), and every row of `make bench` uses them (bare Flask and the
broker alike), as one would run the broker in production on this machine.

Environment: BROKER_BIND (default 127.0.0.1:$PORT, PORT default 5000), BROKER_WORKERS (default:
one per core, which measured best here for every row of the bench; two per core was slower on
SQLite and no faster on PostgreSQL), BROKER_WORKER_CLASS, BROKER_THREADS and BROKER_KEEPALIVE
(gunicorn's worker class, threads per worker and keep-alive seconds; by default what
broker/serving.py chose for the database in DATABASE_URL), BROKER_LOG_FORMAT and
BROKER_LOG_LEVEL (the logs, below).

The scheduled work (issue 26, broker/scheduler.py): once the master is ready, `when_ready` starts
`consent-broker scheduler` as its child, and `on_exit` stops it, so serving the broker runs the
sweep and the checkpoint too. BROKER_SCHEDULER=0 leaves it out (a host that runs the command on
its own). Only for the broker: an app without the database (the bench's bare Flask) starts none.

Metrics (issue 26, broker/web/metrics.py): every worker and the scheduler count in files of
their own in PROMETHEUS_MULTIPROC_DIR, which /metrics adds up. A directory the operator sets is
used as it is (they empty it before each start); otherwise each master makes a new temporary one
here, before the app (and prometheus_client) is imported, and removes it when it exits, so no
master ever adds up another's or an earlier run's counts. `child_exit` and `on_exit` tell
prometheus_client which processes are gone.
"""

import os
import shutil
import subprocess
import sys
import tempfile

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# "<pid>:<directory>": the directory a master made for itself, to remove when it exits. A master
# that inherits another's (gunicorn's USR2 upgrade starts the new master with the old one's
# environment) makes its own, so that the old one's exit never removes a directory in use. The
# same master reading this file again (HUP) keeps its own.
MADE_BY = "BROKER_METRICS_DIR_MADE_BY"


def _made_by_this_master() -> str | None:
    owner, _, made = os.environ.get(MADE_BY, "").partition(":")
    return made if owner == str(os.getpid()) and made == os.environ.get(METRICS_DIR) else None


_inherited = os.environ.get(MADE_BY, "").partition(":")[2] == os.environ.get(METRICS_DIR)
if not os.environ.get(METRICS_DIR) or (_inherited and not _made_by_this_master()):
    _made = tempfile.mkdtemp(prefix="consent-broker-metrics-")
    os.environ[METRICS_DIR], os.environ[MADE_BY] = _made, f"{os.getpid()}:{_made}"

# Only now: importing the broker imports prometheus_client, which reads the directory as it loads.
from broker import logs, serving  # noqa: E402

bind = os.environ.get("BROKER_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("BROKER_WORKERS", str(os.cpu_count() or 1)))
# Issue 28: the worker model per database, as `make bench` measured (broker/serving.py).
_model = serving.for_database(os.environ.get("DATABASE_URL"), os.environ)
worker_class = _model.worker_class
threads = _model.threads
keepalive = _model.keepalive
# Load the app once in the master and fork: workers share its pages (less memory each, faster
# respawn after a crash). Nothing opens a database connection at import, and each worker drops
# any pooled connection it inherited all the same.
preload_app = True
backlog = 2048
timeout = 60
graceful_timeout = 5
# The app writes its own access line (broker/web/request_log.py: the URL rule, never the path).
accesslog = None
errorlog = "-"
loglevel = "warning"
# gunicorn's own lines and the app's, in one format on standard error (broker/logs.py):
# BROKER_LOG_FORMAT (json or text) and BROKER_LOG_LEVEL, as for every other broker process.
logconfig_dict = logs.gunicorn_logging(os.environ)


def post_fork(server, worker):  # noqa: ANN001, ANN201, ARG001
    app = worker.app.wsgi()
    if "sqlalchemy" in getattr(app, "extensions", {}):
        from broker.extensions import db

        with app.app_context():
            db.engine.dispose(close=False)


_scheduler: subprocess.Popen | None = None


def when_ready(server):  # noqa: ANN001, ANN201
    global _scheduler
    app = server.app.wsgi()
    if os.environ.get("BROKER_SCHEDULER", "1") == "0" or "sqlalchemy" not in getattr(
        app, "extensions", {}
    ):
        return
    command = [sys.executable, "-m", "flask", "--app", "broker", "scheduler"]
    # The master's ID: the scheduler stops by itself should the master be killed outright.
    env = {**os.environ, "BROKER_SCHEDULER_PARENT": str(os.getpid())}
    _scheduler = subprocess.Popen(command, env=env)  # noqa: S603 - our own command, no input
    server.log.info("Started the scheduler (pid %s)", _scheduler.pid)


def child_exit(server, worker):  # noqa: ANN001, ANN201, ARG001
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # noqa: ANN001, ANN201, ARG001
    if _scheduler is not None:
        if _scheduler.poll() is None:
            _scheduler.terminate()
            try:
                _scheduler.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _scheduler.kill()
                _scheduler.wait()
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(_scheduler.pid)
    made = _made_by_this_master()
    if made:
        shutil.rmtree(made, ignore_errors=True)
