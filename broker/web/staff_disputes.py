"""Staff's disputes list (issue 27 item 3): each open "This wasn't right" with the claimant's
reference, the disputed line, the claimant's words and the line's inclusion proof against the
latest checkpoint; staff close one with an outcome (casework/disputes.py does the work)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .. import clock
from ..casework import disputes
from ..consent import grants
from ..extensions import db
from ..models import Claimant, Dispute
from . import boundary
from .forms import CloseDisputeForm, first_errors

bp = Blueprint("staff_disputes", __name__, url_prefix="/staff")

OUTCOME_WORDS = {
    disputes.RESUMED: "Resumed: access restarts (if this dispute paused it)",
    disputes.STOPPED: "Stopped: access ends now",
    disputes.PASSED_ON: "Passed on: access stays paused",
}


def register(app: Flask) -> None:
    """What the adviser's client page reads (the days they are asked to make a statement for)
    and the claimant's history (their own disputes)."""
    app.jinja_env.globals.update(
        dispute_days_asked=disputes.days_asked,
        dispute_pause_reason=disputes.PAUSE_REASON,
        claimant_disputes=disputes.of_claimant,  # the claimant's history lists their own
        held_by_dispute=grants.held_by_dispute,  # the staff record offers no lift for these
    )


@bp.get("/disputes")
def disputes_list() -> str:
    return _page({}, 200)


@bp.post("/disputes/<uuid:dispute_id>/close")
def close(dispute_id: str) -> Response | tuple[str, int]:
    row = disputes.one(None, str(dispute_id))
    if row is None:
        abort(404)
    form = CloseDisputeForm()
    if not form.validate_on_submit():
        return _page({row.id: next(iter(first_errors(form).values()), "Choose an outcome")}, 400)
    try:
        disputes.close(
            row,
            outcome=form.outcome.data or "",
            staff=g.staff,
            signer=boundary.services().tokens,
            now=boundary.now(),
        )
    except disputes.DisputeRefused as refusal:
        boundary.undo()
        # A closed dispute is off the list, so its refusal goes at the top of the page.
        return _page({row.id if row.closed_at is None else "page": str(refusal)}, 400)
    flash("The dispute is closed. The claimant has a message and the signed outcome")
    return redirect(url_for("staff_disputes.disputes_list"), 303)


def _page(errors: dict[str, str], status: int) -> tuple[str, int]:
    rows = []
    for row in disputes.waiting():
        event = disputes.event_of(row.claimant_id, row.event_id)
        rows.append(
            {
                "dispute": row,
                "reference": _reference(row),
                "event": event,
                "at": clock.from_micros(event.occurred_us),
                "proof": disputes.inclusion(event),
            }
        )
    return render_template(
        "staff_disputes/disputes_list.html",
        rows=rows,
        errors=errors,
        form=CloseDisputeForm(),
        outcomes=OUTCOME_WORDS,
    ), status


def _reference(row: Dispute) -> str:
    claimant = db.session.get(Claimant, row.claimant_id)
    return claimant.reference if claimant else ""
