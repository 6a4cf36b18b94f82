"""The broker's logs (issue 26): one JSON object a line on standard error, or a line of text for a
person at a terminal (BROKER_LOG_FORMAT), at BROKER_LOG_LEVEL, the same for every process: the
development server, gunicorn's master and workers (gunicorn.conf.py hands `gunicorn_logging()`
to gunicorn), the scheduler gunicorn starts, and every `consent-broker` command.

Every line has `time` (UTC, ISO 8601), `level`, `logger` and `message`; a line written while a
request is answered also has its `request_id` (broker/web/request_log.py sets it). The JSON comes
from python-json-logger, a maintained formatter, rather than a hand-made `json.dumps`.

What never reaches a line (security.md 24, 74): a token, code, password, secret, personal name or
journal text. The broker's own calls log IDs only; the libraries that would log such things at
their chattier levels are held at a level where they do not, whatever BROKER_LOG_LEVEL says
(`QUIET`); the development server's own request line, which prints the raw path and query (an
invitation's token is in its path), is dropped: the broker writes its own access line instead;
and the servers' and Flask's error lines that quote a request are written without it (`WITHHELD`).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

JSON, TEXT = "json", "text"
FORMATS = (JSON, TEXT)
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_FORMAT, DEFAULT_LEVEL = JSON, "INFO"

# The request under way's ID, set by broker/web/request_log.py for as long as the app answers it.
# A context variable, not flask.g: a log call made anywhere (a domain module, a library) reads it
# without knowing about Flask, and each thread or request has its own.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Loggers held at a level whatever BROKER_LOG_LEVEL says, each because of what it writes below it.
QUIET = {
    # INFO logs every SQL statement with its parameters: names, hashes, journal text.
    "sqlalchemy": logging.WARNING,
    # Every outgoing URL (with its query) at INFO or DEBUG; hpack logs header values (a bearer
    # token) at DEBUG.
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "hpack": logging.WARNING,
    "urllib3": logging.WARNING,
    # DEBUG logs whole token responses ("Issue token %r") and code verifiers.
    "authlib": logging.INFO,
}


def settings_refusal(log_format: object, level: object) -> str | None:
    """Why BROKER_LOG_FORMAT or BROKER_LOG_LEVEL is not one the broker knows, or None."""
    if log_format not in FORMATS:
        return f"BROKER_LOG_FORMAT must be {' or '.join(FORMATS)}, not {log_format!r}"
    if level not in LEVELS:
        return f"BROKER_LOG_LEVEL must be one of {', '.join(LEVELS)}, not {level!r}"
    return None


class RequestIdFilter(logging.Filter):
    """Puts the request under way's ID on every record a handler writes (none outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current is not None:
            record.request_id = current
        return True


def _utc_iso(created: float) -> str:
    return (
        datetime.fromtimestamp(created, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class JsonFormatter(_LibraryJsonFormatter):
    """One JSON object a line: time, level, logger, message, then request_id and any `extra`
    fields (the access line's method, route, status and duration), then an exception's text."""

    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={
                "levelname": "level",
                "name": "logger",
                "exc_info": "exception",
                "stack_info": "stack",
            },
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = _utc_iso(record.created)  # first, so a line reads in time order
        super().add_fields(log_data, record, message_dict)
        log_data["pid"] = record.process  # which gunicorn worker, or the scheduler


class TextFormatter(logging.Formatter):
    """The same fields as one line of text, for a person at a terminal (`make dev`)."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            defaults={"request_id": "-"},
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_iso(record.created)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == JSON else TextFormatter()


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (as logging's last resort does),
    so a command run under a test's captured output writes there, not to a stream since closed."""

    broker_logs = True  # the broker's logging is set up: configure() adds no second handler

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:  # StreamHandler.__init__ assigns it; always stderr
        pass


def is_set_up() -> bool:
    """Whether the root logger already writes the broker's lines: gunicorn set it up from
    gunicorn.conf.py, an earlier app in this process did, or the test suite put its own there."""
    return any(getattr(handler, "broker_logs", False) for handler in logging.getLogger().handlers)


def configure(config: Mapping[str, Any]) -> None:
    """Set up this process's logs from BROKER_LOG_FORMAT and BROKER_LOG_LEVEL, once: later apps
    in the same process (tests build many) and a host that set them up already (gunicorn) keep
    theirs. The quieting below applies every time: it is what keeps secrets out of the lines."""
    if not is_set_up():
        handler = StderrHandler()
        handler.setFormatter(formatter(str(config.get("BROKER_LOG_FORMAT") or DEFAULT_FORMAT)))
        handler.addFilter(RequestIdFilter())
        root = logging.getLogger()
        # Any handler already on the root was put there by a library's basicConfig: one stream
        # of lines, in one format.
        for other in list(root.handlers):
            root.removeHandler(other)
        root.addHandler(handler)
        root.setLevel(str(config.get("BROKER_LOG_LEVEL") or DEFAULT_LEVEL))
    quieten()


def quieten() -> None:
    """Hold the libraries that log secrets at a level where they do not, and keep what the
    servers and Flask write about a request (its raw path and query) out of the lines."""
    for name, level in QUIET.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.level, level))
    for name, withheld in WITHHELD:
        logger = logging.getLogger(name)
        if withheld not in logger.filters:
            logger.addFilter(withheld)
    # Given any logging configuration, gunicorn logs each request's raw line (path and query) on
    # gunicorn.access, which would propagate to the root's handler. Its own access log, when asked
    # for (--access-logfile), keeps its own handler; nothing of it reaches the broker's stream.
    logging.getLogger("gunicorn.access").propagate = False


class Withheld(logging.Filter):
    """A server's or Flask's line about a request that quotes its path (an invitation's token is
    in one) or its request line: said without them, or not at all when it is only the request's
    line, which the broker's own access line (broker/web/request_log.py) replaces."""

    def __init__(self, starts: str, instead: str | None) -> None:
        super().__init__()
        self.starts = re.compile(starts)
        self.instead = instead

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str) or not self.starts.match(record.msg):
            return True
        if self.instead is None and record.levelno < logging.WARNING:
            return False
        record.msg, record.args = self.instead or "a request the server could not read", ()
        return True


WITHHELD = (
    # The development server: "<address> - - [<date>] "GET /invitation/<token>?… HTTP/1.1" 200"
    # (dropped), and its errors, which quote the request line (kept, without it).
    ("werkzeug", Withheld(r"\S+ - - \[[^\]]*\] ", None)),
    # gunicorn, when the app raises out of WSGI ("Error handling request /invitation/…"), and
    # when it cannot parse a request (which quotes the request line and the caller's address).
    ("gunicorn.error", Withheld(r"Error handling request \S", "Error handling a request")),
    ("gunicorn.error", Withheld(r"Invalid request from ip=", "gunicorn refused a request")),
    # Flask, should an error handler itself fail: "Exception on /invitation/<token> [GET]".
    ("broker", Withheld(r"Exception on ", "Exception on a request")),
)


def gunicorn_logging(environ: Mapping[str, str]) -> dict[str, Any]:
    """gunicorn.conf.py's `logconfig_dict`: gunicorn's error log and everything the app logs go
    through one handler in the broker's format on standard error. gunicorn.error keeps the level
    gunicorn's own `loglevel` gives it. Refuses an unknown format or level, as create_app does."""
    log_format = environ.get("BROKER_LOG_FORMAT") or DEFAULT_FORMAT
    level = (environ.get("BROKER_LOG_LEVEL") or DEFAULT_LEVEL).upper()  # as broker/config.py
    refused = settings_refusal(log_format, level)
    if refused:
        raise RuntimeError(refused)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"broker": {"()": JsonFormatter if log_format == JSON else TextFormatter}},
        "handlers": {
            "stderr": {"()": StderrHandler, "formatter": "broker", "filters": ["request_id"]}
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {"gunicorn.error": {"handlers": [], "propagate": True}},
    }
