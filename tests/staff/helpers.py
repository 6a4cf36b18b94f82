"""Shared by the staff, lifecycle, couples and browser tests: grants in each state, staff sign-in,
and a check that a page is well formed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

from flask.testing import FlaskClient

from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.models import Adviser, Claimant, Grant, OutboxMessage, StaffMember
from tests.conftest import csrf_from, sign_in
from tests.factories import chain_events, make_grant, messages_to, record_by_phone, signer

DAY = timedelta(days=1)


# What the staff record calls each state grant_in_state makes.
STATE_WORDS = {
    "current": "Current",
    "review_overdue": "Review overdue",
    "suspended": "Suspended",
    "revoked": "Revoked",
    "expired": "Expired",
}


def grant_in_state(
    state: str,
    claimant: Claimant,
    adviser: Adviser,
    staff: StaffMember,
    now: datetime | None = None,
) -> Grant:
    """A grant that grants.state_at reports as `state` at `now`, made through the domain rules."""
    now = now or clock.now()
    if state == "current":
        return make_grant(claimant, adviser, now=now)
    if state == "review_overdue":
        grant = phone_grant(claimant, adviser, staff, now=now - 40 * DAY, months=3)
        return grant
    if state == "suspended":
        grant = make_grant(claimant, adviser, now=now - DAY)
        grants.suspend(
            grant,
            staff=staff,
            reason="Claimant says the adviser was not chosen by them",
            now=now - DAY / 2,
            signer=signer(),
        )
        db.session.commit()
        return grant
    if state == "revoked":
        grant = make_grant(claimant, adviser, now=now - 2 * DAY)
        grants.revoke(grant, by=f"claimant:{claimant.id}", now=now - DAY, signer=signer())
        db.session.commit()
        return grant
    if state == "expired":
        return make_grant(claimant, adviser, months=1, now=now - 40 * DAY)
    raise ValueError(state)


def phone_grant(
    claimant: Claimant,
    adviser: Adviser,
    staff: StaffMember,
    *,
    now: datetime,
    months: int = 3,
    review_months: int = 1,
    scope_names: str = "mr:read journal:read",
) -> Grant:
    return record_by_phone(
        claimant,
        adviser,
        staff=staff,
        scope_names=scope_names,
        purpose="Help with a Mandatory Reconsideration",
        relationship="Welfare rights adviser",
        months=months,
        review_months=review_months,
        now=now,
    )


def contact_grant(
    claimant: Claimant,
    staff: StaffMember | None = None,
    *,
    now: datetime,
    name: str = "Jo Morgan",
    relationship: str = "Daughter",
    months: int = 6,
    review_months: int = 1,
) -> Grant:
    if staff is not None:
        return record_by_phone(
            claimant,
            grants.Representative(name),
            staff=staff,
            scope_names="contact:phone contact:letters",
            purpose="I find phone calls hard",
            relationship=relationship,
            months=months,
            review_months=review_months,
            kind=grants.CONTACT,
            now=now,
        )
    grant = grants.create_contact(
        claimant,
        name=name,
        relationship=relationship,
        scope_names="contact:phone contact:letters",
        purpose="I find phone calls hard",
        ends_at=grants.add_months(now, months),
        now=now,
        signer=signer(),
    )
    db.session.commit()
    return grant


# Consent a claimant gives on a call, as staff type it into the record's form: the five facts.
PHONE_FACTS = {
    "consented": "y",
    "name": "Ruth Evans",
    "organisation": "Eastgate Housing Association",
    "relationship": "Housing support officer",
    "scopes": ["mr:read", "payments:read"],
    "purpose": "To help with rent arrears",
    "months": "6",
    "review_months": "1",
}


def phone_consent_path(claimant: Claimant) -> str:
    return f"/staff/claimants/{claimant.reference}/consent/new"


def signed_in_staff(app, staff: StaffMember) -> FlaskClient:  # noqa: ANN001
    client = app.test_client()
    sign_in(client, staff.account.username)
    return client


def post_form(
    client: FlaskClient,
    path: str,
    data: dict[str, object] | None = None,
    form_page: str | None = None,
):  # noqa: ANN201
    """POST with the CSRF token taken from the page the form is on (GET `form_page` or `path`)."""
    page = client.get(form_page or path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf_token": csrf_from(page.text), **(data or {})})


# The alert a claimant gets whenever access is given in their name (issue 23): every grant the
# factories make sends one, so the lists below leave it out (tests/claimant/test_access_alert.py).
ACCESS_ALERT = "access_given"


def outbox(account_id: str) -> list[OutboxMessage]:
    """The account's messages, oldest first, without the access-given alert."""
    return [message for message in messages_to(account_id) if message.kind != ACCESS_ALERT]


def audit_actions(claimant_id: str) -> list[str]:
    return [action for (action,) in chain_events(claimant_id, "%", "action")]


def fresh(grant: Grant) -> Grant:
    db.session.expire_all()
    return db.session.get(Grant, grant.id)


_ID_RE = re.compile(r'\sid="([^"]+)"')
_H1_RE = re.compile(r"<h1[\s>]")
_EXTERNAL_RE = re.compile(r'(?:src|href|action)="(?:https?:)?//', re.I)


def assert_page(response, status: int = 200) -> str:  # noqa: ANN001
    """A well-formed page: status, one h1, unique ids, no external URLs, no-store, no framing."""
    assert response.status_code == status, response.text[:2000]
    html = response.text
    assert len(_H1_RE.findall(html)) == 1, "a page has exactly one h1"
    ids = _ID_RE.findall(html)
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == [], f"duplicate ids: {duplicates}"
    assert not _EXTERNAL_RE.search(html), "no external URLs"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    return html


_SUMMARY_LINK_RE = re.compile(r'<li><a href="#([^"]+)">([^<]*)</a></li>')


def error_summary(html: str) -> list[tuple[str, str]]:
    """The error summary's links, in the order it lists them: (the id each points at, message)."""
    start = html.index('class="govuk-error-summary"')
    body = html[start : html.index("</ul>", start)]
    return [(ident, unescape(message)) for ident, message in _SUMMARY_LINK_RE.findall(body)]


def text_of(html: str) -> str:
    """The page's words with tags removed and whitespace collapsed, for plain-text assertions."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())
