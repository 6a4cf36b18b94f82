"""What the signed documents' pages share, the claimant's (web/notices.py) and the adviser's
(web/adviser.py): the MR decision notice's facts and issuing it, a document's page, its PDF and
its file, and what the templates read of any document (proof/document_kinds.py)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import i18n
from ..casework import decisions
from ..consent import device
from ..models import Claimant, MRDecision, SignedDocument
from ..proof import document_kinds, documents, notice_pdf
from . import boundary


def facts_of(decision: MRDecision) -> dict[str, Any]:
    """What the notice says: the decision's date and outcome and the appeal dates, and nothing
    of the letter's text (that stays in the journal)."""
    found = decisions.as_json(decision)
    return {
        "decision": decisions.DEFAULT_SUBJECT,
        "decided_on": found["decided_on"],
        "outcome": decision.outcome,
        "outcome_words": decisions.OUTCOMES[decision.outcome],
        "appeal_by": found["appeal_deadline"],
        "appeal_outside_limit": found["appeal_outside_limit"],
    }


def notice_for(claimant: Claimant, decision: MRDecision, by: str) -> tuple[SignedDocument, str]:
    """The notice of this decision (issued now if it is the first time) and its check code."""
    return documents.issue(
        claimant,
        kind=document_kinds.MR_NOTICE,
        subject=f"mr_decision:{decision.id}",
        facts=facts_of(decision),
        by=by,
        now=boundary.now(),
        services=boundary.services(),
    )


def outcome_words(outcome: str) -> str:
    """The outcome in the page's language (the signed file keeps the English words)."""
    words = document_kinds.OUTCOME_WORDS.get(outcome)
    return _(words) if words else outcome


def fact_shown(row: document_kinds.Row, value: Any) -> str:
    """A document's fact in the page's language: a day or a time in words, an outcome's words;
    any other fact as the document carries it."""
    if row.shape == document_kinds.DATE:
        return i18n.day(date.fromisoformat(str(value)))
    if row.shape == document_kinds.TIME:
        return i18n.moment(str(value))
    if row.shape == document_kinds.OUTCOME:
        return outcome_words(str(value))
    return str(value)


def register(app: Flask) -> None:
    """What the document templates read (templates/proof/_document_facts.html)."""
    app.jinja_env.globals.update(
        document_kind=document_kinds.kind_of,
        document_rows=document_kinds.rows_of,
        document_items=document_kinds.items_of,
        fact_shown=fact_shown,
    )


def page(row: SignedDocument, code: str) -> dict[str, Any]:
    """What a document's page shows (the claimant's and the adviser's)."""
    link = documents.link_of(code, boundary.services())
    return dict(
        document=documents.payload_of(row),
        code=documents.shown(code),
        link=link,
        qr=device.qr_code_svg(link).decode(),
        sealed=documents.sealed(row),
    )


def pdf_response(row: SignedDocument, code: str) -> Response:
    link = documents.link_of(code, boundary.services())
    body = notice_pdf.render(documents.payload_of(row), documents.shown(code), link)
    return _attachment(body, f"{row.kind}-{row.id[:8]}.pdf", "application/pdf")


def file_response(row: SignedDocument) -> Response:
    body = json.dumps(documents.as_file(row), indent=2, ensure_ascii=False).encode()
    return _attachment(body, f"{row.kind}-{row.id[:8]}.json", "application/json")


def _attachment(body: bytes, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
