"""Who may open what: each blueprint's role check, bound at registration, and the short list of
endpoints open without signing in."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import cache

from flask import Flask, abort, g, redirect, request, url_for
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Account, Adviser, Claimant, StaffMember
from .boundary import current_account

ROLE_MODELS = {"claimant": Claimant, "adviser": Adviser, "staff": StaffMember, "admin": Account}


def bearer_matches(expected: str | None) -> bool:
    """True if the request's `Authorization: Bearer` token is `expected` (a configured secret);
    always False when none is configured. Compared in constant time, on bytes so that non-ASCII
    text raises no TypeError."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not expected:
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


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
            # Issue 26: health and readiness for the load balancer; they name no one
            "health.healthz",
            "health.readyz",
            "auth.sign_in",
            "auth.sign_out",
            "auth.signed_out",
            "auth.change_language",
            # Issue 17: "Use a passkey" (a single-use challenge, then the signed answer to it)
            "auth.passkey_options",
            "auth.passkey_sign_in",
            # Issue 25: sign-in through GOV.UK One Login (state, nonce and PKCE guard the way
            # back), its link by reference and code, our client key, and providers' logouts
            "one_login.start",
            "one_login.callback",
            "one_login.link",
            "one_login.link_code",
            "one_login.client_jwks",
            "one_login.backchannel_logout",
            "staff_sign_in.start",
            "staff_sign_in.callback",
            "staff_sign_in.client_jwks",
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
            # GOV.UK Notify's delivery receipts (issue 15): its own bearer token, checked there
            "callbacks.notify_receipt",
            # Issue 23: anyone may ask to be a claimant's nominated contact; the request only
            # waits for the claimant's answer, and its pages never name the claimant
            "contact_request.ask_to_be_contact",
            "contact_request.confirm_request",
            "contact_request.new_code",
            "contact_request.new_answer_code",
            # Issue 25: an invitee has no account yet; the one-time link is the key
            "invitation.accept_invitation",
            "invitation.passkey_options",
            "invitation.accept_with_passkey",
        }
    )


def home_for(account: Account) -> str:
    return {
        "claimant": url_for("claimant.home"),
        "adviser": url_for("adviser.clients"),
        "staff": url_for("staff.find_claimant"),
        "admin": url_for("admin.clients_list"),
    }.get(account.role, url_for("auth.sign_in"))
