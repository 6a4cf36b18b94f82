"""An organisation admin's pages (issue 25): their organisation's advisers, how many clients
each has (counts only: never a client's name or data, security.md 61), inviting an adviser by
email, suspending or resuming one, and asking a leaving adviser's clients to move their consent
to a colleague (each client answers on their phone).

Every lookup is filtered by the signed-in admin's own organisation, so another organisation's
adviser is a 404, whatever ID is typed. An adviser who is not an admin of their organisation,
or who (or whose organisation) is suspended, gets 403.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..consent import agency_grants, grants
from ..messages import notify
from ..models import Adviser
from ..people import invitations, organisations
from . import boundary, wording
from .forms import ConfirmForm, InviteForm, MoveClientsForm

bp = Blueprint("organisation", __name__, url_prefix="/organisation")
Page = str | tuple[str, int]


@bp.get("/")
def advisers() -> str:
    admin = _admin()
    people = sorted(organisations.advisers_of(admin.organisation_id), key=lambda a: a.name)
    return render_template(
        "organisation/advisers.html",
        organisation=admin.organisation,
        advisers=people,
        counts=agency_grants.client_counts([a.id for a in people], boundary.now()),
        pending=invitations.pending(admin.organisation_id, boundary.now()),
    )


@bp.route("/invite", methods=["GET", "POST"])
def invite() -> Response | Page:
    admin = _admin()
    form = InviteForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        now = boundary.now()
        try:
            invitation, token = invitations.invite(
                admin.organisation,
                form.email.data or "",
                by=f"adviser:{admin.id}",
                now=now,
                as_admin=bool(form.as_admin.data),
            )
        except invitations.InvitationRefused as refusal:
            boundary.undo()
            errors["email"] = str(refusal)
        else:
            notify.invitation(
                from_account_id=admin.id,
                to=invitation.email,
                organisation=admin.organisation.name,
                link=link_for(token),
                days=invitations.LIFETIME.days,
                now=now,
            )
            flash(f"Invitation sent to {invitation.email}")
            return redirect(url_for("organisation.advisers"), 303)
    return render_template("organisation/invite.html", form=form, errors=errors), (
        400 if errors else 200
    )


@bp.route("/advisers/<uuid:adviser_id>/suspend", methods=["GET", "POST"])
def suspend_adviser(adviser_id: str) -> Response | Page:
    admin, adviser, form = _colleague(adviser_id)
    if not form.validate_on_submit():
        return render_template("organisation/suspend_adviser.html", adviser=adviser, form=form)
    return _suspend_or_resume(admin, adviser, suspend=True)


@bp.route("/advisers/<uuid:adviser_id>/resume", methods=["GET", "POST"])
def resume_adviser(adviser_id: str) -> Response | Page:
    admin, adviser, form = _colleague(adviser_id)
    if not form.validate_on_submit():
        return render_template("organisation/resume_adviser.html", adviser=adviser, form=form)
    return _suspend_or_resume(admin, adviser, suspend=False)


@bp.route("/advisers/<uuid:adviser_id>/move", methods=["GET", "POST"])
def move_clients(adviser_id: str) -> Response | Page:
    """An adviser leaves: ask each of their clients to move their consent to a colleague."""
    admin, leaving, _ = _colleague(adviser_id, self_allowed=True)
    colleagues = [
        a
        for a in organisations.advisers_of(admin.organisation_id)
        if a.id != leaving.id and not a.held
    ]
    form = MoveClientsForm()
    form.colleague.choices = [(a.id, a.name) for a in colleagues]
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        colleague = organisations.adviser_in(admin.organisation_id, form.colleague.data or "")
        if colleague is None or colleague not in colleagues:
            errors["colleague"] = "Choose the colleague who should take over"
        else:
            now, by = boundary.now(), f"adviser:{admin.id}"
            try:
                asked = agency_grants.ask_to_move(leaving, colleague, by=by, now=now)
            except grants.GrantRefused as refusal:
                boundary.undo()
                errors["colleague"] = str(refusal)
            else:
                issuer = boundary.services().issuer
                for each in asked:
                    notify.move_asked(
                        each.grant,
                        colleague=f"{colleague.name} from {colleague.organisation.name}",
                        link=f"{issuer}{url_for('consent.device_code', user_code=each.user_code)}",
                        now=now,
                    )
                organisations.record(
                    admin.organisation_id, by, "adviser.move_clients", f"adviser:{leaving.id}", now
                )
                moving = wording.clients(len(asked))
                flash(f"{moving} of {leaving.name} asked to move to {colleague.name}")
                return redirect(url_for("organisation.advisers"), 303)
    return render_template(
        "organisation/move_clients.html",
        form=form,
        errors=errors,
        leaving=leaving,
        colleagues=colleagues,
        count=agency_grants.client_counts([leaving.id], boundary.now())[leaving.id],
    ), (400 if errors else 200)


def _colleague(
    adviser_id: str, *, self_allowed: bool = False
) -> tuple[Adviser, Adviser, ConfirmForm]:
    """The signed-in admin and an adviser of their own organisation (anyone else's: 404)."""
    admin = _admin()
    adviser = organisations.adviser_in(admin.organisation_id, str(adviser_id))
    if adviser is None:
        abort(404)
    if adviser.id == admin.id and not self_allowed:
        abort(403)  # an admin cannot lock themselves out; another admin or the broker can
    return admin, adviser, ConfirmForm()


def _suspend_or_resume(admin: Adviser, adviser: Adviser, *, suspend: bool) -> Response:
    now, by = boundary.now(), f"adviser:{admin.id}"
    signer = boundary.services().tokens
    try:
        if suspend:
            organisations.suspend_adviser(adviser, by=by, now=now)
            count = agency_grants.hold_for(
                adviser, why=agency_grants.ADVISER, by=by, signer=signer, now=now
            )
            flash(
                f"{adviser.name} is suspended: access for {wording.clients(count)} stopped working"
            )
        else:
            organisations.resume_adviser(adviser, by=by, now=now)
            count = agency_grants.release_for(adviser, by=by, signer=signer, now=now)
            flash(f"{adviser.name} is resumed: access for {wording.clients(count)} works again")
    except organisations.OrganisationRefused as refusal:
        boundary.undo()
        flash(str(refusal))
    return redirect(url_for("organisation.advisers"), 303)


def link_for(token: str) -> str:
    """The invitation's link, on the broker's public address (it goes out by email)."""
    issuer = boundary.services().issuer
    return f"{issuer}{url_for('invitation.accept_invitation', token=token)}"


def _admin() -> Adviser:
    adviser: Adviser = g.adviser
    if not adviser.is_org_admin or adviser.held:
        abort(403)
    return adviser
