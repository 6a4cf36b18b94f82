"""Issue 23, item 5 (security.md 51): DWP staff reading a claimant's record is on the record.
Opening the record page, and a staff system's read of the consent banner, are audit events on the
claimant's chain naming the staff account or the API key, written in the same transaction as the
read: if the event cannot be written, nothing is shown. The claimant's history says "DWP staff
looked at your consent record", one line a UK day with how many times; their signed copy lists
every read. verify-audit still passes, and an adviser's statement holds none of them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from broker import clock
from broker.chain import audit, signed
from broker.extensions import db
from broker.models import AuditEvent, StaffApiKey
from broker.people import records
from tests.conftest import sign_in
from tests.factories import (
    bearer,
    bound,
    chain_events,
    issue_token,
    make_claimant,
    make_decision,
    make_grant,
)
from tests.proof.conftest import download_statement
from tests.staff.helpers import (
    assert_page,
    grant_in_state,
    phone_grant,
    post_form,
    signed_in_staff,
    text_of,
)

LOOKED = "DWP staff looked at your consent record"
WRONG = "This wasn't right"
LOOKED_CY = "Edrychodd staff DWP ar eich cofnod caniatâd"


def record_path(claimant) -> str:  # noqa: ANN001
    return f"/staff/claimants/{claimant.reference}"


def consents_path(claimant) -> str:  # noqa: ANN001
    return f"/api/v1/staff/claimants/{claimant.reference}/consents"


def staff_reads(claimant_id: str) -> list[AuditEvent]:
    return chain_events(claimant_id, "staff.%.read")


def history_of(app, claimant) -> str:  # noqa: ANN001
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    return assert_page(phone.get("/history"))


def staff_section(html: str) -> str:
    """The history's staff lines: from their heading to the sign-in history."""
    start = html.rindex("<h2", 0, html.index('id="staff-looks"'))
    end = html.rindex("<h2", 0, html.index('id="sign-in-history"'))
    return text_of(html[start:end])


def test_opening_a_record_is_an_event_on_the_chain_naming_the_staff_account(staff_client, people):
    grant = phone_grant(people.claimant, people.adviser, people.staff, now=clock.now())

    page = assert_page(staff_client.get(record_path(people.claimant)))
    staff_client.get(record_path(people.claimant))

    assert grant.representative_name in page  # the banner was shown...
    reads = staff_reads(people.claimant.id)  # ...and each opening is on the chain
    assert [(e.action, e.actor, e.resource, e.outcome, e.grant_id) for e in reads] == 2 * [
        (
            records.RECORD_READ,
            f"staff:{people.staff.id}",
            f"claimant:{people.claimant.reference}",
            "allowed",
            "",
        )
    ]


def test_the_record_shown_again_after_a_refused_change_is_a_read_too(staff_client, people):
    grant = grant_in_state("current", people.claimant, people.adviser, people.staff)

    refused = post_form(
        staff_client,
        f"{record_path(people.claimant)}/grants/{grant.id}/lift",
        form_page=record_path(people.claimant),
    )

    assert refused.status_code == 400 and grant.representative_name in refused.text
    assert len(staff_reads(people.claimant.id)) == 2  # the form's page, then the refusal's


def test_a_staff_systems_read_of_the_banner_names_the_api_key(client, people, key):
    assert client.get(consents_path(people.claimant), headers=bearer(key)).status_code == 200

    (event,) = staff_reads(people.claimant.id)
    row = db.session.scalar(db.select(StaffApiKey))
    assert (event.action, event.actor, event.resource, event.outcome) == (
        records.CONSENTS_READ,
        f"staff-system:{row.id}",
        f"claimant:{people.claimant.reference}",
        "allowed",
    )


def test_an_unknown_reference_puts_nothing_on_any_chain(staff_client, client, people, key):
    before = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))

    page = staff_client.get("/staff/claimants/UC-0000-XX")
    answer = client.get("/api/v1/staff/claimants/UC-0000-XX/consents", headers=bearer(key))

    assert (page.status_code, answer.status_code) == (404, 404)
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == before


def _broken_append(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
    raise audit.AuditWriteFailed("disk full")


def test_if_the_read_cannot_be_audited_the_record_is_not_shown(staff_client, people, monkeypatch):
    grant = phone_grant(people.claimant, people.adviser, people.staff, now=clock.now())
    people.claimant.additional_support = "Needs an interpreter"
    db.session.commit()
    before = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))

    monkeypatch.setattr(audit, "append", _broken_append)
    page = staff_client.get(record_path(people.claimant))
    monkeypatch.undo()

    assert page.status_code == 500
    for secret in (people.claimant.name, grant.representative_name, "Needs an interpreter"):
        assert secret not in page.text, secret
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == before


def test_if_the_api_read_cannot_be_audited_the_banner_is_not_returned(
    client, people, key, monkeypatch
):
    grant = phone_grant(people.claimant, people.adviser, people.staff, now=clock.now())

    monkeypatch.setattr(audit, "append", _broken_append)
    answer = client.get(consents_path(people.claimant), headers=bearer(key))
    monkeypatch.undo()

    assert answer.status_code == 500
    assert answer.json["error"] == "server_error"
    assert grant.representative_name not in answer.text
    assert people.claimant.reference not in answer.text
    assert staff_reads(people.claimant.id) == []


def test_the_claimants_history_says_dwp_staff_looked_one_line_a_day(app, people, key, frozen_clock):
    frozen_clock.now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    jordan = signed_in_staff(app, people.staff)
    for _ in range(2):
        jordan.get(record_path(people.claimant))
    app.test_client().get(consents_path(people.claimant), headers=bearer(key))
    frozen_clock.now = datetime(2026, 12, 4, 14, 30, tzinfo=UTC)
    signed_in_staff(app, people.staff).get(record_path(people.claimant))

    lines = staff_section(history_of(app, people.claimant))

    assert lines.startswith("DWP staff Each day DWP staff looked at your record")
    # Newest day first; the staff member's and the system's looks counted together.
    # Each day's line has its own "This wasn't right" (issue 27).
    assert f"{LOOKED} 4 December 2026 {WRONG} {LOOKED}: 3 times 3 December 2026 {WRONG}" in lines
    assert len(staff_reads(people.claimant.id)) == 4  # every read stays on the chain


def test_the_history_says_it_in_welsh(app, people, frozen_clock):
    people.claimant.account.language = "cy"
    db.session.commit()
    frozen_clock.now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    jordan = signed_in_staff(app, people.staff)
    jordan.get(record_path(people.claimant))
    jordan.get(record_path(people.claimant))

    lines = staff_section(history_of(app, people.claimant))

    assert lines.startswith("Staff DWP Pob diwrnod yr edrychodd staff DWP ar eich cofnod")
    assert f"{LOOKED_CY}: 2 waith 3 Rhagfyr 2026" in lines
    assert LOOKED not in lines


def test_a_look_late_on_a_summer_evening_counts_on_that_uk_day(app, people, frozen_clock):
    frozen_clock.now = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # 23:30 in London: 1 July
    signed_in_staff(app, people.staff).get(record_path(people.claimant))
    frozen_clock.now = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 in London: 2 July
    signed_in_staff(app, people.staff).get(record_path(people.claimant))

    lines = staff_section(history_of(app, people.claimant))

    assert f"{LOOKED} 2 July 2026 {WRONG} {LOOKED} 1 July 2026 {WRONG}" in lines


def test_a_claimant_nobody_at_dwp_looked_at_has_no_staff_lines(app, people):
    html = history_of(app, people.claimant)

    assert 'id="staff-looks"' not in html and LOOKED not in html


def test_a_partner_does_not_see_staff_looks_at_the_other_partners_record(app, people, staff_client):
    partner = make_claimant("Sam Morgan", partner=people.claimant)

    staff_client.get(record_path(people.claimant))

    assert LOOKED in history_of(app, people.claimant)
    assert LOOKED not in history_of(app, partner)


def test_the_signed_copy_lists_every_staff_read_and_verifies(app, people, key, runner, tmp_path):
    signed_in_staff(app, people.staff).get(record_path(people.claimant))
    app.test_client().get(consents_path(people.claimant), headers=bearer(key))
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)

    document = phone.get("/history.json").get_json()

    copy = document["history"]
    assert signed.verify(document["jws"], signed.HISTORY, bound().key_set()) == copy
    chain = {e.seq: e for e in staff_reads(people.claimant.id)}
    assert [(r["action"], r["by"]) for r in copy["staff_reads"]] == [
        (records.CONSENTS_READ, "staff-system"),  # newest first
        (records.RECORD_READ, "staff"),
    ]
    for read in copy["staff_reads"]:  # each one the event at that place in the chain
        assert chain[read["seq"]].action == read["action"]
        assert read["at"] == clock.from_micros(chain[read["seq"]].occurred_us).isoformat()
    path = tmp_path / "history.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(args=["verify-statement", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 look(s) by DWP staff" in result.output


def test_verify_audit_passes_after_staff_reads(app, people, key, runner):
    grant = make_grant(people.claimant, people.adviser)
    token, _ = issue_token(grant)
    api = app.test_client()
    jordan = signed_in_staff(app, people.staff)
    for _ in range(3):  # reads by the adviser and by staff, interleaved on one chain
        api.get("/api/v1/mr-decisions", headers=bearer(token))
        jordan.get(record_path(people.claimant))
        api.get(consents_path(people.claimant), headers=bearer(key))
    assert runner.invoke(args=["checkpoint", "--force"]).exit_code == 0

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 0, result.output
    assert "Every audit chain is intact" in result.output
    assert len(staff_reads(people.claimant.id)) == 6


def test_the_advisers_statement_holds_none_of_the_staff_reads(
    app, client, people, key, runner, tmp_path
):
    grant = make_grant(people.claimant, people.adviser)
    token, jti = issue_token(grant)
    decision = make_decision(people.claimant)
    api = app.test_client()
    api.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))
    signed_in_staff(app, people.staff).get(record_path(people.claimant))
    api.get(consents_path(people.claimant), headers=bearer(key))
    api.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))

    document = download_statement(client, people.adviser, grant)

    events = document["statement"]["events"]
    mine = [e for e in events if "action" in e]
    assert [(e["action"], e["token_id"]) for e in mine] == 2 * [("mr.read", jti)]
    hidden = [e for e in events if "action" not in e]
    assert hidden and all(
        set(e) == {"seq", "prev_hash", "hash", "actor_commitment"} for e in hidden
    )
    text = json.dumps(document)
    for secret in ("staff.record.read", "staff.consents.read", people.staff.id, "staff-system"):
        assert secret not in text, secret
    jwks, cps = tmp_path / "jwks.json", tmp_path / "checkpoints.json"
    jwks.write_text(client.get("/.well-known/jwks.json").text)
    cps.write_text(client.get("/api/v1/audit/checkpoints").text)
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(
        args=["verify-statement", str(path), "--jwks", str(jwks), "--checkpoints", str(cps)]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"\b2 event\(s\) in all", result.output), result.output
