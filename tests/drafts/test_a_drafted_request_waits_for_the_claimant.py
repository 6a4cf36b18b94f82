"""An adviser sends an MR request under a consent with "Check with me before they send anything"
on: the API answers 202 with the draft's ID and status URL, nothing is lodged, the claimant is
told and sees it at the top of their home page; Send it lodges it exactly as a direct write would,
and the adviser's status URL then shows the entry's ID."""

from __future__ import annotations

from broker.extensions import db
from broker.models import Delivery
from tests.conftest import csrf_from
from tests.drafts.conftest import (
    ABOUT,
    REASONS,
    draft_events,
    mr_entries,
    press,
    send_request,
    status_path,
    the_draft,
)
from tests.factories import bearer, messages_to
from tests.staff.helpers import assert_page, text_of


def test_the_api_answers_202_with_the_draft_and_lodges_nothing(people, client):
    answer = send_request(client, people.token)

    assert answer.status_code == 202
    assert answer.json["status"] == "pending"
    assert answer.json["status_url"].endswith(f"/api/v1/mr-drafts/{answer.json['draft_id']}")
    assert answer.headers["Location"] == answer.json["status_url"]
    assert mr_entries(people.claimant.id) == []
    status = client.get(status_path(answer), headers=bearer(people.token))
    assert status.status_code == 200
    assert status.json["status"] == "pending" and "entry_id" not in status.json
    assert draft_events(people.claimant.id) == [
        ("mr.request.drafted", people.jti, f"mr_draft:{answer.json['draft_id']}")
    ]


def test_the_claimant_is_told_and_sees_the_draft_in_plain_words(people, client, phone):
    send_request(client, people.token)

    [told] = messages_to(people.claimant.id, "mr_drafted")
    assert "Priya Shah from Northside Citizens Advice wants to send a request for you." in told.body
    assert "Nothing is sent until you say yes." in told.body
    inbox = db.session.scalars(db.select(Delivery.channel)).all()
    assert "inbox" in inbox
    home = text_of(assert_page(phone.get("/")))
    assert "Check this before it is sent" in home
    assert "Priya Shah, Northside Citizens Advice wants to send this for you." in home
    assert f"It asks DWP to look again at a decision about: {ABOUT}" in home
    assert REASONS in home
    assert "Send it" in home and "Don't send" in home


def test_send_it_lodges_the_entry_as_the_adviser_wrote_it_and_the_adviser_sees_it(
    people, client, phone
):
    made = send_request(client, people.token)
    draft_id = made.json["draft_id"]

    sent = press(phone, "send", draft_id)

    assert sent.status_code == 303
    assert "Sent. DWP will now look at the decision again." in text_of(phone.get("/").text)
    [entry] = mr_entries(people.claimant.id)
    assert entry.subject == f"Mandatory Reconsideration request: {ABOUT}"
    assert entry.body == REASONS
    assert entry.author_name == "Priya Shah, Northside Citizens Advice"
    assert (entry.author_role, entry.token_id, entry.grant_id) == (
        "adviser",
        people.jti,
        people.grant.id,
    )
    status = client.get(status_path(made), headers=bearer(people.token)).json
    assert (status["status"], status["entry_id"]) == ("approved", entry.id)
    assert [action for action, *_ in draft_events(people.claimant.id)] == [
        "mr.request.drafted",
        "mr.request.approved",
    ]
    assert all(token == people.jti for _, token, _ in draft_events(people.claimant.id))
    [to_adviser] = messages_to(people.adviser.id, "mr_draft_approved")
    assert "they sent it to DWP" in to_adviser.body
    assert "Check this before it is sent" not in text_of(phone.get("/").text)


def test_a_draft_is_sent_once_however_often_send_it_is_pressed(people, client, phone):
    draft_id = send_request(client, people.token).json["draft_id"]
    home = phone.get("/")
    token = csrf_from(home.text)
    phone.post(f"/drafts/{draft_id}/send", data={"csrf_token": token})
    phone.get("/")
    again = phone.post(f"/drafts/{draft_id}/send", data={"csrf_token": token})

    assert again.status_code == 303
    assert "You already said yes or no to this." in text_of(phone.get("/").text)
    assert len(mr_entries(people.claimant.id)) == 1
    assert the_draft(draft_id).status == "approved"


def test_with_the_setting_off_the_request_is_lodged_at_once(people, client):
    people.grant.check_before_send = False
    db.session.commit()

    answer = send_request(client, people.token)

    assert answer.status_code == 201
    assert len(mr_entries(people.claimant.id)) == 1
    assert draft_events(people.claimant.id) == []
