"""What each kind of signed document is called and which of its facts are shown, in what order
and how: one description serves the page, the printed PDF and /verify, so the three never say
different things about the same document.

The labels are English msgids (the pages translate them; the PDF and the signed file stay in
English, since a tribunal reads the file and the file is what /verify checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..i18n import N_
from ..models import SignedDocument

DATE, TIME, OUTCOME, TEXT = "date", "time", "outcome", "text"


# An MR decision's outcome in words: the PDF prints the English, the pages translate it.
OUTCOME_WORDS = {
    "changed": N_("The decision was changed"),
    "not_changed": N_("The decision was not changed"),
    "partly_changed": N_("The decision was partly changed"),
}


@dataclass(frozen=True)
class Row:
    fact: str  # the key in the document's facts
    label: str
    shape: str = TEXT  # DATE: an ISO day; TIME: an ISO instant; OUTCOME: an MR outcome's code


@dataclass(frozen=True)
class Kind:
    title: str
    rows: tuple[Row, ...]
    what: str  # "Someone checked your ..." on the claimant's history


EVIDENCE_BUNDLE = "evidence-bundle"
MR_NOTICE = "mr-decision-notice"
LODGING = "mr-request-lodging"

KINDS: dict[str, Kind] = {
    # The journal entries and decisions an adviser chose for an appeal (casework/evidence.py),
    # each in facts["items"]; the rows say who made it and when.
    EVIDENCE_BUNDLE: Kind(
        title=N_("Evidence bundle for an appeal"),
        rows=(
            Row("prepared_by", N_("Prepared by")),
            Row("organisation", N_("Organisation")),
            Row("prepared_at", N_("Prepared at"), TIME),
            Row("count", N_("Entries and decisions in it")),
        ),
        what=N_("Someone checked an evidence bundle made from your journal."),
    ),
    MR_NOTICE: Kind(
        title=N_("Mandatory Reconsideration decision notice"),
        rows=(
            Row("decided_on", N_("Date of decision"), DATE),
            Row("outcome", N_("Outcome"), OUTCOME),
            Row("appeal_by", N_("Last day to appeal"), DATE),
            Row("appeal_outside_limit", N_("No appeal after (13-month limit)"), DATE),
        ),
        what=N_("Someone checked your Mandatory Reconsideration decision notice."),
    ),
    # Proof of lodging (proof/lodging.py): the text only as its SHA-256, since anyone holding
    # the code reads these facts at /verify (security.md 85).
    LODGING: Kind(
        title=N_("Proof of lodging: Mandatory Reconsideration request"),
        rows=(
            Row("lodged_at", N_("Lodged at"), TIME),
            Row("request_id", N_("Request ID")),
            Row("lodged_by", N_("Lodged by (adviser and organisation)")),
            Row("token_id", N_("Token ID")),
            Row("sent_by_claimant_at", N_("Checked and sent by the claimant at"), TIME),
            Row("about_sha256", N_("SHA-256 of what the request is about")),
            Row("text_sha256", N_("SHA-256 of the request's text")),
        ),
        what=N_("Someone checked your proof of lodging of a Mandatory Reconsideration request."),
    ),
}

UNKNOWN = Kind(title=N_("Signed document"), rows=(), what=N_("Someone checked a signed document."))


def kind_of(document: dict[str, Any] | SignedDocument) -> Kind:
    """The kind of a signed file's contents or of a kept document."""
    name = document.kind if isinstance(document, SignedDocument) else document.get("kind", "")
    return KINDS.get(str(name), UNKNOWN)


def rows_of(document: dict[str, Any]) -> list[tuple[Row, Any]]:
    """The document's shown facts in order, each with its value; a fact it lacks is left out."""
    facts = document.get("facts", {})
    return [(row, facts[row.fact]) for row in kind_of(document).rows if row.fact in facts]


def items_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries a document lists (an evidence bundle's), each {"on", "what", "text"}."""
    items = document.get("facts", {}).get("items", [])
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
