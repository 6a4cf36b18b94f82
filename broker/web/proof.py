"""Public proof: the published audit checkpoints, and a page that checks a statement, receipt or
history file against them. Neither needs signing in: a verifier may be anyone."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from .. import inputs
from ..chain import checkpoints, signed
from ..proof import documents, verifying
from . import boundary
from .errors import json_error
from .forms import VerifyCodeForm, VerifyFileForm, first_errors

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
@boundary.writes_on_get  # ?code= counts a miss against the address, and records a check
def verify_file() -> str | tuple[str, int]:
    """Check a signed notice by its code (GET ?code= from its QR code, or the form), or upload a
    statement, receipt, access-history or notice file: checked against this broker's published
    keys and checkpoints, exactly as `consent-broker verify-statement` does."""
    if "code" in request.args or "code" in request.form:
        return _verify_code()
    form = VerifyFileForm()
    if not form.validate_on_submit():
        errors = first_errors(form)
        return _verify_page(form=form, errors=errors), (400 if errors else 200)
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    raw = form.file.data.read(limit + 1)
    try:
        document = inputs.load_json(raw) if len(raw) <= limit else None
    except inputs.BadInput:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("jws"), str):
        return _verify_page(
            form=form,
            errors={"file": f"Choose a JSON file the broker gave you, up to {_size(limit)}"},
        ), 400
    if verifying.kind_of(document) == signed.DOCUMENT:
        checked = documents.check_jws(
            document["jws"], now=boundary.now(), services=boundary.services()
        )
        return _verify_page(form=form, checked=checked)
    published = [checkpoints.as_json(c) for c in checkpoints.published(limit=100_000)]
    result = verifying.check(document, boundary.services().key_set(), published)
    return _verify_page(form=form, result=result)


def _verify_code() -> str | tuple[str, int]:
    """A check code, typed or from the QR code: a POST must carry the form's CSRF token (the
    app checks every POST); a malformed code is checked like an unknown one, so that every
    miss gets the same answer and counts against the address (security.md 81)."""
    if request.method == "GET":  # from the QR code: nothing changes but the count of misses
        form = VerifyCodeForm(request.args, meta={"csrf": False})
    else:
        form = VerifyCodeForm()
    if not form.validate() or form.code.data is None:
        return _verify_page(code_form=form, errors=first_errors(form)), 400
    checked = documents.check_code(
        form.code.data,
        address=request.remote_addr or "unknown",
        now=boundary.now(),
        services=boundary.services(),
    )
    return _verify_page(code_form=form, checked=checked), (200 if checked.ok else 404)


def _verify_page(
    *,
    form: VerifyFileForm | None = None,
    code_form: VerifyCodeForm | None = None,
    errors: dict[str, str] | None = None,
    result: verifying.Result | None = None,
    checked: documents.Result | None = None,
) -> str:
    return render_template(
        "proof/verify_file.html",
        form=form or VerifyFileForm(formdata=None),
        code_form=code_form or VerifyCodeForm(formdata=None),
        errors=errors or {},
        result=result,
        checked=checked,
    )


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB"


@bp.context_processor
def upload_limit() -> dict[str, str]:
    return {"upload_limit": _size(current_app.config["UPLOAD_MAX_BYTES"])}
