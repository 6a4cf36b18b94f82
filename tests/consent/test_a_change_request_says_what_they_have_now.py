"""When someone who already has access asks for more, the claimant reads what that person can
see now, in the catalogue's words for the scopes they hold (never "your journal" when they hold
only reconsideration decisions), and each end date on offer is a different day."""

from __future__ import annotations

import re
from html import unescape

import pytest

import scopes
from tests.claimant.helpers import give_by_code
from tests.conftest import sign_in
from tests.factories import make_adviser, make_claimant
from tests.oauth.helpers import CODE, ask
from tests.staff.helpers import assert_page, text_of

RADIO_LABEL = re.compile(r'name="months" type="radio" value="(\d+)"[^>]*>\s*<label[^>]*>([^<]+)<')
DAY = re.compile(r"\d{1,2} \w+ \d{4}")
DECISIONS = scopes.lookup("mr:read").sentence["en"]
JOURNAL = scopes.lookup("journal:read").sentence["en"]


@pytest.fixture
def alex_gave_priya_decisions_only(app, ctx):  # noqa: ANN001, ANN201
    """Alex gives Priya their reconsideration decisions (only) for 3 months, by her code."""
    alex = make_claimant("Alex Morgan")
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    phone = app.test_client()
    sign_in(phone, alex.account.username)
    give_by_code(phone, priya, scopes=("mr:read",), months="3")
    return phone, priya


def end_choices(html: str) -> dict[str, str]:
    """Each "How long for" choice's value and its words."""
    return {value: " ".join(unescape(label).split()) for value, label in RADIO_LABEL.findall(html)}


def test_the_consent_page_says_what_they_can_see_now_and_offers_each_end_date_once(
    app, alex_gave_priya_decisions_only
):
    phone, priya = alex_gave_priya_decisions_only
    console = app.test_client()
    sign_in(console, priya.account.username)
    waiting = console.get(ask(console, scopes=("mr:read", "journal:read"), months="3"))
    user_code = CODE.search(waiting.text).group(1)

    page = assert_page(phone.get(f"/device?user_code={user_code}"))

    words = text_of(page)
    assert "Priya Shah asks for a change" in words
    assert "can already see your journal" not in words
    already = text_of(
        page[page.index('id="already"') : page.index("</div>", page.index('id="already"'))]
    )
    assert DECISIONS in already and JOURNAL not in already
    choices = end_choices(page)
    days = [DAY.search(label).group(0) for label in choices.values()]
    assert len(days) == len(set(days)), choices  # no two choices end on the same day
    assert choices["0"].startswith("Keep the same end date")  # the one kept of the two
    assert "3" not in choices  # 3 months from today ends that same day
    assert "1" in choices  # a shorter choice, another day, is still there


def test_the_check_page_says_what_they_can_see_now(alex_gave_priya_decisions_only):
    phone, priya = alex_gave_priya_decisions_only

    check, _done = give_by_code(phone, priya, scopes=("journal:read",), months="6")

    words = text_of(assert_page(check))
    assert "can already see your journal" not in words
    assert "Priya Shah already has access." in words
    assert "Now they can see: your reconsideration decisions." in words
    assert "They will also see: your journal." in words


def test_the_check_page_never_says_an_end_date_moves_to_the_same_day(
    alex_gave_priya_decisions_only,
):
    """Giving 3 months again a moment later ends on the same day as before."""
    phone, priya = alex_gave_priya_decisions_only

    check, _done = give_by_code(phone, priya, scopes=("journal:read",), months="3")

    words = text_of(assert_page(check))
    assert "It now ends on" not in words, words
