"""People for "Check with me before they send anything": a claimant, their adviser with a consent
that lets them send an MR request with the setting on (as the phone gives it), the adviser's
token, and the claimant's phone signed in."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from broker import clock
from broker.extensions import db
from broker.models import JournalEntry, MRDraft
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
)

ABOUT = "Limited capability for work"
REASONS = "The assessment missed my evidence from my doctor."


@pytest.fixture
def people(ctx):  # noqa: ANN001, ANN201
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, adviser, "mr:read mr:request", check_before_send=True)
    token, jti = issue_token(grant)
    return SimpleNamespace(claimant=claimant, adviser=adviser, grant=grant, token=token, jti=jti)


@pytest.fixture
def phone(app, people):  # noqa: ANN001, ANN201
    """The claimant's phone, signed in."""
    client = app.test_client()
    sign_in(client, people.claimant.account.username)
    return client


def send_request(api, token: str):  # noqa: ANN001, ANN201
    return api.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": ABOUT, "reasons": REASONS},
    )


def status_path(response) -> str:  # noqa: ANN001
    return response.json["status_url"].removeprefix("http://broker.test")


def press(phone, button: str, draft_id: str):  # noqa: ANN001, ANN201
    """Press Send it ("send") or Don't send ("decline") on the home page."""
    home = phone.get("/")
    return phone.post(f"/drafts/{draft_id}/{button}", data={"csrf_token": csrf_from(home.text)})


def mr_entries(claimant_id: str) -> list[JournalEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(JournalEntry).where(
                JournalEntry.claimant_id == claimant_id, JournalEntry.kind == "mr_request"
            )
        )
    )


def draft_events(claimant_id: str) -> list[tuple[str, str, str]]:
    """(action, token ID, resource) of each draft step in the claimant's chain."""
    return chain_events(claimant_id, "mr.request.%", "action", "token_id", "resource")


def the_draft(draft_id: str) -> MRDraft:
    db.session.expire_all()
    found = db.session.get(MRDraft, draft_id)
    assert found is not None
    return found


def fresh_token(people) -> str:  # noqa: ANN001
    """A new token of the adviser's at the clock's now (after days, the first has run out)."""
    token, _ = issue_token(people.grant, now=clock.now())
    return token
