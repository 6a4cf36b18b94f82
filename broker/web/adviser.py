"""The adviser console: my clients, a client's MR decisions and journal, lodging an MR request.

Everything about a client's journal comes through the protected API with a token issued under
the grant (broker/web/console.py), never from the journal tables directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

import scopes

from .. import clock, i18n
from ..casework import caller_checks, drafts, item_watches, screening, watches
from ..consent import clients as client_registry
from ..consent import device, disclosure, grants, windows
from ..extensions import db
from ..messages import notify
from ..models import Claimant, DeviceAuthorization, Grant, MRDecision, SignedDocument
from ..oauth import server as oauth
from ..proof import documents, lodging, statements
from . import boundary, caller_answers, console, notice_pages
from .console import ConsoleClient
from .forms import AskForm, ConfirmForm, MRRequestForm, StatementForm, TellByForm, first_errors

bp = Blueprint("adviser", __name__, url_prefix="/adviser")

UK_TIME = ZoneInfo(i18n.TIMEZONE)


@bp.get("/")
def clients() -> str:
    now = boundary.now()
    watched, unseen = watches.console(g.adviser.id, now)
    return render_template(
        "adviser/clients.html",
        live=one_per_client(grants.live_for_adviser(g.adviser.id, now)),
        now=now,
        state_at=grants.state_at,
        watched=watched,
        unseen=unseen,
        tell_by_form=TellByForm(tell_by=g.adviser.tell_by),
        items_told=item_watches.told_to(g.adviser.id, now),
        access_changes=notify.told_to_adviser(
            g.adviser.id, now=now, excluding=(watches.ARRIVED, item_watches.TOLD)
        ),
    )


def one_per_client(live: list[Grant]) -> list[Grant]:
    """Each client once, by their newest live grant (older data can hold several for one
    client), soonest to end first."""
    newest: dict[str, Grant] = {}
    for grant in live:
        kept = newest.get(grant.claimant_id)
        if kept is None or (grant.created_at, grant.id) > (kept.created_at, kept.id):
            newest[grant.claimant_id] = grant
    return sorted(newest.values(), key=lambda grant: (grant.ends_at, grant.id))


@bp.get("/clients/<uuid:grant_id>")
def client(grant_id: str) -> str | tuple[str, int]:
    """A client's decisions and journal; arriving from a request (`?asked=`), what the client
    said yes to, when it was less than the adviser asked for."""
    grant = _own_grant(grant_id)
    now = boundary.now()
    if not disclosure.authorises(grant.status, grant.review_at, grant.ends_at, now):
        # The console's read is refused like any token's, and the claimant can see it was tried.
        grants.record_refused_open(grant, by=f"adviser:{g.adviser.id}", now=now)
        return render_template(
            "adviser/client_inactive.html", grant=grant, state=grants.state_at(grant, now)
        ), 403
    allowed = set(grant.scope_names)
    decisions, journal = console.decisions_and_journal(grant)
    return render_template(
        "adviser/client.html",
        grant=grant,
        watch=watches.console_watch(grant.id) if "mr:read" in allowed else None,
        item_watches={
            topic: item_watches.console_watch(grant.id, topic)
            for topic, scope in item_watches.SCOPES.items()
            if scope in allowed
        },
        decisions=decisions,
        journal=journal,
        can_request="mr:request" in allowed,
        scope_titles=[scopes.lookup(n).staff_title() for n in grant.scope_names],
        shortfall=_shortfall_of_request(request.args.get("asked", ""), grant),
        mr_drafts=drafts.for_grants([grant.id]) if "mr:request" in allowed else [],
        lodging_proofs=_lodging_proofs(grant),
    )


def _lodging_proofs(grant: Grant) -> dict[str, dict[str, str]]:
    """The proof of lodging of each MR request lodged under this grant, by entry ID (issue 27):
    its check code and /verify link, shown against the request and the draft that became it."""
    services = boundary.services()
    return {
        entry_id: documents.as_json(row.id, row.jws, services)
        for entry_id, row in lodging.of_grant(grant.id, grant.claimant_id).items()
    }


def _decision_notice(grant_id: str, decision_id: str) -> tuple[SignedDocument, str]:
    """The notice of a decision this adviser may read now (issue 27): read through the API like
    any other (live grant, mr:read, the window; audited), then issued as the claimant's."""
    grant = _own_grant(grant_id)
    if "mr:read" not in grant.scope_names:
        abort(403)
    claimant_id = grant.claimant_id
    answer = ConsoleClient(grant).get(f"/mr-decisions/{decision_id}")
    if answer.status != 200:
        abort(403 if answer.status == 403 else 404)
    decision = db.session.get(MRDecision, str(decision_id))
    if decision is None or decision.claimant_id != claimant_id:
        abort(404)
    claimant = db.session.get(Claimant, claimant_id)
    return notice_pages.notice_for(claimant, decision, f"adviser:{g.adviser.id}")


@bp.get("/clients/<uuid:grant_id>/decisions/<uuid:decision_id>/notice")
@boundary.writes_on_get  # the first look issues the notice and records it
def decision_notice(grant_id: str, decision_id: str) -> str:
    row, code = _decision_notice(grant_id, decision_id)
    return render_template(
        "adviser/decision_notice.html",
        pdf_url=url_for("adviser.decision_notice_pdf", grant_id=grant_id, decision_id=decision_id),
        file_url=url_for(
            "adviser.decision_notice_file", grant_id=grant_id, decision_id=decision_id
        ),
        **notice_pages.page(row, code),
    )


@bp.get("/clients/<uuid:grant_id>/decisions/<uuid:decision_id>/notice.pdf")
@boundary.writes_on_get
def decision_notice_pdf(grant_id: str, decision_id: str) -> Response:
    return notice_pages.pdf_response(*_decision_notice(grant_id, decision_id))


@bp.get("/clients/<uuid:grant_id>/decisions/<uuid:decision_id>/notice.json")
@boundary.writes_on_get
def decision_notice_file(grant_id: str, decision_id: str) -> Response:
    return notice_pages.file_response(_decision_notice(grant_id, decision_id)[0])


@bp.route("/clients/<uuid:grant_id>/mr-request", methods=["GET", "POST"])
def mr_request(grant_id: str) -> Response | str | tuple[str, int]:
    grant = _own_grant(grant_id)
    form = MRRequestForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        answer = ConsoleClient(grant).post(
            "/mr-requests",
            {"decision_about": form.decision_about.data, "reasons": form.reasons.data},
        )
        if answer.status == 201:
            proof = answer.body["proof_of_lodging"]
            flash(
                "Your Mandatory Reconsideration request is in the client's journal. Proof of"
                f" lodging: check code {proof['check_code']}"
            )
            return redirect(url_for("adviser.client", grant_id=grant.id), 303)
        if answer.status == 202:  # the client asked to check it first (issue 16)
            flash(
                f"Sent to {grant.claimant.name} to check. It goes into their journal only if"
                " they say yes. You will be told either way."
            )
            return redirect(url_for("adviser.client", grant_id=grant.id), 303)
        body = answer.body or {}
        if answer.status == 422:  # screening (security.md 78): each field says what to remove
            errors = screening.messages_by_field(body.get("found", []))
        else:
            errors["form"] = body.get("error_description", "The request was refused")
        return render_template(
            "adviser/mr_request.html", grant=grant, form=form, errors=errors
        ), answer.status
    errors = first_errors(form)
    return render_template("adviser/mr_request.html", grant=grant, form=form, errors=errors), (
        400 if errors else 200
    )


# Tell me when a decision arrives (issue 15): the switch sets or ends the console's watch
# through the API, with a token issued under the grant, so the watch records that token.


@bp.post("/clients/<uuid:grant_id>/watch")
def watch(grant_id: str) -> Response:
    return _switch_watch(grant_id, on=True)


@bp.post("/clients/<uuid:grant_id>/unwatch")
def unwatch(grant_id: str) -> Response:
    return _switch_watch(grant_id, on=False)


# Watches on to-dos and payments (issue 27): the same switch, through the API's /todo-watch and
# /payment-watch.
WATCHED = {
    item_watches.TODOS: ("/todo-watch", "to-dos that are due soon or overdue"),
    item_watches.PAYMENTS: ("/payment-watch", "payments that are lower or missing"),
}


@bp.post("/clients/<uuid:grant_id>/watch/<any(todos, payments):topic>")
def watch_items(grant_id: str, topic: str) -> Response:
    return _switch_watch(grant_id, on=True, topic=topic)


@bp.post("/clients/<uuid:grant_id>/unwatch/<any(todos, payments):topic>")
def unwatch_items(grant_id: str, topic: str) -> Response:
    return _switch_watch(grant_id, on=False, topic=topic)


def _switch_watch(grant_id: str, *, on: bool, topic: str | None = None) -> Response:
    grant = _own_grant(grant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    api = ConsoleClient(grant)
    path, what = WATCHED[topic] if topic else ("/mr-decision-watch", "decisions")
    answer = api.post(path, {}) if on else api.delete(path)
    if answer.status in (200, 201):
        when = f"about {what}" if topic else "when a decision arrives"
        flash(f"We will tell you {when} for {grant.claimant.name}")
    elif answer.status == 204:
        flash(f"We will no longer tell you about {what} for {grant.claimant.name}")
    elif answer.status != 404:
        flash((answer.body or {}).get("error_description", "That did not work: try again"))
    return redirect(url_for("adviser.client", grant_id=grant.id), 303)


# Give up access (issue 23): the adviser ends their own access to a client's journal; the
# client is told and gets a receipt, and their history says the adviser ended it.


@bp.get("/clients/<uuid:grant_id>/give-up")
def confirm_give_up(grant_id: str) -> str:
    grant = _own_grant(grant_id)
    if grant.status in grants.ENDED:
        abort(404)
    return render_template("adviser/confirm_give_up.html", grant=grant, form=ConfirmForm())


@bp.post("/clients/<uuid:grant_id>/give-up")
def give_up(grant_id: str) -> Response:
    grant = _own_grant(grant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        grants.give_up(
            grant,
            by=f"adviser:{g.adviser.id}",
            now=boundary.now(),
            signer=boundary.services().tokens,
        )
    except grants.GrantRefused as refused:
        flash(str(refused))
    else:
        flash(f"You gave up your access to {grant.claimant.name}'s journal. We have told them.")
    return redirect(url_for("adviser.clients"), 303)


@bp.post("/tell-by")
def tell_by() -> Response:
    form = TellByForm()
    if not form.validate_on_submit():
        abort(400)
    watches.set_tell_by(g.adviser, form.tell_by.data or "")
    flash("Saved how we tell you about decisions")
    return redirect(url_for("adviser.clients"), 303)


@bp.post("/decisions/<uuid:notice_id>/seen")
def mark_seen(notice_id: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not watches.mark_seen(g.adviser.id, str(notice_id), now=boundary.now()):
        abort(404)
    return redirect(url_for("adviser.clients"), 303)


@dataclass(frozen=True, slots=True)
class Shortfall:
    """How the client's yes differs from what the adviser asked for."""

    left_out: list[str]  # what was asked for and not given, in staff wording
    asked_months: int
    shorter: bool  # the access ends on an earlier day than asked
    asked_window: windows.Window  # the dates asked for (open: none asked)
    given_window: windows.Window | None  # the dates given, when fewer than asked


def shortfall(authorization: DeviceAuthorization, grant: Grant) -> Shortfall | None:
    """What the adviser asked for and did not get under `grant`, or None if they got it all:
    things left out, an end on an earlier day, or fewer dates than the request asked for."""
    given = set(grant.scope_names)
    left_out = [
        scopes.lookup(name).staff_title()
        for name in scopes.parse(authorization.scopes)
        if name not in given
    ]
    asked = device.requested_details(authorization)
    # Compared as UK days, as both sides read them: the client answers after the request was
    # made, so a yes for the whole time asked ends no earlier, and keeping an end date that
    # falls on the same day (a change request's default) is a yes to the time asked too.
    asked_end = grants.add_months(authorization.created_at, asked.months)
    shorter = clock.uk_day(grant.ends_at) < clock.uk_day(asked_end)
    # A request without dates leaves a live grant's window as it is: the client was not asked.
    given_window = windows.of(grant)
    fewer_dates = not asked.window.open and not asked.window.within(given_window)
    if not left_out and not shorter and not fewer_dates:
        return None
    return Shortfall(
        left_out, asked.months, shorter, asked.window, given_window if fewer_dates else None
    )


def _shortfall_of_request(request_id: str, grant: Grant) -> Shortfall | None:
    """The shortfall of this adviser's request answered with `grant`; None for any other id."""
    if not request_id:
        return None
    try:
        authorization = device.for_adviser(g.adviser.id, request_id)
    except device.RequestNotFound:
        return None
    if authorization.grant_id != grant.id:
        return None
    return shortfall(authorization, grant)


def _own_grant(grant_id: str) -> Grant:
    try:
        return grants.for_adviser(g.adviser.id, grant_id)
    except grants.GrantNotFound:
        abort(404)


# Ask a client for access: an RFC 8628 device request, shown as a QR code and a short code; the
# client answers on their phone, and the grant, when they say yes, is this adviser's (issue 3).


@bp.route("/ask", methods=["GET", "POST"])
def ask() -> Response | str | tuple[str, int]:
    form = AskForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        now = boundary.now()
        names = scopes.parse(form.scopes.data or ())
        months = int(form.months.data or 0)
        try:
            grants.check_end(names, starts_at=now, ends_at=grants.add_months(now, months))
        except grants.GrantRefused as refusal:
            errors["months"] = str(refusal)
        else:
            details = client_registry.ConsentDetails(
                " ".join((form.purpose.data or "").split()),
                " ".join((form.relationship.data or "").split()),
                "",
                months,
            )
            started = device.start(
                client_registry.ensure_console_client(now),
                scope_names=names,
                details=details,
                adviser=g.adviser,
                now=now,
            )
            return redirect(
                url_for("adviser.ask_waiting", request_id=started.authorization.id), 303
            )
    else:
        errors = first_errors(form)
    return render_template(
        "adviser/ask.html", form=form, errors=errors, catalogue=scopes.catalogue()
    ), (400 if errors else 200)


@bp.get("/ask/<uuid:request_id>")
def ask_waiting(request_id: str) -> str:
    """The QR code and the code while the client decides; their answer once they have. Loading
    it again is the no-JavaScript way to check."""
    authorization = _own_request(request_id)
    user_code = device.display(authorization.user_code)
    grant = db.session.get(Grant, authorization.grant_id) if authorization.grant_id else None
    return render_template(
        "adviser/ask_waiting.html",
        shortfall=shortfall(authorization, grant) if grant else None,
        authorization=authorization,
        state=device.state_of(authorization, boundary.now()),
        user_code=user_code,
        verification_uri=oauth.verification_uri(boundary.services().issuer),
        complete_uri=oauth.verification_uri_complete(boundary.services().issuer, user_code),
        grant=grant,
    )


@bp.get("/ask/<uuid:request_id>/status")
def ask_status(request_id: str) -> Response:
    """What static/js/ask.js polls: pending, slow_down (RFC 8628 3.5, with the longer
    interval), or the answer and the page to go to."""
    authorization = _own_request(request_id)
    now = boundary.now()
    state = device.state_of(authorization, now)
    if state == device.PENDING and device.poll(authorization, now):
        state = "slow_down"
    answered = state in (device.APPROVED, device.USED) and authorization.grant_id
    target = (
        url_for("adviser.client", grant_id=authorization.grant_id, asked=authorization.id)
        if answered
        else url_for("adviser.ask_waiting", request_id=authorization.id)
    )
    return jsonify(status=state, interval=authorization.interval, next=target)


@bp.get("/ask/<uuid:request_id>/qr.svg")
def ask_qr_code(request_id: str) -> Response:
    authorization = _own_request(request_id)
    uri = oauth.verification_uri_complete(
        boundary.services().issuer, device.display(authorization.user_code)
    )
    return Response(device.qr_code_svg(uri), mimetype="image/svg+xml")


def _own_request(request_id: str) -> DeviceAuthorization:
    try:
        return device.for_adviser(g.adviser.id, request_id)
    except device.RequestNotFound:
        abort(404)


# The adviser's signed statement of everything their tokens did on a client's account (issue 8).


@bp.route("/clients/<uuid:grant_id>/statement", methods=["GET", "POST"])
def statement(grant_id: str) -> Response | str | tuple[str, int]:
    grant = _own_grant(grant_id)
    form = StatementForm()
    now = boundary.now()
    if request.method == "GET":
        form.date_from.data = grant.starts_at.date()
        form.date_to.data = now.date()
    if not form.validate_on_submit():
        errors = first_errors(form)
        return render_template(
            "adviser/statement.html", grant=grant, form=form, errors=errors, statement=None
        ), (400 if errors else 200)
    # The dates are days on the UK clock, as the page shows every time (summer time included).
    low = datetime.combine(form.date_from.data, time.min, tzinfo=UK_TIME)
    high = datetime.combine(form.date_to.data, time.max, tzinfo=UK_TIME)
    try:
        document = statements.build(
            g.adviser,
            grant.claimant,
            date_from=low,
            date_to=high,
            now=now,
            services=boundary.services(),
        )
    except statements.StatementRefused as refusal:
        boundary.undo()
        return render_template(
            "adviser/statement.html",
            grant=grant,
            form=form,
            statement=None,
            errors={"form": f"No statement can be signed: {refusal}"},
        ), 409
    if request.form.get("download"):
        name = f"statement-{grant.claimant.reference}-{form.date_from.data}-{form.date_to.data}"
        return Response(
            json.dumps(document, indent=2),
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    body = document["statement"]
    return render_template(
        "adviser/statement.html",
        grant=grant,
        form=form,
        errors={},
        statement=body,
        listed=statements.revealed_in_range(body),
        hidden=sum(1 for e in body["events"] if "action" not in e),
        at=clock.from_micros,
        # On the issuer, never the request's Host header (security.md 68).
        verify_url=boundary.services().issuer + url_for("proof.verify_file"),
    )


# "Is this caller really from DWP?" (issue 15, seed 002): an adviser with live access starts a
# caller check before calling their client; their page shows the code to read out.

NOT_LIVE = "Your access to this client has ended or is paused, so you cannot start a caller check"


@bp.post("/clients/<uuid:grant_id>/caller-checks")
def start_caller_check(grant_id: str) -> Response | tuple[str, int]:
    grant = _own_grant(grant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    now = boundary.now()
    if not disclosure.authorises(grant.status, grant.review_at, grant.ends_at, now):
        return _caller_checks_page(grant, NOT_LIVE, 403)
    try:
        caller_checks.start(grant.claimant_id, caller_checks.Caller.adviser(g.adviser), now=now)
    except caller_checks.TooManyStarts as refusal:
        boundary.undo()
        response = make_response(_caller_checks_page(grant, str(refusal), 429))
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    return redirect(url_for("adviser.caller_checks_page", grant_id=grant.id), 303)


@bp.post("/clients/<uuid:grant_id>/caller-checks/<uuid:check_id>/answer")
def answer_caller_check(grant_id: str, check_id: str) -> Response | tuple[str, int]:
    """The client reads their second code to the adviser, who types it (issue 27). Their own
    check, so it can be answered even if access paused since it started."""
    grant = _own_grant(grant_id)
    actor = caller_checks.Caller.adviser(g.adviser).actor
    error, status = caller_answers.answer(grant.claimant_id, check_id, actor)
    if error:
        return _caller_checks_page(grant, error, status, field="answer-code")
    return redirect(url_for("adviser.caller_checks_page", grant_id=grant.id), 303)


@bp.get("/clients/<uuid:grant_id>/caller-checks")
def caller_checks_page(grant_id: str) -> tuple[str, int]:
    return _caller_checks_page(_own_grant(grant_id))


def _caller_checks_page(
    grant: Grant, error: str = "", status: int = 200, field: str = "caller-check"
) -> tuple[str, int]:
    """The code this adviser reads out to their client, while it lasts, and the box for the
    client's code back."""
    now = boundary.now()
    caller = caller_checks.Caller.adviser(g.adviser)
    return render_template(
        "adviser/caller_checks_page.html",
        grant=grant,
        live=disclosure.authorises(grant.status, grant.review_at, grant.ends_at, now),
        checks=caller_checks.live_for_caller(grant.claimant_id, caller.key, now),
        errors={field: error} if error else {},
    ), status
