"""The headers every answer carries (create_app adds them after each request)."""

from __future__ import annotations

from flask import Response, request

# Nothing from elsewhere, no inline script or style, no framing: a page can only talk to us.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"  # a year: production is served only over https

_EVERY_ANSWER = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)
_PRODUCTION = (("Strict-Transport-Security", HSTS),)  # security.md 33
# Pages and API answers carry personal data or tokens: never store them (RFC 6749 5.1).
_NOT_STATIC = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


def add_security_headers(response: Response, *, production: bool) -> Response:
    """Each header the view did not set itself. One pass over the view's headers and one
    extend: werkzeug's `setdefault` scans the whole list on every call, on every answer."""
    personal = not request.path.startswith("/static/")
    wanted = _EVERY_ANSWER + (_PRODUCTION if production else ()) + (_NOT_STATIC if personal else ())
    present = {key.lower() for key, _ in response.headers}
    response.headers.extend([(key, value) for key, value in wanted if key.lower() not in present])
    if personal and "pragma" in present:
        response.headers["Pragma"] = "no-cache"
    return response
