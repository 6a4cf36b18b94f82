"""What staff see and do about a claimant's nominated contact (issue 23): the contact's address
and the code that confirms it (typed in on the phone), requests from people asking to be the
contact with how long they have waited, the prompt to offer one when the claimant needs
additional support, and the list of requests nobody has answered for too long (seed 004)."""

from __future__ import annotations

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
from werkzeug.wrappers import Response

from .. import ratelimit
from ..consent import grants
from ..messages import contact_requests, nominated
from ..models import Claimant, ContactRequest, Grant
from ..people import records
from . import boundary
from .forms import ConfirmForm, ContactCodeForm

bp = Blueprint("staff_contacts", __name__, url_prefix="/staff")


def register(app: Flask) -> None:
    """What the record's partial (templates/staff_contacts/_record.html) reads."""
    app.jinja_env.globals.update(
        staff_contact_address_of=nominated.address_of,
        staff_contact_requests=contact_requests.waiting_for,
        staff_waiting_words=waiting_words,
        contact_gets_copies=gets_copies,
        request_too_long=lambda request: contact_requests.age_of(request, boundary.now()).too_long,
    )


def waiting_words(request: ContactRequest) -> str:
    age = contact_requests.age_of(request, boundary.now())
    days = "since today" if age.days < 1 else f"{age.days} day{'s' if age.days != 1 else ''}"
    working = f"{age.working_days} working day{'s' if age.working_days != 1 else ''}"
    return f"Waiting {days} ({working})"


def gets_copies(claimant: Claimant) -> bool:
    """Whether a nominated contact gets copies of this claimant's letters now (or will, once
    their address is confirmed): if not, and they need support, the record offers it."""
    grant = grants.live_contact(claimant.id, boundary.now())
    if grant is None or nominated.COPY_SCOPE not in grant.scope_names:
        return False
    return nominated.address_of(grant.id) is not None


@bp.post("/claimants/<reference>/contact/code")
def confirm_code(reference: str) -> Response | tuple[str, int]:
    """The code the contact (or the claimant) read out on the phone."""
    claimant, grant = _contact(reference)
    form = ContactCodeForm()
    if not form.validate_on_submit():
        if form.is_submitted() and not form.csrf_token.errors:
            return _record_with_error(claimant, "Enter the 6-digit code they got", 400)
        abort(400)
    try:
        nominated.confirm(grant, form.code.data or "", by=f"staff:{g.staff.id}", now=boundary.now())
    except ratelimit.TooManyAttempts as limit:
        boundary.undo()
        response = make_response(
            _record_with_error(claimant, "Too many wrong codes. Wait 15 minutes", 429)[0], 429
        )
        response.headers["Retry-After"] = str(limit.retry_after)
        return response
    except nominated.CodeRefused as refusal:  # counted and audited: kept
        return _record_with_error(claimant, str(refusal), 400)
    flash(f"{grant.representative_name}'s address is confirmed. Copies go to it from now on")
    return _back_to_record(claimant)


@bp.post("/claimants/<reference>/contact/new-code")
def new_code(reference: str) -> Response | tuple[str, int]:
    claimant, grant = _contact(reference)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    row = nominated.address_of(grant.id)
    if row is None or row.confirmed_at is not None:
        return _back_to_record(claimant)
    try:
        nominated.send_code(row, by=f"staff:{g.staff.id}", now=boundary.now())
    except nominated.TooManyCodes as limit:
        boundary.undo()
        response = make_response(
            _record_with_error(claimant, "We have sent enough codes for now. Try later", 429)[0],
            429,
        )
        response.headers["Retry-After"] = str(limit.retry_after)
        return response
    flash(f"A new code is on its way to {row.address}")
    return _back_to_record(claimant)


@bp.get("/contact-requests")
def waiting_too_long() -> str:
    """Requests to be someone's contact that nobody has answered for more than 5 working
    days, the longest waiting first."""
    now = boundary.now()
    return render_template(
        "staff_contacts/waiting_too_long.html",
        waiting=contact_requests.waiting_too_long(now),
        limit=contact_requests.WAITING_TOO_LONG,
    )


def _contact(reference: str) -> tuple[Claimant, Grant]:
    claimant = records.claimant_by_reference(reference)
    if claimant is None:
        abort(404)
    grant = grants.live_contact(claimant.id, boundary.now())
    if grant is None:
        abort(404)
    return claimant, grant


def _record_with_error(claimant: Claimant, message: str, status: int) -> tuple[str, int]:
    """The record's contact code form again, on a page of its own, with what was wrong."""
    grant = grants.live_contact(claimant.id, boundary.now())
    return render_template(
        "staff_contacts/confirm_code.html",
        claimant=claimant,
        grant=grant,
        address=nominated.address_of(grant.id) if grant else None,
        errors={"code": message},
    ), status


def _back_to_record(claimant: Claimant) -> Response:
    return redirect(url_for("staff.claimant_record", reference=claimant.reference), 303)
