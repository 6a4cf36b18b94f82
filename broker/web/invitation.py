"""Accepting an invitation to an organisation (issue 25): open without signing in, since the
person has no account yet; the link's token is the only key, and it works once (security.md
56). An unknown link is 400, a used or expired one 410, and neither makes anything.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from ..people import invitations, organisations
from . import boundary
from .forms import AcceptInvitationForm

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
        organisation=invitation_organisation(invitation.organisation_id),
    ), (400 if errors else 200)


def invitation_organisation(organisation_id: str) -> str:
    found = organisations.by_id(organisation_id)
    return found.name if found else ""


def _refused(refusal: invitations.InvitationRefused) -> tuple[str, int]:
    return render_template(
        "invitation/accept_invitation_refused.html", reason=refusal.reason
    ), GONE.get(refusal.reason, 400)
