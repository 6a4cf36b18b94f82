"""Watches on to-dos and payments (issue 27 item 5) are kept as decision watches are: what they
told goes two years after it was told, once the watch has ended and no push still names it; the
watch goes after its notices. A push delivery names its notice by a foreign key (migration
0030), so no run can delete a notice a delivery still names, and no delivery names a notice
that is not there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from broker import clock, retention
from broker.extensions import db
from broker.models import ItemNotice, ItemWatch, PushDelivery

from . import rows

PERIOD = timedelta(days=730)


def _present(table, key) -> bool:  # noqa: ANN001
    db.session.expire_all()
    return db.session.get(table, key) is not None


def test_an_ended_watch_and_what_it_told_go_together_after_the_period(app: Flask, people):
    old = rows.item_notices(people, clock.now() - PERIOD - timedelta(hours=1))
    watch = db.session.get(ItemNotice, old).watch_id
    db.session.get(ItemWatch, watch).ended_at = clock.now() - PERIOD - timedelta(hours=1)
    db.session.commit()

    report = retention.run(now=clock.now(), config=app.config)

    assert (report.deleted["item_notices"], report.deleted["item_watches"]) == (1, 1)
    assert not _present(ItemNotice, old)
    assert not _present(ItemWatch, watch)


def test_a_notice_a_push_names_waits_for_the_push_then_goes(app: Flask, people):
    long_ago = clock.now() - PERIOD - timedelta(days=100)
    notice = rows.item_notices(people, long_ago)
    push = rows.push_deliveries(people, None, item_notice_id=notice)  # still being tried
    db.session.commit()

    retention.run(now=clock.now(), config=app.config)
    assert _present(ItemNotice, notice) and _present(PushDelivery, push)

    db.session.get(PushDelivery, push).delivered_at = long_ago  # delivered long ago
    db.session.commit()
    report = retention.run(now=clock.now(), config=app.config)

    assert report.deleted["push_deliveries"] == 1 and report.deleted["item_notices"] == 1
    assert not _present(ItemNotice, notice)


def test_a_live_watch_and_what_it_told_are_never_deleted(app: Flask, people, monkeypatch):
    monkeypatch.setitem(app.config, "BROKER_RETAIN_DECISION_DELIVERIES_DAYS", "0")
    notice = rows.item_notices(people, clock.now() - timedelta(days=3000), live=True)
    watch = db.session.get(ItemNotice, notice).watch_id
    db.session.commit()

    retention.run(now=clock.now(), config=app.config)

    assert _present(ItemNotice, notice) and _present(ItemWatch, watch)


def test_a_push_cannot_name_a_notice_that_is_not_there(people):
    with pytest.raises(IntegrityError):
        rows.push_deliveries(people, None, item_notice_id="00000000-0000-4000-8000-000000000000")
    db.session.rollback()


def test_a_notice_a_push_names_cannot_be_deleted_from_under_it(people):
    notice = rows.item_notices(people, clock.now())
    rows.push_deliveries(people, None, item_notice_id=notice)
    db.session.commit()

    with pytest.raises(IntegrityError):
        db.session.execute(db.delete(ItemNotice).where(ItemNotice.id == notice))
        db.session.flush()
    db.session.rollback()
