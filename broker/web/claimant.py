"""The claimant's pages: give access, see who can see what, stop one grant or all of them, see
what they looked at, and what changed since the claimant last signed in."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from babel.lists import format_list
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

import scopes

from .. import clock, ratelimit
from ..casework import caller_checks, disputes, drafts, journal
from ..chain import audit
from ..consent import grants, news, receipts, windows
from ..i18n import current_language, day
from ..messages import contact, nominated
from ..models import CallerCheck, Dispute, Grant, MRDraft
from ..people import accounts, passkeys, records, sessions
from ..proof import call_log, documents, history_copy, lodging
from . import boundary, session_store, window_fields, wording
from .forms import (
    ConfirmForm,
    ContactForm,
    DisputeForm,
    GiveAccessForm,
    NarrowForm,
    ReviewForm,
    first_errors,
)

bp = Blueprint("claimant", __name__)


@bp.get("/")
def home() -> str:
    now = boundary.now()
    calling = _caller_checks_on_phone(now)  # first: noting a check ends the read so far
    live = grants.live_for_claimant(g.claimant.id, now)
    contacts = grants.live_for_claimant(g.claimant.id, now, kind=grants.CONTACT)
    return render_template(
        "claimant/home.html",
        live=live,
        contacts=contacts,
        now=now,
        news=_news_since_sign_in(now),
        caller_checks=calling,
        mr_drafts=_waiting_drafts(now),
    )


@bp.get("/access")
def access() -> str:
    now = boundary.now()
    return render_template(
        "claimant/access.html",
        live=grants.live_for_claimant(g.claimant.id, now),
        ended=grants.ended_for_claimant(g.claimant.id, now),
        contacts=grants.live_for_claimant(g.claimant.id, now, kind=grants.CONTACT),
        now=now,
        state_at=grants.state_at,
    )


@bp.route("/access/new", methods=["GET", "POST"])
def give_access() -> Response | str | tuple[str, int]:
    form = GiveAccessForm()
    errors: dict[str, str] = {}
    if form.is_submitted() and request.form.get("edit"):
        # "Change" on the check page: the form again with every answer kept (CSRFProtect has
        # checked this POST; nothing changes until the final "Give access").
        return _give_access_form(form, errors)
    if form.validate_on_submit():
        now = boundary.now()
        try:
            adviser = accounts.find_adviser(
                form.adviser_code.data or "",
                attempt_keys=[f"adviser-code:account:{g.claimant.id}"],
                shared_keys=[f"adviser-code:addr:{request.remote_addr}"],
                now=now,
            )
        except ratelimit.TooManyAttempts as limit:
            # security.md 32: even a right code waits, so guessing gains nothing
            boundary.undo()
            errors["adviser_code"] = _(
                "You have tried too many codes. Wait 15 minutes, then try again"
            )
            response = make_response(_give_access_form(form, errors), 429)
            response.headers["Retry-After"] = str(limit.retry_after)
            return response
        months = int(form.months.data or 0)
        chosen = tuple(form.scopes.data or ())
        window, window_errors = window_fields.chosen(
            window_fields.WindowForm(), today=clock.uk_day(now)
        )
        errors.update(window_errors)
        if adviser is None:  # the wrong try is counted (security.md 32), so it is kept
            errors["adviser_code"] = _(
                "We cannot find an adviser with that code. Check it and try again"
            )
        else:
            try:
                grants.check_end(chosen, starts_at=now, ends_at=grants.add_months(now, months))
            except grants.GrantRefused:
                errors["months"] = _too_long(chosen)
        representative = grants.Representative.of(adviser) if adviser else None
        existing = (
            grants.live_relationship(g.claimant.id, representative.key(), now)
            if representative
            else None
        )
        if not errors and form.confirmed.data == "yes":
            grant = grants.give(
                g.claimant,
                representative,
                scope_names=chosen,
                ends_at=grants.add_months(now, months),
                purpose=form.purpose.data or "",
                relationship=form.relationship.data or "",
                now=now,
                signer=boundary.services().tokens,
                until_event=grants.MR_DECIDED if form.until_decided.data else "",
                window=window,
                check_before_send=True,  # the phone's default for a consent given now
            )
            flash(wording.consent_answer(grant, had_access=existing is not None))
            return redirect(url_for("claimant.access"), 303)
        if not errors:
            change = existing and grants.proposed_change(
                existing,
                scope_names=chosen,
                ends_at=grants.add_months(now, months),
                purpose=form.purpose.data or "",
                relationship=form.relationship.data or "",
            )
            return render_template(
                "claimant/give_access_confirm.html",
                form=form,
                adviser=adviser,
                chosen=[scopes.lookup(n) for n in scopes.parse(chosen)],
                ends_at=grants.add_months(now, months),
                change=change,
                window=window,
                window_form=window_fields.WindowForm(),
            )
    else:
        errors = first_errors(form)
    return _give_access_form(form, errors), (400 if errors else 200)


def _give_access_form(form: GiveAccessForm, errors: dict[str, str]) -> str:
    return render_template(
        "claimant/give_access.html",
        form=form,
        errors=errors,
        catalogue=scopes.catalogue(),
        example_adviser_code=accounts.EXAMPLE_ADVISER_CODE,
        window_form=window_fields.WindowForm(),
    )


@bp.get("/access/<uuid:grant_id>/revoke")
def confirm_revoke(grant_id: str) -> str:
    grant = _own_grant(grant_id)
    return render_template("claimant/confirm_revoke.html", grant=grant, form=ConfirmForm())


@bp.post("/access/<uuid:grant_id>/revoke")
def revoke(grant_id: str) -> Response:
    grant = _own_grant(grant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    grants.revoke(
        grant, by=f"claimant:{g.claimant.id}", now=boundary.now(), signer=boundary.services().tokens
    )
    flash(_("%(name)s can no longer see your journal", name=grant.representative_name))
    return redirect(url_for("claimant.access"), 303)


@bp.route("/access/<uuid:grant_id>/change", methods=["GET", "POST"])
def narrow_access(grant_id: str) -> Response | str | tuple[str, int]:
    """Change what they can see: untick scopes; grants.narrow holds every rule."""
    grant = _own_grant(grant_id, grants.ACCESS)
    form = NarrowForm()
    if not form.is_submitted() and not grants.narrowable(grant, boundary.now()):
        return redirect(url_for("claimant.access"), 303)
    if not form.is_submitted() and len(grant.scope_names) < 2:
        return redirect(url_for("claimant.confirm_revoke", grant_id=grant.id), 303)
    errors: dict[str, str] = {}
    window_form = window_fields.WindowForm()
    if form.validate_on_submit():
        window, errors = window_fields.chosen(window_form, today=clock.uk_day(boundary.now()))
        change = {
            "by": f"claimant:{g.claimant.id}",
            "now": boundary.now(),
            "signer": boundary.services().tokens,
        }
        try:
            if not errors:  # a date that is not a date: nothing changes
                if not _narrows_window_only(grant, form.scopes.data or (), window):
                    grants.narrow(grant, form.scopes.data or (), **change)
                if window != windows.of(grant):
                    grants.narrow_window(grant, window, **change)
        except grants.GrantRefused as refusal:
            boundary.undo()
            errors[refusal.field or "scopes"] = _(str(refusal))
        if not errors:
            flash(
                _(
                    "%(name)s can now see less. They can still see: %(what)s.",
                    name=grant.representative_name,
                    what=wording.scope_titles(grant.scope_names),
                )
            )
            return redirect(url_for("claimant.access"), 303)
    elif form.is_submitted():
        abort(400)  # no valid CSRF token: nothing changes
    return render_template(
        "claimant/narrow_access.html",
        grant=grant,
        form=form,
        errors=errors,
        held=[scopes.lookup(n) for n in grant.scope_names],
        ticked=form.scopes.data if errors else grant.scope_names,
        window_form=window_form if form.is_submitted() else _filled(grant),
    ), (400 if errors else 200)


def _narrows_window_only(grant: Grant, kept: Sequence[str], window: windows.Window) -> bool:
    """Every scope kept and the dates changed: only the window narrows."""
    return set(kept) == set(grant.scope_names) and window != windows.of(grant)


def _filled(grant: Grant) -> window_fields.WindowForm:
    """The window fields showing the grant's window, as the claimant would type it."""
    form = window_fields.WindowForm(formdata=None)
    for field, when in ((form.date_from, grant.date_from), (form.date_to, grant.date_to)):
        field.data = f"{when.day} {when.month} {when.year}" if when else ""
    return form


@bp.get("/access/stop-all")
def confirm_stop_all() -> str:
    now = boundary.now()
    return render_template(
        "claimant/confirm_stop_all.html",
        live=grants.live_for_claimant(g.claimant.id, now),
        contacts=grants.live_for_claimant(g.claimant.id, now, kind=grants.CONTACT),
        form=ConfirmForm(),
    )


@bp.post("/access/stop-all")
def stop_all() -> Response:
    """Stop all access: every grant this claimant has given ends at once, each one audited."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    grants.revoke_all(g.claimant, now=boundary.now(), signer=boundary.services().tokens)
    # Someone who took the phone or the password may still be signed in elsewhere: those
    # sessions end too, this one stays (security.md 27).
    session_store.end_others(g.claimant.id, reason=sessions.STOP_ALL)
    flash(_("You stopped all access"))
    return redirect(url_for("claimant.access"), 303)


@bp.get("/sign-out-elsewhere")
def confirm_sign_out_elsewhere() -> str:
    others = sessions.others(
        g.claimant.account,
        keep=session_store.current_hash(),
        now=boundary.now(),
        limits=session_store.limits(),
    )
    return render_template(
        "claimant/confirm_sign_out_elsewhere.html", others=others, device_words=_device_words
    )


@bp.post("/sign-out-elsewhere")
def sign_out_elsewhere() -> Response:
    """Every other session of this claimant ends at once; this one stays (security.md 27)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ended = session_store.end_others(g.claimant.id, reason=sessions.ELSEWHERE)
    if ended:
        flash(_("You signed out everywhere else"))
    else:
        flash(_("You were not signed in anywhere else"))
    return redirect(url_for("claimant.home"), 303)


def _device_words(summary: str) -> str:
    """ "Chrome on Android" from the stored "Chrome/Android", in the page's language."""
    browser, _slash, system = summary.partition("/")
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("A web browser")


@bp.get("/history")
def history() -> str:
    by_id, events, titles = _history(limit=HISTORY_PAGE_EVENTS)
    # One group per relationship (every grant the claimant gave the same person, one heading),
    # its events newest first; the relationship used most recently comes first. Each event keeps
    # its own grant, so "Given by" is told from the grant it was made under.
    groups: dict[str, list[tuple[dict[str, object], Grant]]] = {}
    for event in events:
        grant = by_id[str(event["grant_id"])]
        groups.setdefault(grants.relationship_of(grant), []).append((event, grant))
    sign_ins = passkeys.history(g.claimant.id)
    return render_template(
        "claimant/history.html",
        titles=titles,
        groups=[(evs[0][1], evs) for evs in groups.values()],
        sign_in_events=sign_ins,  # issue 17: also in their audit chain
        sign_in_lines=passkeys.chain_lines(g.claimant.id, sign_ins),  # for "This wasn't right"
        staff_looks=records.looks(g.claimant.id),  # issue 23: one line a day, with a count
        calls=call_log.calls(g.claimant.id, limit=HISTORY_PAGE_EVENTS),  # issue 27
        signed_documents=documents.history(g.claimant.id),  # issue 27: notices and their checks
        mr_decisions=documents.decisions_of(g.claimant.id),
        # issue 27: an MR request's line links to its proof of lodging
        lodging_proofs=lodging.of_history(g.claimant.id, [str(e["resource"]) for e in events]),
    )


HISTORY_PAGE_EVENTS = 500  # the page shows the newest; the downloads hold them all


def _history(limit: int) -> tuple[dict[str, Grant], list[dict[str, object]], dict[str, str]]:
    """The signed-in claimant's grants by ID, their events newest first, and the titles of the
    journal items those events name: what the history page and its CSV show."""
    by_id, events = history_copy.grants_and_events(g.claimant.id, limit=limit)
    return by_id, events, journal.titles(g.claimant.id, [str(e["resource"]) for e in events])


def _own_grant(grant_id: str, kind: str | None = None) -> Grant:
    """The signed-in claimant's grant (of this kind, when given), else 404."""
    try:
        grant = grants.for_claimant(g.claimant.id, grant_id)
    except grants.GrantNotFound:
        abort(404)
    if kind is not None and grant.kind != kind:
        abort(404)
    return grant


def _too_long(chosen: tuple[str, ...]) -> str:
    """Why this duration is refused, in the page's language (grants.check_end is the rule)."""
    most = scopes.longest_months(chosen)
    if most >= scopes.GRANT_CAP_MONTHS:
        return _("Access can last %(num)d months at most", num=scopes.GRANT_CAP_MONTHS)
    language = current_language()
    narrow = [
        scopes.lookup(n).title_in(language).lower()
        for n in scopes.parse(chosen)
        if scopes.lookup(n).max_months == most
    ]
    return _(
        "Access to %(what)s can last %(num)d months at most",
        what=format_list(narrow, locale=get_locale()),
        num=most,
    )


def _news_since_sign_in(now: datetime) -> list[news.News]:
    """What changed since the sign-in before this one (auth.sign_in keeps that moment)."""
    moment = session.get("news_since")
    if not moment:
        return []
    return news.since(g.claimant.id, moment=datetime.fromisoformat(moment), now=now)


# Review a grant whose review date is near or past, and name a nominated contact (issue 4).


@bp.get("/access/<uuid:grant_id>/review")
def review(grant_id: str) -> Response | str:
    grant = _own_grant(grant_id)
    now = boundary.now()
    if not grants.needs_review(grant, now):
        return redirect(url_for("claimant.access"), 303)
    return _review_page(grant, ReviewForm(), {}, now)


def _review_page(grant: Grant, form: ReviewForm, errors: dict[str, str], now: datetime) -> str:
    """The review question, with the evidence first: what they did since it was last approved."""
    since = grant.reviewed_at or grant.created_at
    activity = (
        audit.activity_since(grant.id, since, news.WRITE_ACTIONS)
        if grant.kind == grants.ACCESS
        else None
    )
    return render_template(
        "claimant/review.html",
        grant=grant,
        form=form,
        errors=errors,
        state=grants.state_at(grant, now),
        since=since,
        activity=activity,
    )


@bp.post("/access/<uuid:grant_id>/review")
def confirm_review(grant_id: str) -> Response | tuple[str, int]:
    grant = _own_grant(grant_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    now, by = boundary.now(), f"claimant:{g.claimant.id}"
    try:
        if form.choice.data == "keep":
            grants.confirm_review(grant, by=by, now=now, signer=boundary.services().tokens)
        else:
            grants.end_at_review(grant, by=by, now=now, signer=boundary.services().tokens)
    except grants.GrantRefused as refusal:
        boundary.undo()
        return _review_page(grant, form, {"choice": str(refusal)}, now), 400
    until, name = day(grant.ends_at), grant.representative_name
    if form.choice.data == "keep" and grant.kind == grants.CONTACT:
        flash(_("We will keep contacting %(name)s until %(date)s", name=name, date=until))
    elif form.choice.data == "keep":
        flash(_("You kept %(name)s's access until %(date)s", name=name, date=until))
    elif grant.kind == grants.CONTACT:
        flash(_("We will not contact %(name)s any more", name=name))
    else:
        flash(_("%(name)s can no longer see your journal", name=name))
    return redirect(url_for("claimant.access"), 303)


@bp.route("/contact/new", methods=["GET", "POST"])
def name_contact() -> Response | str | tuple[str, int]:
    form = ContactForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        now = boundary.now()
        ends_at = grants.add_months(now, int(form.months.data or 0))
        address, copies = form.address.data or "", form.copies.data or ()
        if form.confirmed.data == "yes":
            by = f"claimant:{g.claimant.id}"
            try:
                grant = grants.create_contact(
                    g.claimant,
                    name=form.name.data or "",
                    relationship=form.relationship.data or "",
                    scope_names=form.scopes.data or (),
                    purpose=form.purpose.data or "",
                    ends_at=ends_at,
                    now=now,
                    signer=boundary.services().tokens,
                )
                # Issue 23: where copies go; a code goes there first (broker/messages/nominated.py).
                sent_to = nominated.attach(
                    grant, typed_address=address, kinds=copies, by=by, now=now
                )
            except grants.GrantRefused as refusal:
                boundary.undo()
                errors[getattr(refusal, "field", "months")] = str(refusal)
            else:
                name = grant.representative_name
                if sent_to is not None:
                    flash(
                        _(
                            "We sent %(name)s a code. Ask them for it and type it in below. "
                            "We send them nothing else until then.",
                            name=name,
                        )
                    )
                else:
                    flash(_("We can now contact %(name)s about your claim", name=name))
                return redirect(url_for("claimant.access"), 303)
        else:
            try:
                chosen = grants.parse_contact_scopes(form.scopes.data or ())
                checked = nominated.check(chosen, address, copies)
            except grants.GrantRefused as refusal:
                errors[getattr(refusal, "field", "scopes")] = str(refusal)
            else:
                return render_template(
                    "claimant/name_contact_confirm.html",
                    form=form,
                    chosen=[scopes.CONTACT_SCOPES[n] for n in chosen],
                    ends_at=ends_at,
                    copies=checked,
                )
    else:
        errors = first_errors(form)
    return render_template(
        "claimant/name_contact.html",
        form=form,
        errors=errors,
        contact_scopes=scopes.CONTACT_SCOPES,
        kinds=contact.KINDS,
    ), (400 if errors else 200)


@bp.get("/contact/<uuid:grant_id>/stop")
def confirm_stop_contact(grant_id: str) -> str:
    grant = _own_grant(grant_id, grants.CONTACT)
    return render_template("claimant/confirm_stop_contact.html", grant=grant, form=ConfirmForm())


@bp.post("/contact/<uuid:grant_id>/stop")
def stop_contact(grant_id: str) -> Response:
    grant = _own_grant(grant_id, grants.CONTACT)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    grants.revoke(
        grant, by=f"claimant:{g.claimant.id}", now=boundary.now(), signer=boundary.services().tokens
    )
    flash(_("We will not contact %(name)s any more", name=grant.representative_name))
    return redirect(url_for("claimant.access"), 303)


# Proof (issue 8): a signed receipt for each change to a grant, and the claimant's own copy of
# their access history.


@bp.get("/access/<uuid:grant_id>/receipts")
def grant_receipts(grant_id: str) -> str:
    grant = _own_grant(grant_id)
    rows = receipts.for_grant(g.claimant.id, grant.id)
    shown = [(row, receipts.payload_of(row, boundary.services().key_set())) for row in rows]
    ended = grants.state_at(grant, boundary.now()) in grants.ENDED
    return render_template("claimant/grant_receipts.html", grant=grant, receipts=shown, ended=ended)


@bp.get("/receipts/<uuid:receipt_id>.json")
def download_receipt(receipt_id: str) -> Response:
    row = receipts.for_claimant(g.claimant.id, receipt_id)
    if row is None:
        abort(404)
    document = {
        "receipt": receipts.payload_of(row, boundary.services().key_set()),
        "jws": row.jws,
    }
    return _attachment(json.dumps(document, indent=2), f"receipt-{row.id}.json", "application/json")


@bp.get("/history.csv")
def history_csv() -> Response:
    """The history for a spreadsheet, as the page says it: plain words, UK time, no codes."""
    by_id, events, titles = _history(limit=history_copy.MOST_EVENTS)
    rows = [wording.history_row(e, by_id[str(e["grant_id"])], titles) for e in events]
    body = history_copy.as_csv(wording.history_header(), rows)
    return _attachment(body, "access-history.csv", "text/csv")


@bp.get("/history.json")
def history_json() -> Response:
    document = history_copy.signed_copy(
        g.claimant, now=boundary.now(), services=boundary.services()
    )
    return _attachment(json.dumps(document, indent=2), "access-history.json", "application/json")


# "This wasn't right" (issue 27 item 3): any line of the claimant's own history; another
# claimant's line is 404, never a hint that it exists (casework/disputes.py does the rest).


@bp.route("/history/lines/<line>/wrong", methods=["GET", "POST"])
def dispute_line(line: str) -> Response | str | tuple[str, int]:
    # A line's number, not an ID (so not a UUID); a string in the rule, not <int:>: anything
    # that is not a line's number is the same 404.
    try:
        event = disputes.event_of(g.claimant.id, _line_number(line))
    except disputes.EventNotFound:
        abort(404)
    grant = disputes.grant_of(event)
    already = disputes.open_for(event)
    form = DisputeForm()
    errors: dict[str, str] = {}
    if already is None and form.validate_on_submit():
        try:
            dispute = disputes.open_dispute(
                g.claimant,
                event,
                words=form.words.data or "",
                signer=boundary.services().tokens,
                now=boundary.now(),
            )
        except disputes.DisputeRefused as refusal:
            boundary.undo()
            errors[refusal.field] = str(refusal)
        else:
            return redirect(url_for("claimant.dispute", dispute_id=dispute.id))
    errors = {**first_errors(form), **errors}
    page = render_template(
        "claimant/dispute_line.html",
        event=event,
        at=clock.from_micros(event.occurred_us),
        grant=grant,
        live=grant is not None and grants.state_at(grant, boundary.now()) in disputes.PAUSABLE,
        already=already,
        form=form,
        errors=errors,
    )
    return (page, 400) if errors else page


def _line_number(text: str) -> int:
    """The audit event's number, or 0 (no line) for anything else: too long for the column
    (PostgreSQL's bigint) included."""
    return int(text) if text.isascii() and text.isdecimal() and len(text) <= 18 else 0


@bp.get("/history/disputes/<uuid:dispute_id>")
def dispute(dispute_id: str) -> str:
    row = _own_dispute(dispute_id)
    event = disputes.event_of(row.claimant_id, row.event_id)
    return render_template(
        "claimant/dispute.html",
        dispute=row,
        event=event,
        at=clock.from_micros(event.occurred_us),
        grant=disputes.grant_of(event),
    )


@bp.get("/history/disputes/<uuid:dispute_id>/outcome.json")
def dispute_outcome(dispute_id: str) -> Response:
    """The signed outcome as a file /verify (and `verify-statement`) checks: JSON, like a
    receipt, with its readable copy beside the JWS."""
    row = _own_dispute(dispute_id)
    document = disputes.outcome_file(row)
    if document is None:
        abort(404)
    return _attachment(json.dumps(document, indent=2), f"dispute-{row.id}.json", "application/json")


def _own_dispute(dispute_id: str) -> Dispute:
    row = disputes.one(g.claimant.id, str(dispute_id))
    if row is None:
        abort(404)
    return row


def _attachment(body: str, filename: str, mimetype: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition})


# "Is this caller really from DWP?" (issue 15, seed 002): the checks a caller started, shown with
# their code on the claimant's home page and here; reloading is the no-JavaScript way to check.


@bp.get("/who-is-calling")
def who_is_calling() -> str:
    return render_template(
        "claimant/who_is_calling.html", caller_checks=_caller_checks_on_phone(boundary.now())
    )


@bp.post("/who-is-calling/<uuid:check_id>/not-genuine")
def report_caller(check_id: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        caller_checks.report_not_genuine(g.claimant.id, check_id, now=boundary.now())
    except caller_checks.CheckNotFound:
        boundary.undo()
        abort(404)
    return redirect(url_for("claimant.report_caller_done", check_id=check_id), 303)


@bp.get("/who-is-calling/<uuid:check_id>/not-genuine")
def report_caller_done(check_id: str) -> str:
    try:
        check = caller_checks.for_claimant(g.claimant.id, check_id)
    except caller_checks.CheckNotFound:
        abort(404)
    if check.reported_at is None:
        abort(404)
    return render_template("claimant/report_caller_done.html", check=check)


def _caller_checks_on_phone(now: datetime) -> list[CallerCheck]:
    """The live checks the phone is about to show. Showing one for the first time, and noticing
    one has run out, are audited first, in a unit of their own (a GET reads, and on SQLite a
    write must begin its own transaction): if that fails, nothing is shown."""
    claimant_id = g.claimant.id  # read now: the unit below must begin with its write
    if caller_checks.needs_noting(claimant_id, now):
        boundary.apart(lambda: caller_checks.note_on_phone(claimant_id, now=now))
    return caller_checks.live_for_claimant(claimant_id, now)


# Check with me before they send anything (issue 16): drafts waiting on the home page, Send it
# or Don't send, and the setting on each consent card.


def _waiting_drafts(now: datetime) -> list[tuple[MRDraft, Grant, str | None, bool | None]]:
    """Each draft waiting for this claimant, its consent, why it cannot be sent (if so), and in
    a couple claim whether their partner will be able to read it (None when there is no
    partner): security.md 78."""
    couple = g.claimant.partner_id is not None
    waiting = []
    for found in drafts.pending_for_claimant(g.claimant.id, now):
        grant = grants.for_claimant(g.claimant.id, found.grant_id)
        partner_reads = not drafts.sensitive(found) if couple else None
        waiting.append((found, grant, drafts.blocked_by(found, grant, now), partner_reads))
    return waiting


@bp.post("/drafts/<uuid:draft_id>/send")
def send_draft(draft_id: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    now = boundary.now()
    try:
        sent = drafts.approve(g.claimant.id, str(draft_id), now=now)
    except drafts.DraftNotFound:
        abort(404)
    except drafts.NotSendable as refusal:
        flash(_draft_refusals()[refusal.reason])
        return redirect(url_for("claimant.home"), 303)
    # Its proof of lodging, committed with it or neither (security.md 86).
    lodging.issue_sent(g.claimant, sent, now=now, services=boundary.services())
    flash(_("Sent. DWP will now look at the decision again."))
    return redirect(url_for("claimant.draft_sent", draft_id=draft_id), 303)


@bp.get("/drafts/<uuid:draft_id>/sent")
def draft_sent(draft_id: str) -> str:
    """What the claimant sees once they sent it: its proof of lodging, to keep."""
    row = lodging.of_draft(g.claimant.id, str(draft_id))
    if row is None:
        abort(404)
    return render_template(
        "claimant/draft_sent.html",
        document=row,
        code=documents.shown(documents.code_of(row.id, boundary.services())),
    )


@bp.post("/drafts/<uuid:draft_id>/decline")
def decline_draft(draft_id: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        drafts.decline(g.claimant.id, str(draft_id), now=boundary.now())
    except drafts.DraftNotFound:
        abort(404)
    flash(_("Not sent. We told them you said no."))
    return redirect(url_for("claimant.home"), 303)


@bp.post("/access/<uuid:grant_id>/check-first")
def set_check_first(grant_id: str) -> Response:
    grant = _own_grant(grant_id, grants.ACCESS)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    on = request.form.get("check") == "on"
    drafts.set_checking(grant, on, by=f"claimant:{g.claimant.id}", now=boundary.now())
    if on:
        flash(_("We will ask you before %(name)s sends anything.", name=grant.representative_name))
    else:
        flash(_("%(name)s can now send things without asking you.", name=grant.representative_name))
    return redirect(url_for("claimant.access"), 303)


def _draft_refusals() -> dict[str, str]:
    return {
        "decided": _("You already said yes or no to this."),
        "expired": _("This was not sent. It was too late: you had 7 days."),
        "access_ended": _("You cannot send this. Their access has ended or is paused."),
    }
