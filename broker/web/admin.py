"""Admins register OAuth clients: an organisation's case-management system or a device.

The client secret is shown once, in the answer to the POST that made it, and only its hash is
kept; it is never put in a redirect or a cookie, which is why that POST renders a page instead
of redirecting.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from werkzeug.wrappers import Response

import scopes

from ..chain.keys import Signer
from ..consent import agency_grants, clients
from ..messages import notify
from ..models import Organisation
from ..people import invitations, organisations
from . import boundary, wording
from .forms import ClientForm, ConfirmForm, OrganisationForm, first_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
def clients_list() -> str:
    registered = clients.all_clients()
    return render_template(
        "admin/clients_list.html",
        registered=registered,
        redirect_uris=clients.redirect_uris,
        organisation_name=clients.organisation_name,
    )


@bp.route("/clients/new", methods=["GET", "POST"])
def new_client() -> Response | str | tuple[str, int]:
    form = ClientForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            client, secret = clients.register(
                form.name.data or "",
                organisation=clients.organisation_named(form.organisation.data or ""),
                redirect_uris=(form.redirect_uris.data or "").splitlines(),
                scope_names=form.scopes.data or (),
                grant_types=form.grant_types.data or (),
                auth_method=form.auth_method.data or "",
                now=boundary.now(),
                push_endpoint=(form.push_endpoint.data or "").strip() or None,
                require_dpop=bool(form.require_dpop.data),
                allow_loopback_push=bool(current_app.config.get("BROKER_PUSH_ALLOW_LOOPBACK")),
            )
        except clients.ClientRefused as refusal:
            boundary.undo()
            errors[_field_for(str(refusal))] = str(refusal)
        else:
            return render_template(
                "admin/new_client_created.html",
                client=client,
                secret=secret,
                redirect_uris=clients.redirect_uris(client),
            ), 201
    else:
        errors = first_errors(form)
    return render_template(
        "admin/new_client.html", form=form, errors=errors, catalogue=scopes.catalogue()
    ), (400 if errors else 200)


def _field_for(message: str) -> str:
    lowered = message.lower()
    if "push endpoint" in lowered:
        return "push_endpoint"
    if "url" in lowered or "redirect" in lowered or "https" in lowered:
        return "redirect_uris"
    if "scope" in lowered:
        return "scopes"
    if "grant" in lowered:
        return "grant_types"
    if "organisation" in lowered:
        return "organisation"
    return "name"


# Issue 25: advice agencies. The broker's admin adds an organisation with its first
# organisation admin (invited by email), and can suspend a whole organisation.


@bp.get("/organisations")
def organisations_list() -> str:
    found = organisations.all_organisations()
    return render_template(
        "admin/organisations_list.html",
        found=found,
        kinds=organisations.KINDS,
        marks=organisations.MARKS,
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
def new_organisation() -> Response | str | tuple[str, int]:
    form = OrganisationForm()
    form.kind.choices = list(organisations.KINDS.items())
    form.mark_scheme.choices = [(key, mark.label) for key, mark in organisations.MARKS.items()]
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        now, by = boundary.now(), f"admin:{g.admin.id}"
        try:
            organisation = organisations.create(
                form.name.data or "",
                kind=form.kind.data or "",
                mark_scheme=form.mark_scheme.data or "",
                mark_number=form.mark_number.data or "",
                code_prefix=form.code_prefix.data or "",
                by=by,
                now=now,
            )
            invitation, token = invitations.invite(
                organisation, form.admin_email.data or "", by=by, now=now, as_admin=True
            )
        except organisations.OrganisationRefused as refusal:
            boundary.undo()
            errors[refusal.field] = str(refusal)
        except invitations.InvitationRefused as refusal:
            boundary.undo()
            errors["admin_email"] = str(refusal)
        else:
            notify.invitation(
                from_account_id=g.admin.id,
                to=invitation.email,
                organisation=organisation.name,
                link=f"{boundary.services().issuer}"
                + url_for("invitation.accept_invitation", token=token),
                days=invitations.LIFETIME.days,
                now=now,
            )
            flash(f"{organisation.name} added; {invitation.email} is invited as its admin")
            return redirect(url_for("admin.organisations_list"), 303)
    return render_template("admin/new_organisation.html", form=form, errors=errors), (
        400 if errors else 200
    )


@bp.route("/organisations/<uuid:organisation_id>/suspend", methods=["GET", "POST"])
def suspend_organisation(organisation_id: str) -> Response | str:
    organisation, form = _organisation(organisation_id)
    if not form.validate_on_submit():
        return render_template(
            "admin/suspend_organisation.html", organisation=organisation, form=form
        )
    return _suspend_or_resume(organisation, suspend=True)


@bp.route("/organisations/<uuid:organisation_id>/resume", methods=["GET", "POST"])
def resume_organisation(organisation_id: str) -> Response | str:
    organisation, form = _organisation(organisation_id)
    if not form.validate_on_submit():
        return render_template(
            "admin/resume_organisation.html", organisation=organisation, form=form
        )
    return _suspend_or_resume(organisation, suspend=False)


def _organisation(organisation_id: str) -> tuple[Organisation, ConfirmForm]:
    organisation = organisations.by_id(str(organisation_id))
    if organisation is None:
        abort(404)
    return organisation, ConfirmForm()


def _suspend_or_resume(organisation: Organisation, *, suspend: bool) -> Response:
    try:
        count = suspend_or_resume_organisation(
            organisation,
            suspend=suspend,
            by=f"admin:{g.admin.id}",
            now=boundary.now(),
            signer=boundary.services().tokens,
        )
    except organisations.OrganisationRefused as refusal:
        boundary.undo()
        flash(str(refusal))
    else:
        done = "suspended" if suspend else "resumed"
        flash(f"{organisation.name} is {done}: access for {wording.clients(count)} changed")
    return redirect(url_for("admin.organisations_list"), 303)


def suspend_or_resume_organisation(
    organisation: Organisation, *, suspend: bool, by: str, now: datetime, signer: Signer
) -> int:
    """The organisation marked, then every adviser's grants held or released."""
    if suspend:
        organisations.suspend(organisation, by=by, now=now)
    else:
        organisations.resume(organisation, by=by, now=now)
    count = 0
    for adviser in organisations.advisers_of(organisation.id):
        if suspend:
            count += agency_grants.hold_for(
                adviser, why=agency_grants.ORGANISATION, by=by, signer=signer, now=now
            )
        else:
            count += agency_grants.release_for(adviser, by=by, signer=signer, now=now)
    return count
