"""Letters from DWP staff to a claimant's inbox, and what the record shows of the claimant's
contact preferences and messages, with their proof of delivery (issue 15)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..messages import contact, letters
from ..models import Claimant
from ..people import records
from . import boundary
from .contact_forms import LetterForm
from .forms import first_errors

bp = Blueprint("staff_letters", __name__, url_prefix="/staff")

CHANNEL_NAMES = {
    contact.INBOX: "Letters inbox",
    contact.EMAIL: "Email",
    contact.SMS: "Text message",
    contact.POST: "Post",
}
KIND_NAMES = {
    contact.REMINDERS: "Reminders",
    contact.ACCESS_NOTICES: "Notices about their access",
    contact.LETTERS: "Letters from DWP",
}


def register(app: Flask) -> None:
    """What the record's partial (templates/staff_letters/_record.html) reads."""
    app.jinja_env.globals.update(
        contact_preferences_of=contact.of,
        letters_for_record=letters.for_record,
        letters_print_due=letters.print_due,
        channel_names=CHANNEL_NAMES,
        contact_kind_names=KIND_NAMES,
        letter_max_chars=letters.LETTER_MAX_CHARS,
    )


@bp.route("/claimants/<reference>/letters", methods=["GET", "POST"])
def send_letter(reference: str) -> Response | str | tuple[str, int]:
    claimant = _claimant(reference)
    form = LetterForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            letters.send_letter(
                claimant,
                form.body.data or "",
                language=form.language.data or "",
                staff=g.staff,
                now=boundary.now(),
            )
        except letters.LetterRefused as refusal:
            boundary.undo()
            errors[refusal.field] = str(refusal)
        else:
            flash("The letter is in the claimant's inbox")
            return redirect(url_for("staff.claimant_record", reference=claimant.reference), 303)
    elif form.is_submitted():
        errors = first_errors(form) or {"body": "The form has expired. Send the letter again"}
    return render_template(
        "staff_letters/send_letter.html", claimant=claimant, form=form, errors=errors
    ), (400 if errors else 200)


def _claimant(reference: str) -> Claimant:
    claimant = records.claimant_by_reference(reference)
    if claimant is None:
        abort(404)
    return claimant
