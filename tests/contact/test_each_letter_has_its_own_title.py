"""Each letter in the claimant's inbox has its own title, from the kind of letter and who it is
about (a staff letter: its opening words), so a list of them is not one title over and over.
The titles are in the claimant's language; a letter written in another keeps its own."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from broker import clock, i18n
from broker.extensions import db
from broker.messages import letters, notify
from tests.conftest import sign_in
from tests.factories import make_grant
from tests.staff.helpers import assert_page, text_of

LINK = re.compile(
    r'<a class="govuk-link[^"]*" href="/letters/[^"]+">(.*?)<span class="govuk-visually-hidden">'
)
H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def titles_in(html: str) -> list[str]:
    return [text_of(found) for found in LINK.findall(html)]


def send_one_of_each(people, frozen_clock) -> None:  # noqa: ANN001
    grant = make_grant(people.claimant, people.adviser)  # the alert that access was given
    frozen_clock.advance(minutes=1)
    for send in (
        lambda now: notify.suspended(grant, now=now),
        lambda now: notify.resumed(grant, now=now),
        lambda now: notify.decision_letter(
            people.claimant,
            decision_id="d-1",
            decided_on=date(2027, 1, 4),
            appeal_by=date(2027, 2, 4),
            now=now,
        ),
        lambda now: letters.send_letter(
            people.claimant,
            "We have received your request to look again at the decision about your "
            "capability for work.\n\nWe will write to you when we have made a decision.",
            language="en",
            staff=people.staff,
            now=now,
        ),
        lambda now: letters.send_letter(
            people.claimant,
            "Your next payment is on 5 January.",
            language="en",
            staff=people.staff,
            now=now,
        ),
    ):
        send(clock.now())
        db.session.commit()
        frozen_clock.advance(minutes=1)


def test_each_letter_in_the_inbox_has_its_own_title(app, people, frozen_clock):
    send_one_of_each(people, frozen_clock)
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)

    titles = titles_in(assert_page(phone.get("/letters")))

    assert titles == [
        "Your next payment is on 5 January",
        "We have received your request to look again at the decision…",
        "Your reconsideration decision has arrived",
        "Priya Shah's access has restarted",
        "DWP paused Priya Shah's access",
        "Priya Shah has access to your journal",  # the alert when it was given (issue 23)
    ]


def test_an_opened_letter_is_headed_and_named_by_its_title(app, people, frozen_clock):
    send_one_of_each(people, frozen_clock)
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)
    listing = phone.get("/letters").text
    newest = re.search(r'href="(/letters/[^"]+)"', listing).group(1)

    page = assert_page(phone.get(newest))

    assert text_of(H1.search(page).group(1)) == "Your next payment is on 5 January"
    assert unescape(TITLE.search(page).group(1)).startswith("Your next payment is on 5 January")


def test_titles_are_welsh_for_a_welsh_claimant_and_an_english_letter_says_so(
    app,
    people,
    frozen_clock,
):
    i18n.choose(people.claimant.account, "cy")
    db.session.commit()
    send_one_of_each(people, frozen_clock)
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)

    html = assert_page(phone.get("/letters"))

    titles = titles_in(html)
    assert len(set(titles)) == len(titles) == 6
    assert "Mae eich penderfyniad ailystyried wedi cyrraedd" in titles
    assert '<span lang="en">Your next payment is on 5 January</span>' in html
