"""The disclosure rule holds for every teller (issue 23): over random windows, a decision dated
on a random UK day around both 2026 clock changes, and a window sometimes narrowed after the
telling was queued, nothing dated outside the window reaches the adviser or the case system by
any channel (console notice, console list, email, pushed SET, an `allowed` event on the chain
that their statement would carry), and nothing inside is lost. The API's answer by ID, the
guard's own use of the rule, agrees with every channel."""

from __future__ import annotations

from datetime import UTC, date, datetime

import jwt
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from broker import sweep
from broker.casework import watches
from broker.consent import grants
from broker.consent.windows import Window
from broker.extensions import db
from broker.models import AuditEvent, Grant, MRDecisionNotice
from tests.conftest import sign_in
from tests.factories import bearer, bound, issue_token, make_adviser, make_claimant, signer
from tests.lifecycle import senders
from tests.watch.helpers import CLIENT_ID, arrives, register_case_system, run_sweep
from tests.window.dated import windowed

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
# 29 March and 25 October 2026: the UK day and the UTC day part around midnight.
days = st.dates(min_value=date(2026, 3, 20), max_value=date(2026, 11, 5))
open_or_day = st.one_of(st.none(), days)


def told_of(window: Window, day: date) -> bool:
    """The oracle: the decision's UK day against the window's days, inclusive."""
    return (window.date_from is None or day >= window.date_from) and (
        window.date_to is None or day <= window.date_to
    )


def test_every_teller_keeps_to_the_window(app, ctx, frozen_clock, receiver):  # noqa: ANN001
    frozen_clock.now = NOW
    register_case_system(receiver)
    client = app.test_client()

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        start=open_or_day,
        end=open_or_day,
        decided_on=days,
        later_start=open_or_day,
        narrow=st.booleans(),
    )
    def tell(start, end, decided_on, later_start, narrow) -> None:  # noqa: ANN001
        assume(not (start and end and end < start))
        window = Window(start, end)
        sam, priya = make_claimant("Sam Patel"), make_adviser("Priya Shah")
        priya.tell_by = watches.EMAIL
        grant = windowed(sam, priya, window, "mr:read journal:read")
        _console_token, console_jti = issue_token(grant, client_id="adviser-console")
        watches.set_for_demo(grant, token_id=console_jti, now=NOW)
        db.session.commit()
        case_token, _ = issue_token(grant, client_id=CLIENT_ID)
        assert client.post("/api/v1/mr-decision-watch", headers=bearer(case_token)).status_code in (
            200,
            201,
        )
        received_before = len(receiver.received)

        decision = arrives(sam, decided_on, "partly_changed", now=NOW)
        queued = told_of(window, decided_on)
        narrowed = Window(later_start, end)
        if narrow and narrowed.within(window) and narrowed != window and narrowed.date_from:
            assume(not (end and later_start > end))
            grants.narrow_window(grant, narrowed, signer=signer(), by="claimant", now=NOW)
            db.session.commit()
            window = narrowed
        still = queued and told_of(window, decided_on)
        senders.COLLECTED.clear()
        run_sweep(receiver)
        sweep.run(now=NOW, sender=senders.Collecting(), services=bound(), checkpoint=False)

        db.session.expire_all()
        notices = db.session.scalars(
            db.select(MRDecisionNotice).where(MRDecisionNotice.decision_id == decision.id)
        ).all()
        pushed = [
            event
            for r in receiver.received[received_before:]
            for event in jwt.decode(r.body, options={"verify_signature": False})["events"].values()
            if event.get("grant_id") == grant.id  # decisions (CAEP events name no decision)
        ]
        emailed = [
            m for m in senders.COLLECTED if m.account_id == priya.id and m.kind == watches.ARRIVED
        ]
        allowed = db.session.scalars(
            db.select(AuditEvent).where(
                AuditEvent.claimant_id == sam.id,
                AuditEvent.resource == f"mr_decision:{decision.id}",
                AuditEvent.outcome == "allowed",
            )
        ).all()
        sign_in(client, priya.account.username)
        console = client.get("/adviser/").text
        client.post("/sign-out")
        read_token, _ = issue_token(db.session.get(Grant, grant.id))
        by_id = client.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(read_token))

        assert len(notices) == (2 if queued else 0)  # the console's and the case system's
        assert [event["decision_id"] for event in pushed] == ([decision.id] if still else [])
        assert len(emailed) == (1 if still else 0)
        assert sorted(e.action for e in allowed) == (
            ["mr_decision.notified", "mr_decision.pushed"]
            if still
            else ["mr_decision.notified"]
            if queued
            else []
        )
        assert ("partly changed" in console) == still
        assert by_id.status_code == (200 if still else 404)
        grants.revoke(db.session.get(Grant, grant.id), signer=signer(), by="test", now=NOW)
        db.session.commit()

    tell()
