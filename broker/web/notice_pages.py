"""What the MR decision notice pages share, the claimant's (web/notices.py) and the adviser's
(web/adviser.py): the facts it carries, issuing it, the page's contents, the PDF and the file."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..casework import decisions
from ..consent import device
from ..models import Claimant, MRDecision, SignedDocument
from ..proof import documents, notice_pdf
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
