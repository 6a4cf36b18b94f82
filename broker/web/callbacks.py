"""Delivery receipts posted to us by GOV.UK Notify: /callbacks/notify (issue 15).

Notify authenticates its callbacks with the bearer token set on the service's callback settings
(BROKER_NOTIFY_CALLBACK_TOKEN here), so this blueprint needs no cookie and is exempt from CSRF.
The token is compared in constant time; with none configured, every callback is refused. An
unknown notification gets the same short 404 whatever the reason, so it tells a caller nothing.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from ..extensions import csrf
from ..inputs import BadInput, load_json
from ..messages import notify
from . import boundary
from .access import bearer_matches

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")
csrf.exempt(bp)  # a bearer token, not a cookie: nothing for a cross-site form to ride on


def _answer(status: int, error: str | None = None) -> tuple[Response, int]:
    return jsonify({"error": error} if error else {"ok": True}), status


@bp.post("/notify")
def notify_receipt() -> tuple[Response, int]:
    if not bearer_matches(current_app.config.get("BROKER_NOTIFY_CALLBACK_TOKEN")):
        response, status = _answer(401, "invalid_token")
        response.headers["WWW-Authenticate"] = 'Bearer realm="consent-broker"'
        return response, status
    try:
        receipt = load_json(request.get_data())
    except BadInput:
        return _answer(400, "bad_request")
    if not isinstance(receipt, dict):
        return _answer(400, "bad_request")
    ident, status = receipt.get("id"), receipt.get("status")
    if not isinstance(ident, str) or not ident or not isinstance(status, str):
        return _answer(400, "bad_request")
    try:
        completed = _instant(receipt.get("completed_at"))
    except ValueError:
        return _answer(400, "bad_request")
    try:
        notify.record_receipt(ident, status, at=completed, now=boundary.now())
    except notify.UnknownDelivery:
        return _answer(404, "not_found")
    return _answer(200)


def _instant(value: object) -> datetime | None:
    """Notify's timestamps are ISO 8601 in UTC ("2017-05-14T12:15:30.000000Z"); null if none."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("not a timestamp")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("no time zone")
    return parsed
