"""Public proof: the published audit checkpoints, and a page that checks a statement, receipt or
history file against them. Neither needs signing in: a verifier may be anyone."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from .. import inputs
from ..chain import checkpoints
from ..proof import verifying
from . import boundary
from .errors import json_error
from .forms import VerifyFileForm, first_errors

bp = Blueprint("proof", __name__)


@bp.get("/api/v1/audit/checkpoints")
def audit_checkpoints() -> Response:
    """Signed checkpoints, newest first (`?before=<seq>` for older ones); public, append-only."""
    try:
        before = _whole_number(request.args.getlist("before"), None, 0, 2**62)
        limit = _whole_number(request.args.getlist("limit"), 100, 1, 1000)
    except ValueError:
        return json_error(
            400, "invalid_request", "before and limit are whole numbers; limit is 1 to 1000"
        )
    rows = checkpoints.published(limit=limit or 100, before=before)
    response = jsonify(
        checkpoints=[checkpoints.as_json(row) for row in rows], jwks_uri="/api/v1/audit/keys"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/api/v1/audit/keys")
def audit_keys() -> Response:
    """Every key the broker ever signed with, newest first, as a JWK Set: checkpoints, receipts
    and statements verify under it after any number of rotations (security.md 34)."""
    response = jsonify(boundary.services().key_set())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _whole_number(values: list[str], default: int | None, low: int, high: int) -> int | None:
    """One query value as an integer in [low, high], the default if absent; else ValueError."""
    if not values:
        return default
    if len(values) > 1 or not values[0].isdigit() or not low <= int(values[0]) <= high:
        raise ValueError(values)
    return int(values[0])


@bp.route("/verify", methods=["GET", "POST"])
def verify_file() -> str | tuple[str, int]:
    """Upload a statement, receipt or access-history file: checked against this broker's
    published keys and checkpoints, exactly as `consent-broker verify-statement` does."""
    form = VerifyFileForm()
    if not form.validate_on_submit():
        errors = first_errors(form)
        return render_template("proof/verify_file.html", form=form, errors=errors, result=None), (
            400 if errors else 200
        )
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    raw = form.file.data.read(limit + 1)
    try:
        document = inputs.load_json(raw) if len(raw) <= limit else None
    except inputs.BadInput:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("jws"), str):
        return render_template(
            "proof/verify_file.html",
            form=form,
            result=None,
            errors={"file": f"Choose a JSON file the broker gave you, up to {_size(limit)}"},
        ), 400
    published = [checkpoints.as_json(c) for c in checkpoints.published(limit=100_000)]
    result = verifying.check(document, boundary.services().key_set(), published)
    return render_template("proof/verify_file.html", form=form, errors={}, result=result)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB"


@bp.context_processor
def upload_limit() -> dict[str, str]:
    return {"upload_limit": _size(current_app.config["UPLOAD_MAX_BYTES"])}
