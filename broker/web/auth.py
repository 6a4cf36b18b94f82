"""Sign-in and sign-out for every audience."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session
from werkzeug.wrappers import Response

from .. import accounts, clock
from ..extensions import db
from . import home_for
from .forms import ConfirmForm, SignInForm

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a local path may follow sign-in (SECURITY.md 2: no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | str | tuple[str, int]:
    form = SignInForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        try:
            account = accounts.sign_in(
                form.username.data or "",
                form.password.data or "",
                address=request.remote_addr or "unknown",
                now=clock.now(),
            )
        except accounts.SignInFailed:
            db.session.commit()  # keep the counted failure
            error = "The email address or password is wrong"
        else:
            db.session.commit()
            session.clear()  # a new session on sign-in: no fixation
            session["account_id"] = account.id
            session.permanent = False
            return redirect(safe_next(form.next.data) or home_for(account), 303)
    status = 200 if error is None and not form.errors else 400
    return render_template("auth/sign_in.html", form=form, error=error), status


@bp.post("/sign-out")
def sign_out() -> Response:
    if ConfirmForm().validate_on_submit():
        session.clear()
    return redirect("/sign-in", 303)
