"""Sign-in and passkeys, for every audience: the passkeys someone has, adding and removing one,
password sign-in off or on, and the account's own sign-in history (issue 17)."""

from __future__ import annotations

from uuid import UUID

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..i18n import N_
from ..models import Account, Passkey
from ..people import passkeys
from . import boundary
from .boundary import current_account
from .forms import ConfirmForm
from .passkey_settings import relying_party

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
def signed_in() -> Response | None:
    """Any signed-in account: each one manages only its own passkeys."""
    if current_account() is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.sign_in", next=target), 303)
    return None


def _account() -> Account:
    account = current_account()
    assert account is not None  # signed_in() ran first
    return account


@bp.get("/sign-in")
def sign_in_settings() -> str:
    account = _account()
    return render_template(
        "account/sign_in_settings.html",
        passkeys=passkeys.listed(account.id),
        passwords_off=passkeys.passwords_off(account.id),
        form=ConfirmForm(),
    )


@bp.post("/passkeys/options")
def passkey_options() -> Response:
    """A fresh single-use challenge for "Add a passkey" (security.md 48)."""
    options = passkeys.registration_options(_account(), relying_party(), boundary.now())
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/passkeys")
def add_passkey() -> Response | tuple[Response, int]:
    body = request.get_json(silent=True)
    credential = body.get("credential") if isinstance(body, dict) else None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(credential, dict) or not isinstance(name, str):
        return jsonify(error=_("That did not work. Try again")), 400
    try:
        passkeys.register(_account(), credential, name, relying_party(), boundary.now())
    except passkeys.PasskeyRefused as refused:  # the used challenge is kept: no second try
        return jsonify(error=_(REFUSALS.get(refused.reason, REFUSALS["invalid"]))), 400
    flash(N_("Passkey added"))
    return jsonify(next=url_for("account.sign_in_settings"))


REFUSALS = {
    "name": N_("Give your passkey a name"),
    "too_many": N_("You have too many passkeys. Remove one first"),
    "known": N_("That passkey is already added"),
    "invalid": N_("That did not work. Try again"),
}


def _own_passkey(passkey_id: UUID) -> Passkey:
    """The signed-in account's passkey, else 404: another account's is never found."""
    passkey = passkeys.own(_account().id, str(passkey_id))
    if passkey is None:
        abort(404)
    return passkey


@bp.route("/passkeys/<uuid:passkey_id>/remove", methods=["GET", "POST"])
def remove_passkey(passkey_id: UUID) -> Response | str | tuple[str, int]:
    passkey = _own_passkey(passkey_id)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            passkeys.remove(_account(), passkey, boundary.now())
        except passkeys.LastWayIn:
            error = _("You cannot remove your last passkey while password sign-in is off")
        else:
            flash(N_("Passkey removed"))
            return redirect(url_for("account.sign_in_settings"), 303)
    status = 200 if error is None else 400
    return render_template(
        "account/remove_passkey.html", passkey=passkey, form=form, error=error
    ), status


@bp.post("/passwords")
def passwords() -> Response | tuple[str, int]:
    """Password sign-in off (only with a passkey) or back on."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    account, now = _account(), boundary.now()
    if request.form.get("turn") == "off":
        try:
            passkeys.turn_passwords_off(account, now)
        except passkeys.LastWayIn:
            abort(400)
        flash(N_("Password sign-in is off"))
    else:
        passkeys.turn_passwords_on(account, now)
        flash(N_("Password sign-in is on"))
    return redirect(url_for("account.sign_in_settings"), 303)


@bp.get("/history")
def history() -> str:
    account = _account()
    events = passkeys.history(account.id)
    # A claimant's lines are on their chain, so each has "This wasn't right" here too (issue 27);
    # anyone else's have no chain, so no lines and no link.
    lines = passkeys.chain_lines(account.id, events) if account.role == "claimant" else {}
    return render_template("account/history.html", events=events, lines=lines)
