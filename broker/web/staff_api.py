"""The consent banner as JSON for other DWP staff systems: /api/v1/staff/...

Staff systems are machines, so they authenticate with a staff API key (broker.people.staff_keys)
sent as `Authorization: Bearer <key>` (RFC 6750 2.1). A staff member's session cookie is not a
credential here, and neither is an adviser's access token: both are refused with 401. Each read
is an audit event in the claimant's chain, naming the key that made it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, g, jsonify, request
from werkzeug.wrappers import Response

from .. import inputs
from ..casework import caller_checks, decisions
from ..casework.journal import iso
from ..consent import grants, windows
from ..extensions import csrf
from ..messages import contact as contact_preferences
from ..models import Grant
from ..oauth.protect import Refused
from ..people import provisioning, records, staff_keys
from . import boundary
from .errors import json_error
from .guarded import bearer_token

bp = Blueprint("staff_api", __name__, url_prefix="/api/v1/staff")
csrf.exempt(bp)  # a bearer key, not a cookie: nothing for a cross-site form to ride on

RECORDED_BY = {"claimant": "claimant_online", "staff": "staff_by_phone", "oauth": "oauth"}


@bp.before_request
def require_staff_key() -> None:
    """Every route here needs a live staff API key; anything else is 401."""
    key = staff_keys.authenticate(bearer_token())
    if key is None:
        boundary.undo()
        raise Refused(401, "invalid_token", "A valid staff API key is required", "refused:key")
    g.staff_key = key


# Claimants provisioned by DWP's systems (issue 25): created with the details DWP holds, and
# those details kept up to date; each creation and change is on the claimant's chain.

NEW_CLAIMANT_FIELDS = ("reference", "name", "language", "email", "mobile")
CHANGEABLE_FIELDS = ("name", "language", "email", "mobile")


@bp.post("/claimants")
def provision_claimant() -> tuple[Response, int]:
    try:
        details = provisioning.parse(_json_object(), allowed=NEW_CLAIMANT_FIELDS)
        claimant = provisioning.provision(details, by=_system(), now=boundary.now())
    except (provisioning.DetailsRefused, provisioning.AlreadyThere) as refusal:
        return _field_refused(refusal)
    return jsonify(provisioning.as_json(claimant)), 201


@bp.patch("/claimants/<reference>")
def change_claimant(reference: str) -> tuple[Response, int]:
    claimant = records.claimant_by_reference(reference)
    if claimant is None:
        raise Refused(404, "not_found", "No claimant has that reference", "refused:not_found")
    try:
        details = provisioning.parse(_json_object(), allowed=CHANGEABLE_FIELDS)
        provisioning.change(claimant, details, by=_system(), now=boundary.now())
    except (provisioning.DetailsRefused, provisioning.AlreadyThere) as refusal:
        return _field_refused(refusal)
    return jsonify(provisioning.as_json(claimant)), 200


def _field_refused(
    refusal: provisioning.DetailsRefused | provisioning.AlreadyThere,
) -> tuple[Response, int]:
    """400 for a bad field, 409 for a taken one: the OAuth-style error, and the field's name."""
    boundary.undo()
    conflict = isinstance(refusal, provisioning.AlreadyThere)
    body = {
        "error": "conflict" if conflict else "invalid_request",
        "error_description": str(refusal),
        "field": refusal.field,
    }
    return jsonify(body), 409 if conflict else 400


def _system() -> str:
    return f"staff-system:{g.staff_key.id}"


@bp.get("/claimants/<reference>/consents")
@boundary.writes_on_get  # each read is an audit event
def claimant_consents(reference: str) -> Response:
    claimant = records.claimant_by_reference(reference)
    if claimant is None:
        raise Refused(404, "not_found", "No claimant has that reference", "refused:not_found")
    now = boundary.now()
    # On the chain before anything is read, in the same transaction (fail closed).
    records.audit_read(claimant, g.staff_key, action=records.CONSENTS_READ, now=now)
    every = grants.all_for_claimant(claimant.id)
    contact = grants.live_contact(claimant.id, now)
    body = {
        "reference": claimant.reference,
        "as_of": iso(now),
        "contact_through": (
            {
                "name": contact.representative_name,
                "relationship": contact.relationship,
                "state": grants.state_at(contact, now),
            }
            if contact
            else None
        ),
        "additional_support": (
            {"description": claimant.additional_support} if claimant.additional_support else None
        ),
        "consents": [consent_json(grant, now) for grant in every],
        # Issue 15: how the claimant wants to hear from us, and in which language.
        "contact_preferences": {
            **contact_preferences.of(claimant.id).as_json(),
            "language": claimant.account.language,
        },
    }
    return jsonify(body)


def consent_json(grant: Grant, now: datetime) -> dict[str, Any]:
    """One grant as the banner shows it, with its state computed at `now`."""
    staff = grant.recorded_by_staff
    return {
        "id": grant.id,
        "kind": grant.kind,
        "state": grants.state_at(grant, now),
        "representative": {
            "name": grant.representative_name,
            "organisation": grant.organisation_name or None,
        },
        "relationship": grant.relationship,
        "information": [
            {"scope": s.name, "description": s.staff_title()} for s in grants.scopes_of(grant)
        ],
        "purpose": grant.purpose,
        # Issue 16: the date window, UK days inclusive; null is open at that end.
        **windows.of(grant).as_json(),
        "started_at": iso(grant.starts_at),
        "review_at": iso(grant.review_at),
        "ends_at": iso(grant.ends_at),
        # Access that ends when the case does (broker/consent/case_tied.py): the event it waits
        # for, and whether it came (then ends_at is decision date + 31 days, or the earlier cap).
        "until_event": grant.until_event,
        "until_event_happened": bool(grant.event_decision_id),
        "recorded_by": {
            "how": RECORDED_BY.get(grant.recorded_by, grant.recorded_by),
            "staff_name": staff.name if staff else None,
        },
        "suspended": (
            {"at": iso(grant.suspended_at), "reason": grant.suspension_reason}
            if grant.status == grants.SUSPENDED and grant.suspended_at
            else None
        ),
        "ended": (
            {"at": iso(grant.ended_at), "reason": grant.end_reason} if grant.ended_at else None
        ),
    }


# "Is this caller really from DWP?" (issue 15, seed 002): a telephony system starts a caller check
# for the person at the phone, and reads the code back to show them.


@bp.post("/claimants/<reference>/caller-checks")
def start_caller_check(reference: str) -> Response | tuple[Response, int]:
    claimant = records.claimant_by_reference(reference)
    if claimant is None:
        raise Refused(404, "not_found", "No claimant has that reference", "refused:not_found")
    body = _json_object()
    name = body.get("caller_name")
    if not isinstance(name, str):
        raise Refused(
            400, "invalid_request", "Give caller_name: the name of the person calling", "refused"
        )
    try:
        caller = caller_checks.Caller.staff_system(g.staff_key, name)
        check = caller_checks.start(claimant.id, caller, now=boundary.now())
    except caller_checks.TooManyStarts as refusal:
        boundary.undo()
        response = json_error(429, "too_many_requests", str(refusal))
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response
    except caller_checks.CheckRefused as refusal:
        raise Refused(400, "invalid_request", str(refusal), "refused") from None
    return jsonify(
        id=check.id,
        code=check.code,
        expires_at=iso(check.expires_at),
        caller={"name": check.caller_name, "organisation": check.organisation},
    ), 201


ANSWER_MAX_CHARS = 20  # as openapi.json says; a code is 4 digits


@bp.post("/claimants/<reference>/caller-checks/<uuid:check_id>/answer")
def answer_caller_check(reference: str, check_id: str) -> Response | tuple[Response, int]:
    """The claimant read their second code to the person at the phone, who typed it into the
    telephony system (issue 27). Only the key that started the check may answer it."""
    claimant = records.claimant_by_reference(reference)
    if claimant is None:
        raise Refused(404, "not_found", "No claimant has that reference", "refused:not_found")
    typed = _json_object().get("code")
    if not isinstance(typed, str) or not typed.strip() or len(typed) > ANSWER_MAX_CHARS:
        raise Refused(
            400, "invalid_request", "Give code: the code the claimant read to you", "refused"
        )
    actor = caller_checks.system_actor(g.staff_key)
    try:
        caller_checks.confirm(claimant.id, check_id, actor, typed.strip(), now=boundary.now())
    except caller_checks.CheckNotFound:
        raise Refused(404, "not_found", "No such caller check", "refused:not_found") from None
    except caller_checks.CheckOver:
        raise Refused(
            409, "check_ended", "This caller check has ended; start a new one", "refused"
        ) from None
    except caller_checks.WrongAnswer as wrong:
        response = json_error(422, "wrong_code", str(wrong))  # the try is committed, audited
        return response
    return jsonify(confirmed=True), 200


def _json_object() -> dict[str, Any]:
    """The request's JSON object, through the one JSON boundary (security.md 30)."""
    if not request.is_json:
        raise Refused(400, "invalid_request", "Send a JSON object (application/json)", "refused")
    try:
        body = inputs.load_json(request.get_data(cache=False))
    except inputs.BadInput as refusal:
        raise Refused(400, "invalid_request", str(refusal), "refused") from None
    if not isinstance(body, dict):
        raise Refused(400, "invalid_request", "Send a JSON object (application/json)", "refused")
    return body


# A decision arrives from DWP's systems (issue 15): added to the journal, and everyone watching
# for one is told (broker/casework/decisions.py).


@bp.post("/claimants/<reference>/mr-decisions")
def add_mr_decision(reference: str) -> tuple[Response, int]:
    claimant = records.claimant_by_reference(reference)
    if claimant is None:
        raise Refused(404, "not_found", "No claimant has that reference", "refused:not_found")
    payload = _json_object()
    outcome, decided_on = payload.get("outcome"), payload.get("decided_on")
    subject, body = payload.get("subject", ""), payload.get("body", "")
    if not all(isinstance(v, str) for v in (outcome, decided_on, subject, body)):
        raise Refused(
            400,
            "invalid_request",
            "outcome and decided_on are required strings; subject and body are optional strings",
            "refused:bad_request",
        )
    try:
        decision = decisions.add_mr_decision(
            claimant,
            outcome=outcome,
            decided_on=decisions.parse_day(decided_on),
            subject=subject,
            body=body,
            by=f"staff-system:{g.staff_key.id}",
            now=boundary.now(),
            signer=boundary.services().tokens,
        )
    except decisions.DecisionRefused as refusal:
        boundary.undo()
        if refusal.field is None:
            raise Refused(400, "invalid_request", str(refusal), "refused:bad_request") from None
        # The field at fault named, as for a claimant's details (security.md 70).
        body = {"error": "invalid_request", "error_description": str(refusal)}
        return jsonify({**body, "field": refusal.field}), 400
    return jsonify(decisions.as_json(decision)), 201
