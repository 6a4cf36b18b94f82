"""Public proof: the published audit checkpoints, and a page that checks a statement, receipt or
history file against them. Neither needs signing in: a verifier may be anyone."""

from __future__ import annotations

import json

from flask import Blueprint, jsonify, render_template, request
from werkzeug.wrappers import Response

from .. import checkpoints, signed, verifying
from .forms import VerifyFileForm

bp = Blueprint("proof", __name__)

MAX_FILE_BYTES = 20 * 1024 * 1024


@bp.get("/api/v1/audit/checkpoints")
def audit_checkpoints() -> Response:
    """Signed checkpoints, newest first (`?before=<seq>` for older ones); public, append-only."""
    before = request.args.get("before", type=int)
    limit = min(request.args.get("limit", default=100, type=int) or 100, 1000)
    rows = checkpoints.published(limit=limit, before=before)
    response = jsonify(
        checkpoints=[checkpoints.as_json(row) for row in rows], jwks_uri="/.well-known/jwks.json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/verify", methods=["GET", "POST"])
def verify_file() -> str | tuple[str, int]:
    """Upload a statement, receipt or access-history file: checked against this broker's
    published keys and checkpoints, exactly as `consent-broker verify-statement` does."""
    form = VerifyFileForm()
    if not form.validate_on_submit():
        errors = {name: messages[0] for name, messages in form.errors.items()}
        return render_template("proof/verify.html", form=form, errors=errors, result=None), (
            400 if errors else 200
        )
    raw = form.file.data.read(MAX_FILE_BYTES + 1)
    try:
        document = json.loads(raw) if len(raw) <= MAX_FILE_BYTES else None
    except (ValueError, UnicodeDecodeError):
        document = None
    if not isinstance(document, dict):
        return render_template(
            "proof/verify.html",
            form=form,
            result=None,
            errors={"file": "Choose a JSON file the broker gave you"},
        ), 400
    published = [checkpoints.as_json(c) for c in checkpoints.published(limit=100_000)]
    result = verifying.check(document, signed.jwks(), published)
    return render_template("proof/verify.html", form=form, errors={}, result=result)
