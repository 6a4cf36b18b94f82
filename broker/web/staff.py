"""DWP staff pages: find a claimant by reference, see their record with the consent banner, record
consent or a nominated contact given by phone, suspend and restart a grant, pin notes, and flag
additional support.

Staff find a record by its exact claimant reference only: there is no search over everyone.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

import scopes

from ..casework import caller_checks, drafts
from ..consent import grants
from ..messages import contact, nominated
from ..models import Claimant, Grant
from ..people import accounts, records
from . import boundary, caller_answers
from .forms import (
    AdditionalSupportForm,
    ConfirmForm,
    FindClaimantForm,
    PinNoteForm,
    RecordConsentForm,
    RecordContactForm,
    RemoveSupportForm,
    SuspendForm,
    first_errors,
)

bp = Blueprint("staff", __name__, url_prefix="/staff")

LIVE_STATES = ("current", "review_overdue", "suspended", "pending")
Page = str | tuple[str, int]


@bp.route("/", methods=["GET", "POST"])
def find_claimant() -> Response | Page:
    form = FindClaimantForm()
    error = None
    if form.validate_on_submit():
        claimant = records.claimant_by_reference(form.reference.data or "")
        if claimant is not None:
            return _back_to_record(claimant)
        error = "No claimant has that reference. Check it and try again"
    elif form.errors:
        error = "Enter the claimant reference"
    return render_template("staff/find_claimant.html", form=form, error=error), (
        400 if error else 200
    )


@bp.get("/claimants/<reference>")
@boundary.writes_on_get  # each look is an audit event (issue 23)
def claimant_record(reference: str) -> Page:
    return _record_page(_claimant(reference))


@bp.route("/claimants/<reference>/consent/new", methods=["GET", "POST"])
def record_consent(reference: str) -> Response | Page:
    claimant = _claimant(reference)
    form = RecordConsentForm()

    def record() -> str:
        grant = _record_by_phone(claimant, form, _representative(form), grants.ACCESS)
        return (
            f"Consent for {grant.representative_name} is recorded. "
            f"Review it by {grant.review_at:%-d %B %Y}"
        )

    done = _act_on_record(form, claimant, record, field="months")
    if isinstance(done, Response):
        return done
    return render_template(
        "staff/record_consent.html",
        claimant=claimant,
        form=form,
        errors=done,
        catalogue=scopes.catalogue(),
    ), (400 if done else 200)


@bp.route("/claimants/<reference>/contact/new", methods=["GET", "POST"])
def record_contact(reference: str) -> Response | Page:
    claimant = _claimant(reference)
    form = RecordContactForm()

    def record() -> str:
        grant = _record_by_phone(
            claimant, form, grants.Representative(form.name.data or ""), grants.CONTACT
        )
        # Issue 23: where copies go; a code goes there first (broker/messages/nominated.py).
        sent_to = nominated.attach(
            grant,
            typed_address=form.address.data or "",
            kinds=form.copies.data or (),
            by=f"staff:{g.staff.id}",
            now=boundary.now(),
        )
        recorded = f"{grant.representative_name} is recorded as the nominated contact"
        if sent_to is None:
            return recorded
        return f"{recorded}. We sent a code to {sent_to.address}: ask them for it"

    done = _act_on_record(form, claimant, record, field="months")
    if isinstance(done, Response):
        return done
    return render_template(
        "staff/record_contact.html",
        claimant=claimant,
        form=form,
        errors=done,
        contact_scopes=scopes.CONTACT_SCOPES,
        copy_kinds=contact.KINDS,
    ), (400 if done else 200)


@bp.route("/claimants/<reference>/grants/<uuid:grant_id>/suspend", methods=["GET", "POST"])
def suspend_grant(reference: str, grant_id: str) -> Response | Page:
    claimant = _claimant(reference)
    grant = _grant(claimant, grant_id)
    form = SuspendForm()

    def suspend() -> str:
        grants.suspend(
            grant,
            staff=g.staff,
            reason=form.reason.data or "",
            now=boundary.now(),
            signer=boundary.services().tokens,
        )
        return f"Consent for {grant.representative_name} is suspended. It has stopped working"

    done = _act_on_record(form, claimant, suspend, field="reason")
    if isinstance(done, Response):
        return done
    return render_template(
        "staff/suspend_grant.html",
        claimant=claimant,
        grant=grant,
        form=form,
        errors=done,
        state=grants.state_at(grant, boundary.now()),
    ), (400 if done else 200)


@bp.post("/claimants/<reference>/grants/<uuid:grant_id>/lift")
def lift_suspension(reference: str, grant_id: str) -> Response | Page:
    claimant = _claimant(reference)
    grant = _grant(claimant, grant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        grants.lift_suspension(
            grant, staff=g.staff, now=boundary.now(), signer=boundary.services().tokens
        )
    except grants.GrantRefused as refusal:
        boundary.undo()
        return _record_page(claimant, {"banner": str(refusal)}, 400)
    flash(f"Consent for {grant.representative_name} is working again")
    return _back_to_record(claimant)


@bp.route("/claimants/<reference>/notes/new", methods=["GET", "POST"])
def pin_note(reference: str) -> Response | Page:
    claimant = _claimant(reference)
    form = PinNoteForm()

    def pin() -> str:
        records.pin_note(claimant, form.body.data or "", staff=g.staff, now=boundary.now())
        return "The note is pinned to the record"

    done = _act_on_record(form, claimant, pin, field="body")
    if isinstance(done, Response):
        return done
    return render_template(
        "staff/pin_note.html",
        claimant=claimant,
        form=form,
        errors=done,
        pinned=len(records.pinned_notes(claimant.id)),
        limit=records.MAX_PINNED_NOTES,
    ), (400 if done else 200)


@bp.post("/claimants/<reference>/notes/<uuid:note_id>/unpin")
def unpin_note(reference: str, note_id: str) -> Response:
    claimant = _claimant(reference)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        records.unpin_note(claimant, note_id, staff=g.staff, now=boundary.now())
    except records.NoteNotFound:
        boundary.undo()
        abort(404)
    flash("The note is unpinned")
    return _back_to_record(claimant)


@bp.route("/claimants/<reference>/additional-support", methods=["GET", "POST"])
def additional_support(reference: str) -> Response | Page:
    claimant = _claimant(reference)
    current = {"description": claimant.additional_support or ""}
    form = AdditionalSupportForm(data=current if request.method == "GET" else None)

    def flag() -> str:
        records.set_additional_support(
            claimant, form.description.data or "", staff=g.staff, now=boundary.now()
        )
        return "The additional support flag is set"

    done = _act_on_record(form, claimant, flag, field="description")
    if isinstance(done, Response):
        return done
    return render_template(
        "staff/additional_support.html", claimant=claimant, form=form, errors=done
    ), (400 if done else 200)


@bp.route("/claimants/<reference>/additional-support/remove", methods=["GET", "POST"])
def remove_additional_support(reference: str) -> Response | Page:
    """Confirm on GET, with the reason asked for; remove on POST, audited with the reason."""
    claimant = _claimant(reference)
    if claimant.additional_support is None:
        flash("The record has no additional support flag")
        return _back_to_record(claimant)
    form = RemoveSupportForm()

    def remove() -> str:
        records.clear_additional_support(
            claimant, reason=form.reason.data or "", staff=g.staff, now=boundary.now()
        )
        return "The additional support flag is removed"

    done = _act_on_record(form, claimant, remove, field="reason")
    if isinstance(done, Response):
        return done
    return render_template(
        "staff/remove_additional_support.html", claimant=claimant, form=form, errors=done
    ), (400 if done else 200)


def _record_page(
    claimant: Claimant, errors: dict[str, str] | None = None, status: int = 200
) -> Page:
    """The record, with the look on the claimant's chain first (fail closed: no event, no page)."""
    now = boundary.now()
    records.audit_read(claimant, g.staff, action=records.RECORD_READ, now=now)
    every = grants.all_for_claimant(claimant.id)
    states = {grant.id: grants.state_at(grant, now) for grant in every}
    return render_template(
        "staff/claimant_record.html",
        claimant=claimant,
        contact=grants.live_contact(claimant.id, now),
        notes=records.pinned_notes(claimant.id),
        support_removal=(
            None if claimant.additional_support else records.last_support_removal(claimant.id)
        ),
        max_notes=records.MAX_PINNED_NOTES,
        live=[grant for grant in every if states[grant.id] in LIVE_STATES],
        ended=[grant for grant in every if states[grant.id] not in LIVE_STATES],
        states=states,
        now=now,
        errors=errors or {},
        caller_reports=caller_checks.reported(claimant.id),
        mr_drafts=drafts.pending_for_claimant(claimant.id, now),
    ), status


def _claimant(reference: str) -> Claimant:
    claimant = records.claimant_by_reference(reference)
    if claimant is None:
        abort(404)
    return claimant


def _grant(claimant: Claimant, grant_id: str) -> Grant:
    try:
        return grants.for_claimant(claimant.id, grant_id)
    except grants.GrantNotFound:
        abort(404)


def _act_on_record(
    form: FlaskForm, claimant: Claimant, act: Callable[[], str], *, field: str
) -> Response | dict[str, str]:
    """A valid form's action, in one transaction: back to the record with the message `act`
    returns; or the errors to show with the form again (a refusal points at its own field, or
    at `field`). Nothing sent yet: no errors."""
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            message = act()
        except (grants.GrantRefused, records.RecordRefused) as refusal:
            boundary.undo()
            errors[getattr(refusal, "field", field)] = str(refusal)
        else:
            flash(message)
            return _back_to_record(claimant)
    return {**first_errors(form), **errors}


def _record_by_phone(
    claimant: Claimant,
    form: RecordConsentForm | RecordContactForm,
    representative: grants.Representative,
    kind: str,
) -> Grant:
    """The five facts of either phone form, handed to the one rule that records them."""
    # Only the access form asks whether the consent ends when the case does.
    until_decided = bool(getattr(form, "until_decided", None) and form.until_decided.data)
    return grants.record_by_phone(
        claimant,
        representative,
        until_event=grants.MR_DECIDED if until_decided else None,
        staff=g.staff,
        consented=bool(form.consented.data),
        scope_names=form.scopes.data or (),
        purpose=form.purpose.data or "",
        relationship=form.relationship.data or "",
        months=int(form.months.data or 0),
        review_months=int(form.review_months.data or 0),
        now=boundary.now(),
        kind=kind,
        signer=boundary.services().tokens,
    )


def _back_to_record(claimant: Claimant) -> Response:
    return redirect(url_for("staff.claimant_record", reference=claimant.reference), 303)


def _representative(form: RecordConsentForm) -> grants.Representative:
    """Who the consent is for; with an adviser code, the adviser's account, checked by name."""
    name, organisation = (form.name.data or "").strip(), (form.organisation.data or "").strip()
    code = (form.adviser_code.data or "").strip()
    if not code:
        return grants.Representative(name, organisation)
    adviser = accounts.adviser_by_code(code)
    if adviser is None:
        raise grants.FactMissing(
            "adviser_code", "No adviser has that code. Check it, or leave it empty"
        )
    if adviser.name.casefold() != name.casefold():
        raise grants.FactMissing(
            "name",
            f"That adviser code belongs to {adviser.name}, "
            f"{adviser.organisation.name}. Check the name and the code",
        )
    return grants.Representative.of(adviser)


# "Is this caller really from DWP?" (issue 15, seed 002): the staff member starts a caller check
# before or during a call; their page shows the code to read out, the claimant's phone the same.


@bp.post("/claimants/<reference>/caller-checks")
def start_caller_check(reference: str) -> Response | Page:
    claimant = _claimant(reference)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    caller = caller_checks.Caller.staff(g.staff)
    try:
        caller_checks.start(claimant.id, caller, now=boundary.now())
    except caller_checks.TooManyStarts as refusal:
        boundary.undo()
        response = make_response(_caller_checks_page(claimant, caller, str(refusal), 429))
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    return redirect(url_for("staff.caller_checks_page", reference=claimant.reference), 303)


@bp.post("/claimants/<reference>/caller-checks/<uuid:check_id>/answer")
def answer_caller_check(reference: str, check_id: str) -> Response | Page:
    """The claimant reads their second code to the staff member, who types it (issue 27)."""
    claimant = _claimant(reference)
    caller = caller_checks.Caller.staff(g.staff)
    error, status = caller_answers.answer(claimant.id, check_id, caller.actor)
    if error:
        return _caller_checks_page(claimant, caller, error, status, field="answer-code")
    return redirect(url_for("staff.caller_checks_page", reference=claimant.reference), 303)


@bp.get("/claimants/<reference>/caller-checks")
def caller_checks_page(reference: str) -> Page:
    claimant = _claimant(reference)
    return _caller_checks_page(claimant, caller_checks.Caller.staff(g.staff))


def _caller_checks_page(
    claimant: Claimant,
    caller: caller_checks.Caller,
    error: str = "",
    status: int = 200,
    field: str = "caller-check",
) -> Page:
    """The code this staff member reads out to the claimant, while it lasts, and the box for the
    claimant's code back."""
    return render_template(
        "staff/caller_checks_page.html",
        claimant=claimant,
        checks=caller_checks.live_for_caller(claimant.id, caller.key, boundary.now()),
        errors={field: error} if error else {},
    ), status
