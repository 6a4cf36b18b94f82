"""The claimant's journeys on a phone with JavaScript off: at 375x667, and the key ones on a
320-pixel screen too. Each asserts what the claimant sees, and what changed behind it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from broker.extensions import db
from broker.models import AuditEvent, Grant
from tests.browser.conftest import (
    NARROW_PHONE,
    PHONE,
    assert_fits,
    new_page,
    open_menu,
    sign_in_page,
)
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
    record_by_phone,
)

pytestmark = pytest.mark.browser

SIZES = pytest.mark.parametrize("viewport", [PHONE, NARROW_PHONE], ids=["375", "320"])


@pytest.fixture
def alex(ctx):  # noqa: ANN001, ANN201
    return make_claimant("Alex Morgan")


def _phone(browser, live_server: str, viewport: dict[str, int]):  # noqa: ANN001, ANN202
    page = new_page(browser, live_server, viewport)
    yield page
    page.context.close()


@pytest.fixture
def screen(request, browser, live_server):  # noqa: ANN001, ANN201
    """A phone with JavaScript off at the parametrised size (375 unless told)."""
    callspec = getattr(request.node, "callspec", None)
    viewport = callspec.params.get("viewport", PHONE) if callspec else PHONE
    yield from _phone(browser, live_server, viewport)


@SIZES
def test_the_claimant_signs_in_and_lands_on_their_home_page(alex, screen, viewport):
    sign_in_page(screen, alex.account.username)

    expect(screen.get_by_role("heading", level=1)).to_have_text("Hello, Alex Morgan")
    expect(screen.get_by_text("Nobody can see your journal.")).to_be_visible()
    expect(screen.get_by_role("button", name="Give someone access")).to_be_visible()
    assert_fits(screen)


def test_a_wrong_password_is_explained_and_the_field_is_linked(alex, screen):
    sign_in_page(screen, alex.account.username, password="not-my-password")

    summary = screen.get_by_role("alert")
    expect(summary).to_contain_text("The email address or password is wrong")
    summary.get_by_role("link").click()
    expect(screen.locator("#username")).to_be_focused()


@SIZES
def test_the_claimant_gives_access_by_typing_the_advisers_code(alex, screen, viewport):
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    db.session.rollback()
    sign_in_page(screen, alex.account.username)

    screen.get_by_role("button", name="Give someone access").click()
    screen.get_by_label("Their adviser code").fill(adviser.code.lower())
    screen.get_by_label("Your reconsideration decisions").check()
    screen.get_by_label("3 months").check()
    screen.get_by_label("Why do they need it?").fill("Help with my appeal")
    screen.get_by_label("Who are they to you?").fill("My welfare rights adviser")
    assert_fits(screen)
    screen.get_by_role("button", name="Continue").click()

    expect(screen.get_by_role("heading", level=1)).to_have_text("Check before you give access")
    facts = screen.locator("dl.govuk-summary-list").inner_text()
    order = [
        "Priya Shah, Northside Citizens Advice",
        "See what we decided",
        "3 months. It ends on",
        "Help with my appeal",
    ]  # who, what, how long, why: in that order
    assert [facts.index(fact) for fact in order] == sorted(facts.index(fact) for fact in order)
    assert_fits(screen)
    screen.get_by_role("button", name="Give access").click()

    expect(screen.get_by_role("alert")).to_contain_text("Priya Shah can now see what you chose")
    db.session.rollback()
    grant = db.session.scalars(db.select(Grant)).one()
    assert (grant.adviser_id, grant.scopes, grant.status) == (adviser.id, "mr:read", "active")


def test_a_mistyped_code_is_explained_next_to_the_field(alex, screen):
    sign_in_page(screen, alex.account.username)

    screen.goto("/access/new")
    screen.get_by_label("Their adviser code").fill("ZZZ-0000")
    screen.get_by_label("Your payments").check()
    screen.get_by_label("1 month").check()
    screen.get_by_label("Why do they need it?").fill("Help with my appeal")
    screen.get_by_label("Who are they to you?").fill("Adviser")
    screen.get_by_role("button", name="Continue").click()

    expect(screen).to_have_title(re.compile("^Error: Give someone access"))
    expect(screen.locator("#adviser_code-error")).to_contain_text("We cannot find an adviser")
    db.session.rollback()
    assert db.session.scalars(db.select(Grant)).all() == []


@SIZES
def test_the_claimant_sees_who_can_see_what_until_when_and_why(alex, screen, viewport):
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(alex, priya, "mr:read journal:read", months=3)
    db.session.rollback()
    sign_in_page(screen, alex.account.username)

    open_menu(screen)
    screen.get_by_role("link", name="Who can see your journal").first.click()

    card = screen.locator(".govuk-summary-card", has_text="Priya Shah, Northside Citizens Advice")
    expect(card).to_contain_text("See what we decided when you asked us to look again")
    expect(card).to_contain_text("Read the messages in your journal. Health and abuse notes")
    expect(card).to_contain_text(f"{grant.ends_at.day} ")
    expect(card).to_contain_text("Help with an appeal")
    expect(card).to_contain_text("Current")
    assert_fits(screen)


@SIZES
def test_the_claimant_stops_one_advisers_access(alex, screen, viewport):
    grant = make_grant(alex, make_adviser("Priya Shah", "Northside Citizens Advice"))
    other = make_grant(alex, make_adviser("Tom Reed", "Riverside Law Centre"))
    token, _ = issue_token(grant)
    db.session.rollback()
    sign_in_page(screen, alex.account.username)

    screen.goto("/access")
    screen.get_by_role("link", name="Stop access for Priya Shah").click()
    expect(screen.get_by_role("heading", level=1)).to_have_text("Stop access for Priya Shah?")
    assert_fits(screen)
    screen.get_by_role("button", name="Yes, stop access").click()

    expect(screen.get_by_role("alert")).to_contain_text("Priya Shah can no longer see your journal")
    expect(screen.locator(".govuk-summary-card")).to_have_count(1)
    expect(screen.locator(".govuk-summary-card")).to_contain_text("Tom Reed")
    db.session.rollback()
    assert db.session.get(Grant, grant.id).status == "revoked"
    assert db.session.get(Grant, other.id).status == "active"


def test_the_claimant_changes_what_an_adviser_can_see(app, alex, screen):
    grant = make_grant(alex, make_adviser("Priya Shah", "Northside Citizens Advice"))
    token, _ = issue_token(grant)
    db.session.rollback()
    sign_in_page(screen, alex.account.username)

    screen.goto("/access")
    screen.get_by_role("link", name="Change what they can see for Priya Shah").click()
    expect(screen.get_by_role("heading", level=1)).to_have_text("Change what Priya Shah can see")
    expect(screen.get_by_label("Your reconsideration decisions")).to_be_checked()
    expect(screen.get_by_label("Your journal", exact=True)).to_be_checked()
    assert_fits(screen)
    screen.get_by_label("Your journal", exact=True).uncheck()
    screen.get_by_role("button", name="Save changes").click()

    expect(screen.get_by_role("alert")).to_contain_text(
        "Priya Shah can now see less. They can still see: your reconsideration decisions."
    )
    card = screen.locator(".govuk-summary-card", has_text="Priya Shah")
    expect(card).to_contain_text("See what we decided when you asked us to look again")
    expect(card).not_to_contain_text("Read the messages in your journal")
    db.session.rollback()
    assert db.session.get(Grant, grant.id).scopes == "mr:read"
    assert app.test_client().get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 401

    # One thing left: nothing to untick but everything, so Stop access is what is offered.
    expect(
        screen.get_by_role("link", name="Change what they can see for Priya Shah")
    ).to_have_count(0)
    expect(card).to_contain_text("They can see one thing. To take it away, stop their access.")
    expect(card.get_by_role("link", name="Stop access for Priya Shah")).to_be_visible()


@SIZES
def test_stop_all_access_ends_every_grant_after_one_confirmation(app, alex, screen, viewport):
    priya = make_grant(alex, make_adviser("Priya Shah", "Northside Citizens Advice"))
    tom = make_grant(alex, make_adviser("Tom Reed", "Riverside Law Centre"), "payments:read")
    token, _ = issue_token(priya)
    db.session.rollback()
    sign_in_page(screen, alex.account.username)

    screen.goto("/access")
    screen.get_by_role("link", name="Stop all access").click()
    expect(screen.get_by_role("heading", level=1)).to_have_text("Stop all access?")
    expect(screen.get_by_role("main")).to_contain_text("Priya Shah, Northside Citizens Advice")
    expect(screen.get_by_role("main")).to_contain_text("Tom Reed, Riverside Law Centre")
    assert_fits(screen)
    db.session.rollback()
    assert {g.status for g in db.session.scalars(db.select(Grant))} == {"active"}  # not yet
    screen.get_by_role("button", name="Yes, stop all access").click()

    expect(screen.get_by_role("alert")).to_contain_text("You stopped all access")
    expect(screen.get_by_text("Nobody can see your journal now.")).to_be_visible()
    db.session.rollback()
    assert {g.status for g in db.session.scalars(db.select(Grant))} == {"revoked"}
    revokes = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "grant.revoke"))
    assert {e.grant_id for e in revokes} == {priya.id, tom.id}
    db.session.rollback()
    assert app.test_client().get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 401


def test_stop_all_without_its_csrf_token_changes_nothing(app, alex):
    from tests.conftest import sign_in

    make_grant(alex, make_adviser())
    client = app.test_client()
    sign_in(client, alex.account.username)

    response = client.post("/access/stop-all")

    assert response.status_code == 400
    db.session.rollback()
    assert {g.status for g in db.session.scalars(db.select(Grant))} == {"active"}


@SIZES
def test_the_claimant_sees_what_each_adviser_looked_at(app, alex, screen, viewport):
    priya = make_grant(alex, make_adviser("Priya Shah", "Northside Citizens Advice"), "mr:read")
    tom = make_grant(alex, make_adviser("Tom Reed", "Riverside Law Centre"), "payments:read")
    decision = make_decision(alex, "Housing costs element")
    priya_token, priya_jti = issue_token(priya)
    tom_token, tom_jti = issue_token(tom)
    api = app.test_client()
    api.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(priya_token))
    api.get("/api/v1/payments", headers=bearer(tom_token))
    api.get("/api/v1/journal", headers=bearer(tom_token))  # not granted: refused, and shown
    db.session.rollback()
    sign_in_page(screen, alex.account.username)

    open_menu(screen)
    screen.get_by_role("link", name="What they looked at").click()

    priya_part = _section(screen, "Priya Shah, Northside Citizens Advice")
    tom_part = _section(screen, "Tom Reed, Riverside Law Centre")
    expect(priya_part).to_contain_text("Read a reconsideration decision: Housing costs element")
    expect(priya_part).not_to_contain_text(priya_jti)  # the full ID is in the downloads
    priya_part.get_by_text("Details if you want to complain").first.click()
    expect(priya_part.locator(".app-token-ref").first).to_have_text(priya_jti[:8])
    expect(tom_part).to_contain_text("Looked at your payments")
    expect(tom_part).to_contain_text("Refused")
    expect(tom_part).not_to_contain_text("Housing costs element")
    assert_fits(screen)


def _section(page, heading: str):  # noqa: ANN001, ANN202
    """The list of events under one adviser's heading on the history page."""
    return page.locator(f"h2:text-is('{heading}') + ol")


def test_what_happened_since_the_last_sign_in_is_on_the_home_page_once(
    app, alex, screen, frozen_clock
):
    from tests.factories import make_staff

    priya = make_grant(
        alex, make_adviser("Priya Shah", "Northside Citizens Advice"), "mr:read mr:request"
    )
    db.session.rollback()
    sign_in_page(screen, alex.account.username)  # Alex gave Priya access: that is not news
    expect(screen.get_by_role("heading", level=1)).to_have_text("Hello, Alex Morgan")
    expect(screen.get_by_role("region", name="Since you last signed in")).to_have_count(0)
    open_menu(screen)
    screen.get_by_role("button", name="Sign out").click()
    expect(screen.get_by_role("heading", level=1)).to_have_text("You have signed out")
    screen.get_by_role("link", name="Sign in again").click()
    expect(screen.get_by_role("heading", level=1)).to_have_text("Sign in")
    db.session.rollback()  # SQLite: drop the snapshot taken before the sign-in wrote

    frozen_clock.advance(days=3)
    token, _ = issue_token(priya)
    app.test_client().post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": "LCW", "reasons": "Wrong"},
    )
    tom = make_adviser("Tom Reed", "Riverside Law Centre")
    record_by_phone(alex, tom, staff=make_staff("Jordan Lee"))
    frozen_clock.advance(days=1)
    db.session.rollback()

    sign_in_page(screen, alex.account.username)
    news = screen.get_by_role("region", name="Since you last signed in")
    expect(news).to_contain_text("Priya Shah asked us to look again at a decision for you")
    expect(news).to_contain_text("DWP staff noted that you gave Tom Reed access")
    open_menu(screen)
    screen.get_by_role("button", name="Sign out").click()

    sign_in_page(screen, alex.account.username)
    expect(screen.get_by_role("heading", level=1)).to_have_text("Hello, Alex Morgan")
    expect(screen.get_by_role("region", name="Since you last signed in")).to_have_count(0)
