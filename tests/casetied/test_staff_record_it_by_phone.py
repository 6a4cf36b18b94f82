"""Staff recording consent by phone can tie it to the claimant's reconsideration; the record's
banner, the staff API and the adviser's client page say when it ends."""

from __future__ import annotations

from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.models import Grant
from tests.casetied.helpers import case_tied
from tests.conftest import sign_in
from tests.factories import bearer
from tests.staff.helpers import PHONE_FACTS, phone_consent_path, post_form, text_of
from tests.watch.helpers import arrives


def only_grant(claimant) -> Grant:  # noqa: ANN001
    db.session.expire_all()
    return db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)).one()


def test_staff_can_tie_phone_consent_to_the_reconsideration(staff_client, people):
    form = staff_client.get(phone_consent_path(people.claimant)).text
    assert "Until the claimant&#39;s reconsideration is decided" in form

    answer = post_form(
        staff_client, phone_consent_path(people.claimant), {**PHONE_FACTS, "until_decided": "y"}
    )

    assert answer.status_code == 303, answer.text
    grant = only_grant(people.claimant)
    assert grant.until_event == grants.MR_DECIDED
    assert grant.ends_at == grants.add_months(grant.starts_at, 6)
    record = text_of(staff_client.get(f"/staff/claimants/{people.claimant.reference}").text)
    assert "When the reconsideration is decided (plus 31 days to appeal), and no later than" in (
        record
    )


def test_without_the_tick_it_is_ordinary_consent(staff_client, people):
    answer = post_form(staff_client, phone_consent_path(people.claimant), PHONE_FACTS)

    assert answer.status_code == 303, answer.text
    assert only_grant(people.claimant).until_event is None


def test_the_staff_api_and_the_advisers_page_say_when_it_ends(app, client, people, key):
    now = clock.now()
    grant = case_tied(people.claimant, people.adviser, now=now, scope_names="mr:read")
    consents = f"/api/v1/staff/claimants/{people.claimant.reference}/consents"
    adviser = app.test_client()
    sign_in(adviser, people.adviser.account.username)

    [before] = client.get(consents, headers=bearer(key)).json["consents"]
    page = text_of(adviser.get(f"/adviser/clients/{grant.id}").text)
    assert (before["until_event"], before["until_event_happened"]) == ("mr_decided", False)
    assert "ends 31 days after your client's reconsideration is decided" in page

    arrives(people.claimant, clock.uk_day(now), now=now)

    [after] = client.get(consents, headers=bearer(key)).json["consents"]
    assert (after["until_event"], after["until_event_happened"]) == ("mr_decided", True)
    assert after["ends_at"] != before["ends_at"]
    assert "ends 31 days after" not in text_of(adviser.get(f"/adviser/clients/{grant.id}").text)
