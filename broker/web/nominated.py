"""The claimant's side of a nominated contact's address and of requests to be their contact
(issue 23): type in the code their contact got, send a new one, and answer someone who asked to
be their contact (yes with the code they gave, or no)."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

import scopes

from .. import ratelimit
from ..consent import grants
from ..messages import contact, contact_requests, nominated
from ..models import ContactRequest, Grant
from . import boundary
from .forms import AnswerRequestForm, ConfirmForm, ContactCodeForm, first_errors

bp = Blueprint("nominated", __name__)

YES, NO = "yes", "no"


def register(app: Flask) -> None:
    """What the contact cards and the home page read, without a change to their views."""
    app.jinja_env.globals.update(
        contact_address_of=nominated.address_of,
        contact_requests_waiting=contact_requests.waiting_for,
        waiting_words=waiting_words,
    )


def waiting_words(request: ContactRequest, now: datetime | None = None) -> str:
    """How long a request has waited for an answer, in the page's language: "Waiting 3 days"."""
    age = contact_requests.age_of(request, now or boundary.now())
    if age.days < 1:
        return _("Waiting since today")
    if age.days < 60:
        return ngettext("Waiting %(num)d day", "Waiting %(num)d days", age.days)
    months = age.days // 30
    return ngettext("Waiting %(num)d month", "Waiting %(num)d months", months)


@bp.post("/contact/<uuid:grant_id>/code")
def confirm_code(grant_id: str) -> Response | tuple[str, int]:
    """The code the contact read out: once it is right, copies go to their address."""
    grant = _own_contact(grant_id)
    form = ContactCodeForm()
    if not form.validate_on_submit():
        if form.is_submitted() and not form.csrf_token.errors:
            return _access_with_error(grant, first_errors(form).get("code", ""), 400)
        abort(400)
    try:
        nominated.confirm(
            grant, form.code.data or "", by=f"claimant:{g.claimant.id}", now=boundary.now()
        )
    except ratelimit.TooManyAttempts as limit:
        boundary.undo()
        return _too_many(grant, limit.retry_after)
    except nominated.CodeRefused as refusal:  # the wrong try is counted and audited: kept
        return _access_with_error(grant, str(refusal), 400)
    flash(
        _(
            "Thank you. We will send %(name)s copies of what you chose.",
            name=grant.representative_name,
        )
    )
    return redirect(url_for("claimant.access"), 303)


@bp.post("/contact/<uuid:grant_id>/new-code")
def new_code(grant_id: str) -> Response | tuple[str, int]:
    grant = _own_contact(grant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    row = nominated.address_of(grant.id)
    if (
        row is None
        or row.confirmed_at is not None
        or grants.state_at(grant, boundary.now()) not in ("current", "review_overdue")
    ):
        return redirect(url_for("claimant.access"), 303)
    try:
        nominated.send_code(row, by=f"claimant:{g.claimant.id}", now=boundary.now())
    except nominated.TooManyCodes as limit:
        boundary.undo()
        return _too_many(grant, limit.retry_after)
    flash(_("We sent %(name)s a new code.", name=grant.representative_name))
    return redirect(url_for("claimant.access"), 303)


def _own_contact(grant_id: str) -> Grant:
    try:
        grant = grants.for_claimant(g.claimant.id, str(grant_id))
    except grants.GrantNotFound:
        abort(404)
    if grant.kind != grants.CONTACT:
        abort(404)
    return grant


def _access_with_error(grant: Grant, message: str, status: int) -> tuple[str, int]:
    """The code form again on a page of its own, with what was wrong."""
    return render_template(
        "nominated/confirm_code.html",
        grant=grant,
        address=nominated.address_of(grant.id),
        form=ContactCodeForm(),
        errors={"code": message},
    ), status


def _too_many(grant: Grant, retry_after: int) -> Response:
    minutes = max(1, -(-retry_after // 60))
    message = ngettext(
        "Too many tries. Wait %(num)d minute, then try again",
        "Too many tries. Wait %(num)d minutes, then try again",
        minutes,
    )
    page, _status = _access_with_error(grant, message, 429)
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


# Someone asked to be the claimant's contact: see it, then yes (with their code) or no.


@bp.route("/contact/requests/<uuid:request_id>", methods=["GET", "POST"])
def answer_request(request_id: str) -> Response | str | tuple[str, int]:
    try:
        found = contact_requests.for_claimant(g.claimant.id, str(request_id))
    except contact_requests.RequestNotFound:
        abort(404)
    form = AnswerRequestForm()
    errors: dict[str, str] = {}
    retry_after = 0
    if found.status != contact_requests.WAITING:
        return render_template("nominated/answer_request.html", request=found, form=form, errors={})
    if form.is_submitted():
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                abort(400)
            errors = first_errors(form)
        elif form.decision.data == NO:
            contact_requests.decline(found, g.claimant, now=boundary.now())
            flash(_("You said no. We will not contact %(name)s.", name=found.name))
            return redirect(url_for("claimant.access"), 303)
        elif form.decision.data == YES:
            errors, retry_after = _approve(found, form)
            if not errors:
                flash(
                    _(
                        "%(name)s is now your contact. We will send them what you chose.",
                        name=found.name,
                    )
                )
                return redirect(url_for("claimant.access"), 303)
        else:
            abort(400)
    page = render_template(
        "nominated/answer_request.html",
        request=found,
        form=form,
        errors=errors,
        contact_scopes=scopes.CONTACT_SCOPES,
        kinds=contact.KINDS,
        ticked_scopes=form.scopes.data if form.is_submitted() else [nominated.COPY_SCOPE],
        ticked_copies=form.copies.data if form.is_submitted() else list(contact.KINDS),
    )
    if retry_after:
        response = make_response(page, 429)
        response.headers["Retry-After"] = str(retry_after)
        return response
    return page, (400 if errors else 200)


def _approve(found: ContactRequest, form: AnswerRequestForm) -> tuple[dict[str, str], int]:
    """Yes: the errors to show (and how long to wait, when too many codes were wrong), or none
    once they are the contact."""
    errors: dict[str, str] = {}
    if not (form.code.data or "").strip():
        errors["code"] = _("Enter the code they gave you")
    if not form.scopes.data:
        errors["scopes"] = _("Choose at least one way we can contact them")
    if form.months.data not in ("1", "3", "6"):
        errors["months"] = _("Choose how long for")
    if not (form.purpose.data or "").strip():
        errors["purpose"] = _("Say why we should contact them")
    if errors:
        return errors, 0
    try:
        contact_requests.approve(
            found,
            g.claimant,
            typed_code=form.code.data or "",
            scope_names=grants.parse_contact_scopes(form.scopes.data or ()),
            kinds=form.copies.data or (),
            months=int(form.months.data or 0),
            purpose=form.purpose.data or "",
            signer=boundary.services().tokens,
            now=boundary.now(),
        )
    except ratelimit.TooManyAttempts as limit:
        boundary.undo()
        message = _("You have tried too many codes. Wait 15 minutes, then try again")
        return {"code": message}, limit.retry_after  # security.md 52: even a right code waits
    except nominated.CodeRefused as refusal:  # counted and audited: kept
        return {"code": str(refusal)}, 0
    except grants.GrantRefused as refusal:
        boundary.undo()
        return {getattr(refusal, "field", "scopes"): str(refusal)}, 0
    return {}, 0
