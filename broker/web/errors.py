"""Every error handler in one place: HTML pages for people, one JSON shape for the API and OAuth."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..oauth.protect import NO_TOKEN, Refused
from ..ratelimit import TooManyAttempts
from . import boundary, dpop_proofs

log = logging.getLogger(__name__)

ERROR_PAGES = {400, 403, 404, 405, 429, 500, 503}
TOO_LARGE = "What you sent was too large. Go back and try again with less."  # i18n.MADE_ELSEWHERE


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/oauth/", "/.well-known/"))


REALM = "consent-broker"


def json_error(
    status: int,
    error: str,
    description: str,
    *,
    bearer: bool = False,
    challenge_only: bool = False,
    scope: str | None = None,
    details: dict[str, object] | None = None,
) -> Response:
    response = jsonify(error=error, error_description=description, **(details or {}))
    response.status_code = status
    if bearer and status in (401, 403):
        response.headers["WWW-Authenticate"] = bearer_challenge(
            error, description, challenge_only=challenge_only, scope=scope
        )
    return response


def bearer_challenge(
    error: str, description: str, *, challenge_only: bool = False, scope: str | None = None
) -> str:
    """RFC 6750 3: the challenge for a refused bearer request; never echoes the token.

    A request that sent no credentials gets the realm alone (RFC 6750 3.1: no error code);
    insufficient_scope names the scope that was needed.
    """
    if challenge_only:
        return f'Bearer realm="{REALM}"'
    challenge = f'Bearer realm="{REALM}", error="{error}", error_description="{description}"'
    if scope:
        challenge += f', scope="{scope}"'
    return challenge


def page(status: int, **context: object) -> tuple[str, int]:
    template = f"errors/{status if status in ERROR_PAGES else 400}.html"
    return render_template(template, status=status, **context), status


def register(app: Flask) -> None:
    @app.errorhandler(Refused)
    def refused(exc: Refused) -> Response:
        if exc.dpop and exc.status in (401, 403):
            response = json_error(exc.status, exc.error, exc.description)
            response.headers["WWW-Authenticate"] = dpop_proofs.challenge(exc.error, exc.description)
            return dpop_proofs.with_nonce(response)
        response = json_error(
            exc.status,
            exc.error,
            exc.description,
            bearer=True,
            challenge_only=exc.outcome == NO_TOKEN,
            scope=exc.scope,
            details=exc.details,
        )
        return dpop_proofs.with_nonce(response) if exc.dpop else response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Response | tuple[str, int]:
        if wants_json():
            return json_error(400, "invalid_request", "Missing or wrong CSRF token")
        return page(400, message="This form had expired. Go back, reload the page and try again.")

    @app.errorhandler(TooManyAttempts)
    def too_many(exc: TooManyAttempts) -> Response | tuple[str, int]:
        boundary.undo()
        if wants_json():
            response = json_error(429, "too_many_requests", "Too many attempts. Try again later.")
        else:
            body, status = page(429)
            response = app.make_response((body, status))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError) -> Response | tuple[str, int]:
        # The database is down or locked past the busy timeout: say so, never a 500.
        boundary.undo()
        log.error("database unavailable: %s", exc.__class__.__name__)
        if wants_json():
            response = json_error(
                503,
                "temporarily_unavailable",
                "The service is busy or its database is unavailable. Try again.",
            )
            response.headers["Retry-After"] = "5"
            return response
        return page(503)

    @app.errorhandler(DataError)
    def unstorable_value(exc: DataError) -> Response | tuple[str, int]:
        # The database refused a value the client sent (a NUL byte, a value too long for its
        # column): the request is at fault, not the service, and nothing was changed.
        boundary.undo()
        log.warning("refused a value the database cannot hold: %s", exc.orig.__class__.__name__)
        if wants_json():
            return json_error(
                400,
                "invalid_request",
                "The request holds a value that cannot be "
                "stored or looked up (for example a NUL character).",
            )
        return page(400)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response | tuple[str, int]:
        # security.md 30: a body over MAX_CONTENT_LENGTH is refused before it is read.
        boundary.undo()
        limit = request.max_content_length or 0
        if wants_json():
            return json_error(
                413, "invalid_request", f"The request body is too large (at most {limit} bytes)"
            )
        return page(413, message=TOO_LARGE)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | tuple[str, int]:
        status = exc.code or 500
        if wants_json():
            return json_error(status, _oauth_code(status), exc.description or exc.name)
        return page(status)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response | tuple[str, int]:
        boundary.undo()
        # The URL rule, not the path: an invitation's token is in its path (security.md 74).
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        log.exception("unhandled error on %s %s", request.method, rule)
        if wants_json():
            return json_error(500, "server_error", "Something went wrong. Nothing was changed.")
        return page(500)


def _oauth_code(status: int) -> str:
    return {
        400: "invalid_request",
        401: "invalid_token",
        403: "access_denied",
        404: "not_found",
        405: "invalid_request",
        429: "too_many_requests",
    }.get(status, "server_error" if status >= 500 else "invalid_request")
