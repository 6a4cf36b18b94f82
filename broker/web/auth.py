"""Sign-in and sign-out for every audience, and the English/Welsh switch on every claimant page."""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from .. import i18n, ratelimit
from ..inputs import safe_next
from ..people import accounts, external_sign_in, passkeys, sessions
from . import boundary, oidc_flow, session_store, signing_in
from .boundary import current_account
from .forms import ConfirmForm, SignInForm
from .passkey_settings import relying_party

bp = Blueprint("auth", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | str | tuple[str, int]:
    form = SignInForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        now = boundary.now()
        try:
            account = accounts.sign_in(
                form.username.data or "",
                form.password.data or "",
                address=request.remote_addr or "unknown",
                now=now,
                hasher=boundary.services().hasher,
                refused_roles=_password_refused_roles(),
            )
        except accounts.UseOneLogin as linked:
            error = (
                _("DWP staff sign in with their department account. Use the button above")
                if linked.role == "staff"
                else _("You now sign in with GOV.UK One Login. Use the button above")
            )
        except accounts.PasswordNotAllowed:
            error = _("DWP staff sign in with their department account. Use the button above")
        except accounts.PasswordsTurnedOff:
            error = _("This account does not use a password to sign in. Use a passkey")
        except accounts.SignInFailed:  # the counted failure is kept (the view returns)
            error = _("The email address or password is wrong")
        except ratelimit.TooManyAttempts as limit:
            # security.md 31: the wait grows with each failure of this account from this address
            boundary.undo()
            minutes = max(1, math.ceil(limit.retry_after / 60))
            error = ngettext(
                "Too many tries. Wait %(num)d minute, then try again",
                "Too many tries. Wait %(num)d minutes, then try again",
                minutes,
            )
            body = render_template("auth/sign_in.html", form=form, error=error)
            response = current_app.make_response((body, 429))
            response.headers["Retry-After"] = str(limit.retry_after)
            return response
        else:
            return signing_in.start_session(account, now, form.next.data)
    status = 200 if error is None and not form.errors else 400
    return render_template("auth/sign_in.html", form=form, error=error), status


@bp.post("/sign-in/passkey/options")
def passkey_options() -> Response:
    """A fresh single-use challenge for "Use a passkey" (security.md 48, 49)."""
    try:
        options = passkeys.sign_in_options(
            relying_party(), address=request.remote_addr or "unknown", now=boundary.now()
        )
    except ratelimit.TooManyAttempts as limit:
        return _too_many_tries(limit)
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/sign-in/passkey")
def passkey_sign_in() -> Response | tuple[Response, int]:
    """The browser's assertion in, a session out: JSON with where to go next, as a redirect
    would say it (the script follows it)."""
    body = request.get_json(silent=True)
    credential = body.get("credential") if isinstance(body, dict) else None
    if not isinstance(credential, dict):
        return jsonify(error=_("That did not work. Try again")), 400
    now = boundary.now()
    try:
        account = passkeys.sign_in(
            credential, relying_party(), address=request.remote_addr or "unknown", now=now
        )
    except passkeys.PasskeyRefused:  # the used challenge and the counted failure are kept
        return jsonify(error=_("That passkey did not work. Try again, or use your password")), 400
    except ratelimit.TooManyAttempts as limit:
        return _too_many_tries(limit)
    if external_sign_in.uses_external_sign_in(account.id):
        # Issue 25: linked to a provider, the account signs in there only, as with a password.
        return jsonify(error=_("You now sign in with GOV.UK One Login. Use the button above")), 400
    next_url = body.get("next") if isinstance(body.get("next"), str) else None
    return signing_in.for_script(signing_in.start_session(account, now, next_url))


def _password_refused_roles() -> frozenset[str]:
    """Issue 25: in production, with the department's provider set, staff passwords do not
    sign in (a leaver's password would outlive their department account)."""
    production = current_app.config.get("BROKER_ENV") == "production"
    if production and oidc_flow.provider(oidc_flow.STAFF) is not None:
        return frozenset({"staff"})
    return frozenset()


def _too_many_tries(limit: ratelimit.TooManyAttempts) -> Response:
    boundary.undo()
    response = jsonify(error=_("Too many tries. Wait, then try again"))
    response.status_code = 429
    response.headers["Retry-After"] = str(limit.retry_after)
    return response


@bp.post("/sign-out")
def sign_out() -> Response:
    if not ConfirmForm().validate_on_submit():
        return redirect("/", 303)  # no valid CSRF token: still signed in
    # The session ends in the database, so a copy of the cookie opens nothing (security.md 27).
    session_store.end_current(reason=sessions.SIGNED_OUT)
    return redirect(url_for("auth.signed_out"), 303)


@bp.get("/signed-out")
def signed_out() -> str:
    """Says the sign-out worked, so someone on a shared phone knows they can hand it back."""
    return render_template("auth/signed_out.html")


@bp.post("/language")
def change_language() -> Response:
    """Switch between English and Welsh, remember it, and go back to the same page."""
    if not ConfirmForm().validate_on_submit():  # its CSRF token: a POST like every other form
        return redirect("/", 303)
    language = i18n.choose(current_account(), request.form.get("language", ""))
    response = redirect(safe_next(request.form.get("next")) or "/", 303)
    return i18n.remember(response, language, secure=_secure())


def _secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE"))
