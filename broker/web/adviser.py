"""The adviser console: my clients, a client's MR decisions and journal, lodging an MR request.

Everything about a client's journal comes through the protected API with a token issued under
the grant (broker.console), never from the journal tables directly.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

import scopes

from .. import clock, grants
from ..console import ConsoleClient
from ..models import Grant
from .forms import MRRequestForm

bp = Blueprint("adviser", __name__, url_prefix="/adviser")


@bp.get("/")
def clients() -> str:
    now = clock.now()
    return render_template(
        "adviser/clients.html",
        live=grants.live_for_adviser(g.adviser.id, now),
        now=now,
        state_at=grants.state_at,
    )


@bp.get("/clients/<grant_id>")
def client(grant_id: str) -> str | tuple[str, int]:
    grant = _own_grant(grant_id)
    now = clock.now()
    if not grants.authorises(grant.status, grant.review_at, grant.ends_at, now):
        return render_template("adviser/client_inactive.html", grant=grant,
                               state=grants.state_at(grant, now)), 403  # fmt: skip
    allowed = set(grant.scope_names)
    api = ConsoleClient(grant)
    decisions = api.get("/mr-decisions") if "mr:read" in allowed else None
    journal = api.get("/journal") if "journal:read" in allowed else None
    return render_template(
        "adviser/client.html",
        grant=grant,
        decisions=decisions,
        journal=journal,
        can_request="mr:request" in allowed,
        scope_titles=[scopes.lookup(n).title_in("en") for n in grant.scope_names],
    )


@bp.route("/clients/<grant_id>/mr-request", methods=["GET", "POST"])
def mr_request(grant_id: str) -> Response | str | tuple[str, int]:
    grant = _own_grant(grant_id)
    form = MRRequestForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        answer = ConsoleClient(grant).post(
            "/mr-requests",
            {"decision_about": form.decision_about.data, "reasons": form.reasons.data},
        )
        if answer.status == 201:
            flash("Your Mandatory Reconsideration request is in the client's journal")
            return redirect(url_for("adviser.client", grant_id=grant.id), 303)
        description = (answer.body or {}).get("error_description", "The request was refused")
        errors["form"] = description
        return render_template("adviser/mr_request.html", grant=grant, form=form,
                               errors=errors), answer.status  # fmt: skip
    errors = {name: messages[0] for name, messages in form.errors.items()}
    return render_template(
        "adviser/mr_request.html", grant=grant, form=form, errors=errors
    ), (400 if errors else 200)


def _own_grant(grant_id: str) -> Grant:
    try:
        return grants.for_adviser(g.adviser.id, grant_id)
    except grants.GrantNotFound:
        abort(404)
