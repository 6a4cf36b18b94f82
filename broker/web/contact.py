"""The claimant's letters inbox and contact preferences (issue 15)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..i18n import N_
from ..messages import contact, letters
from . import boundary
from .contact_forms import PreferencesForm

bp = Blueprint("contact", __name__)

MOBILE_ERRORS = {
    "mobile_format": N_("Enter a UK mobile number, like 07700 900 982"),
    "mobile_missing": N_("Enter your mobile number to get text messages"),
}


def register(app: Flask) -> None:
    """The unread count for the home page and the nav, without a change to the home view."""
    app.jinja_env.globals.update(letters_unread=letters.unread_count)


@bp.get("/letters")
def letters_list() -> str:
    return render_template(
        "contact/letters_list.html", letters=letters.inbox(g.claimant.id), now=boundary.now()
    )


@bp.get("/letters/<uuid:letter_id>")
@boundary.writes_on_get  # the first look marks it opened
def letter(letter_id: str) -> str:
    try:
        found = letters.open_letter(g.claimant.id, str(letter_id), now=boundary.now())
    except letters.LetterNotFound:
        abort(404)
    return render_template("contact/letter.html", letter=found)


@bp.route("/contact-preferences", methods=["GET", "POST"])
def preferences() -> Response | str | tuple[str, int]:
    saved = contact.of(g.claimant.id)
    form = PreferencesForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            contact.save(
                g.claimant.id,
                {kind: list(getattr(form, kind).data or ()) for kind in contact.KINDS},
                mobile=form.mobile.data or "",
                language=form.language.data or "en",
                now=boundary.now(),
            )
        except contact.PreferencesRefused as refusal:
            boundary.undo()
            errors[refusal.field] = MOBILE_ERRORS[str(refusal)]
        else:
            flash(_("Your choices are saved."))
            return redirect(url_for("contact.preferences"), 303)
    elif form.is_submitted():
        abort(400)  # no valid CSRF token, or a channel we do not offer: nothing changes
    if form.is_submitted():
        ticked = {kind: tuple(getattr(form, kind).data or ()) for kind in contact.KINDS}
        mobile, language = form.mobile.data or "", form.language.data
    else:
        ticked = saved.channels
        mobile, language = saved.mobile or "", g.claimant.account.language
    return render_template(
        "contact/preferences.html",
        form=form,
        errors=errors,
        ticked=ticked,
        mobile=mobile,
        language=language,
        kinds=contact.KINDS,
        channels=contact.CHANNELS,
    ), (400 if errors else 200)
