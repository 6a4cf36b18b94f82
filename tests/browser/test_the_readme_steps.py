"""The README's "What to try first", followed step by step in a browser against `make run`'s demo
data (issue 23: the README's steps are a test). Alex is on a phone with JavaScript off; Priya, then
Jordan, then Tom use a second, laptop-sized window with JavaScript on. Every label the test
clicks, every name and code it types and every line it expects to see is first looked up in the
README's own step, in bold, in quotes or as code, so that changing the README or the screen
without the other fails here."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from broker import clock
from broker.extensions import db
from broker.models import AccessToken, Account, Grant
from tests.browser.conftest import LAPTOP, PHONE, new_page, open_menu, sign_in_page

pytestmark = pytest.mark.browser

README = Path(__file__).resolve().parents[2] / "README.md"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - the README's demo sign-ins
QUOTED = re.compile(r'\*\*(.+?)\*\*|"(.+?)"|`(.+?)`')
WAIT_FOR_THE_POLL = 20_000  # ms: Priya's page asks every few seconds whether Alex has answered


def readme_steps() -> dict[int, str]:
    """The numbered steps under "### What to try first", each on one line."""
    section = README.read_text(encoding="utf-8").split("### What to try first\n", 1)[1]
    listed = section[section.index("\n1. ") + 1 :].split("\n\n", 1)[0]
    return {
        int(number): " ".join(text.split())
        for number, text in re.findall(r"^(\d+)\. (.*?)(?=^\d+\. |\Z)", listed, re.M | re.S)
    }


STEPS = readme_steps()


def said(step: int, words: str) -> str:
    """`words`, once step `step` of the README is seen to give them in bold, quotes or as code."""
    given = {
        next(part for part in match.groups() if part) for match in QUOTED.finditer(STEPS[step])
    }
    assert words in given, f'README, "What to try first", step {step} no longer says "{words}"'
    return words


@pytest.fixture
def demo(ctx, runner):  # noqa: ANN001, ANN201
    """`make run`'s data: the test database is built by `db upgrade heads`, as `make run` builds
    its own, and then seeded by the same command."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    db.session.rollback()  # hold no transaction open while the live server answers


def _priyas_grant_for_alex() -> Grant:
    db.session.rollback()  # see what the live server committed
    priya = db.session.scalar(
        db.select(Account).where(Account.username == "priya@northside.example")
    )
    alex = db.session.scalar(db.select(Account).where(Account.username == "alex@example.com"))
    return db.session.scalar(
        db.select(Grant).where(Grant.adviser_id == priya.id, Grant.claimant_id == alex.id)
    )


def _tokens(grant_id: str) -> list[AccessToken]:
    """The access tokens issued under the grant, oldest first, as the live server left them."""
    db.session.rollback()
    return list(
        db.session.scalars(
            db.select(AccessToken)
            .where(AccessToken.grant_id == grant_id)
            .order_by(AccessToken.issued_at, AccessToken.jti)
        )
    )


def _go(page, name: str) -> None:  # noqa: ANN001
    """Follow a link in the menu, as the claimant would on a phone."""
    open_menu(page)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=name).click()


def test_the_readme_steps_work_on_the_demo_data(browser, live_server, demo, runner):
    assert sorted(STEPS) == list(range(1, 8)), "a step was added or removed: walk it here too"
    alex = new_page(browser, live_server, PHONE)
    other = new_page(browser, live_server, LAPTOP, javascript=True)

    # 1. Alex gives Priya access on the phone, and is alerted.
    sign_in_page(alex, said(1, "alex@example.com"), DEMO_PASSWORD)
    alex.get_by_role("button", name=said(1, "Give someone access")).click()
    alex.get_by_label(said(1, "Their adviser code")).fill(said(1, "NSA-4821"))
    alex.get_by_label(said(1, "Your reconsideration decisions")).check()
    alex.get_by_label(said(1, "3 months")).check()
    alex.get_by_label(said(1, "Why do they need it?")).fill("Help with my reconsideration")
    alex.get_by_label(said(1, "Who are they to you?")).fill("My welfare rights adviser")
    alex.get_by_role("button", name=said(1, "Continue")).click()
    expect(alex.get_by_role("heading", level=1)).to_have_text("Check before you give access")
    alex.get_by_role("button", name=said(1, "Give access")).click()
    expect(alex.get_by_text("Priya Shah can now see what you chose")).to_be_visible()
    _go(alex, said(1, "Your letters"))
    alex.get_by_role("link", name=said(1, "Priya Shah has access to your journal")).click()
    letter = alex.locator("main")
    expect(letter).to_contain_text(said(1, "If this was not you, stop it now"))
    expect(letter).to_contain_text("Email")  # it goes by email too, not only to the inbox
    grant_id = _priyas_grant_for_alex().id
    expect(letter).to_contain_text(f"/access/{grant_id}/revoke")  # the link that stops it

    # 2. Priya reads Alex's decisions through the API; the journal is not hers to see.
    sign_in_page(other, said(2, "priya@northside.example"), DEMO_PASSWORD)
    expect(other.get_by_role("heading", level=1)).to_have_text(said(2, "My clients"))
    other.get_by_role("link", name="Alex Morgan").click()
    expect(other.locator("main h3.govuk-summary-card__title")).to_have_count(3)  # "three"
    expect(
        other.get_by_text(said(2, "Your client has not let you see their journal."))
    ).to_be_visible()
    assert [token.scopes for token in _tokens(grant_id)] == ["mr:read"]  # issued under the grant

    # 3. Priya asks for the journal too; Alex agrees to the change on the phone.
    other.get_by_role("link", name=said(3, "Ask a client for access")).click()
    other.get_by_label(said(3, "Your reconsideration decisions")).check()
    other.get_by_label(said(3, "Your journal"), exact=True).check()
    other.get_by_label(said(3, "3 months")).check()
    other.get_by_label(said(3, "Why do you need access?")).fill("To help with your appeal")
    other.get_by_label(said(3, "Who are you to your client?")).fill("Welfare rights adviser")
    other.get_by_role("button", name=said(3, "Show the code")).click()
    code_page = other.locator("main").inner_text()
    link = re.search(r"The link in the QR code is (\S+)", code_page).group(1)
    code = re.search(r"type this code:\s+(\S+)", code_page).group(1)
    assert said(3, "/device") in link and code in link
    alex.goto(f"{urlsplit(link).path}?{urlsplit(link).query}")
    expect(alex.get_by_role("heading", level=1)).to_have_text(
        said(3, "Priya Shah asks for a change")
    )
    expect(alex.locator("main")).to_contain_text("Now they can see or do this")
    offered = alex.locator("main input[type=checkbox]")
    expect(offered).to_have_count(1)
    expect(alex.get_by_label(said(3, "Your journal"), exact=True)).to_be_checked()
    expect(alex.get_by_label(re.compile("^" + said(3, "Keep the same end date")))).to_be_checked()
    expect(alex.get_by_role("button", name=said(3, "No, keep it as it is"))).to_be_visible()
    alex.get_by_role("button", name=said(3, "Yes, agree")).click()
    expect(alex.get_by_role("heading", level=1)).to_have_text(said(3, "Who can see your journal"))
    card = alex.locator(".govuk-summary-card", has_text="Priya Shah, Northside Citizens Advice")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("See what we decided when you asked us to look again")
    expect(card).to_contain_text("Read the messages in your journal")
    card.get_by_role("link", name=re.compile("^" + said(3, "Receipts"))).click()
    expect(alex.locator("main")).to_contain_text(said(3, "You agreed to a change"))
    expect(other.get_by_role("heading", level=1)).to_have_text(
        "Alex Morgan", timeout=WAIT_FOR_THE_POLL
    )
    expect(other.get_by_role("table", name="Journal entries, newest first")).to_be_visible()

    # 4. Alex sees each read and its reference, takes the journal away, then stops it all.
    _go(alex, said(4, "What they looked at"))
    expect(alex.locator("main")).to_contain_text("Looked at your reconsideration decisions")
    alex.get_by_text(said(4, "Details if you want to complain")).first.click()
    reference = alex.locator(".app-token-ref").first.inner_text()
    expect(alex.locator("main")).to_contain_text(f"{said(4, 'Reference')}: {reference}")
    before = _tokens(grant_id)
    assert len(reference) == 8 and reference in {token.jti[:8] for token in before}
    _go(alex, said(4, "Who can see your journal"))
    alex.get_by_role("link", name=f"{said(4, 'Change what they can see')} for Priya Shah").click()
    alex.get_by_label(said(4, "Your journal"), exact=True).uncheck()
    alex.get_by_role("button", name=said(4, "Save changes")).click()
    expect(alex.get_by_text("Priya Shah can now see less")).to_be_visible()
    assert all(token.revoked_at for token in _tokens(grant_id))  # at once
    other.reload()
    expect(
        other.get_by_text(said(2, "Your client has not let you see their journal."))
    ).to_be_visible()
    newest = _tokens(grant_id)[-1]
    assert newest.jti not in {token.jti for token in before} and newest.scopes == "mr:read"
    other.get_by_role("navigation", name="Menu").get_by_role(
        "link", name=said(2, "My clients")
    ).click()
    changes = other.locator("main")
    expect(changes.get_by_role("heading", name=said(4, "Changes to your access"))).to_be_visible()
    expect(changes).to_contain_text("Alex Morgan changed your access to their journal")
    alex.get_by_role("link", name=f"{said(4, 'Stop access')} for Priya Shah").click()
    alex.get_by_role("button", name=said(4, "Yes, stop access")).click()
    expect(alex.get_by_text("Priya Shah can no longer see your journal")).to_be_visible()
    assert all(token.revoked_at for token in _tokens(grant_id))
    other.go_back()  # to Alex's page, as Priya's next look
    other.reload()
    expect(other.get_by_role("heading", level=1)).to_have_text(
        said(4, "You cannot see Alex Morgan's journal now")
    )
    _go(alex, said(4, "What they looked at"))
    refused = alex.locator(
        ".app-event", has_text=said(4, "Tried to open your journal after their access ended")
    )
    expect(refused.first).to_contain_text(said(4, "Refused"))

    # 5. Jordan, DWP staff, finds Alex's record: the consent banner, and Alex sees the look.
    other.get_by_role("button", name=said(5, "Sign out")).click()
    sign_in_page(other, said(5, "jordan@dwp.example"), DEMO_PASSWORD)
    other.get_by_label(said(5, "Claimant reference")).fill(said(5, "UC-1001-AM"))
    other.get_by_role("button", name=said(5, "Find")).click()
    banner = other.get_by_role("region", name=said(5, "Consent recorded"))
    expect(banner.get_by_role("heading", name=re.compile("^Tom Reed"))).to_be_visible()
    _go(alex, said(5, "What they looked at"))
    today = clock.uk_day(clock.now())
    looks = alex.locator(".app-event", has_text=said(5, "DWP staff looked at your consent record"))
    expect(looks).to_contain_text(f"{today.day} {today:%B %Y}")

    # 6. Tom gives up his access to Alex, and Alex is told.
    other.get_by_role("button", name=said(6, "Sign out")).click()
    sign_in_page(other, said(6, "tom@riverside.example"), DEMO_PASSWORD)
    other.get_by_role("link", name="Alex Morgan").first.click()
    other.get_by_role("link", name=re.compile("^" + said(6, "Give up access"))).click()
    other.get_by_role("button", name=said(6, "Yes, give up access")).click()
    expect(other.get_by_text("We have told them")).to_be_visible()
    _go(alex, "Home")
    expect(alex.locator("main")).to_contain_text(said(6, "Tom Reed gave up their access"))
    expect(alex.get_by_text(said(6, "Nobody can see your journal."))).to_be_visible()

    # 7. The audit chains hold together after all of it.
    command = said(7, "flask --app broker verify-audit").split()[3:]
    result = runner.invoke(args=command)
    assert result.exit_code == 0, result.output

    alex.context.close()
    other.context.close()
