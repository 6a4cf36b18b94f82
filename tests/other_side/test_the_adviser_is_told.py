"""When a claimant stops, narrows or DWP pauses or restarts access, or it ends by its end date or
its review date, the adviser is told in plain words who changed what and from when: in the
console's "Changes to your access", and by email when they chose email (issue 23)."""

from __future__ import annotations

from datetime import date, timedelta

from broker import clock, i18n, sweep
from broker.casework import watches
from broker.consent import grants, windows
from broker.extensions import db
from broker.models import Delivery, Grant, OutboxMessage
from tests.conftest import csrf_from
from tests.factories import bound, messages_to, signer
from tests.lifecycle.senders import Collecting


def channels_of(message: OutboxMessage) -> list[str]:
    return list(
        db.session.scalars(db.select(Delivery.channel).where(Delivery.message_id == message.id))
    )


def fresh(grant: Grant) -> Grant:
    db.session.expire_all()
    return db.session.get(Grant, grant.id)


def test_the_claimant_stopping_access_is_told_in_the_console_and_by_email(alex_and_priya):
    s = alex_and_priya
    page = s.phone.get(f"/access/{s.grant.id}/revoke")

    s.phone.post(f"/access/{s.grant.id}/revoke", data={"csrf_token": csrf_from(page.text)})
    console = s.console.get("/adviser/").text

    [message] = messages_to(s.priya.id)
    today = i18n.day(clock.now())
    assert message.kind == "grant_revoked"
    assert message.body == (
        f"Alex Morgan stopped your access to their journal on {today}. "
        "You can no longer see anything of theirs or act for them."
    )
    assert channels_of(message) == ["email"]
    assert "Changes to your access" in console and message.body in console.replace("&#39;", "'")


def test_an_adviser_who_chose_the_console_is_not_emailed(alex_and_priya):
    s = alex_and_priya
    s.priya.tell_by = watches.CONSOLE
    db.session.commit()

    grants.revoke(s.grant, signer=signer(), by=f"claimant:{s.claimant.id}", now=clock.now())
    db.session.commit()
    collected = Collecting()
    sweep.run(now=clock.now(), sender=collected, services=bound(), checkpoint=False)

    [message] = messages_to(s.priya.id)
    assert channels_of(message) == []
    assert message.body in s.console.get("/adviser/").text.replace("&#39;", "'")


def test_narrowing_the_dates_says_which_dates_are_left(alex_and_priya):
    s = alex_and_priya

    grants.narrow_window(
        s.grant,
        windows.Window(date(2026, 11, 1), None),
        signer=signer(),
        by=f"claimant:{s.claimant.id}",
        now=clock.now(),
    )
    db.session.commit()

    [message] = messages_to(s.priya.id)
    assert message.kind == "grant_narrowed"
    assert message.body == (
        f"Alex Morgan changed the dates you can see from {i18n.day(clock.now())}. "
        "You can now see only things dated from 1 November 2026."
    )


def test_dwp_pausing_and_restarting_is_told_with_the_day(alex_and_priya):
    s = alex_and_priya

    grants.suspend(s.grant, signer=signer(), staff=s.staff, reason="Checking", now=clock.now())
    grants.lift_suspension(s.grant, signer=signer(), staff=s.staff, now=clock.now())
    db.session.commit()

    today = i18n.day(clock.now())
    assert [(m.kind, m.body) for m in messages_to(s.priya.id)] == [
        ("grant_suspended", f"DWP has paused your access to Alex Morgan's journal from {today}."),
        ("grant_resumed", f"Your access to Alex Morgan's journal has restarted on {today}."),
    ]
    assert all("Checking" not in m.body for m in messages_to(s.priya.id))  # never the reason


def test_the_end_date_is_told_once_when_the_sweep_ends_it(alex_and_priya, frozen_clock):
    s = alex_and_priya
    frozen_clock.now = s.grant.ends_at + timedelta(minutes=1)

    sweep.run(now=clock.now(), sender=Collecting(), services=bound(), checkpoint=False)
    sweep.run(now=clock.now(), sender=Collecting(), services=bound(), checkpoint=False)

    ended = [m for m in messages_to(s.priya.id) if m.kind == "grant_expired"]
    assert [m.body for m in ended] == [
        f"Your access to Alex Morgan's journal ended on {i18n.day(s.grant.ends_at)}, its end "
        "date. Ask them again if you still need it."
    ]


def test_a_review_date_passing_unconfirmed_is_told_once(alex_and_priya, frozen_clock):
    s = alex_and_priya
    grant = fresh(s.grant)
    grant.review_at = review_at = grant.ends_at - timedelta(days=30)  # checked before it ends
    db.session.commit()
    frozen_clock.now = review_at + timedelta(hours=1)

    first = sweep.run(now=clock.now(), sender=Collecting(), services=bound(), checkpoint=False)
    second = sweep.run(now=clock.now(), sender=Collecting(), services=bound(), checkpoint=False)

    assert (first.reviews_due_told, second.reviews_due_told) == (1, 0)
    [paused] = [m for m in messages_to(s.priya.id) if m.kind == "grant_review_due"]
    assert paused.body == (
        f"Your access to Alex Morgan's journal is paused from {i18n.day(clock.now())}: they "
        "have not checked it by its review date. It works again once they say you can keep it."
    )


def test_what_the_adviser_does_themselves_is_not_told_back(alex_and_priya):
    s = alex_and_priya

    grants.give_up(s.grant, signer=signer(), by=f"adviser:{s.priya.id}", now=clock.now())
    db.session.commit()

    assert messages_to(s.priya.id) == []
