"""The claimant's pages: give access, see who can see what, revoke, and see what they looked at."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

import scopes

from .. import accounts, audit, clock, grants, journal
from ..models import Grant
from ..db import transaction
from .forms import ConfirmForm, GiveAccessForm

bp = Blueprint("claimant", __name__)


@bp.get("/")
def home() -> str:
    now = clock.now()
    live = grants.live_for_claimant(g.claimant.id, now)
    return render_template("claimant/home.html", live=live, now=now)


@bp.get("/access")
def access() -> str:
    now = clock.now()
    return render_template(
        "claimant/access.html",
        live=grants.live_for_claimant(g.claimant.id, now),
        ended=grants.ended_for_claimant(g.claimant.id, now),
        now=now,
        state_at=grants.state_at,
    )


@bp.route("/access/new", methods=["GET", "POST"])
def give_access() -> Response | str | tuple[str, int]:
    form = GiveAccessForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        adviser = accounts.adviser_by_code(form.adviser_code.data or "")
        now = clock.now()
        months = int(form.months.data or 0)
        chosen = tuple(form.scopes.data or ())
        if adviser is None:
            errors["adviser_code"] = "We cannot find an adviser with that code. Check it and try again"
        else:
            try:
                grants.check_end(chosen, starts_at=now, ends_at=grants.add_months(now, months))
            except grants.GrantRefused as refusal:
                errors["months"] = str(refusal)
        if not errors and form.confirmed.data == "yes":
            with transaction():
                grant = grants.create(
                    g.claimant,
                    grants.Representative.of(adviser),
                    scope_names=chosen,
                    ends_at=grants.add_months(now, months),
                    purpose=form.purpose.data or "",
                    relationship=form.relationship.data or "",
                    now=now,
                )
            flash(f"{grant.representative_name} can now see what you chose")
            return redirect(url_for("claimant.access"), 303)
        if not errors:
            return render_template(
                "claimant/confirm_access.html",
                form=form,
                adviser=adviser,
                chosen=[scopes.lookup(n) for n in scopes.parse(chosen)],
                ends_at=grants.add_months(now, months),
            )
    else:
        errors = {name: messages[0] for name, messages in form.errors.items()}
    status = 400 if errors else 200
    return render_template(
        "claimant/give_access.html", form=form, errors=errors, catalogue=scopes.catalogue()
    ), status


@bp.get("/access/<grant_id>/revoke")
def confirm_revoke(grant_id: str) -> str:
    grant = _own_grant(grant_id)
    return render_template("claimant/confirm_revoke.html", grant=grant, form=ConfirmForm())


@bp.post("/access/<grant_id>/revoke")
def revoke(grant_id: str) -> Response:
    grant = _own_grant(grant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with transaction():
        grants.revoke(grant, by=f"claimant:{g.claimant.id}", now=clock.now())
    flash(f"{grant.representative_name} can no longer see your journal")
    return redirect(url_for("claimant.access"), 303)


@bp.get("/history")
def history() -> str:
    all_grants = grants.all_for_claimant(g.claimant.id)
    by_id = {grant.id: grant for grant in all_grants}
    events = audit.events_for_grants(list(by_id))
    titles = journal.titles(g.claimant.id, [str(e["resource"]) for e in events])
    return render_template("claimant/history.html", events=events, grants=by_id, titles=titles)


def _own_grant(grant_id: str) -> Grant:
    try:
        return grants.for_claimant(g.claimant.id, grant_id)
    except grants.GrantNotFound:
        abort(404)
