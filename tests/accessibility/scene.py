"""A claimant with something on every page, and the list of claimant pages to visit in a browser.

Shared by the accessibility, page-weight and screenshot tests: Alex Morgan has given Priya Shah
(Northside Citizens Advice) access online, and Priya has read an MR decision and lodged an MR
request; DWP staff recorded consent for Tom Reed by phone, and opened the record (so the history
has a staff line); an earlier grant has ended.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from broker import clock
from broker.casework import decisions, watches
from broker.consent import grants
from broker.extensions import db
from broker.models import Adviser, Claimant, DeviceAuthorization, Grant
from broker.people import records
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
    record_by_phone,
    signer,
)


@dataclass
class Scene:
    claimant: Claimant
    priya: Adviser
    priya_grant: Grant
    tom_grant: Grant | None
    user_code: str | None  # an adviser's open QR-code request, when the OAuth pages exist


def build(app: Flask, frozen_clock=None) -> Scene:  # noqa: ANN001
    """Create the scene through the app's own functions and API; leaves no transaction open.

    With the frozen clock, time then moves on 20 days, so Tom's phone consent (review after one
    month) is due for its review and the review page and banner show.
    """
    claimant = make_claimant("Alex Morgan")
    if frozen_clock is not None:
        frozen_clock.advance(minutes=1)  # what happens next is after the account was made
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    old = make_grant(claimant, make_adviser("Sam Green", "Eastside Advice"), "todo:read", months=1)
    grants.revoke(old, by=f"claimant:{claimant.id}", now=clock.now(), signer=signer())
    db.session.commit()
    grant = make_grant(claimant, priya, "mr:read mr:request", months=3)
    decision = make_decision(claimant, "Limited capability for work")
    token, _jti = issue_token(grant)
    api = app.test_client()
    api.get("/api/v1/mr-decisions", headers=bearer(token))
    api.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))
    request = {"decision_about": "Limited capability for work", "reasons": "It is wrong."}
    api.post("/api/v1/mr-requests", headers=bearer(token), json=request)
    _told_of_a_decision(grant, _jti)
    tom_grant = _phone_grant(claimant)
    if frozen_clock is not None:
        frozen_clock.advance(days=20)
    user_code = _device_request(app, priya)
    db.session.rollback()  # the live server must not wait on a transaction held here
    return Scene(claimant, priya, grant, tom_grant, user_code)


def _told_of_a_decision(grant: Grant, token_id: str) -> None:
    """Priya watches for decisions and one arrives (issue 15), so the history says she was told."""
    watches.set_for_demo(grant, token_id=token_id, now=clock.now())
    decisions.add_mr_decision(
        grant.claimant,
        outcome="not_changed",
        decided_on=clock.uk_day(clock.now()),
        subject="Housing costs",
        by="system:test",
        now=clock.now(),
        signer=signer(),
    )
    db.session.commit()


def _phone_grant(claimant: Claimant) -> Grant | None:
    if not hasattr(grants, "record_by_phone"):
        return None
    from tests.factories import make_staff

    tom = make_adviser("Tom Reed", "Riverside Law Centre")
    jordan = make_staff("Jordan Lee")
    grant = record_by_phone(
        claimant,
        tom,
        staff=jordan,
        scope_names="mr:read journal:read",
        purpose="Help with a Mandatory Reconsideration",
        relationship="Welfare rights adviser",
        review_months=1,
    )
    records.audit_read(claimant, jordan, action=records.RECORD_READ, now=clock.now())
    db.session.commit()
    return grant


def _device_request(app: Flask, adviser: Adviser) -> str | None:
    """An adviser asks by QR code (issue 3's console), so the phone has a request to answer."""
    if "adviser.ask" not in app.view_functions:
        return None
    console = app.test_client()
    sign_in(console, adviser.account.username)
    form = console.get("/adviser/ask")
    console.post(
        "/adviser/ask",
        data={
            "csrf_token": csrf_from(form.text),
            "scopes": ["mr:read", "journal:read"],
            "months": "3",
            "purpose": "Help with your appeal",
            "relationship": "Welfare rights adviser",
        },
    )
    request = db.session.scalars(db.select(DeviceAuthorization)).first()
    db.session.rollback()
    return f"{request.user_code[:4]}-{request.user_code[4:]}" if request else None


@dataclass(frozen=True)
class ClaimantPage:
    name: str
    open: Callable[[object, Scene], None]  # (Playwright page, scene): go there as a user would
    signed_in: bool = True


def _goto(path: str) -> Callable[[object, Scene], None]:
    return lambda page, _scene: page.goto(path)


def _follow(page, target) -> None:  # noqa: ANN001
    """Click a link or a submit button and wait for the page it leads to: a check that runs
    before the new page has arrived finds no document (`documentElement` is null)."""
    with page.expect_navigation():
        target.click()


def _give_access_errors(page, _scene: Scene) -> None:  # noqa: ANN001
    page.goto("/access/new")
    _follow(page, page.locator("form[action='/access/new'] button[type=submit]"))


def _confirm_access(page, scene: Scene) -> None:  # noqa: ANN001
    page.goto("/access/new")
    page.locator("#adviser_code").fill(scene.priya.code)
    page.locator("input[name=scopes][value='journal:read']").check()
    page.locator("input[name=months][value='3']").check()
    page.locator("#purpose").fill("Help with my appeal")
    page.locator("#relationship").fill("My welfare rights adviser")
    _follow(page, page.locator("form[action='/access/new'] button[type=submit]"))


def _revoke(page, scene: Scene) -> None:  # noqa: ANN001
    page.goto(f"/access/{scene.priya_grant.id}/revoke")


def _narrow_access(page, scene: Scene) -> None:  # noqa: ANN001
    page.goto("/access")
    _follow(page, page.locator(f"a[href='/access/{scene.priya_grant.id}/change']"))


def _device(page, scene: Scene) -> None:  # noqa: ANN001
    page.goto(f"/device?user_code={scene.user_code}")


def _receipts(page, scene: Scene) -> None:  # noqa: ANN001
    page.goto("/access")
    _follow(page, page.locator(f"a[href='/access/{scene.priya_grant.id}/receipts']"))


def _first_letter(page, _scene: Scene) -> None:  # noqa: ANN001
    page.goto("/letters")
    _follow(page, page.locator("#letters a").first)


def _preferences_errors(page, _scene: Scene) -> None:  # noqa: ANN001
    page.goto("/contact-preferences")
    page.locator("#reminders-sms").check()
    page.locator("#mobile").fill("12345")
    _follow(page, page.locator("form[action='/contact-preferences'] button[type=submit]"))


def pages(app: Flask, scene: Scene) -> list[ClaimantPage]:
    """Every claimant page that exists in this build, reached the way a claimant reaches it."""
    found = [
        ClaimantPage("sign-in", _goto("/sign-in"), signed_in=False),
        ClaimantPage("signed-out", _goto("/signed-out"), signed_in=False),
        ClaimantPage("home", _goto("/")),
        ClaimantPage("access", _goto("/access")),
        ClaimantPage("give-access", _goto("/access/new")),
        ClaimantPage("give-access-errors", _give_access_errors),
        ClaimantPage("confirm-access", _confirm_access),
        ClaimantPage("confirm-revoke", _revoke),
        ClaimantPage("narrow-access", _narrow_access),
        ClaimantPage("stop-all", _goto("/access/stop-all")),
        ClaimantPage("history", _goto("/history")),
        ClaimantPage("receipts", _receipts),
        ClaimantPage("not-found", _goto("/no-such-page")),
    ]
    endpoints = app.view_functions
    if "claimant.review" in endpoints and scene.tom_grant is not None:
        review = f"/access/{scene.tom_grant.id}/review"
        found.append(ClaimantPage("review", _goto(review)))
    if "claimant.name_contact" in endpoints:
        found.append(ClaimantPage("contact", _goto("/contact/new")))
    if "claimant.who_is_calling" in endpoints:  # issue 15: nobody is calling in this scene
        found.append(ClaimantPage("who-is-calling", _goto("/who-is-calling")))
    if "consent.device_code" in endpoints:
        found.append(ClaimantPage("device-code", _goto("/device")))
        if scene.user_code:
            found.append(ClaimantPage("device-consent", _device))
    if "contact.letters_list" in endpoints:  # issue 15: the letters inbox and preferences
        found.append(ClaimantPage("letters", _goto("/letters")))
        found.append(ClaimantPage("letter", _first_letter))
        found.append(ClaimantPage("contact-preferences", _goto("/contact-preferences")))
        found.append(ClaimantPage("contact-preferences-errors", _preferences_errors))
    return found


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
