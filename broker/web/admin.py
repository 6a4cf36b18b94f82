"""Admins register OAuth clients: an organisation's case-management system or a device.

The client secret is shown once, in the answer to the POST that made it, and only its hash is
kept; it is never put in a redirect or a cookie, which is why that POST renders a page instead
of redirecting.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from werkzeug.wrappers import Response

import scopes

from ..consent import clients
from . import boundary
from .forms import ClientForm, first_errors

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
