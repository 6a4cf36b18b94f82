"""The claimant's signed documents (issue 27 item 1): a page to print, a PDF and the signed file,
each with the check code and a QR code for /verify. The MR decision notice is issued the first
time it is asked for (recorded in the claimant's audit chain), the same document every time
after; any document issued to the claimant (a proof of lodging, an evidence bundle) is theirs to
see by its ID."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, url_for
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import MRDecision, SignedDocument
from ..proof import documents
from . import boundary, notice_pages

bp = Blueprint("notices", __name__)


def _own_notice(decision_id: str) -> tuple[SignedDocument, str]:
    """The notice of one of the claimant's own decisions (issued on the first look), else 404."""
    decision = db.session.get(MRDecision, str(decision_id))
    if decision is None or decision.claimant_id != g.claimant.id:
        abort(404)
    return notice_pages.notice_for(g.claimant, decision, f"claimant:{g.claimant.id}")


@bp.get("/decisions/<uuid:decision_id>/notice")
@boundary.writes_on_get  # the first look issues the notice and records it
def notice(decision_id: str) -> str:
    row, code = _own_notice(decision_id)
    return render_template(
        "notices/notice.html",
        pdf_url=url_for("notices.notice_pdf_download", decision_id=decision_id),
        file_url=url_for("notices.notice_file", decision_id=decision_id),
        **notice_pages.page(row, code),
    )


@bp.get("/decisions/<uuid:decision_id>/notice.pdf")
@boundary.writes_on_get
def notice_pdf_download(decision_id: str) -> Response:
    return notice_pages.pdf_response(*_own_notice(decision_id))


@bp.get("/decisions/<uuid:decision_id>/notice.json")
@boundary.writes_on_get
def notice_file(decision_id: str) -> Response:
    return notice_pages.file_response(_own_notice(decision_id)[0])


def _own_document(document_id: str) -> tuple[SignedDocument, str]:
    row = db.session.get(SignedDocument, str(document_id))
    if row is None or row.claimant_id != g.claimant.id:
        abort(404)
    return row, documents.code_of(row.id, boundary.services())


@bp.get("/documents/<uuid:document_id>")
def document(document_id: str) -> str:
    row, code = _own_document(document_id)
    return render_template(
        "notices/notice.html",
        pdf_url=url_for("notices.document_pdf", document_id=document_id),
        file_url=url_for("notices.document_file", document_id=document_id),
        **notice_pages.page(row, code),
    )


@bp.get("/documents/<uuid:document_id>.pdf")
def document_pdf(document_id: str) -> Response:
    return notice_pages.pdf_response(*_own_document(document_id))


@bp.get("/documents/<uuid:document_id>.json")
def document_file(document_id: str) -> Response:
    return notice_pages.file_response(_own_document(document_id)[0])
