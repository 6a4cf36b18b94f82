"""Each request's ID and its one access line (issue 26, security.md 74).

The ID is the caller's `X-Request-ID` when that is 1 to 128 characters of `A-Z a-z 0-9 . _ : -`
(a load balancer's, so one ID follows the request through every system), otherwise a new one
(a UUID4's hex). An invalid one is replaced, never echoed or logged: it could carry a line break
or a secret. Every log line written while the app answers carries it (broker/logs.py's filter),
and so does every answer, as `X-Request-ID`: pages, redirects, 404s, refused CSRF tokens, the
API's and OAuth's JSON errors, a 500.

The access line names the method, the URL rule that matched (`/invitation/<token>`), the status
and how long the answer took; never the path (an invitation's token is in it), the query string
or a header.

WSGI middleware around the app rather than before/after_request hooks: it sees every answer's
final status, also one that an after_request hook or the session's saving turned into a 500, and
the whole answer's time.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from .. import logs

HEADER = "X-Request-ID"
VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_METHOD = re.compile(r"[A-Z]{1,16}")  # a method name, not whatever a client put there

log = logging.getLogger("broker.access")

StartResponse = Callable[..., Any]


def chosen_id(incoming: str | None) -> str:
    """The caller's request ID if it is valid, else a new one."""
    if incoming is not None and VALID_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestLog:
    """Wraps the app's WSGI callable: sets the request ID, adds the header, writes the line."""

    def __init__(self, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = chosen_id(environ.get("HTTP_X_REQUEST_ID"))
        bound = logs.request_id.set(request_id)
        started = time.perf_counter()
        status = 500  # if the app raises before it answers, the server answers 500
        route = None

        def start(status_line: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            nonlocal status, route
            status = int(status_line.split(" ", 1)[0])
            route = _route(environ)
            headers = [(k, v) for k, v in headers if k.lower() != HEADER.lower()]
            headers.append((HEADER, request_id))
            return start_response(status_line, headers, *exc_info)

        try:
            return self.wsgi_app(environ, start)
        finally:
            _access_line(environ.get("REQUEST_METHOD", ""), route, status, started)
            logs.request_id.reset(bound)


def _route(environ: dict[str, Any]) -> str | None:
    """The URL rule the request matched (None for a 404), read from Flask's request object while
    the app answers: Flask unlinks it from the environ when the request ends."""
    rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
    return rule.rule if rule is not None else None


def _access_line(method: str, route: str | None, status: int, started: float) -> None:
    method = method if _METHOD.fullmatch(method) else "OTHER"
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    log.info(
        "%s %s %s %sms",
        method,
        route or "(no route)",
        status,
        duration_ms,
        extra={"method": method, "route": route, "status": status, "duration_ms": duration_ms},
    )


def init_app(app: Flask) -> None:
    """Outermost: around ProxyFix too, so every answer the app gives passes through it."""
    app.wsgi_app = RequestLog(app.wsgi_app)  # type: ignore[method-assign]
