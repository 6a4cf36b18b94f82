"""The claimant answers an OAuth request on their phone: the consent screen a case system sends
them to (/authorize, authorization code + PKCE) and the page a QR code or typed code opens
(/device, RFC 8628 verification).

Every route needs a signed-in claimant (the check is bound at registration). A GET only shows
the request: who is asking, what, for how long and why, in that order. Only a POST carrying its
CSRF token and an explicit "approve" answers it (security.md 7, 23).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import InsecureTransportError, OAuth2Error
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
from flask_babel import gettext as _
from werkzeug.wrappers import Response

import scopes

from .. import clock
from ..consent import clients, device, grants, windows
from ..models import DeviceAuthorization, Grant
from ..oauth import server as oauth
from . import boundary, window_fields, wording
from .boundary import writes_on_get
from .forms import ConsentForm
from .headers import CONTENT_SECURITY_POLICY

bp = Blueprint("consent", __name__)

APPROVE, REFUSE = "approve", "refuse"


# Authorization code: a case-management system asks


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Response | str | tuple[str, int]:
    try:
        request_grant = boundary.authorization_server().get_consent_grant(end_user=g.claimant)
    except OAuth2Error as error:
        return _authorization_error(error)
    asked = oauth.code_request(request_grant)
    who = clients.representative_for(asked.client)
    form = ConsentForm()
    if request.method == "GET":
        page = _consent_page(
            form, who, asked.scope_names, asked.details, asked.client.id, action=request.full_path
        )
        return _may_return_to(page, request_grant.redirect_uri)
    if not form.validate_on_submit():
        abort(400)
    decision = form.decision.data
    if decision == REFUSE:
        response, _issued = oauth.authorization_response(
            boundary.authorization_server(), request_grant, None
        )
        boundary.undo()  # a refusal changes nothing
        return response
    if decision != APPROVE:
        abort(400)
    try:
        grant = clients.grant_access(
            g.claimant,
            who,
            client=asked.client,
            requested=asked.scope_names,
            chosen=form.scopes.data or (),
            details=asked.details,
            months=_months(form.months.data),
            now=boundary.now(),
            signer=boundary.services().tokens,
            window=_window_chosen(asked.details),
        )
    except grants.GrantRefused as refusal:
        boundary.undo()
        page = _consent_page(
            form,
            who,
            asked.scope_names,
            asked.details,
            asked.client.id,
            action=request.full_path,
            error=str(refusal),
        )
        return _may_return_to(page, request_grant.redirect_uri)
    response, issued = oauth.authorization_response(
        boundary.authorization_server(), request_grant, oauth.Consent(grant)
    )
    if not issued:
        boundary.undo()  # the grant stands only with the code that carries it
    return response


def _may_return_to(page: str | tuple[str, int], redirect_uri: str) -> Response:
    """The consent page, with a CSP that lets its form's answer redirect to the client.

    CSP form-action also governs where a form's redirect may go, so with only 'self' the browser
    would stop the 303 to the client's (already validated, exact) redirect URI.
    """
    response = make_response(page)
    parts = urlsplit(redirect_uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {origin}"
    )
    return response


@bp.errorhandler(InsecureTransportError)
def insecure_transport(_error: InsecureTransportError) -> tuple[str, int]:
    # RFC 6749 3.1: the authorization endpoint needs TLS (http only on loopback addresses).
    return render_template("consent/authorize_error.html", error="insecure_transport"), 400


def _authorization_error(error: OAuth2Error) -> Response | tuple[str, int]:
    boundary.undo()
    redirect_response = oauth.error_redirect(boundary.authorization_server(), error)
    if redirect_response is not None:
        return redirect_response
    # RFC 6749 4.1.2.1: an unknown client or redirect URI is never redirected to.
    return render_template("consent/authorize_error.html", error=error.error), 400


# Device authorization: an adviser (or a device) shows a QR code or a code


@bp.get("/device")
@writes_on_get
def device_code() -> str | tuple[str, int]:
    typed = request.args.get("user_code")
    if typed is None:
        return render_template("consent/device_code.html", error=None, typed="")
    if not device.normalise_user_code(typed):
        return _code_error(typed, _("Enter the code"))  # nothing typed: not a wrong try
    now = boundary.now()
    try:
        authorization = device.find(
            typed, attempt_keys=_attempt_keys(), now=now, claimant_id=g.claimant.id
        )
        device.check_answerable(authorization, now)
    except device.CodeNotFound:  # the wrong try is counted (security.md 21), so it is kept
        return _code_error(typed, _("We cannot find that code. Check it and try again"))
    except device.CodeUnusable as unusable:
        boundary.undo()
        if unusable.state == device.EXPIRED:
            return _code_error(typed, _("This code has run out. Ask them for a new one"))
        return _code_error(typed, _("This code has already been used. Ask them for a new one"))
    return _device_consent_page(authorization, ConsentForm(user_code=typed))


@bp.post("/device")
def answer_device() -> Response | str | tuple[str, int]:
    form = ConsentForm()
    if not form.validate_on_submit():
        abort(400)
    now = boundary.now()
    typed = form.user_code.data or ""
    try:
        authorization = device.find(
            typed, attempt_keys=_attempt_keys(), now=now, claimant_id=g.claimant.id
        )
        who = device.representative(authorization)
        existing = grants.live_relationship(g.claimant.id, who.key(authorization.client_id), now)
        before = _terms(existing)
        if form.decision.data == REFUSE:
            device.refuse(authorization, g.claimant, now=now)
            if existing is not None:
                flash(_("You said no. Nothing has changed"))
            else:
                flash(_("You said no. %(name)s cannot see your journal", name=who.name))
            return redirect(url_for("claimant.home"), 303)
        if form.decision.data != APPROVE:
            abort(400)
        grant = device.approve(
            authorization,
            g.claimant,
            chosen=form.scopes.data or (),
            months=_months(form.months.data),
            now=now,
            signer=boundary.services().tokens,
            window=_window_chosen(device.requested_details(authorization)),
        )
    except device.CodeNotFound:  # the wrong try is counted, so it is kept
        return _code_error(typed, _("We cannot find that code. Check it and try again"))
    except device.CodeUnusable:
        boundary.undo()
        return _code_error(
            typed, _("This code has already been used or has run out. Ask them for a new one")
        )
    except grants.GrantRefused as refusal:
        boundary.undo()
        return _device_consent_page(authorization, form, error=str(refusal))
    flash(
        wording.consent_answer(
            grant, had_access=existing is not None, changed=_terms(grant) != before
        )
    )
    return redirect(url_for("claimant.access"), 303)


def _terms(grant: Grant | None) -> tuple[object, ...] | None:
    """What an amendment can change: compared before and after, to say whether it did."""
    if grant is None:
        return None
    return (grant.scopes, grant.ends_at, grant.purpose, grant.relationship)


def _attempt_keys() -> list[str]:
    return [f"user-code:account:{g.claimant.id}", f"user-code:addr:{request.remote_addr}"]


def _code_error(typed: str, message: str) -> tuple[str, int]:
    return render_template("consent/device_code.html", error=message, typed=typed), 400


def _device_consent_page(
    authorization: DeviceAuthorization, form: ConsentForm, error: str | None = None
) -> str | tuple[str, int]:
    return _consent_page(
        form,
        device.representative(authorization),
        scopes.parse(authorization.scopes),
        device.requested_details(authorization),
        authorization.client_id,
        action=url_for("consent.answer_device"),
        user_code=device.display(authorization.user_code),
        error=error,
    )


# The consent screen both flows share


def _consent_page(
    form: ConsentForm,
    who: grants.Representative,
    requested: Sequence[str],
    details: clients.ConsentDetails,
    client_id: str,
    *,
    action: str,
    user_code: str | None = None,
    error: str | None = None,
) -> str | tuple[str, int]:
    """Who, what, how long and why. If they already have access, the same page shows only what
    would change (grants.proposed_change): new things to tick, the end date kept by default."""
    now = boundary.now()
    existing = grants.live_relationship(g.claimant.id, who.key(client_id), now)
    held = existing.scope_names if existing is not None else ()
    offered = [n for n in requested if n not in held]
    month_options = _end_choices(details.months, existing, now)
    default_months = clients.KEEP_END if existing is not None else details.months
    if request.method == "POST":
        ticked = set(form.scopes.data or ())
        chosen_months = _months(form.months.data, default_months)
    else:
        ticked, chosen_months = set(offered), default_months
    change = None
    if existing is not None:
        change = grants.proposed_change(
            existing,
            scope_names=(*held, *offered),
            ends_at=existing.ends_at,
            purpose=details.purpose,
            relationship=details.relationship,
        )
    page = render_template(
        "consent/authorize.html",
        form=form,
        who=who,
        requested=[scopes.lookup(n) for n in offered],
        held=[scopes.lookup(n) for n in held],
        existing=existing,
        change=change,
        ticked=ticked,
        month_options=month_options,
        chosen_months=chosen_months,
        details=details,
        action=action,
        user_code=user_code,
        window_form=_window_field(details),
        errors={_field_for(error): _(error)} if error else {},  # the domain's words, translated
    )
    return (page, 400) if error else page


class EndChoice(NamedTuple):
    """A duration on offer, as templates/macros.html's duration_radios reads an option."""

    value: int  # months, or clients.KEEP_END
    label: datetime  # when it ends: the page words it


def _end_choices(asked_months: int, existing: Grant | None, now: datetime) -> list[EndChoice]:
    """The durations on offer and when each ends, no two on the same day: keeping a live grant's
    end comes first, and a duration that would end that same day is the same choice, so it is
    left out (the claimant reads dates, not times)."""
    choices = [EndChoice(m, grants.add_months(now, m)) for m in clients.month_choices(asked_months)]
    if existing is None:
        return choices
    kept = clock.uk_day(existing.ends_at)
    others = [choice for choice in choices if clock.uk_day(choice.label) != kept]
    return [EndChoice(clients.KEEP_END, existing.ends_at), *others]


def _window_chosen(details: clients.ConsentDetails) -> windows.Window | None:
    """The start date the claimant typed on the consent screen (the end stays as asked); None
    when the screen had no date to choose. clients.grant_access holds it to no earlier than
    asked."""
    if "date_from" not in request.form:
        return None
    try:
        day = window_fields.read_day(request.form["date_from"])
    except ValueError:
        raise grants.GrantRefused(window_fields.NOT_A_DATE) from None
    return windows.Window(day, details.window.date_to)


def _window_field(details: clients.ConsentDetails) -> window_fields.WindowForm:
    """The start date as asked, until the claimant types another."""
    form = window_fields.WindowForm()
    if "date_from" not in request.form and details.window.date_from:
        start = details.window.date_from
        form.date_from.data = f"{start.day} {start.month} {start.year}"
    return form


def _field_for(message: str) -> str:
    if "date" in message:
        return "date_from"
    about_time = message.startswith("Choose how long") or "months at most" in message
    return "months" if about_time else "scopes"


def _months(value: str | None, missing: int = -1) -> int:
    """The duration chosen; `missing` if none was (KEEP_END, 0, is a choice of its own)."""
    try:
        return int(value) if value else missing
    except ValueError:
        return -1
