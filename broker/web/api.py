"""The protected JSON API (/api/v1): bearer tokens only, every view declared to the guard."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, after_this_request, jsonify, request, url_for
from werkzeug.wrappers import Response

from .. import inputs
from ..casework import drafts, evidence, item_watches, journal, screening, watches
from ..db import new_id
from ..extensions import csrf
from ..oauth import protect
from ..oauth.protect import Refused
from ..proof import document_kinds, documents, lodging
from . import boundary
from .guarded import Access, Unit, bind_driver, guarded, public

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer tokens, not cookies: nothing for a cross-site form to ride on
bind_driver(bp)

SENSITIVE_SCOPE = "journal:sensitive"
log = logging.getLogger(__name__)


def _not_found(kind: str) -> Refused:
    return Refused(404, "not_found", f"No such {kind}", "refused:not_found")


@bp.get("/journal")
@guarded("journal:read", action="journal.list", resource="journal")
def list_journal_entries(access: Access, unit: Unit) -> Response:
    include = SENSITIVE_SCOPE in access.scopes
    return jsonify(
        entries=journal.entries(
            unit, access.claimant_id, include_sensitive=include, window=access.window
        )
    )


@bp.get("/journal/<uuid:entry_id>")
@guarded(
    "journal:read",
    action="journal.read",
    resource="journal_entry:{entry_id}",
    joined=journal.JOURNAL_ENTRY,
    by="entry_id",
)
def read_journal_entry(access: Access, unit: Unit, entry_id: str) -> Response:
    include = SENSITIVE_SCOPE in access.scopes
    try:
        return jsonify(
            journal.readable_entry(access.found, include_sensitive=include, window=access.window)
        )
    except journal.NotFound:
        raise _not_found("journal entry") from None


@bp.get("/mr-decisions")
@guarded("mr:read", action="mr.list", resource="mr_decisions")
def list_mr_decisions(access: Access, unit: Unit) -> Response:
    return jsonify(decisions=journal.mr_decisions(unit, access.claimant_id, window=access.window))


@bp.get("/mr-decisions/<uuid:decision_id>")
@guarded(
    "mr:read",
    action="mr.read",
    resource="mr_decision:{decision_id}",
    joined=journal.MR_DECISION,
    by="decision_id",
)
def read_mr_decision(access: Access, unit: Unit, decision_id: str) -> Response:
    try:
        return jsonify(journal.readable_decision(access.found, window=access.window))
    except journal.NotFound:
        raise _not_found("MR decision") from None


@bp.post("/mr-requests")
@guarded("mr:request", action="mr.request", resource="journal")
def lodge_mr_request(access: Access, unit: Unit) -> tuple[Response, int]:
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
    for field, text in (("decision_about", about), ("reasons", reasons)):
        if text and not inputs.visible(text):  # security.md 70: zero-width characters only
            raise Refused(
                400,
                "invalid_request",
                f"{field} has nothing visible in it",
                "refused:bad_request",
            )
    if not about or not reasons:
        raise Refused(
            400,
            "invalid_request",
            "decision_about (up to 150 characters) and reasons (up to 5000) are required",
            "refused:bad_request",
        )
    _screen(about, reasons)
    author = journal.author_name(unit, access.adviser_id, access.client_id)
    if drafts.wanted(unit, access.grant_id):
        return _drafted(
            drafts.draft(unit, access, decision_about=about, reasons=reasons, author_name=author)
        )
    entry = journal.lodge_mr_request(
        unit,
        access.claimant_id,
        decision_about=about,
        reasons=reasons,
        author_name=author,
        token_id=access.token_id,
        grant_id=access.grant_id,
        now=access.now,
    )
    # Its proof of lodging in the same transaction (security.md 86), and the guard's event names
    # the entry, so the claimant's history line links to the proof.
    services = boundary.services()
    row, _code = lodging.issue_lodged(unit, access, entry, about=about, services=services)
    protect.record_as(unit, "mr.request", f"journal_entry:{entry['id']}")
    return jsonify({**entry, "proof_of_lodging": documents.as_json(row.id, row.jws, services)}), 201


def _screen(about: str, reasons: str) -> None:
    """422 for text a journal may not hold (security.md 78): what and where, never the text, so
    the refusal's audit event and any log line repeat none of it. Nothing is drafted or lodged."""
    try:
        screening.check((("decision_about", about), ("reasons", reasons)))
    except screening.Refused as refusal:
        raise Refused(
            422,
            "invalid_request",
            refusal.description(),
            "refused:personal_details",
            details={"found": [finding.as_json() for finding in refusal.findings]},
        ) from None


def _drafted(made: dict[str, str]) -> tuple[Response, int]:
    """202: the claimant checks it first. They are told once it commits."""
    # On the configured issuer, never the request's Host header (security.md 68).
    path = url_for("api.mr_draft_status", draft_id=made["draft_id"])
    made["status_url"] = boundary.services().issuer.rstrip("/") + path
    # A message that fails here is queued by the next sweep (drafts.tell_new).
    _once_answered(
        202,
        lambda: drafts.tell_new(boundary.now(), limit=1, only=made["draft_id"]),
        f"the message for draft {made['draft_id']}",
    )
    answer = jsonify(made)
    answer.headers["Location"] = made["status_url"]
    return answer, 202


@bp.post("/evidence-bundles")
@guarded(
    (evidence.JOURNAL_SCOPE, evidence.DECISION_SCOPE),
    action=evidence.MADE,
    resource="evidence_bundle",
)
def make_evidence_bundle(access: Access, unit: Unit) -> tuple[Response, int]:
    """A signed evidence bundle of the entries and decisions chosen (issue 27 item 1). Each is
    read by the rule its own GET uses; one this token may not read refuses the whole bundle with
    that GET's 404, audited, and nothing is issued (security.md 87)."""
    try:
        chosen = evidence.choice(_json_body())
    except evidence.BadChoice as refusal:
        raise Refused(400, "invalid_request", str(refusal), "refused:bad_request") from None
    try:
        items = evidence.read_chosen(unit, access, chosen)
    except evidence.NotReadable as missing:
        raise Refused(404, "not_found", str(missing), "refused:not_found") from None
    services, facts = boundary.services(), evidence.facts(unit, access, items)
    row, _code = documents.issue_in_guard(
        unit,
        access.claimant_id,
        kind=document_kinds.EVIDENCE_BUNDLE,
        subject=f"bundle:{new_id()}",  # each bundle is a document of its own
        facts=facts,
        by=access.actor,
        now=access.now,
        services=services,
    )
    # The request's own event names the document, with the token's ID and the grant's: the
    # console opens a bundle only under the grant that made it (web/evidence_bundles.py).
    protect.record_as(unit, evidence.MADE, f"document:{row.id}")
    return jsonify({**documents.as_json(row.id, row.jws, services), "facts": facts}), 201


@bp.get("/mr-drafts/<uuid:draft_id>")
@guarded(
    "mr:request",
    action="mr.draft.read",
    resource="mr_draft:{draft_id}",
    joined=drafts.DRAFT,
    by="draft_id",
)
def mr_draft_status(access: Access, unit: Unit, draft_id: str) -> Response:
    """Pending, approved (with the lodged entry's ID), declined or expired: to the client whose
    token drafted it only; any other asker is told there is no such draft."""
    status, expired_now = drafts.observe(unit, access)
    if status is None:
        raise _not_found("draft")
    if "entry_id" in status:  # sent by the claimant: its proof, as a direct write's 201 has it
        proof = lodging.of_entry_in_guard(unit, access.claimant_id, status["entry_id"])
        if proof is not None:
            status["proof_of_lodging"] = documents.as_json(*proof, boundary.services())
    if expired_now:
        _once_answered(
            200,
            lambda: drafts.tell_expired(draft_id, boundary.now()),
            f"the adviser's message for expired draft {draft_id}",
        )
    return jsonify(status)


def _once_answered(status: int, step: Callable[[], object], what: str) -> None:
    """Run `step` in a transaction of its own once the guarded work has committed and the
    answer is `status`: a message queued after the fact, never holding the answer up."""

    @after_this_request
    def run(response: Response) -> Response:
        if response.status_code == status:
            try:
                boundary.apart(step)
            except Exception:  # noqa: BLE001
                log.exception("could not queue %s", what)
        return response


@bp.post("/mr-decision-watch")
@guarded("mr:read", action="mr.watch", resource="mr_decision_watch")
def watch_mr_decisions(access: Access, unit: Unit) -> tuple[Response, int]:
    """Tell me when a decision arrives: the console's adviser by their channel, a case system
    by a Security Event Token pushed to its registered endpoint. Setting it twice is harmless."""
    watch, made = watches.start(unit, access)
    return jsonify(watch), (201 if made else 200)


@bp.delete("/mr-decision-watch")
@guarded("mr:read", action="mr.unwatch", resource="mr_decision_watch")
def unwatch_mr_decisions(access: Access, unit: Unit) -> tuple[str, int]:
    if not watches.stop(unit, access):
        raise _not_found("watch")
    return "", 204


def _item_watch(scope: str, topic: str, name: str):  # noqa: ANN202 (a route factory)
    """POST, GET and DELETE /<name>-watch: a watch on to-dos or payments (item_watches.py)."""

    @bp.post(f"/{name}-watch", endpoint=f"watch_{topic}")
    @guarded(scope, action=f"{name}.watch", resource=f"{name}_watch")
    def start(access: Access, unit: Unit) -> tuple[Response, int]:
        watch, made = watches.start(unit, access, topic)
        return jsonify(watch), (201 if made else 200)

    @bp.get(f"/{name}-watch", endpoint=f"list_{topic}_watch")
    @guarded(scope, action=f"{name}.watch_list", resource=f"{name}_watch")
    def show(access: Access, unit: Unit) -> Response:
        found = [w for w in item_watches.listed(unit, access) if w["topic"] == topic]
        if not found:
            raise _not_found("watch")
        return jsonify(found[0])

    @bp.delete(f"/{name}-watch", endpoint=f"unwatch_{topic}")
    @guarded(scope, action=f"{name}.unwatch", resource=f"{name}_watch")
    def stop(access: Access, unit: Unit) -> tuple[str, int]:
        if not watches.stop(unit, access, topic):
            raise _not_found("watch")
        return "", 204


_item_watch("todo:read", item_watches.TODOS, "todo")
_item_watch("payments:read", item_watches.PAYMENTS, "payment")


@bp.get("/todos")
@guarded("todo:read", action="todo.list", resource="todos")
def list_todos(access: Access, unit: Unit) -> Response:
    return jsonify(todos=journal.todos(unit, access.claimant_id, window=access.window))


@bp.get("/payments")
@guarded("payments:read", action="payments.list", resource="payments")
def list_payments(access: Access, unit: Unit) -> Response:
    return jsonify(payments=journal.payments(unit, access.claimant_id, window=access.window))


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


# The OpenAPI 3.1 description of this API and the staff API, written once as a static file and
# tested against the routes and fuzzed (tests/resilience/test_openapi.py); open to all.
_openapi: list[bytes] = []


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    if not _openapi:  # read once per process
        _openapi.append((Path(__file__).resolve().parent.parent / "openapi.json").read_bytes())
    return Response(_openapi[0], mimetype="application/json")
