"""Blueprints, one per audience, each with its access check bound at registration."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from flask import Flask, abort, g, redirect, request, url_for
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Account, Adviser, Claimant, StaffMember
from . import boundary
from .boundary import current_account

ROLE_MODELS = {"claimant": Claimant, "adviser": Adviser, "staff": StaffMember, "admin": Account}


def register_blueprints(app: Flask) -> None:
    from . import adviser, api, auth, claimant, oauth, proof, staff, wording

    for blueprint in (auth.bp, claimant.bp, adviser.bp, staff.bp, api.bp, oauth.bp, proof.bp):
        app.register_blueprint(blueprint)
    guard_blueprint(app, claimant.bp.name, "claimant")
    guard_blueprint(app, adviser.bp.name, "adviser")
    guard_blueprint(app, staff.bp.name, "staff")
    app.context_processor(lambda: {"current_account": current_account()})
    wording.register(app)
    register_staff_side(app)
    register_oauth_side(app)
    # The API's views are units of work of their own: the guard (broker.protect) commits each
    # with its audit event.
    boundary.bind(app, (name for name in app.blueprints if name != api.bp.name))


def register_oauth_side(app: Flask) -> None:
    """The claimant's answers to OAuth requests (consent, device verification) and client
    registration by admins (issue 3). The machine endpoints are in the oauth blueprint."""
    from . import admin, consent

    app.register_blueprint(consent.bp)
    app.register_blueprint(admin.bp)
    guard_blueprint(app, consent.bp.name, "claimant")
    guard_blueprint(app, admin.bp.name, "admin")


def register_staff_side(app: Flask) -> None:
    """The staff systems' API (its own bearer check: staff API keys) and grant wording."""
    from .. import grants
    from . import staff_api

    app.register_blueprint(staff_api.bp)
    app.jinja_env.globals.update(
        scopes_of=grants.scopes_of,  # catalogue or nominated-contact scopes
        scopes_named=grants.scopes_named,
        needs_review=grants.needs_review,
        narrowable=grants.narrowable,
        grant_state=grants.state_at,
    )


def guard_blueprint(app: Flask, blueprint_name: str, role: str) -> None:
    """Run the role check before every request to this blueprint, for this app only.

    Bound on the app, not on the (module-level) blueprint, so that building a second app in the
    same process neither fails nor stacks the check twice.
    """
    app.before_request_funcs.setdefault(blueprint_name, []).append(require_role(role))


def forget_request_state() -> None:
    """Start every request from a clean g.

    g belongs to the app context, which the test client shares across requests: the signed-in
    account and the CSRF token must be worked out afresh for each one. Registered before
    CSRFProtect so that its check sees a clean g too.
    """
    for name in ("account", "csrf_token", "csrf_valid"):
        g.pop(name, None)


def require_role(role: str) -> Callable[[], Response | None]:
    """A before_request check: signed in, with this role; loads g.<role> for the views."""
    model = ROLE_MODELS[role]

    def check() -> Response | None:
        account = current_account()
        if account is None:
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("auth.sign_in", next=target), 303)
        if account.role != role:
            if request.path == "/":
                return redirect(home_for(account), 303)
            abort(403)
        setattr(g, role, db.session.get(model, account.id))
        return None

    return check


@cache
def public_endpoints() -> frozenset[str]:
    """Endpoints open without signing in: the short allowlist the route test checks against."""
    return frozenset(
        {
            "static",
            "auth.sign_in",
            "auth.sign_out",
            "auth.signed_out",
            "auth.change_language",
            "oauth.jwks",
            # OAuth: clients authenticate themselves at these (issue 3)
            "oauth.metadata",
            "oauth.token",
            "oauth.device_authorization",
            "oauth.revoke",
            "oauth.introspect",
            # Proof anyone can check (issue 8): the published checkpoints and the file checker
            "proof.audit_checkpoints",
            "proof.audit_keys",
            "proof.verify_file",
        }
    )


def home_for(account: Account) -> str:
    return {
        "claimant": url_for("claimant.home"),
        "adviser": url_for("adviser.clients"),
        "staff": url_for("staff.find_claimant"),
        "admin": url_for("admin.clients_list"),
    }.get(account.role, url_for("auth.sign_in"))
