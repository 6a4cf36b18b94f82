"""Staff pages talk about the claimant, not to them: "Information: their payments", never "Your
payments" (issue 12). The words come from the scope catalogue, like the claimant's own."""

from __future__ import annotations

import re

import scopes
from tests.factories import make_grant
from tests.staff.helpers import assert_page, text_of

SECOND_PERSON = re.compile(r"\byou(r|rs)?\b", re.I)


def test_every_scope_in_the_catalogue_has_a_third_person_title_for_staff():
    for scope in scopes.catalogue().values():
        assert scope.staff, f"{scope.name} has no staff wording"
        assert not SECOND_PERSON.search(scope.staff_title()), scope.name


def test_the_consent_banner_names_the_information_in_the_third_person(staff_client, people):
    make_grant(people.claimant, people.adviser, "mr:read payments:read")

    html = assert_page(staff_client.get(f"/staff/claimants/{people.claimant.reference}"))
    words = text_of(html)

    assert "Information Their reconsideration decisions; Their payments" in words
    assert "Your payments" not in words
    assert "Your reconsideration decisions" not in words


def test_the_phone_consent_form_offers_the_information_in_the_third_person(staff_client, people):
    html = assert_page(
        staff_client.get(f"/staff/claimants/{people.claimant.reference}/consent/new")
    )
    words = text_of(html)

    for title in (
        "Their reconsideration decisions",
        "Their journal",
        "Health and abuse notes in their journal (at most 3 months)",
        "Ask for a reconsideration for them (at most 3 months)",
        "Their payments",
        "Their to-do list",
    ):
        assert title in words
    assert not SECOND_PERSON.search(words.split("What information may be shared")[1][:400])
