"""Words someone else typed reach a Welsh page in English: an adviser's reasons for access and
who they are, the request they drafted, a journal message's title. Each carries lang="en", so a
screen reader says it as English (WCAG 3.1.2); the claimant's own words and the page's are left
as they are, and an English page marks nothing."""

from __future__ import annotations

import re

import pytest

from broker import i18n
from broker.extensions import db
from tests.claimant.helpers import give_by_code
from tests.conftest import sign_in
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_entry,
    make_grant,
)
from tests.oauth.helpers import CODE, ask

PURPOSE = "Help with your appeal about capability for work"  # what ask() types
RELATIONSHIP = "Welfare rights adviser"
ABOUT, REASONS = "Limited capability for work", "The assessment missed the evidence from my GP."


def english(words: str) -> str:
    return f'<span lang="en">{words}</span>'


@pytest.fixture
def alex(app, ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    i18n.choose(claimant.account, "cy")
    db.session.commit()
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    return claimant, phone


def with_drafts_on(claimant):  # noqa: ANN001, ANN201
    """Priya may read and send for Alex, and Alex asked to check what she sends first."""
    grant = make_grant(
        claimant,
        make_adviser("Priya Shah"),
        "mr:read journal:read mr:request",
        check_before_send=True,
    )
    return grant


def adviser_asks(app, claimant_phone):  # noqa: ANN001, ANN201
    """Priya asks on her console; Alex's phone opens the request. (The consent page, Welsh.)"""
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    console = app.test_client()
    sign_in(console, priya.account.username)
    user_code = CODE.search(console.get(ask(console)).text).group(1)
    return priya, claimant_phone.get(f"/device?user_code={user_code}").text


def test_an_advisers_request_is_marked_english_on_the_welsh_consent_page(app, alex):
    _claimant, phone = alex

    _priya, page = adviser_asks(app, phone)

    assert '<html lang="cy"' in page
    assert f'id="purpose">{english(PURPOSE)}' in page
    assert f'id="relationship">{english(RELATIONSHIP)}' in page


def test_the_reasons_for_access_are_marked_english_where_the_adviser_typed_them(app, alex):
    claimant, phone = alex
    priya, page = adviser_asks(app, phone)
    form = dict(re.findall(r'name="(csrf_token|user_code)" value="([^"]+)"', page))
    answer = phone.post(
        "/device", data={**form, "decision": "approve", "scopes": ["mr:read"], "months": "3"}
    )
    assert answer.status_code == 303, answer.text
    own_words = "Mae angen help arnaf gyda fy apêl"  # Alex gives Tom access, in Welsh
    give_by_code(phone, make_adviser("Tom Reed"), purpose=own_words)

    page = phone.get("/access").text

    assert english(PURPOSE) in page
    assert own_words in page and english(own_words) not in page


def test_a_drafted_request_is_marked_english_on_the_welsh_home_page(app, alex):
    claimant, phone = alex
    grant = with_drafts_on(claimant)
    token, _jti = issue_token(grant)
    sent = app.test_client().post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": ABOUT, "reasons": REASONS},
    )
    assert sent.status_code == 202, sent.text

    page = phone.get("/").text

    assert english(ABOUT) in page
    assert f'app-draft__reasons">{english(REASONS)}' in page


def test_a_journal_message_title_is_marked_english_in_the_welsh_history(app, alex):
    claimant, phone = alex
    entry = make_entry(claimant, "Your claim has been updated")
    grant = with_drafts_on(claimant)
    token, _jti = issue_token(grant)
    assert (
        app.test_client().get(f"/api/v1/journal/{entry.id}", headers=bearer(token)).status_code
        == 200
    )

    page = phone.get("/history").text

    assert english("Your claim has been updated") in page


def test_an_english_page_marks_nothing(app, ctx):
    claimant = make_claimant("Sam Morgan")
    phone = app.test_client()
    sign_in(phone, claimant.account.username)

    _priya, page = adviser_asks(app, phone)

    assert f'id="purpose">{PURPOSE}' in page
    assert english(PURPOSE) not in page and english(RELATIONSHIP) not in page


def test_on_a_change_the_claimants_own_old_reason_is_not_marked(app, alex):
    _claimant, phone = alex
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    own_words = "Mae angen help arnaf gyda fy apêl"
    give_by_code(phone, priya, purpose=own_words)
    console = app.test_client()
    sign_in(console, priya.account.username)
    user_code = CODE.search(console.get(ask(console)).text).group(1)

    page = phone.get(f"/device?user_code={user_code}").text

    assert f'id="purpose">{english(PURPOSE)}' in page
    purpose = page[page.index('id="purpose">') : page.index("</dd>", page.index('id="purpose">'))]
    assert own_words in purpose and english(own_words) not in purpose
