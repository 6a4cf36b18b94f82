"""Attacks and mistakes on the claimant's form: empty or invisible words, a forged post, too
many words. Nothing is stored and nothing is paused."""

from __future__ import annotations

import pytest

from tests.factories import make_grant
from tests.staff.helpers import assert_page, fresh, post_form, text_of

from .helpers import disputes_of, line_of, wrong_path


@pytest.mark.parametrize("words", ["", "   ", "\u200b\u200b", "\u2800", "\u00a0\u3000"])
def test_empty_or_invisible_words_are_refused(phone, people, words):
    grant = make_grant(people.claimant, people.adviser)

    answer = post_form(phone, wrong_path(line_of(grant)), {"words": words})

    assert "Tell us what was wrong" in text_of(assert_page(answer, 400))
    assert disputes_of(people.claimant.id) == []
    assert fresh(grant).status == "active"


def test_too_many_words_are_refused(phone, people):
    grant = make_grant(people.claimant, people.adviser)

    answer = post_form(phone, wrong_path(line_of(grant)), {"words": "x" * 1001})

    assert "Use 1,000 characters or fewer" in text_of(assert_page(answer, 400))
    assert disputes_of(people.claimant.id) == []


def test_a_post_without_the_csrf_token_is_refused(phone, people):
    grant = make_grant(people.claimant, people.adviser)

    answer = phone.post(wrong_path(line_of(grant)), data={"words": "Not me"})

    assert answer.status_code == 400
    assert disputes_of(people.claimant.id) == []
    assert fresh(grant).status == "active"


def test_signed_out_nobody_reaches_the_form(client, people):
    grant = make_grant(people.claimant, people.adviser)

    answer = client.get(wrong_path(line_of(grant)))

    assert answer.status_code in (302, 303)
