"""A DWP staff member (on the record) or an adviser with live access (on the client's page) starts
a caller check; their page shows the code to read out and the claimant's phone shows the same
code with their name and organisation. A newer check by the same caller replaces the older one;
two callers' checks both show. The start is in the claimant's chain; the code never is."""

from __future__ import annotations

from broker import clock
from broker.casework import caller_checks
from broker.consent import grants
from broker.extensions import db
from broker.models import AuditEvent
from tests.caller_checks.conftest import signed_in
from tests.caller_checks.helpers import (
    adviser_starts,
    caller_events,
    checks_of,
    codes_on,
    staff_starts,
)
from tests.conftest import csrf_from
from tests.factories import make_adviser, make_claimant, make_grant, make_staff, signer
from tests.staff.helpers import assert_page, text_of


def test_staff_start_a_check_and_read_the_same_code_the_phone_shows(people, staff, phone):
    started = staff_starts(staff, people.claimant.reference)

    assert started.status_code == 303
    staff_page = assert_page(staff.get(started.headers["Location"]))
    [code] = codes_on(staff_page)
    assert "Read out this code" in staff_page
    home = assert_page(phone.get("/"))
    assert codes_on(home) == [code]
    assert "Jordan Lee from Department for Work and Pensions" in text_of(home)
    who = text_of(assert_page(phone.get("/who-is-calling")))
    assert "Someone is calling you" in who and code in who
    assert "Nobody from DWP" not in who


def test_an_adviser_with_live_access_starts_one_from_their_clients_page(people, adviser, phone):
    client_page = adviser.get(f"/adviser/clients/{people.grant.id}")
    assert "Start a caller check" in client_page.text

    started = adviser_starts(adviser, people.grant.id)

    assert started.status_code == 303
    [code] = codes_on(adviser.get(started.headers["Location"]).text)
    phone_text = text_of(phone.get("/who-is-calling").text)
    assert "Priya Shah from Northside Citizens Advice" in phone_text
    assert code in phone_text


def test_the_start_is_audited_with_the_caller_and_the_code_is_not(people, staff):
    staff_starts(staff, people.claimant.reference)

    [check] = checks_of(people.claimant.id)
    assert caller_events(people.claimant.id) == [
        ("caller_check.started", f"staff:{people.staff.id}", f"caller_check:{check.id}")
    ]
    every = db.session.scalars(db.select(AuditEvent)).all()
    assert all(check.code not in f"{e.actor}{e.action}{e.resource}{e.outcome}" for e in every)
    assert all(e.grant_id == "" for e in every if e.action.startswith("caller_check."))


def test_a_newer_check_by_the_same_caller_replaces_the_older_one(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    staff_starts(staff, people.claimant.reference)

    first, second = checks_of(people.claimant.id)
    assert (first.end_reason, second.end_reason) == ("replaced", None)
    assert codes_on(phone.get("/who-is-calling").text) == [second.code]
    assert [a for a, _, _ in caller_events(people.claimant.id)] == [
        "caller_check.started",
        "caller_check.replaced",
        "caller_check.started",
        "caller_check.shown",  # the phone showed only the newer one
    ]


def test_checks_from_two_callers_both_show(people, staff, adviser, phone):
    staff_starts(staff, people.claimant.reference)
    adviser_starts(adviser, people.grant.id)

    page = text_of(phone.get("/who-is-calling").text)

    assert "Jordan Lee from Department for Work and Pensions" in page
    assert "Priya Shah from Northside Citizens Advice" in page
    assert len(codes_on(phone.get("/").text)) == 2


def test_the_fourth_start_in_ten_minutes_is_refused_with_a_clear_message(
    people, staff, phone, frozen_clock
):
    for _ in range(3):
        assert staff_starts(staff, people.claimant.reference).status_code == 303
        frozen_clock.advance(minutes=2)

    refused = staff_starts(staff, people.claimant.reference)

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(4 * 60)  # the first start leaves the window
    text = text_of(refused.text)
    assert "You have started 3 caller checks for this person in the last 10 minutes." in text
    assert "Wait 4 minutes, then try again" in text
    assert len(checks_of(people.claimant.id)) == 3
    frozen_clock.advance(minutes=4)
    assert staff_starts(staff, people.claimant.reference).status_code == 303


def test_the_limit_is_per_caller_so_another_caller_can_still_start(people, staff, adviser):
    for _ in range(3):
        staff_starts(staff, people.claimant.reference)

    assert staff_starts(staff, people.claimant.reference).status_code == 429
    assert adviser_starts(adviser, people.grant.id).status_code == 303


def test_an_adviser_is_refused_the_fourth_start_too(people, adviser):
    for _ in range(3):
        adviser_starts(adviser, people.grant.id)

    refused = adviser_starts(adviser, people.grant.id)

    assert refused.status_code == 429
    assert "You have started 3 caller checks" in text_of(refused.text)


def test_an_adviser_whose_access_ended_cannot_start_one(people, adviser):
    page = adviser.get(f"/adviser/clients/{people.grant.id}/caller-checks")
    grants.revoke(
        people.grant, by=f"claimant:{people.claimant.id}", now=clock.now(), signer=signer()
    )
    db.session.commit()

    refused = adviser.post(
        f"/adviser/clients/{people.grant.id}/caller-checks",
        data={"csrf_token": csrf_from(page.text)},
    )

    assert refused.status_code == 403
    assert "Your access to this client has ended or is paused" in text_of(refused.text)
    assert checks_of(people.claimant.id) == []


def test_another_advisers_grant_is_404_and_starts_nothing(people, adviser):
    other_claimant = make_claimant("Sam Morgan")
    other_grant = make_grant(other_claimant, make_adviser("Tom Reed", "Riverside Law Centre"))

    assert adviser.get(f"/adviser/clients/{other_grant.id}/caller-checks").status_code == 404
    page = adviser.get(f"/adviser/clients/{people.grant.id}/caller-checks")
    attack = adviser.post(
        f"/adviser/clients/{other_grant.id}/caller-checks",
        data={"csrf_token": csrf_from(page.text)},
    )

    assert attack.status_code == 404
    assert checks_of(other_claimant.id) == []


def test_a_start_without_the_forms_token_changes_nothing(people, staff, adviser):
    assert (
        staff.post(f"/staff/claimants/{people.claimant.reference}/caller-checks").status_code == 400
    )
    assert adviser.post(f"/adviser/clients/{people.grant.id}/caller-checks").status_code == 400
    assert checks_of(people.claimant.id) == []


def test_a_claimant_or_an_adviser_cannot_use_the_staff_button(people, phone, adviser):
    path = f"/staff/claimants/{people.claimant.reference}/caller-checks"

    assert phone.post(path).status_code in (400, 403)
    assert phone.get(path).status_code == 403
    assert adviser.get(path).status_code == 403
    assert checks_of(people.claimant.id) == []


def test_a_staff_member_sees_only_their_own_code(app, people, staff):
    staff_starts(staff, people.claimant.reference)
    colleague = signed_in(app, make_staff("Robin Green").account.username)

    page = colleague.get(f"/staff/claimants/{people.claimant.reference}/caller-checks")

    assert codes_on(page.text) == []
    assert "You have no caller check running" in page.text


def test_the_code_is_four_random_digits(ctx):
    claimant = make_claimant()
    codes = set()
    for n in range(40):
        caller = caller_checks.Caller(f"test:{n}", "test", f"Caller {n}", "Test")
        # Each after the last ran out: a phone shows at most 3 live checks (security.md 66).
        later = clock.now() + n * caller_checks.LIFETIME
        codes.add(caller_checks.start(claimant.id, caller, now=later).code)
    db.session.rollback()

    assert all(len(code) == 4 and code.isdigit() for code in codes)
    assert len(codes) > 30  # 40 draws from 10,000 rarely repeat
