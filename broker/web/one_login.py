"""Claimants sign in with GOV.UK One Login (issue 25), and providers sign people out here.

The first One Login sign-in links it to a claimant: by a verified email that is exactly one
claimant's, or by their UC reference and a code sent to the contact details we hold. Until it
is linked, the identity waits in the (signed, not yet signed-in) cookie session, never in the
database. The mechanics of the provider are broker/web/oidc_flow.py; the rules are
broker/people/external_sign_in.py.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from .. import ratelimit
from ..extensions import csrf
from ..inputs import safe_next
from ..messages import sign_in_codes
from ..models import Account
from ..people import back_channel_logout, external_sign_in, oidc
from . import boundary, oidc_flow, session_store, signing_in
from .boundary import current_account, writes_on_get
from .forms import LinkCodeForm, LinkReferenceForm, first_errors

bp = Blueprint("one_login", __name__)

PENDING = "one_login_pending"  # the identity waiting to be linked, in the cookie session
PENDING_FOR = timedelta(minutes=30)


@bp.get("/one-login/start")
def start() -> Response | tuple[str, int]:
    if current_account() is not None:
        return redirect("/", 303)
    try:
        return oidc_flow.start(
            oidc_flow.configured(oidc_flow.ONE_LOGIN), safe_next(request.args.get("next"))
        )
    except oidc_flow.ProviderDown:
        return _not_answering()


@bp.get("/one-login/callback")
@writes_on_get
def callback() -> Response | tuple[str, int]:
    chosen = oidc_flow.configured(oidc_flow.ONE_LOGIN)
    try:
        identity = oidc_flow.finish(chosen)
    except oidc_flow.ProviderDown:
        return _not_answering()
    except oidc_flow.TrustTooLow:
        boundary.undo()
        return render_template("one_login/callback_not_trusted.html"), 400
    except oidc_flow.SignInRefused:
        return _refused()
    now = boundary.now()
    account = external_sign_in.linked_account(identity.issuer, identity.subject)
    if account is None:
        claimant = external_sign_in.claimant_by_verified_email(
            identity.claims.get("email"), identity.claims.get("email_verified")
        )
        if claimant is None:
            session[PENDING] = {
                "iss": identity.issuer,
                "sub": identity.subject,
                "sid": identity.sid,
                "at": now.timestamp(),
                "next": identity.next_url,
            }
            return redirect(url_for("one_login.link"), 303)
        account = claimant.account
        try:
            external_sign_in.link(
                account, identity.issuer, identity.subject, how=external_sign_in.BY_EMAIL, now=now
            )
        except external_sign_in.AlreadyLinked:
            return _refused()
    if account.role != "claimant":
        return _refused()
    return _signed_in(account, identity.issuer, identity.sid, now, identity.next_url)


def _signed_in(
    account: Account, issuer: str, sid: Any, now: datetime, next_url: str | None
) -> Response:
    response = signing_in.start_session(account, now, next_url)
    back_channel_logout.remember_session(session_store.current_hash() or "", issuer=issuer, sid=sid)
    return response


def _pending(now: datetime) -> dict[str, Any] | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not {"iss", "sub", "at"} <= set(pending):
        return None
    if now.timestamp() - float(pending["at"]) > PENDING_FOR.total_seconds():
        return None
    return pending


@bp.route("/one-login/link", methods=["GET", "POST"])
def link() -> Response | tuple[str, int]:
    """No claimant has the verified email One Login gave: ask for the UC reference."""
    now = boundary.now()
    pending = _pending(now)
    if pending is None:
        return redirect(url_for("auth.sign_in"), 303)
    form = LinkReferenceForm()
    if form.validate_on_submit():
        try:
            found = external_sign_in.send_code(
                form.reference.data or "",
                pending["iss"],
                pending["sub"],
                address=request.remote_addr or "unknown",
                now=now,
            )
        except external_sign_in.TooManyCodes as limit:
            return _too_many(limit.retry_after, "one_login/link.html", form=form, errors={})
        if found is not None:
            claimant, code = found
            minutes = int(external_sign_in.CODE_LIFETIME.total_seconds() // 60)
            sign_in_codes.send(claimant, code, minutes=minutes, now=now)
        # The same answer for a reference that is no claim's: references cannot be tested here.
        return redirect(url_for("one_login.link_code"), 303)
    errors = first_errors(form)
    status = 400 if errors else 200
    return render_template("one_login/link.html", form=form, errors=errors), status


@bp.route("/one-login/link/code", methods=["GET", "POST"])
def link_code() -> Response | tuple[str, int]:
    now = boundary.now()
    pending = _pending(now)
    if pending is None:
        return redirect(url_for("auth.sign_in"), 303)
    form = LinkCodeForm()
    errors = first_errors(form) if request.method == "POST" else {}
    if form.validate_on_submit():
        try:
            claimant = external_sign_in.confirm_code(
                form.code.data or "",
                pending["iss"],
                pending["sub"],
                address=request.remote_addr or "unknown",
                now=now,
            )
        except external_sign_in.CodeRefused:  # the counted miss is kept
            errors = {"code": _("That code is not right. Check it and try again")}
        except ratelimit.TooManyAttempts as limit:
            return _too_many(limit.retry_after, "one_login/link_code.html", form=form, errors={})
        except external_sign_in.AlreadyLinked:
            return _refused()
        else:
            session.pop(PENDING, None)
            next_url = pending.get("next")
            return _signed_in(
                claimant.account,
                pending["iss"],
                pending.get("sid"),
                now,
                next_url if isinstance(next_url, str) else None,
            )
    status = 400 if errors else 200
    return render_template("one_login/link_code.html", form=form, errors=errors), status


def _too_many(retry_after: int, template: str, **context: Any) -> Response:
    boundary.undo()
    minutes = max(1, math.ceil(retry_after / 60))
    error = ngettext(
        "Too many tries. Wait %(num)d minute, then try again",
        "Too many tries. Wait %(num)d minutes, then try again",
        minutes,
    )
    body = render_template(template, too_many=error, **context)
    response = current_app.make_response((body, 429))
    response.headers["Retry-After"] = str(retry_after)
    return response


def _not_answering() -> tuple[str, int]:
    boundary.undo()  # nothing is stored when the provider fails us
    return render_template("one_login/callback_not_answering.html"), 503


def _refused() -> tuple[str, int]:
    boundary.undo()
    return render_template("one_login/callback_refused.html"), 400


@bp.get("/.well-known/onelogin-client-jwks.json")
def client_jwks() -> Response:
    """The public half of our private_key_jwt key, for One Login to register."""
    chosen = oidc_flow.configured(oidc_flow.ONE_LOGIN)
    assert chosen.key is not None  # noqa: S101 (One Login is always private_key_jwt)
    return jsonify(keys=[chosen.key.public])


@bp.post("/oidc/backchannel-logout")
def backchannel_logout() -> tuple[Response, int]:
    """OpenID Connect Back-Channel Logout 1.0, for every configured provider."""
    token = request.form.get("logout_token")
    try:
        chosen, claims = oidc_flow.check_logout_token(token)
        back_channel_logout.log_out(chosen.issuer, claims, now=boundary.now())
    except oidc.TokenRefused:
        boundary.undo()
        response = jsonify(error="invalid_request")
        response.headers["Cache-Control"] = "no-store"
        return response, 400
    response = current_app.response_class("", mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response, 200


csrf.exempt(backchannel_logout)  # the provider posts it, with no cookie to ride on
