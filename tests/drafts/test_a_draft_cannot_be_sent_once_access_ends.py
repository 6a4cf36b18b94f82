"""A draft whose consent has been stopped, has ended or is paused cannot be sent: the home page
says why and offers only Don't send; pressing Send it anyway lodges nothing."""

from __future__ import annotations

from broker.consent import grants
from broker.extensions import db
from tests.conftest import csrf_from
from tests.drafts.conftest import mr_entries, send_request, the_draft
from tests.factories import signer
from tests.staff.helpers import text_of


def test_a_stopped_consent_means_the_draft_cannot_be_sent(people, client, phone):
    draft_id = send_request(client, people.token).json["draft_id"]
    home = phone.get("/")
    grants.revoke(people.grant, signer=signer(), by="claimant:x", now=people.grant.created_at)
    db.session.commit()

    answer = phone.post(f"/drafts/{draft_id}/send", data={"csrf_token": csrf_from(home.text)})

    assert answer.status_code == 303
    assert "You cannot send this. Their access has ended or is paused." in text_of(
        phone.get("/").text
    )
    assert mr_entries(people.claimant.id) == []
    assert the_draft(draft_id).status == "pending"


def test_the_home_page_says_why_and_offers_only_dont_send(people, client, phone):
    send_request(client, people.token)
    grants.narrow(
        people.grant, ["mr:read"], by="claimant:x", now=people.grant.created_at, signer=signer()
    )
    db.session.commit()

    home = text_of(phone.get("/").text)

    assert "You cannot send this. Their access has ended or is paused." in home
    assert "Don't send" in home and "Send it" not in home
