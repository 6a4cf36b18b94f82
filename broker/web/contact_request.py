"""A relative or friend asks to be a claimant's nominated contact (issue 23): public pages, no
sign-in. They give the claimant's reference, their name, who they are and their address; type
the 6-digit code sent there; then get a short code to give the claimant, who answers on their
phone. Nothing here says the claimant's name, or whether they said yes or no."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_babel import ngettext
from werkzeug.wrappers import Response

from .. import ratelimit
from ..i18n import current_language
from ..messages import contact_requests, nominated
from ..models import ContactRequest
from . import boundary
from .forms import AskToBeContactForm, ConfirmForm, RequestCodeForm, first_errors

bp = Blueprint("contact_request", __name__, url_prefix="/ask-to-be-a-contact")

Page = str | tuple[str, int]


@bp.route("", methods=["GET", "POST"])
def ask_to_be_contact() -> Response | Page:
    form = AskToBeContactForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            asked = contact_requests.start(
                reference=form.reference.data or "",
                name=form.name.data or "",
                relationship=form.relationship.data or "",
                typed_address=form.address.data or "",
                language=current_language(),
                attempt_keys=[f"contact-request-reference:addr:{request.remote_addr}"],
                asker_keys=[f"contact-request-from:addr:{request.remote_addr}"],
                now=boundary.now(),
            )
        except ratelimit.TooManyAttempts as limit:
            boundary.undo()
            return _too_many(
                "contact_request/ask_to_be_contact.html", {"form": form}, "reference", limit
            )
        except contact_requests.RequestRefused as refusal:
            if refusal.field != "reference":
                boundary.undo()  # nothing was looked up: nothing to keep, nothing sent
            errors[refusal.field] = str(refusal)  # a wrong reference is counted: kept
        else:
            return redirect(url_for("contact_request.confirm_request", request_id=asked.id), 303)
    elif form.is_submitted():
        if form.csrf_token.errors:
            abort(400)
        errors = first_errors(form)
    return render_template("contact_request/ask_to_be_contact.html", form=form, errors=errors), (
        400 if errors else 200
    )


@bp.route("/<uuid:request_id>", methods=["GET", "POST"])
def confirm_request(request_id: str) -> Response | Page:
    """The code sent to their address; once it is right, the short code for the claimant."""
    found = _request(request_id)
    form = RequestCodeForm()
    errors: dict[str, str] = {}
    if found.status == contact_requests.UNCONFIRMED and form.is_submitted():
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                abort(400)
            errors = first_errors(form)
        else:
            try:
                answer = contact_requests.confirm_address(
                    found, form.code.data or "", now=boundary.now()
                )
            except ratelimit.TooManyAttempts as limit:
                boundary.undo()
                return _too_many(
                    "contact_request/confirm_request.html",
                    {"request": found, "form": form},
                    "code",
                    limit,
                )
            except nominated.CodeRefused as refusal:  # the wrong try is counted: kept
                errors["code"] = str(refusal)
            else:
                return render_template("contact_request/confirm_request_done.html", code=answer)
    elif form.is_submitted():
        return redirect(url_for("contact_request.confirm_request", request_id=found.id), 303)
    return render_template(
        "contact_request/confirm_request.html", request=found, form=form, errors=errors
    ), (400 if errors else 200)


@bp.post("/<uuid:request_id>/new-code")
def new_code(request_id: str) -> Response | Page:
    """Another 6-digit code to their address, while it is not proved."""
    found = _request(request_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        contact_requests.resend(found, now=boundary.now())
    except ratelimit.TooManyAttempts as limit:
        boundary.undo()
        return _too_many(
            "contact_request/confirm_request.html",
            {"request": found, "form": RequestCodeForm()},
            "code",
            limit,
        )
    return redirect(url_for("contact_request.confirm_request", request_id=found.id), 303)


@bp.post("/<uuid:request_id>/answer-code")
def new_answer_code(request_id: str) -> Response | Page:
    """A new short code for the claimant, for someone who lost theirs; the old one stops."""
    found = _request(request_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if found.status != contact_requests.WAITING:
        return redirect(url_for("contact_request.confirm_request", request_id=found.id), 303)
    code = contact_requests.new_answer_code(found)
    return render_template("contact_request/new_answer_code.html", code=code)


def _request(request_id: str) -> ContactRequest:
    try:
        return contact_requests.get(str(request_id))
    except contact_requests.RequestNotFound:
        abort(404)


def _too_many(
    template: str, context: dict[str, object], field: str, limit: ratelimit.TooManyAttempts
) -> Response:
    minutes = max(1, -(-limit.retry_after // 60))
    message = ngettext(
        "Too many tries. Wait %(num)d minute, then try again",
        "Too many tries. Wait %(num)d minutes, then try again",
        minutes,
    )
    response = make_response(render_template(template, errors={field: message}, **context), 429)
    response.headers["Retry-After"] = str(limit.retry_after)
    return response
