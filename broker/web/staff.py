"""DWP staff pages: find a claimant by reference and see the consent recorded on their record.

This is the first slice; the full staff side (recording consent by phone, suspending, notes)
builds on the same grants module.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import clock, grants
from ..extensions import db
from ..models import Claimant
from .forms import FindClaimantForm

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/", methods=["GET", "POST"])
def find_claimant() -> Response | str | tuple[str, int]:
    form = FindClaimantForm()
    error = None
    if form.validate_on_submit():
        reference = (form.reference.data or "").strip().upper()
        claimant = db.session.scalar(db.select(Claimant).where(Claimant.reference == reference))
        if claimant is not None:
            return redirect(url_for("staff.claimant_record", reference=claimant.reference), 303)
        error = "No claimant has that reference. Check it and try again"
    elif request.method == "POST":
        error = "Enter the claimant reference"
    return render_template("staff/find_claimant.html", form=form, error=error), (
        400 if error else 200
    )


@bp.get("/claimants/<reference>")
def claimant_record(reference: str) -> str:
    claimant = db.session.scalar(db.select(Claimant).where(Claimant.reference == reference))
    if claimant is None:
        abort(404)
    now = clock.now()
    all_grants = grants.all_for_claimant(claimant.id)
    return render_template(
        "staff/claimant_record.html",
        claimant=claimant,
        grants=all_grants,
        now=now,
        state_at=grants.state_at,
    )
