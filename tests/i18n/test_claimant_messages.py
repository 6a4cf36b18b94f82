"""Messages to a claimant (SMS and email through the outbox) are written in the language they
chose, when they are queued: by the sweep's command line run as well as by a staff action. Dates
in them are in that language too, on the UK clock. Messages to an adviser stay in English."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from broker import clock, i18n
from broker.extensions import db
from broker.models import Grant
from tests.factories import make_adviser, make_claimant, make_grant, make_staff
from tests.lifecycle import senders
from tests.staff.helpers import outbox, phone_grant, post_form, signed_in_staff

LONDON = ZoneInfo("Europe/London")
WELSH_MONTHS = (
    "Ionawr Chwefror Mawrth Ebrill Mai Mehefin Gorffennaf Awst Medi Hydref Tachwedd Rhagfyr"
).split()


def welsh_date(moment: datetime) -> str:
    return format_date(moment.astimezone(LONDON), "d MMMM y", locale="cy")


def english_date(moment: datetime) -> str:
    return f"{moment.astimezone(LONDON):%-d %B %Y}"


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    welsh = make_claimant("Alex Morgan")
    welsh.account.language = "cy"
    db.session.commit()
    return SimpleNamespace(
        welsh=welsh,
        english=make_claimant("Sam Jones"),
        adviser=make_adviser("Priya Shah", "Northside Citizens Advice"),
        staff=make_staff("Jordan Lee"),
    )


def test_the_sweep_reminds_each_claimant_in_their_language_and_the_adviser_in_english(
    people, frozen_clock, runner
):
    welsh_grant = phone_grant(people.welsh, people.adviser, people.staff, now=clock.now())
    english_grant = phone_grant(people.english, people.adviser, people.staff, now=clock.now())
    review = welsh_grant.review_at
    assert english_grant.review_at == review
    frozen_clock.now = review - timedelta(days=14, hours=-1)
    senders.COLLECTED.clear()

    # The command line: its own app context, no request, no page language to borrow.
    result = runner.invoke(args=["sweep", "--sender", "tests.lifecycle.senders:Collecting"])

    assert result.exit_code == 0, result.output
    sent = {(m.account_id, m.kind): m.body for m in senders.COLLECTED}
    to_welsh = sent[people.welsh.id, "review_reminder"]
    assert to_welsh == (
        "Mae Priya Shah o Northside Citizens Advice yn gallu gweld eich dyddlyfr. "
        f"Gwiriwch erbyn {welsh_date(review)} eich bod chi eisiau hyn o hyd, "
        "neu bydd eu mynediad yn stopio."
    )
    assert any(month in to_welsh for month in WELSH_MONTHS)
    assert sent[people.english.id, "review_reminder"] == (
        "Priya Shah from Northside Citizens Advice can see your journal. "
        f"Check by {english_date(review)} that you still want this, or their access will stop."
    )
    to_adviser = {m.body for m in senders.COLLECTED if m.kind == "adviser_review_reminder"}
    assert to_adviser == {
        f"Your access to Alex Morgan's journal stops on {english_date(review)} "
        "unless they confirm it.",
        f"Your access to Sam Jones's journal stops on {english_date(review)} "
        "unless they confirm it.",
    }


def test_a_staff_action_tells_a_welsh_speaking_claimant_in_welsh_and_the_adviser_in_english(
    app, people
):
    staff = signed_in_staff(app, people.staff)
    grant = make_grant(people.welsh, people.adviser)
    base = f"/staff/claimants/{people.welsh.reference}"

    post_form(staff, f"{base}/grants/{grant.id}/suspend", {"reason": "Not their choice"})
    post_form(
        staff,
        f"{base}/consent/new",
        {
            "consented": "y",
            "name": "Ruth Evans",
            "organisation": "Eastgate Housing Association",
            "relationship": "Housing support officer",
            "scopes": ["mr:read"],
            "purpose": "To help with rent arrears",
            "months": "6",
            "review_months": "1",
        },
    )

    db.session.expire_all()
    to_claimant = {m.kind: m for m in outbox(people.welsh.id)}
    [to_adviser] = outbox(people.adviser.id)
    assert to_claimant["grant_suspended"].body == (
        "Mae DWP wedi oedi mynediad Priya Shah o Northside Citizens Advice i'ch dyddlyfr. "
        "Nid ydyn nhw'n gallu ei weld am y tro. Ffoniwch ni os oes gennych chi gwestiynau."
    )
    recorded = to_claimant["recorded_by_phone"]
    ends = db.session.scalar(
        db.select(Grant.ends_at).where(
            Grant.claimant_id == people.welsh.id, Grant.representative_name == "Ruth Evans"
        )
    )
    assert recorded.body == (
        "Nododd Jordan Lee o DWP ar y ffôn eich bod wedi cytuno y gall Ruth Evans o Eastgate "
        f"Housing Association weld eich dyddlyfr tan {welsh_date(ends)}. Os na wnaethoch chi "
        f"gytuno, stopiwch hyn nawr: http://broker.test/access/{recorded.grant_id}/revoke"
    )
    assert (to_adviser.kind, to_adviser.body) == (
        "grant_suspended",
        f"DWP has paused your access to Alex Morgan's journal from {i18n.day(clock.now())}.",
    )
    # The staff member's page stays English: writing in Welsh did not change its language.
    assert '<html lang="en"' in staff.get(base).text


def test_each_claimant_is_told_in_their_own_language_not_the_last_one_written(app, people):
    staff = signed_in_staff(app, people.staff)
    for claimant in (people.welsh, people.english):
        grant = make_grant(claimant, people.adviser)
        post_form(
            staff,
            f"/staff/claimants/{claimant.reference}/grants/{grant.id}/suspend",
            {"reason": "Not their choice"},
        )

    [to_welsh] = outbox(people.welsh.id)
    [to_english] = outbox(people.english.id)
    assert to_welsh.body.startswith("Mae DWP wedi oedi mynediad Priya Shah")
    assert to_english.body == (
        "DWP has paused Priya Shah from Northside Citizens Advice's access to your journal. "
        "They cannot see it for now. Call us if you have questions."
    )
