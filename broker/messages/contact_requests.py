"""A relative or friend asks to be a claimant's nominated contact (issue 23, seed 004: "a simple
request ... sat in another DWP computer system for a period of 4 months").

On a public page they give the claimant's reference, their own name, who they are to the
claimant, and an email address or UK mobile number. A 6-digit code sent there proves the address
is theirs; then they get a short code (like an adviser's user code, broker/consent/device.py) to
give the claimant, who answers on their phone: yes (with the code) makes them the contact, with
copies of what the claimant chooses; no ends it. Until then the request waits where the claimant
and staff see it, with its age; after WAITING_TOO_LONG working days it is on staff's "waiting too
long" list, so it never sits unseen again.

Nothing on the way tells the asker the claimant's name. A reference that is not a claim's is a
wrong try, counted per address like adviser codes. The request's steps are events on the
claimant's chain once the asker has proved their address.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _

from .. import clock, i18n, ratelimit
from ..chain import audit
from ..chain.keys import Signer
from ..consent import device, grants
from ..db import new_id
from ..extensions import db
from ..i18n import N_
from ..models import Claimant, ContactRequest, Grant
from ..opaque import hash_secret
from ..people import records
from . import contact, nominated, notify

UNCONFIRMED, WAITING, APPROVED, DECLINED = "unconfirmed", "waiting", "approved", "declined"
WAITING_TOO_LONG = 5  # working days without an answer, then staff's list shows it
REQUESTS_PER_ADDRESS = 3  # new requests (each sends a code) to one address per hour
REQUESTS_PER_ASKER = 10  # new requests from one network address per hour
REQUESTS_WINDOW = timedelta(hours=1)

NAME_MISSING = N_("Enter your full name")
RELATIONSHIP_MISSING = N_("Say who you are to them")
REFERENCE_UNKNOWN = N_("We cannot find a claim with that reference. Check it with them")
ANSWER_CODE_WRONG = N_("That code is not right. Ask them for the code again")
NOT_WAITING = N_("This request has been answered already")


class RequestRefused(ValueError):
    """The request cannot be made as asked; `field` names the form's field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class RequestNotFound(LookupError):
    pass


def start(
    *,
    reference: str,
    name: str,
    relationship: str,
    typed_address: str,
    language: str,
    attempt_keys: list[str],
    asker_keys: list[str],
    now: datetime,
) -> ContactRequest:
    """A new request, its address not yet proved, and the code that proves it on its way.
    RequestRefused for a missing fact, an address that is neither an email address nor a UK
    mobile number (nothing is sent), or a reference that is no claim's (the try is counted per
    `attempt_keys`: the caller keeps it); ratelimit.TooManyAttempts, also once `asker_keys`
    made REQUESTS_PER_ASKER requests or the address was sent REQUESTS_PER_ADDRESS codes within
    the hour. Adds, no commit."""
    name, relationship = " ".join(name.split()), " ".join(relationship.split())
    if not name:
        raise RequestRefused("name", NAME_MISSING)
    if not relationship:
        raise RequestRefused("relationship", RELATIONSHIP_MISSING)
    try:
        channel, address = contact.parse_address(typed_address)
    except contact.AddressRefused as refusal:
        raise RequestRefused("address", contact.ADDRESS_ERRORS[str(refusal)]) from None
    claimant = ratelimit.guess(
        attempt_keys, lambda: records.claimant_by_reference(reference), now=now
    )
    if claimant is None:
        raise RequestRefused("reference", REFERENCE_UNKNOWN)
    sent_to = [f"contact-request-sent:{address}"]
    ratelimit.check(sent_to, limit=REQUESTS_PER_ADDRESS, window=REQUESTS_WINDOW, now=now)
    ratelimit.check(asker_keys, limit=REQUESTS_PER_ASKER, window=REQUESTS_WINDOW, now=now)
    ratelimit.record_failure(sent_to + asker_keys, now=now)
    request = ContactRequest(
        claimant_id=claimant.id,
        name=name,
        relationship=relationship,
        channel=channel,
        address=address,
        language=i18n.known(language),
        status=UNCONFIRMED,
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    _send_code(request, now)
    return request


def _send_code(request: ContactRequest, now: datetime) -> None:
    code = nominated.new_code()
    request.code_hash = hash_secret(code)
    request.code_expires_at = now + timedelta(minutes=nominated.CODE_MINUTES)
    with force_locale(request.language):
        body = _(
            "Your code is %(code)s. Enter it on the page where you asked to get copies of "
            "messages about someone's claim. It works for %(minutes)d minutes. If you did not "
            "ask, ignore this message.",
            code=code,
            minutes=nominated.CODE_MINUTES,
        )
    notify.queue_to_address(
        account_id=request.claimant_id,
        kind=notify.REQUEST_CODE,
        body=body,
        channel=request.channel,
        address=request.address,
        language=request.language,
        contact_grant_id=None,
        dedupe_key=f"{notify.REQUEST_CODE}:{request.id}:{new_id()}",
        now=now,
    )


def resend(request: ContactRequest, *, now: datetime) -> None:
    """A new code to the asker's address while it is not proved; limited per address."""
    if request.status != UNCONFIRMED:
        return
    sent_to = [f"contact-request-sent:{request.address}"]
    ratelimit.check(sent_to, limit=REQUESTS_PER_ADDRESS, window=REQUESTS_WINDOW, now=now)
    ratelimit.record_failure(sent_to, now=now)
    _send_code(request, now)


def get(request_id: str) -> ContactRequest:
    found = db.session.get(ContactRequest, request_id)
    if found is None:
        raise RequestNotFound(request_id)
    return found


def confirm_address(request: ContactRequest, typed: str, *, now: datetime) -> str:
    """The asker's address is proved by the code sent to it: the request now waits for the
    claimant, who is told; returns the short code for the asker to give them (shown once).
    nominated.CodeRefused (the try counted) or ratelimit.TooManyAttempts. No commit."""
    if request.status != UNCONFIRMED:
        raise RequestRefused("code", NOT_WAITING)
    if not nominated.digits_of(typed):
        raise nominated.CodeRefused(nominated.CODE_MISSING)

    def right_code() -> ContactRequest | None:
        if request.code_expires_at is None or now >= request.code_expires_at:
            return None
        return request if nominated.code_matches(typed, request.code_hash) else None

    found = ratelimit.guess([f"contact-request-code:{request.id}"], right_code, now=now)
    if found is None:
        raise nominated.CodeRefused(nominated.CODE_WRONG)
    audit.lock_head(db.session.connection(), request.claimant_id)
    request.status, request.confirmed_at = WAITING, now
    request.code_hash = request.code_expires_at = None
    answer = _new_answer_code(request)
    _audit(request, f"requester:{request.id}", "contact_request.made", "done", now)
    claimant = db.session.get(Claimant, request.claimant_id)
    assert claimant is not None  # a foreign key
    with force_locale(i18n.known(claimant.account.language)):
        body = _(
            "%(name)s (%(relationship)s) asks to get copies of messages about your claim. "
            "Ask them for their code. Then answer in 'Who can see your journal'. "
            "If you do not know them, say no.",
            name=request.name,
            relationship=request.relationship,
        )
    notify.queue(
        account_id=claimant.id,
        kind="contact_request",
        body=body,
        dedupe_key=f"contact_request:{request.id}",
        now=now,
    )
    return answer


def new_answer_code(request: ContactRequest) -> str:
    """A new short code for the asker to give the claimant (the old one stops working)."""
    if request.status != WAITING:
        raise RequestRefused("code", NOT_WAITING)
    return _new_answer_code(request)


def _new_answer_code(request: ContactRequest) -> str:
    code = device.new_user_code()
    request.answer_code_hash = hash_secret(code)
    db.session.flush()
    return device.display(code)


def waiting_for(claimant_id: str) -> list[ContactRequest]:
    """The requests waiting for this claimant's answer, oldest first."""
    return list(
        db.session.scalars(
            db.select(ContactRequest)
            .where(ContactRequest.claimant_id == claimant_id, ContactRequest.status == WAITING)
            .order_by(ContactRequest.confirmed_at, ContactRequest.id)
        )
    )


def for_claimant(claimant_id: str, request_id: str) -> ContactRequest:
    """One request to this claimant; RequestNotFound for anyone else's, or an unproved one."""
    found = db.session.get(ContactRequest, request_id)
    if found is None or found.claimant_id != claimant_id or found.status == UNCONFIRMED:
        raise RequestNotFound(request_id)
    return found


def approve(
    request: ContactRequest,
    claimant: Claimant,
    *,
    typed_code: str,
    scope_names: Sequence[str],
    kinds: Sequence[str],
    months: int,
    purpose: str,
    signer: Signer,
    now: datetime,
) -> Grant:
    """The claimant says yes with the asker's short code: the asker becomes their nominated
    contact (replacing any other), their proved address gets the copies chosen. CodeRefused
    (the wrong try counted and audited: the caller keeps it), ratelimit.TooManyAttempts,
    grants.GrantRefused. No commit."""
    by = f"claimant:{claimant.id}"
    if request.status != WAITING:
        raise RequestRefused("code", NOT_WAITING)
    typed = device.normalise_user_code(typed_code)
    if not typed:
        raise nominated.CodeRefused(N_("Enter the code they gave you"))

    def right_code() -> ContactRequest | None:
        given = request.answer_code_hash or ""
        return request if hmac.compare_digest(hash_secret(typed), given) else None

    found = ratelimit.guess([f"contact-request-answer:{request.id}"], right_code, now=now)
    if found is None:
        _audit(request, by, "contact_request.approve", "refused:wrong_code", now)
        raise nominated.CodeRefused(ANSWER_CODE_WRONG)
    nominated.check(scope_names, request.address, kinds)  # before anything changes
    grant = grants.create_contact(
        claimant,
        name=request.name,
        relationship=request.relationship,
        scope_names=scope_names,
        purpose=purpose,
        ends_at=grants.add_months(now, months),
        now=now,
        signer=signer,
    )
    nominated.attach(
        grant,
        typed_address=request.address,
        kinds=kinds,
        by=by,
        now=now,
        confirmed_at=request.confirmed_at,
    )
    request.status, request.answered_at, request.answered_by = APPROVED, now, by
    request.grant_id, request.answer_code_hash = grant.id, None
    db.session.flush()
    _audit(request, by, "contact_request.approve", "done", now, grant_id=grant.id)
    return grant


def decline(request: ContactRequest, claimant: Claimant, *, now: datetime) -> None:
    """The claimant says no: the request ends, nothing is sent to the asker. No commit."""
    if request.status != WAITING:
        raise RequestRefused("code", NOT_WAITING)
    by = f"claimant:{claimant.id}"
    audit.lock_head(db.session.connection(), claimant.id)
    request.status, request.answered_at, request.answered_by = DECLINED, now, by
    request.answer_code_hash = None
    db.session.flush()
    _audit(request, by, "contact_request.decline", "done", now)


def waiting_for_demo(
    claimant: Claimant,
    *,
    name: str,
    relationship: str,
    address: str,
    answer_code: str,
    since: datetime,
) -> ContactRequest:
    """A request whose asker proved their address at `since` and gave the claimant
    `answer_code` (the README prints it): the demo's, so its age shows. Audited; no commit."""
    channel, checked = contact.parse_address(address)
    request = ContactRequest(
        claimant_id=claimant.id,
        name=name,
        relationship=relationship,
        channel=channel,
        address=checked,
        language=i18n.DEFAULT_LANGUAGE,
        status=WAITING,
        created_at=since,
        confirmed_at=since,
        answer_code_hash=hash_secret(device.normalise_user_code(answer_code)),
    )
    db.session.add(request)
    db.session.flush()
    _audit(request, f"requester:{request.id}", "contact_request.made", "done", since)
    return request


# How long a request has waited


def working_days_between(start: date, end: date) -> int:
    """Monday-to-Friday days after `start`, up to and including `end` (bank holidays count as
    working days: the broker holds no calendar of them, so the list errs on the early side)."""
    if end <= start:
        return 0
    weeks, extra = divmod((end - start).days, 7)
    count = weeks * 5
    for offset in range(1, extra + 1):
        if (start + timedelta(days=offset)).weekday() < 5:
            count += 1
    return count


@dataclass(frozen=True)
class Age:
    days: int  # calendar days since it began to wait (UK days)
    working_days: int

    @property
    def too_long(self) -> bool:
        return self.working_days > WAITING_TOO_LONG


def age_of(request: ContactRequest, now: datetime) -> Age:
    since = clock.uk_day(request.confirmed_at or request.created_at)
    today = clock.uk_day(now)
    return Age((today - since).days, working_days_between(since, today))


def _too_long_cutoff(now: datetime) -> datetime:
    """The start of the latest UK day a request could have begun waiting on and be too long
    waiting today: WAITING_TOO_LONG + 1 working days back from today."""
    today = clock.uk_day(now)
    day = today
    while working_days_between(day, today) <= WAITING_TOO_LONG:
        day -= timedelta(days=1)
    return clock.start_of(day + timedelta(days=1))


def waiting_too_long(now: datetime, *, limit: int = 500) -> list[tuple[ContactRequest, Claimant]]:
    """Every request nobody has answered for more than WAITING_TOO_LONG working days, with its
    claimant, the longest waiting first."""
    rows = db.session.execute(
        db.select(ContactRequest, Claimant)
        .join(Claimant, Claimant.id == ContactRequest.claimant_id)
        .where(
            ContactRequest.status == WAITING, ContactRequest.confirmed_at < _too_long_cutoff(now)
        )
        .order_by(ContactRequest.confirmed_at, ContactRequest.id)
        .limit(limit)
    ).all()
    return [(request, claimant) for request, claimant in rows]


def _audit(
    request: ContactRequest,
    by: str,
    action: str,
    outcome: str,
    now: datetime,
    *,
    grant_id: str = "",
) -> None:
    event = audit.untokened(
        request.claimant_id,
        by,
        action,
        f"contact_request:{request.id}",
        outcome=outcome,
        grant_id=grant_id,
    )
    audit.append(event, now=now)
