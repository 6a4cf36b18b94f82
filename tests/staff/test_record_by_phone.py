"""Staff record consent that a claimant gave by phone: all five facts are required; the review
date is one month unless extended, to six months at most and never beyond the end; the claimant
then sees it on their phone, with who recorded it, and can stop it."""

from __future__ import annotations

import re

import pytest

from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.models import Grant
from tests.conftest import sign_in
from tests.factories import bearer, issue_token, signer
from tests.staff.helpers import (
    PHONE_FACTS,
    assert_page,
    audit_actions,
    error_summary,
    outbox,
    phone_consent_path,
    post_form,
    text_of,
)


def grants_of(claimant) -> list[Grant]:  # noqa: ANN001
    return list(db.session.scalars(db.select(Grant).where(Grant.claimant_id == claimant.id)))


def test_the_form_asks_for_the_five_facts(staff_client, people):
    html = assert_page(staff_client.get(phone_consent_path(people.claimant)))
    words = text_of(html)

    for label in (
        "Representative's full name",
        "Their organisation",
        "Their relationship to the claimant",
        "What information may be shared",
        "Why the information is needed",
        "The claimant told me they agree to us sharing their information with this person",
    ):
        assert label in words
    assert 'id="review_months" name="review_months" type="radio" value="1" checked' in html


def test_recording_consent_creates_a_working_grant_with_a_one_month_review(
    staff_client, people, frozen_clock
):
    done = post_form(staff_client, phone_consent_path(people.claimant), PHONE_FACTS)

    assert done.status_code == 303
    assert done.headers["Location"] == f"/staff/claimants/{people.claimant.reference}"
    [grant] = grants_of(people.claimant)
    now = frozen_clock.now
    assert (grant.status, grant.recorded_by, grant.recorded_by_staff_id) == (
        "active",
        "staff",
        people.staff.id,
    )
    assert (grant.representative_name, grant.organisation_name) == (
        "Ruth Evans",
        "Eastgate Housing Association",
    )
    assert grant.scopes == "mr:read payments:read"
    assert grant.review_at == grants.add_months(now, 1)
    assert grant.ends_at == grants.add_months(now, 6)
    assert audit_actions(people.claimant.id)[-1] == "grant.create"
    page = staff_client.get(f"/staff/claimants/{people.claimant.reference}")
    assert "Consent for Ruth Evans is recorded" in page.text


@pytest.mark.parametrize(
    "missing", ["consented", "name", "organisation", "relationship", "scopes", "purpose"]
)
def test_each_of_the_five_facts_is_required(staff_client, people, missing):
    facts = {k: v for k, v in PHONE_FACTS.items() if k != missing}

    answer = post_form(staff_client, phone_consent_path(people.claimant), facts)

    html = assert_page(answer, 400)
    assert "There is a problem" in html
    assert f'href="#{missing}"' in html
    assert grants_of(people.claimant) == []


def test_no_length_is_chosen_for_staff_but_the_review_is_one_month(staff_client, people):
    html = assert_page(staff_client.get(phone_consent_path(people.claimant)))

    months = re.findall(r'<input[^>]*name="months"[^>]*>', html)
    assert [m for m in months if "checked" in m] == []
    assert len(months) == 3
    assert 'id="review_months" name="review_months" type="radio" value="1" checked' in html


def test_choosing_no_length_says_choose_how_long_the_consent_lasts(staff_client, people):
    facts = {k: v for k, v in PHONE_FACTS.items() if k != "months"}

    html = assert_page(post_form(staff_client, phone_consent_path(people.claimant), facts), 400)

    assert error_summary(html) == [("months", "Choose how long the consent lasts")]
    assert 'id="months-error"' in html
    assert "Not a valid choice" not in html
    assert grants_of(people.claimant) == []


def test_the_review_can_be_extended_to_six_months(staff_client, people, frozen_clock):
    post_form(
        staff_client, phone_consent_path(people.claimant), {**PHONE_FACTS, "review_months": "6"}
    )

    [grant] = grants_of(people.claimant)
    assert grant.review_at == grants.add_months(frozen_clock.now, 6) == grant.ends_at


@pytest.mark.parametrize("review", ["7", "0", "12"])
def test_a_review_beyond_six_months_is_refused(staff_client, people, review):
    answer = post_form(
        staff_client, phone_consent_path(people.claimant), {**PHONE_FACTS, "review_months": review}
    )

    assert answer.status_code == 400
    assert grants_of(people.claimant) == []


def test_a_review_after_the_consent_ends_is_refused(staff_client, people):
    answer = post_form(
        staff_client,
        phone_consent_path(people.claimant),
        {**PHONE_FACTS, "months": "3", "review_months": "4"},
    )

    assert "The review date cannot be after the consent ends" in assert_page(answer, 400)
    assert grants_of(people.claimant) == []


def test_a_scopes_own_maximum_still_applies(staff_client, people):
    answer = post_form(
        staff_client,
        phone_consent_path(people.claimant),
        {**PHONE_FACTS, "scopes": ["journal:sensitive"], "months": "6"},
    )

    assert "can last 3 months at most" in assert_page(answer, 400)
    assert grants_of(people.claimant) == []


def test_the_domain_refuses_a_review_beyond_six_months_whatever_the_form(ctx, people):
    with pytest.raises(grants.GrantRefused, match="1 to 6 months"):
        grants.record_by_phone(
            people.claimant,
            grants.Representative.of(people.adviser),
            staff=people.staff,
            consented=True,
            scope_names="mr:read",
            purpose="Appeal",
            relationship="Adviser",
            months=6,
            review_months=7,
            now=clock.now(),
            signer=signer(),
        )


def test_an_adviser_code_links_the_consent_so_the_advisers_tokens_work(
    staff_client, client, people
):
    facts = {
        **PHONE_FACTS,
        "name": "priya shah",
        "organisation": "typed by staff",
        "adviser_code": people.adviser.code.lower(),
    }

    assert post_form(staff_client, phone_consent_path(people.claimant), facts).status_code == 303

    [grant] = grants_of(people.claimant)
    assert grant.adviser_id == people.adviser.id
    assert grant.organisation_name == "Northside Citizens Advice"  # from the adviser's account
    token, _ = issue_token(grant)
    assert client.get("/api/v1/mr-decisions", headers=bearer(token)).status_code == 200


def test_an_adviser_code_for_someone_else_is_refused(staff_client, people):
    facts = {**PHONE_FACTS, "adviser_code": people.adviser.code}  # the name typed is Ruth Evans

    answer = post_form(staff_client, phone_consent_path(people.claimant), facts)

    assert "That adviser code belongs to Priya Shah" in assert_page(answer, 400)
    assert grants_of(people.claimant) == []


def test_the_claimant_sees_it_with_who_recorded_it_and_is_sent_a_notice(app, staff_client, people):
    post_form(staff_client, phone_consent_path(people.claimant), PHONE_FACTS)
    claimant_client = app.test_client()
    sign_in(claimant_client, people.claimant.account.username)

    words = text_of(claimant_client.get("/access").text)
    [notice] = outbox(people.claimant.id)

    assert "Ruth Evans, Eastgate Housing Association" in words
    assert "Given by Jordan Lee from DWP, on the phone with you" in words
    assert notice.kind == "recorded_by_phone"
    assert "Jordan Lee from DWP wrote down on the phone that you agreed Ruth Evans" in notice.body
    assert "If you did not agree, stop it" in notice.body


def test_the_claimant_can_stop_consent_recorded_by_phone(app, staff_client, people):
    post_form(staff_client, phone_consent_path(people.claimant), PHONE_FACTS)
    [grant] = grants_of(people.claimant)
    claimant_client = app.test_client()
    sign_in(claimant_client, people.claimant.account.username)

    stopped = post_form(claimant_client, f"/access/{grant.id}/revoke")

    assert stopped.status_code == 303
    db.session.expire_all()
    assert db.session.get(Grant, grant.id).status == "revoked"


def test_recording_without_the_csrf_token_changes_nothing(staff_client, people):
    answer = staff_client.post(phone_consent_path(people.claimant), data=PHONE_FACTS)

    assert answer.status_code == 400
    assert grants_of(people.claimant) == []
