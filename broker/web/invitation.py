"""Accepting an invitation to an organisation (issue 25): open without signing in, since the
person has no account yet; the link's token is the only key, and it works once (security.md
60). An unknown link is 400, a used or expired one 410, and neither makes anything.

The page offers a passkey first ("Use a passkey": its script asks for options, lets the browser
make the passkey and posts the answer here as JSON, and is signed in) and a password second, the
plain form, which works without JavaScript.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, render_template, request
from werkzeug.wrappers import Response

from .. import ratelimit
from ..i18n import N_
from ..people import invitations, organisations, passkeys
from . import boundary, signing_in
from .forms import AcceptInvitationForm
from .passkey_settings import relying_party

bp = Blueprint("invitation", __name__, url_prefix="/invitations")
Page = str | tuple[str, int]
GONE = {"used": 410, "expired": 410, "unknown": 400}


@bp.route("/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Page:
    now = boundary.now()
    try:
        invitation = invitations.open_link(token, now)
    except invitations.InvitationRefused as refusal:
        return _refused(refusal)
    form = AcceptInvitationForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            adviser = invitations.accept(
                token,
                name=form.name.data or "",
                password=form.password.data or "",
                now=now,
                hasher=boundary.services().hasher,
            )
        except invitations.InvitationRefused as refusal:
            boundary.undo()
            if refusal.reason:
                return _refused(refusal)
            errors[refusal.field] = str(refusal)
        else:
            return render_template("invitation/accept_invitation_done.html", adviser=adviser)
    return render_template(
        "invitation/accept_invitation.html",
        form=form,
        errors=errors,
        invitation=invitation,
        token=token,
        organisation=invitation_organisation(invitation.organisation_id),
    ), (400 if errors else 200)


@bp.post("/<token>/passkey/options")
def passkey_options(token: str) -> Response | tuple[Response, int]:
    """A single-use challenge for the invitee's passkey; the link must still be usable and a
    name given. Challenges are counted per address, as for sign-in (security.md 49)."""
    now = boundary.now()
    body = request.get_json(silent=True)
    name = body.get("name") if isinstance(body, dict) else None
    name = " ".join(name.split()) if isinstance(name, str) else ""
    try:
        invitation = invitations.open_link(token, now)
    except invitations.InvitationRefused as refusal:
        return jsonify(error=str(refusal)), GONE.get(refusal.reason, 400)
    if not name:
        return jsonify(error="Enter your full name"), 400
    try:
        options = passkeys.invitation_options(
            invitation.id,
            invitation.email,
            name,
            relying_party(),
            address=request.remote_addr or "unknown",
            now=now,
        )
    except ratelimit.TooManyAttempts as limit:
        boundary.undo()
        response = jsonify(error="Too many tries. Wait, then try again")
        response.headers["Retry-After"] = str(limit.retry_after)
        return response, 429
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/<token>/passkey")
def accept_with_passkey(token: str) -> Response | tuple[Response, int]:
    """The browser's new passkey in; the adviser made, with password sign-in off, and signed
    in. Anything refused is rolled back whole: no account, and the link still works."""
    body = request.get_json(silent=True)
    credential = body.get("credential") if isinstance(body, dict) else None
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(credential, dict) or not isinstance(name, str):
        return jsonify(error=FAILED), 400
    now = boundary.now()
    try:
        adviser = invitations.accept_with_passkey(
            token,
            name=name,
            credential=credential,
            rp=relying_party(),
            now=now,
            hasher=boundary.services().hasher,
        )
    except invitations.InvitationRefused as refusal:
        boundary.undo()
        return jsonify(error=str(refusal)), GONE.get(refusal.reason, 400)
    except passkeys.PasskeyRefused:
        boundary.undo()
        return jsonify(error=FAILED), 400
    redirected = signing_in.start_session(adviser.account, now, None)
    flash(N_("Your account is ready"))
    return signing_in.for_script(redirected)


FAILED = "That did not work. Try again, or choose a password"


def invitation_organisation(organisation_id: str) -> str:
    found = organisations.by_id(organisation_id)
    return found.name if found else ""


def _refused(refusal: invitations.InvitationRefused) -> tuple[str, int]:
    return render_template(
        "invitation/accept_invitation_refused.html", reason=refusal.reason
    ), GONE.get(refusal.reason, 400)
