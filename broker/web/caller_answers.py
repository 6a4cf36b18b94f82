"""The caller types the claimant's second code (issue 27): the one form handling the staff and
adviser pages share. It returns the error to show, or "" when the claimant confirmed it was them;
another caller's or another claimant's check is a 404."""

from __future__ import annotations

from flask import abort, request

from ..casework import caller_checks
from . import boundary
from .forms import ConfirmForm

EMPTY = "Enter the code the claimant read to you"
OVER = "This caller check has ended. Start a new one"


def answer(claimant_id: str, check_id: str, actor: str) -> tuple[str, int]:
    """Check the typed code; the error to show and the page's status ("" and 303 on a match)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    typed = request.form.get("answer_code", "").strip()
    if not typed:
        return EMPTY, 400
    try:
        caller_checks.confirm(claimant_id, check_id, actor, typed, now=boundary.now())
    except caller_checks.CheckNotFound:
        boundary.undo()
        abort(404)
    except caller_checks.CheckOver:
        boundary.undo()
        return OVER, 409
    except caller_checks.WrongAnswer as wrong:
        return str(wrong), 422  # the wrong try and its audit event are committed
    return "", 303
