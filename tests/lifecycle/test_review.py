"""A grant whose review date passes stops working until the claimant confirms it with one tap:
keep it until the same end date, or end it now."""

from __future__ import annotations

from datetime import timedelta

from broker import clock
from broker.consent import grants
from broker.extensions import db
from tests.conftest import csrf_from, sign_in
from tests.factories import bearer, issue_token, make_claimant, make_grant, signer
from tests.staff.helpers import audit_actions, fresh, phone_grant, post_form, text_of


def signed_in(app, claimant):  # noqa: ANN001, ANN201
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    return phone


def overdue_grant(people, frozen_clock):  # noqa: ANN001, ANN201
    grant = phone_grant(
        people.claimant, people.adviser, people.staff, now=clock.now(), months=3, review_months=1
    )
    frozen_clock.now = grant.review_at + timedelta(days=1)
    return grant


def test_a_grant_past_its_review_date_stops_working(people, frozen_clock, client):
    grant = phone_grant(people.claimant, people.adviser, people.staff, now=clock.now())
    frozen_clock.now = grant.review_at - timedelta(minutes=1)
    token, _ = issue_token(grant)
    before = client.get("/api/v1/mr-decisions", headers=bearer(token))

    frozen_clock.now = grant.review_at
    after = client.get("/api/v1/mr-decisions", headers=bearer(token))

    assert (before.status_code, after.status_code) == (200, 401)
    assert grants.state_at(fresh(grant), clock.now()) == "review_overdue"


def test_keeping_it_makes_it_work_again_until_the_same_end_date(app, people, frozen_clock, client):
    grant = overdue_grant(people, frozen_clock)
    end = grant.ends_at
    phone = signed_in(app, people.claimant)

    kept = post_form(phone, f"/access/{grant.id}/review", {"choice": "keep"})
    token, _ = issue_token(fresh(grant))

    assert kept.status_code == 303 and kept.headers["Location"] == "/access"
    grant = fresh(grant)
    assert (grant.status, grant.review_at, grant.ends_at) == ("active", end, end)
    assert grant.reviewed_at == clock.now()
    assert client.get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 200
    assert audit_actions(people.claimant.id)[-2] == "grant.review_confirm"
    assert f"You kept Priya Shah's access until {end:%-d %B %Y}" in text_of(
        phone.get("/access").text
    )


def test_ending_it_at_review_revokes_it(app, people, frozen_clock):
    grant = overdue_grant(people, frozen_clock)
    phone = signed_in(app, people.claimant)

    ended = post_form(phone, f"/access/{grant.id}/review", {"choice": "end"})

    grant = fresh(grant)
    assert ended.status_code == 303
    assert (grant.status, grant.end_reason) == ("revoked", "Ended at review")
    assert "Priya Shah can no longer see your journal" in phone.get("/access").text


def test_the_claimant_is_asked_on_home_and_the_page_offers_two_one_tap_choices(
    app, people, frozen_clock
):
    grant = overdue_grant(people, frozen_clock)
    phone = signed_in(app, people.claimant)

    home = text_of(phone.get("/").text)
    page = phone.get(f"/access/{grant.id}/review").text

    assert "Priya Shah cannot see your journal until you check their access." in home
    assert "Should Priya Shah still see your journal?" in page
    assert f"Yes, keep it until {grant.ends_at:%-d %B %Y}" in page
    assert 'name="choice" value="keep"' in page and 'name="choice" value="end"' in page


def test_the_claimant_is_asked_14_days_before_the_review_date(app, people, frozen_clock):
    grant = phone_grant(people.claimant, people.adviser, people.staff, now=clock.now())
    phone = signed_in(app, people.claimant)
    early = text_of(phone.get("/").text)

    frozen_clock.now = grant.review_at - timedelta(days=13)
    phone = signed_in(app, people.claimant)  # weeks later: a new session
    soon = text_of(phone.get("/").text)

    assert "Check by" not in early
    assert (
        f"Check by {grant.review_at:%-d %B %Y} that Priya Shah should still see your journal."
    ) in soon


def test_a_grant_with_nothing_to_review_sends_the_claimant_back(app, people):
    grant = make_grant(people.claimant, people.adviser)  # review date is its end date
    phone = signed_in(app, people.claimant)

    answer = phone.get(f"/access/{grant.id}/review")

    assert answer.status_code == 303 and answer.headers["Location"] == "/access"


def test_a_suspended_grant_cannot_be_kept_by_review(app, people, frozen_clock):
    grant = overdue_grant(people, frozen_clock)
    phone = signed_in(app, people.claimant)
    page = phone.get(f"/access/{grant.id}/review")
    grants.suspend(
        fresh(grant), staff=people.staff, reason="Checking", now=clock.now(), signer=signer()
    )
    db.session.commit()

    answer = phone.post(
        f"/access/{grant.id}/review", data={"choice": "keep", "csrf_token": csrf_from(page.text)}
    )

    assert answer.status_code == 400
    assert "DWP has paused this access" in answer.text
    assert fresh(grant).status == "suspended"


def test_reviewing_without_the_csrf_token_changes_nothing(app, people, frozen_clock):
    grant = overdue_grant(people, frozen_clock)
    review_at = grant.review_at
    phone = signed_in(app, people.claimant)

    answer = phone.post(f"/access/{grant.id}/review", data={"choice": "keep"})

    assert answer.status_code == 400
    assert fresh(grant).review_at == review_at


def test_a_made_up_choice_changes_nothing(app, people, frozen_clock):
    grant = overdue_grant(people, frozen_clock)
    phone = signed_in(app, people.claimant)

    answer = post_form(
        phone,
        f"/access/{grant.id}/review",
        {"choice": "forever"},
        form_page=f"/access/{grant.id}/review",
    )

    assert answer.status_code == 400
    assert fresh(grant).reviewed_at is None


def test_someone_elses_grant_cannot_be_reviewed(app, people, frozen_clock):
    grant = overdue_grant(people, frozen_clock)
    stranger = make_claimant("Blake Other")
    phone = signed_in(app, stranger)
    token_page = phone.get("/access")

    page = phone.get(f"/access/{grant.id}/review")
    csrf = csrf_from(token_page.text)
    answer = phone.post(f"/access/{grant.id}/review", data={"choice": "keep", "csrf_token": csrf})

    assert (page.status_code, answer.status_code) == (404, 404)
    assert fresh(grant).reviewed_at is None


def test_a_staff_recorded_contact_is_reviewed_the_same_way(app, people, frozen_clock):
    from tests.staff.helpers import contact_grant

    contact = contact_grant(people.claimant, people.staff, now=clock.now())
    frozen_clock.now = contact.review_at + timedelta(hours=1)
    phone = signed_in(app, people.claimant)

    home = text_of(phone.get("/").text)
    kept = post_form(phone, f"/access/{contact.id}/review", {"choice": "keep"})

    assert "We have stopped contacting Jo Morgan until you check it." in home
    assert kept.status_code == 303
    assert "We will keep contacting Jo Morgan until" in phone.get("/access").text


def test_before_keeping_it_the_claimant_sees_what_they_did_since_it_was_given(
    app, people, frozen_clock, client
):
    grant = phone_grant(
        people.claimant,
        people.adviser,
        people.staff,
        now=clock.now(),
        months=3,
        review_months=1,
        scope_names="mr:read mr:request",
    )
    token, _ = issue_token(grant)
    for _ in range(3):
        client.get("/api/v1/mr-decisions", headers=bearer(token))
    client.post(
        "/api/v1/mr-requests",
        json={"decision_about": "Limited capability for work", "reasons": "It is wrong"},
        headers=bearer(token),
    )
    frozen_clock.now = grant.review_at + timedelta(days=1)
    phone = signed_in(app, people.claimant)

    page = text_of(phone.get(f"/access/{grant.id}/review").text)

    assert "What they did since" in page
    assert "Looked at your reconsideration decisions: 3 times" in page
    assert "Asked for a reconsideration for you:" in page
    assert page.index("What they did since") < page.index("Yes, keep it")
    assert "See everything they did" in page


def test_a_review_with_no_activity_says_so(app, people, frozen_clock):
    grant = overdue_grant(people, frozen_clock)
    phone = signed_in(app, people.claimant)

    page = text_of(phone.get(f"/access/{grant.id}/review").text)

    assert "They have not looked at anything or done anything." in page
