"""DWP staff sign in with the department's OpenID Connect provider (issue 25; Entra ID in DWP).

The provider's mechanics are broker/web/oidc_flow.py, shared with GOV.UK One Login. Only people
whose ID token carries the staff role value get in; their first sign-in links the staff account
with their email, or makes one. In production, with this provider set, staff passwords are
refused (broker/web/auth.py), so a leaver's access ends with their department account.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response

from ..inputs import safe_next
from ..people import back_channel_logout, external_sign_in
from . import boundary, oidc_flow, session_store, signing_in
from .boundary import current_account, writes_on_get

bp = Blueprint("staff_sign_in", __name__)


@bp.get("/staff-sign-in/start")
def start() -> Response | tuple[str, int]:
    if current_account() is not None:
        return redirect("/", 303)
    try:
        return oidc_flow.start(
            oidc_flow.configured(oidc_flow.STAFF), safe_next(request.args.get("next"))
        )
    except oidc_flow.ProviderDown:
        return _turned_away(render_template("staff_sign_in/callback_not_answering.html"), 503)


@bp.get("/staff-sign-in/callback")
@writes_on_get
def callback() -> Response | tuple[str, int]:
    try:
        identity = oidc_flow.finish(oidc_flow.configured(oidc_flow.STAFF))
    except oidc_flow.ProviderDown:
        return _turned_away(render_template("staff_sign_in/callback_not_answering.html"), 503)
    except oidc_flow.SignInRefused:
        return _turned_away(render_template("staff_sign_in/callback_refused.html"), 400)
    if not has_role(identity.claims):
        return _turned_away(render_template("staff_sign_in/callback_no_role.html"), 403)
    now = boundary.now()
    account = external_sign_in.linked_account(identity.issuer, identity.subject)
    if account is None:
        account = external_sign_in.staff_account(
            identity.claims.get("email"), identity.claims.get("name"), now=now
        )
        if account is None:
            return _turned_away(render_template("staff_sign_in/callback_refused.html"), 400)
        try:
            external_sign_in.link(
                account,
                identity.issuer,
                identity.subject,
                how=external_sign_in.BY_STAFF_EMAIL,
                now=now,
            )
        except external_sign_in.AlreadyLinked:
            return _turned_away(render_template("staff_sign_in/callback_refused.html"), 400)
    if account.role != "staff":
        return _turned_away(render_template("staff_sign_in/callback_refused.html"), 400)
    response = signing_in.start_session(account, now, identity.next_url)
    back_channel_logout.remember_session(
        session_store.current_hash() or "", issuer=identity.issuer, sid=identity.sid
    )
    return response


@bp.get("/.well-known/staff-sign-in-client-jwks.json")
def client_jwks() -> Response:
    """The public half of BROKER_STAFF_OIDC_KEY_FILE, for the department's provider to register
    (404 when staff sign-in is off, or authenticates with a client secret)."""
    chosen = oidc_flow.configured(oidc_flow.STAFF)
    if chosen.key is None:
        abort(404)
    return jsonify(keys=[chosen.key.public])


def has_role(claims: dict[str, Any]) -> bool:
    """Whether the configured role claim holds the staff role value (a list, as Entra ID
    sends `roles`, or a space-separated string)."""
    config = current_app.config
    wanted = config.get("BROKER_STAFF_OIDC_ROLE_VALUE")
    held = claims.get(config.get("BROKER_STAFF_OIDC_ROLE_CLAIM") or "roles")
    if isinstance(held, str):
        held = held.split()
    return bool(wanted) and isinstance(held, list) and wanted in held


def _turned_away(page: str, status: int) -> tuple[str, int]:
    boundary.undo()  # nothing is created for someone turned away
    return page, status
