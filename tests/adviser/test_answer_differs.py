"""When a client says yes to less than the adviser asked for (fewer things, or a shorter time),
the adviser is told what they did not get, on the answer page and on the client's page the
console opens by itself (issue 12). A full yes shows no such message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker import clock
from broker.consent import clients, device, windows
from broker.extensions import db
from broker.models import DeviceAuthorization, Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, make_grant
from tests.oauth.helpers import CODE, answer_device, ask
from tests.staff.helpers import assert_page, text_of

LESS = "Alex Morgan said yes to less than you asked"


@pytest.fixture
def asking(app, ctx):  # noqa: ANN001, ANN201
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    claimant = make_claimant("Alex Morgan")
    console = app.test_client()
    sign_in(console, adviser.account.username)

    def answer(asked: tuple[str, ...], for_months: str, **given: object) -> tuple[str, str, Grant]:
        """Ask for `asked` for `for_months`; the client answers with `given`. Returns the answer
        page's words, the client page's words (where the console goes by itself), the grant."""
        waiting = ask(console, scopes=asked, months=for_months)
        user_code = CODE.search(console.get(waiting).text).group(1)
        answered = answer_device(app.test_client(), claimant.account.username, user_code, **given)
        assert answered.status_code == 303, answered.text
        after = console.get(f"{waiting}/status").json
        grant = db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).one()
        return (
            text_of(assert_page(console.get(waiting))),
            text_of(assert_page(console.get(after["next"]))),
            grant,
        )

    return answer


def test_fewer_things_and_a_shorter_time_are_both_named(asking):
    waiting, client_page, grant = asking(
        ("mr:read", "journal:read", "payments:read"), "3", scopes=["mr:read"], months="1"
    )

    for words in (waiting, client_page):
        assert LESS in words
        assert "You cannot use: Their journal Their payments" in words
        assert f"Your access ends on {grant.ends_at:%-d %B %Y}. You asked for 3 months." in words


def test_a_shorter_time_alone_is_named_without_a_list(asking):
    waiting, client_page, grant = asking(("mr:read", "journal:read"), "6", months="3")

    assert grant.scope_names == ("mr:read", "journal:read")
    for words in (waiting, client_page):
        assert LESS in words
        assert "You cannot use" not in words
        assert "You asked for 6 months." in words


def test_fewer_things_alone_say_nothing_about_the_time(asking):
    waiting, client_page, _grant = asking(
        ("mr:read", "journal:read"), "3", scopes=["journal:read"], months="3"
    )

    for words in (waiting, client_page):
        assert "You cannot use: Their reconsideration decisions" in words
        assert "You asked for" not in words


def test_a_full_yes_shows_no_message(asking):
    waiting, client_page, _grant = asking(("mr:read", "journal:read"), "3", months="3")

    assert "Your client said yes" in waiting
    for words in (waiting, client_page):
        assert "less than you asked" not in words


def test_a_request_that_is_not_this_advisers_or_this_grants_shows_nothing(app, ctx, asking):
    asking(("mr:read", "journal:read"), "3", months="1")
    asked = db.session.scalars(db.select(DeviceAuthorization.id)).one()
    other = make_adviser("Tom Reed")
    own = make_grant(make_claimant("Sam Morgan"), other)
    console = app.test_client()
    sign_in(console, other.account.username)

    page = console.get(f"/adviser/clients/{own.id}?asked={asked}")
    unknown = console.get(f"/adviser/clients/{own.id}?asked=not-a-request")

    for answer in (page, unknown):
        assert "less than you asked" not in text_of(assert_page(answer))


def test_a_change_agreed_in_full_keeping_the_same_end_day_shows_no_message(asking):
    """Alex said yes to Priya for 3 months; a moment later she asks for more, for 3 months.
    Keeping the end date (the default) ends that same day: Alex agreed to everything."""
    asking(("mr:read",), "3")

    waiting, client_page, grant = asking(("mr:read", "journal:read"), "3")

    assert grant.scope_names == ("mr:read", "journal:read")
    assert "Your client said yes" in waiting
    for words in (waiting, client_page):
        assert "less than you asked" not in words
        assert "You asked for" not in words


def test_a_change_that_keeps_an_earlier_end_date_is_named(asking):
    asking(("mr:read",), "3")

    waiting, client_page, grant = asking(("mr:read", "journal:read"), "6", months="0")

    assert grant.scope_names == ("mr:read", "journal:read")
    for words in (waiting, client_page):
        assert LESS in words
        assert "You cannot use" not in words
        assert f"Your access ends on {grant.ends_at:%-d %B %Y}. You asked for 6 months." in words


def test_a_later_start_than_asked_is_named(app, ctx):
    """A request that asks to see entries from a day: the client chose a later one."""
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    alex = make_claimant("Alex Morgan")
    now = clock.now()
    asked_from = clock.uk_day(now) - timedelta(days=30)
    started = device.start(
        clients.ensure_console_client(now),
        scope_names=("journal:read",),
        details=clients.ConsentDetails(
            "Help with your appeal",
            "Welfare rights adviser",
            "",
            3,
            window=windows.Window(asked_from, None),
        ),
        adviser=priya,
        now=now,
    )
    db.session.commit()
    phone = app.test_client()
    sign_in(phone, alex.account.username)
    page = phone.get(f"/device?user_code={started.user_code}")
    chosen_from = asked_from + timedelta(days=10)
    answer = phone.post(
        "/device",
        data={
            "csrf_token": csrf_from(page.text),
            "user_code": started.user_code,
            "decision": "approve",
            "scopes": ["journal:read"],
            "months": "3",
            "date_from": f"{chosen_from.day} {chosen_from.month} {chosen_from.year}",
        },
    )
    assert answer.status_code == 303, answer.text
    console = app.test_client()
    sign_in(console, priya.account.username)

    words = text_of(assert_page(console.get(f"/adviser/ask/{started.authorization.id}")))

    assert LESS in words
    assert f"You can see only entries from {chosen_from.day} {chosen_from:%B %Y}." in words
    assert f"You asked for entries from {asked_from.day} {asked_from:%B %Y}." in words
    assert "You cannot use" not in words and "You asked for 3 months" not in words
