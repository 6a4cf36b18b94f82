"""The claimant's MR decision notice (issue 27 item 1): a page to print on one A4 sheet, a PDF
and the signed file, each with the check code and a QR code for /verify. Issued the first time
it is asked for (recorded in the claimant's audit chain), the same document every time after."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, abort, g, render_template
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..casework import decisions
from ..consent import device
from ..extensions import db
from ..models import Claimant, MRDecision, SignedDocument
from ..proof import documents, notice_pdf
from . import boundary

bp = Blueprint("notices", __name__)


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
        kind=documents.MR_NOTICE,
        subject=f"mr_decision:{decision.id}",
        facts=facts_of(decision),
        by=by,
        now=boundary.now(),
        services=boundary.services(),
    )


def outcome_words(outcome: str) -> str:
    """The outcome in the page's language (the signed file keeps the English words)."""
    return {
        "changed": _("The decision was changed"),
        "not_changed": _("The decision was not changed"),
        "partly_changed": _("The decision was partly changed"),
    }.get(outcome, outcome)


def page(row: SignedDocument, code: str) -> dict[str, Any]:
    """What the notice page shows (the claimant's and the adviser's)."""
    services = boundary.services()
    link = f"{services.issuer}/verify?code={code}"
    document = documents.payload_of(row)
    facts = document["facts"]
    return dict(
        document=document,
        days={
            k: date.fromisoformat(facts[k])
            for k in ("decided_on", "appeal_by", "appeal_outside_limit")
        },
        outcome=outcome_words(facts["outcome"]),
        code=documents.shown(code),
        link=link,
        qr=device.qr_code_svg(link).decode(),
        sealed=documents.sealed(row),
    )


def pdf_response(row: SignedDocument, code: str) -> Response:
    link = f"{boundary.services().issuer}/verify?code={code}"
    body = notice_pdf.render(documents.payload_of(row), documents.shown(code), link)
    return _attachment(body, f"mr-decision-notice-{row.id[:8]}.pdf", "application/pdf")


def file_response(row: SignedDocument) -> Response:
    body = json.dumps(documents.as_file(row), indent=2, ensure_ascii=False).encode()
    return _attachment(body, f"mr-decision-notice-{row.id[:8]}.json", "application/json")


def _attachment(body: bytes, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _own_decision(decision_id: str) -> MRDecision:
    decision = db.session.get(MRDecision, str(decision_id))
    if decision is None or decision.claimant_id != g.claimant.id:
        abort(404)
    return decision


@bp.get("/decisions/<uuid:decision_id>/notice")
@boundary.writes_on_get  # the first look issues the notice and records it
def notice(decision_id: str) -> str:
    row, code = notice_for(g.claimant, _own_decision(decision_id), f"claimant:{g.claimant.id}")
    return render_template("notices/notice.html", decision_id=str(decision_id), **page(row, code))


@bp.get("/decisions/<uuid:decision_id>/notice.pdf")
@boundary.writes_on_get
def notice_pdf_download(decision_id: str) -> Response:
    row, code = notice_for(g.claimant, _own_decision(decision_id), f"claimant:{g.claimant.id}")
    return pdf_response(row, code)


@bp.get("/decisions/<uuid:decision_id>/notice.json")
@boundary.writes_on_get
def notice_file(decision_id: str) -> Response:
    row, _code = notice_for(g.claimant, _own_decision(decision_id), f"claimant:{g.claimant.id}")
    return file_response(row)
