"""Don't send: the draft is never lodged, not even by pressing Send it afterwards; the adviser's
status URL says declined and the adviser is told."""

from __future__ import annotations

from tests.drafts.conftest import (
    draft_events,
    mr_entries,
    press,
    send_request,
    status_path,
    the_draft,
)
from tests.factories import bearer, messages_to
from tests.staff.helpers import text_of


def test_dont_send_means_it_is_never_lodged(people, client, phone):
    made = send_request(client, people.token)
    draft_id = made.json["draft_id"]

    declined = press(phone, "decline", draft_id)
    press(phone, "send", draft_id)

    assert declined.status_code == 303
    assert mr_entries(people.claimant.id) == []
    assert the_draft(draft_id).status == "declined"
    status = client.get(status_path(made), headers=bearer(people.token)).json
    assert status["status"] == "declined" and "entry_id" not in status
    assert draft_events(people.claimant.id) == [
        ("mr.request.drafted", people.jti, f"mr_draft:{draft_id}"),
        ("mr.request.declined", people.jti, f"mr_draft:{draft_id}"),
    ]
    [to_adviser] = messages_to(people.adviser.id, "mr_draft_declined")
    assert "they chose not to send it" in to_adviser.body
    assert "Check this before it is sent" not in text_of(phone.get("/").text)


def test_the_buttons_need_the_forms_token(people, client, phone):
    draft_id = send_request(client, people.token).json["draft_id"]
    phone.get("/")

    assert phone.post(f"/drafts/{draft_id}/send").status_code == 400
    assert phone.post(f"/drafts/{draft_id}/decline").status_code == 400
    assert the_draft(draft_id).status == "pending"
    assert mr_entries(people.claimant.id) == []
