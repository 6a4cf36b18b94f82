"""The error summary on a staff form lists the problems in the order the page asks the questions,
each linking to its field (GOV.UK error summary), whatever order the form class declares them in.
"""

from __future__ import annotations

import pytest

from tests.staff.helpers import assert_page, error_summary, post_form

FORMS = {
    "consent/new": [
        "name",
        "organisation",
        "relationship",
        "scopes",
        "purpose",
        "months",
        "consented",
    ],
    "contact/new": ["name", "relationship", "scopes", "purpose", "months", "consented"],
}


def field_positions(html: str, idents: list[str]) -> list[str]:
    """These ids in the order the form shows them (after the error summary)."""
    form = html.index("<form")
    return sorted(idents, key=lambda ident: html.index(f'id="{ident}"', form))


@pytest.mark.parametrize("form", FORMS)
def test_an_empty_form_lists_every_problem_in_the_order_of_the_page(staff_client, people, form):
    path = f"/staff/claimants/{people.claimant.reference}/{form}"

    html = assert_page(post_form(staff_client, path, {"review_months": "1"}), 400)

    linked = [ident for ident, _message in error_summary(html)]
    assert linked == FORMS[form]
    assert linked == field_positions(html, linked)


def test_a_partly_filled_form_keeps_the_page_order(staff_client, people):
    path = f"/staff/claimants/{people.claimant.reference}/consent/new"

    html = assert_page(
        post_form(staff_client, path, {"name": "Ruth Evans", "purpose": "Rent arrears"}), 400
    )

    assert error_summary(html) == [
        ("organisation", "Enter the representative's organisation"),
        ("relationship", "Enter their relationship to the claimant"),
        ("scopes", "Choose what information may be shared"),
        ("months", "Choose how long the consent lasts"),
        ("consented", "Confirm that the claimant agreed to us sharing their information"),
    ]
