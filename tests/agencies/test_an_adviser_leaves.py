"""An adviser leaves: the organisation admin asks each of their clients to move their consent
to a named colleague. The claimant answers on their phone, as they would an adviser's request:
yes moves it (the colleague's grant made, the leaver's ended: one relationship, one grant each),
no changes nothing. Another claimant cannot answer it."""

from __future__ import annotations

import re

from broker.extensions import db
from broker.models import Grant, OutboxMessage
from tests.agencies.helpers import actions_on, make_agency
from tests.conftest import csrf_from, sign_in
from tests.factories import make_claimant

ADMIN_PASSWORD = "pw-for-testspw-for-tests"
CODE = re.compile(r"user_code=([A-Z]{4}-[A-Z]{4})")


def _ask_to_move(app, agency) -> str:  # noqa: ANN001
    """Olu moves Priya's clients to themselves; the user code Alex was sent."""
    admin = app.test_client()
    sign_in(admin, agency.admin.account.username, ADMIN_PASSWORD)
    path = f"/organisation/advisers/{agency.priya.id}/move"
    page = admin.get(path)
    assert page.status_code == 200
    assert "Alex Morgan" not in page.text
    response = admin.post(
        path, data={"csrf_token": csrf_from(page.text), "colleague": agency.admin.id}
    )
    assert response.status_code == 303, response.text
    body = db.session.scalar(
        db.select(OutboxMessage.body).where(
            OutboxMessage.account_id == agency.alex.id, OutboxMessage.kind == "move_asked"
        )
    )
    assert body.startswith(
        "Priya Shah from Northside Citizens Advice is leaving their advice organisation. It asks "
        "if Olu Admin from Northside Citizens Advice can take over their access to your journal. "
        "Nothing changes unless you say yes."
    )
    return CODE.search(body).group(1)


def _answer(app, claimant, code: str, decision: str):  # noqa: ANN001, ANN202
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    page = phone.get(f"/device?user_code={code}")
    if page.status_code != 200:
        return page
    return phone.post(
        "/device",
        data={
            "csrf_token": csrf_from(page.text),
            "user_code": code,
            "decision": decision,
            "scopes": ["mr:read", "journal:read"],
            "months": "3",
        },
    )


def _live(claimant_id: str) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant_id))
    return {grant.representative_name: grant.status for grant in rows}


def test_the_claimant_says_yes_and_the_consent_moves(app, ctx):
    agency = make_agency()
    code = _ask_to_move(app, agency)
    assert "grant.move_asked" in actions_on(agency.alex.id)
    assert "adviser.move_clients" in actions_on(agency.org.id)
    answered = _answer(app, agency.alex, code, "approve")
    assert answered.status_code == 303, answered.text
    assert _live(agency.alex.id) == {"Priya Shah": "revoked", "Olu Admin": "active"}


def test_the_claimant_says_no_and_nothing_changes(app, ctx):
    agency = make_agency()
    code = _ask_to_move(app, agency)
    assert _answer(app, agency.alex, code, "refuse").status_code == 303
    assert _live(agency.alex.id) == {"Priya Shah": "active"}


def test_another_claimant_cannot_answer_it(app, ctx):
    agency = make_agency()
    code = _ask_to_move(app, agency)
    stranger = make_claimant("Sid Stranger")
    refused = _answer(app, stranger, code, "approve")
    assert refused.status_code in (400, 404)
    assert "We cannot find that code" in refused.text
    assert _live(stranger.id) == {}
    assert _live(agency.alex.id) == {"Priya Shah": "active"}
