"""The protected JSON API (/api/v1): bearer tokens only, every request through the guard."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from .. import inputs, journal
from ..extensions import csrf
from ..protect import Refused, protected

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies: nothing for a cross-site form to ride on

SENSITIVE_SCOPE = "journal:sensitive"


def _not_found(kind: str) -> Refused:
    return Refused(404, "not_found", f"No such {kind}", "refused:not_found")


@bp.get("/journal")
def list_journal_entries() -> Response:
    with protected("journal:read", action="journal.list", resource="journal") as access:
        rows = journal.entries(
            access.claimant_id, include_sensitive=SENSITIVE_SCOPE in access.scopes
        )
        return jsonify(entries=[journal.entry_json(e) for e in rows])


@bp.get("/journal/<entry_id>")
def read_journal_entry(entry_id: str) -> Response:
    with protected(
        "journal:read", action="journal.read", resource=f"journal_entry:{entry_id}"
    ) as access:
        try:
            entry = journal.entry(
                access.claimant_id, entry_id, include_sensitive=SENSITIVE_SCOPE in access.scopes
            )
        except journal.NotFound:
            raise _not_found("journal entry") from None
        return jsonify(journal.entry_json(entry))


@bp.get("/mr-decisions")
def list_mr_decisions() -> Response:
    with protected("mr:read", action="mr.list", resource="mr_decisions") as access:
        return jsonify(
            decisions=[journal.decision_json(d) for d in journal.mr_decisions(access.claimant_id)]
        )


@bp.get("/mr-decisions/<decision_id>")
def read_mr_decision(decision_id: str) -> Response:
    with protected("mr:read", action="mr.read", resource=f"mr_decision:{decision_id}") as access:
        try:
            decision = journal.mr_decision_json(access.claimant_id, decision_id)
        except journal.NotFound:
            raise _not_found("MR decision") from None
        return jsonify(decision)


@bp.post("/mr-requests")
def lodge_mr_request() -> tuple[Response, int]:
    with protected("mr:request", action="mr.request", resource="journal") as access:
        # Read inside the guard: a body refused here is audited on the claimant's chain.
        payload = _json_body()
        if not isinstance(payload, dict):
            raise Refused(400, "invalid_request", "Send a JSON object", "refused:bad_request")
        about, reasons = payload.get("decision_about"), payload.get("reasons")
        # Strings only (a JSON null is not the text "None"), limits on what was sent, no NUL
        # (PostgreSQL text cannot hold one).
        if not isinstance(about, str) or not isinstance(reasons, str):
            about = reasons = ""
        if len(about) > 150 or len(reasons) > 5000 or "\x00" in about + reasons:
            about = reasons = ""
        about, reasons = about.strip(), reasons.strip()
        if not about or not reasons:
            raise Refused(
                400,
                "invalid_request",
                "decision_about (up to 150 characters) and reasons (up to 5000) are required",
                "refused:bad_request",
            )
        entry = journal.lodge_mr_request(
            access.claimant_id,
            decision_about=about,
            reasons=reasons,
            author_name=_author_name(access.adviser_id, access.client_id),
            token_id=access.token_id,
            grant_id=access.grant_id,
            now=access.now,
        )
        return jsonify(journal.entry_json(entry)), 201


@bp.get("/todos")
def list_todos() -> Response:
    with protected("todo:read", action="todo.list", resource="todos") as access:
        return jsonify(
            todos=[
                {"id": t.id, "title": t.title, "done": t.done, "due_at": journal.iso(t.due_at)}
                for t in journal.todos(access.claimant_id)
            ]
        )


@bp.get("/payments")
def list_payments() -> Response:
    with protected("payments:read", action="payments.list", resource="payments") as access:
        return jsonify(
            payments=[
                {"id": p.id, "amount_pence": p.amount_pence, "paid_at": journal.iso(p.paid_at)}
                for p in journal.payments(access.claimant_id)
            ]
        )


def _json_body() -> object:
    """The request's JSON body through the one JSON boundary (security.md 30), else Refused."""
    if not request.is_json:
        raise Refused(
            400, "invalid_request", "Send a JSON object (application/json)", "refused:bad_request"
        )
    try:
        return inputs.load_json(request.get_data(cache=False))
    except inputs.BadInput as refusal:
        raise Refused(400, "invalid_request", str(refusal), "refused:bad_request") from None


def _author_name(adviser_id: str | None, client_id: str) -> str:
    from ..extensions import db
    from ..models import Adviser

    adviser = db.session.get(Adviser, adviser_id) if adviser_id else None
    if adviser is None:
        return client_id
    return f"{adviser.name}, {adviser.organisation.name}"


# The OpenAPI 3.1 description of this API and the staff API, written once as a static file and
# tested against the routes and fuzzed (tests/resilience/test_openapi.py); open to all.
_openapi: list[bytes] = []


@bp.get("/openapi.json")
def openapi() -> Response:
    if not _openapi:  # read once per process
        from pathlib import Path

        _openapi.append((Path(__file__).resolve().parent.parent / "openapi.json").read_bytes())
    return Response(_openapi[0], mimetype="application/json")
