"""A grant's change and the telling of it are one unit (issue 24): the reactions to a grant's
change (broker/consent/grant_events.py, bound in create_app) run in the change's transaction, so
if one fails the change, its audit event and whatever the other reactions queued are all undone,
and the claimant sees an error instead of a stop that half happened."""

from __future__ import annotations

import pytest

from broker.consent import grant_events, grants
from broker.extensions import db
from broker.messages import access_changes
from broker.models import AuditEvent, Grant, PushDelivery
from tests.conftest import csrf_from
from tests.factories import messages_to


class OutboxDown(RuntimeError):
    pass


def _outbox_down(change: grant_events.GrantChanged) -> None:
    raise OutboxDown(f"could not queue the message for {change.action}")


@pytest.fixture
def telling_fails(app):  # noqa: ANN001, ANN201
    """The usual reaction runs first (it queues the adviser's message and the case system's
    event), then one that fails, as an outbox that cannot be written would."""
    grant_events.react_with(access_changes.grant_changed, _outbox_down)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the claimant sees the error page, as in use
    yield
    grant_events.react_with(access_changes.grant_changed)  # as create_app binds it


def test_a_stop_whose_telling_fails_does_not_happen(alex_and_priya, telling_fails):
    s = alex_and_priya
    page = s.phone.get(f"/access/{s.grant.id}/revoke")

    answer = s.phone.post(f"/access/{s.grant.id}/revoke", data={"csrf_token": csrf_from(page.text)})

    assert answer.status_code == 500
    assert "Sorry, something went wrong" in answer.text
    db.session.expire_all()
    assert db.session.get(Grant, s.grant.id).status == grants.ACTIVE
    revoked = db.select(AuditEvent).where(AuditEvent.action == "grant.revoke")
    assert db.session.scalars(revoked).all() == []
    assert messages_to(s.priya.id) == []
    assert db.session.scalars(db.select(PushDelivery)).all() == []


def test_once_telling_works_again_the_stop_goes_through(alex_and_priya, telling_fails):
    s = alex_and_priya
    page = s.phone.get(f"/access/{s.grant.id}/revoke")
    s.phone.post(f"/access/{s.grant.id}/revoke", data={"csrf_token": csrf_from(page.text)})
    grant_events.react_with(access_changes.grant_changed)

    page = s.phone.get(f"/access/{s.grant.id}/revoke")
    answer = s.phone.post(f"/access/{s.grant.id}/revoke", data={"csrf_token": csrf_from(page.text)})

    assert answer.status_code == 303
    db.session.expire_all()
    assert db.session.get(Grant, s.grant.id).status == grants.REVOKED
    assert [m.kind for m in messages_to(s.priya.id)] == ["grant_revoked"]
    assert len(db.session.scalars(db.select(PushDelivery)).all()) == 1
