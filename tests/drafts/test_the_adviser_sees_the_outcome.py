"""In the adviser's console, a request under a consent with the setting on is "Sent to <client>
to check", listed with its status; once the client says yes it shows as sent. DWP staff see
the drafts waiting on the claimant's record."""

from __future__ import annotations

from broker.extensions import db
from broker.models import MRDraft
from tests.conftest import csrf_from, sign_in
from tests.drafts.conftest import ABOUT, REASONS, mr_entries, press, send_request
from tests.factories import make_staff
from tests.staff.helpers import assert_page, text_of


def test_the_console_says_sent_to_check_and_then_shows_the_outcome(app, people, phone):
    console = app.test_client()
    sign_in(console, people.adviser.account.username)
    form = console.get(f"/adviser/clients/{people.grant.id}/mr-request")

    done = console.post(
        f"/adviser/clients/{people.grant.id}/mr-request",
        data={"csrf_token": csrf_from(form.text), "decision_about": ABOUT, "reasons": REASONS},
    )

    assert done.status_code == 303
    page = text_of(console.get(done.headers["Location"]).text)
    assert "Sent to Alex Morgan to check. It goes into their journal only if they say yes." in page
    assert "Requests sent to your client to check" in page
    assert ABOUT in page and "Waiting for your client" in page
    assert mr_entries(people.claimant.id) == []

    [found] = people_drafts(people)
    press(phone, "send", found)
    page = text_of(console.get(f"/adviser/clients/{people.grant.id}").text)
    assert "Sent: in their journal" in page
    assert len(mr_entries(people.claimant.id)) == 1


def people_drafts(people) -> list[str]:  # noqa: ANN001
    db.session.rollback()
    return list(
        db.session.scalars(db.select(MRDraft.id).where(MRDraft.grant_id == people.grant.id))
    )


def test_staff_see_the_pending_draft_on_the_record(app, people, client):
    send_request(client, people.token)
    staff = app.test_client()
    sign_in(staff, make_staff("Jordan Lee").account.username)

    record = text_of(assert_page(staff.get(f"/staff/claimants/{people.claimant.reference}")))

    assert "Requests waiting for the claimant to check" in record
    assert f"Priya Shah, Northside Citizens Advice {ABOUT}" in record
