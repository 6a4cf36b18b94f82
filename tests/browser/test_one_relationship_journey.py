"""One relationship, one switch, in real Chromium on a 320 px phone with JavaScript off: Alex
gives Priya access with her code, then approves Priya's QR request; Alex sees one card that
shows the change. One "Stop access" then refuses Priya's console and any token under her grant,
and both refusals are on Alex's audit chain."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

import scopes
from broker.extensions import db
from broker.models import AuditEvent, Grant
from tests.browser.conftest import LAPTOP, NARROW_PHONE, new_page, sign_in_page
from tests.conftest import sign_in
from tests.factories import issue_token, make_adviser, make_claimant, make_decision
from tests.oauth.helpers import CODE, ask

pytestmark = pytest.mark.browser


@pytest.fixture
def people(app, ctx):  # noqa: ANN001, ANN201
    alex = make_claimant("Alex Morgan")
    make_decision(alex, "Limited capability for work")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    found = (alex.account.username, alex.id, priya.account.username, priya.code)
    db.session.rollback()  # SQLite: hold no snapshot while the live server writes
    return found


def outcomes(claimant_id: str) -> list[tuple[str, str]]:
    db.session.rollback()
    rows = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.claimant_id == claimant_id).order_by(AuditEvent.seq)
    )
    return [(row.action, row.outcome) for row in rows]


def test_code_then_qr_gives_one_card_and_one_stop_ends_everything(
    app, browser, live_server, people
):
    alex_login, alex_id, priya_login, priya_code = people
    phone = new_page(browser, live_server, NARROW_PHONE)
    sign_in_page(phone, alex_login)
    phone.get_by_role("button", name="Give someone access").first.click()
    phone.get_by_label("Their adviser code").fill(priya_code)
    phone.get_by_label("Your reconsideration decisions").check()
    phone.get_by_label("3 months").check()
    phone.get_by_label("Why do they need it?").fill("Help with my appeal")
    phone.get_by_label("Who are they to you?").fill("My welfare rights adviser")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("button", name="Give access").click()

    console = app.test_client()
    sign_in(console, priya_login)
    user_code = CODE.search(console.get(ask(console)).text).group(1)
    db.session.rollback()
    phone.goto(f"/device?user_code={user_code}")

    expect(phone.get_by_role("heading", level=1)).to_have_text("Priya Shah asks for a change")
    expect(phone.get_by_label(re.compile("^Keep the same end date"))).to_be_checked()
    phone.get_by_role("button", name="Yes, agree").click()
    expect(phone.get_by_role("alert")).to_contain_text("You changed what Priya Shah can see")
    phone.goto("/access")
    expect(phone.get_by_role("link", name=re.compile("^Stop access for Priya Shah"))).to_have_count(
        1
    )
    expect(phone.locator("main")).to_contain_text(scopes.lookup("journal:read").sentence_in("en"))

    db.session.rollback()
    grant = db.session.scalar(db.select(Grant).where(Grant.claimant_id == alex_id))
    token, _ = issue_token(grant, client_id="northside-case-system")
    grant_id = grant.id
    db.session.rollback()
    api = f"{live_server}/api/v1/mr-decisions"
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(api, headers=bearer, timeout=10).status_code == 200

    phone.get_by_role("link", name=re.compile("^Stop access for Priya Shah")).click()
    phone.get_by_role("button", name="Yes, stop access").click()
    expect(phone.get_by_role("alert")).to_contain_text("Priya Shah can no longer see your journal")

    refused = requests.get(api, headers=bearer, timeout=10)
    laptop = new_page(browser, live_server, LAPTOP)
    sign_in_page(laptop, priya_login)
    opened = laptop.goto(f"/adviser/clients/{grant_id}")

    assert refused.status_code == 401
    assert opened.status == 403
    trail = outcomes(alex_id)
    assert ("mr.list", "refused:grant_inactive") in trail
    assert ("console.open", "refused:grant_inactive") in trail
    assert [a for a, _ in trail if a.startswith("grant.")] == [
        "grant.create",
        "grant.amend",
        "grant.revoke",
    ]
    phone.context.close()
    laptop.context.close()
