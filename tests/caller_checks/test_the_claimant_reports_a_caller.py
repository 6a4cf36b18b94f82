"""The claimant presses "This caller was not genuine": the report is kept (which check, when) and
in their chain, they see a plain confirmation with what to do next, and DWP staff see a warning
on the record. Another claimant's check cannot be reported, and a report needs the form's token."""

from __future__ import annotations

from broker.extensions import db
from tests.caller_checks.conftest import signed_in
from tests.caller_checks.helpers import caller_events, checks_of, codes_on, staff_starts
from tests.conftest import csrf_from
from tests.factories import make_claimant
from tests.staff.helpers import assert_page, text_of


def report(phone, check_id: str):  # noqa: ANN001, ANN201
    page = phone.get("/who-is-calling")
    return phone.post(
        f"/who-is-calling/{check_id}/not-genuine", data={"csrf_token": csrf_from(page.text)}
    )


def test_a_report_is_confirmed_with_what_to_do_and_kept_in_the_chain(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)

    answer = report(phone, check.id)

    assert answer.status_code == 303
    done = text_of(assert_page(phone.get(answer.headers["Location"])))
    assert "You told us this caller was not genuine" in done
    assert "We have told DWP about Jordan Lee." in done
    assert "Call DWP on the number on GOV.UK." in done
    [check] = checks_of(people.claimant.id)
    assert check.reported_at is not None
    assert caller_events(people.claimant.id)[-1] == (
        "caller_check.reported",
        f"claimant:{people.claimant.id}",
        f"caller_check:{check.id}",
    )
    again = text_of(phone.get("/who-is-calling").text)
    assert "You told us this caller was not genuine." in again


def test_staff_see_the_report_as_a_warning_on_the_record(app, people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    report(phone, check.id)

    record = assert_page(staff.get(f"/staff/claimants/{people.claimant.reference}"))

    assert 'class="govuk-warning-text" id="caller-report-1"' in record
    assert "The claimant reported a caller as not genuine on" in text_of(
        record
    ) and "Jordan Lee, Department for Work and Pensions" in text_of(record)


def test_reporting_twice_keeps_one_report(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)

    report(phone, check.id)
    report(phone, check.id)

    assert [a for a, _, _ in caller_events(people.claimant.id)].count("caller_check.reported") == 1


def test_another_claimants_check_cannot_be_reported_or_seen(app, people, staff):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    intruder = make_claimant("Sam Morgan")
    db.session.commit()
    other_phone = signed_in(app, intruder.account.username)

    assert report(other_phone, check.id).status_code == 404
    assert other_phone.get(f"/who-is-calling/{check.id}/not-genuine").status_code == 404
    assert checks_of(people.claimant.id)[0].reported_at is None


def test_a_report_without_the_forms_token_changes_nothing(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)

    assert phone.post(f"/who-is-calling/{check.id}/not-genuine").status_code == 400
    assert checks_of(people.claimant.id)[0].reported_at is None


def test_an_id_that_is_not_a_uuid_names_no_page(people, phone):
    page = phone.get("/who-is-calling")
    answer = phone.post(
        "/who-is-calling/1%20OR%201=1/not-genuine", data={"csrf_token": csrf_from(page.text)}
    )
    assert answer.status_code == 404


def test_after_a_report_the_phone_no_longer_says_the_call_is_real(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    before = phone.get("/who-is-calling").text
    assert "If it is the same, the call is real." in text_of(before)

    report(phone, check.id)

    for page in (phone.get("/who-is-calling").text, phone.get("/").text):
        words = text_of(page)
        assert "the call is real" not in words
        assert codes_on(page) == []  # no code to match a caller they reported
        assert "govuk-notification-banner--success" not in page  # nothing green about it
        assert "You told us this caller was not genuine." in words
        assert "We have told DWP about Jordan Lee." in words
        assert "Call DWP on the number on GOV.UK." in words
