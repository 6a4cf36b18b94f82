"""The adviser's evidence bundles (issue 27 item 1): choose a client's journal entries and MR
decisions for an appeal, make the signed bundle, then print it, download its PDF or its file.

Like everything else in the console, it goes through the protected API with a token issued under
the grant (console.py): the choices are listed by the API's own reads, and the bundle is made by
POST /api/v1/evidence-bundles, so the console can put in a bundle exactly what a case system
with the same grant could, no more (security.md 87), and every read is audited with its token.
Opening a bundle again reads each of its items again the same way: a grant since narrowed, ended
or stripped of a scope shows nothing it no longer allows.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..casework import evidence
from ..consent import grants
from ..extensions import db
from ..models import AuditEvent, Grant, SignedDocument
from ..proof import document_kinds, documents
from . import boundary, console, notice_pages
from .console import ConsoleClient
from .forms import ConfirmForm

bp = Blueprint("evidence_bundles", __name__, url_prefix="/adviser/clients")

REFUSED = {
    "none": "Choose at least one journal entry or decision",
    "too-many": f"Choose no more than {evidence.MOST} journal entries and decisions",
}
FIELDS = tuple(evidence.FIELDS)  # journal_entries, mr_decisions: the checkboxes' names
READS = {"journal_entry": "/journal/{}", "mr_decision": "/mr-decisions/{}"}


def _own_grant(grant_id: str) -> Grant:
    try:
        return grants.for_adviser(g.adviser.id, str(grant_id))
    except grants.GrantNotFound:
        abort(404)


@bp.route("/<uuid:grant_id>/evidence-bundle", methods=["GET", "POST"])
def evidence_bundle(grant_id: str) -> Response | tuple[str, int]:
    """Tick entries and decisions, then make the bundle (a form with its CSRF token)."""
    grant = _own_grant(grant_id)
    form = ConfirmForm()
    chosen = {field: request.form.getlist(field) for field in FIELDS}
    error, status = REFUSED.get(request.args.get("error", ""), ""), 200
    if form.validate_on_submit():
        count = sum(len(ids) for ids in chosen.values())
        if not count or count > evidence.MOST:
            # Back to the list with the reason, before any call to the API: listing mints a
            # token, and a refused request changes nothing (the hostile-input fuzz checks it).
            reason = "none" if not count else "too-many"
            return redirect(url_for(".evidence_bundle", grant_id=grant.id, error=reason), 303)
        answer = ConsoleClient(grant).post("/evidence-bundles", chosen)
        if answer.status == 201:
            return redirect(
                url_for(
                    ".evidence_bundle_document",
                    grant_id=grant.id,
                    document_id=answer.body["document_id"],
                ),
                303,
            )
        # The API refused it (an item this grant cannot read: 404, audited): say why.
        error = (answer.body or {}).get("error_description", "The bundle could not be made")
        status = answer.status
    decisions, journal = console.decisions_and_journal(grant)
    ticked = {ident for ids in chosen.values() for ident in ids}
    return render_template(
        "evidence_bundles/evidence_bundle.html",
        grant=grant,
        decisions=decisions,
        journal=journal,
        ticked=ticked,
        error=error,
        most=evidence.MOST,
    ), status


def _bundle(grant_id: str, document_id: str) -> tuple[SignedDocument, str]:
    """A bundle made under this grant, each of its items read again through the API now."""
    grant = _own_grant(grant_id)
    row = db.session.get(SignedDocument, str(document_id))
    if (
        row is None
        or row.claimant_id != grant.claimant_id
        or row.kind != document_kinds.EVIDENCE_BUNDLE
    ):
        abort(404)
    made_under = db.session.scalar(
        select(AuditEvent.grant_id).where(
            AuditEvent.claimant_id == row.claimant_id,
            AuditEvent.action == evidence.MADE,
            AuditEvent.resource == f"document:{row.id}",
            AuditEvent.outcome == "allowed",
        )
    )
    if made_under != grant.id:
        abort(404)
    code = documents.code_of(row.id, boundary.services())
    api = ConsoleClient(grant)  # ends this page's transaction: take what it needs first
    for kind, ident in evidence.sources(documents.payload_of(row)):
        if api.get(READS[kind].format(ident)).status != 200:
            abort(404)
    return row, code


@bp.get("/<uuid:grant_id>/evidence-bundles/<uuid:document_id>")
def evidence_bundle_document(grant_id: str, document_id: str) -> str:
    row, code = _bundle(grant_id, document_id)
    return render_template(
        "evidence_bundles/evidence_bundle_document.html",
        grant_id=grant_id,
        pdf_url=url_for(".evidence_bundle_pdf", grant_id=grant_id, document_id=document_id),
        file_url=url_for(".evidence_bundle_file", grant_id=grant_id, document_id=document_id),
        **notice_pages.page(row, code),
    )


@bp.get("/<uuid:grant_id>/evidence-bundles/<uuid:document_id>.pdf")
def evidence_bundle_pdf(grant_id: str, document_id: str) -> Response:
    return notice_pages.pdf_response(*_bundle(grant_id, document_id))


@bp.get("/<uuid:grant_id>/evidence-bundles/<uuid:document_id>.json")
def evidence_bundle_file(grant_id: str, document_id: str) -> Response:
    return notice_pages.file_response(_bundle(grant_id, document_id)[0])
