"""Plain English: every scope sentence, and each consent screen as the claimant reads it, is at a
Flesch-Kincaid grade of 6 or lower (textstat over the rendered text), so new wording cannot
drift upward. Each consent screen says who, what, how long and why, in that order."""

from __future__ import annotations

import pytest

import scopes
from tests.accessibility.scene import build
from tests.conftest import csrf_from, sign_in
from tests.i18n.readability import GRADE, grade, readable_text

CONTACT_SCOPES = scopes.CONTACT_SCOPES
EVERY_SCOPE = list(scopes.catalogue().values()) + list(CONTACT_SCOPES.values())


@pytest.mark.parametrize("scope", EVERY_SCOPE, ids=[s.name for s in EVERY_SCOPE])
def test_each_scope_sentence_is_grade_6_or_lower(scope):
    assert grade(scope.sentence["en"]) <= GRADE, scope.sentence["en"]


@pytest.fixture
def screens(app, ctx, frozen_clock) -> dict[str, str]:  # noqa: ANN001
    """Each consent screen, rendered for a claimant, as HTML."""
    scene = build(app, frozen_clock)
    phone = app.test_client()
    sign_in(phone, scene.claimant.account.username)
    page = phone.get("/access/new")
    found = {
        "confirm-access": phone.post(
            "/access/new",
            data={
                "csrf_token": csrf_from(page.text),
                "adviser_code": scene.priya.code,
                "scopes": ["mr:read", "journal:read", "journal:sensitive"],
                "months": "3",
                "purpose": "Help with my appeal",
                "relationship": "My welfare rights adviser",
            },
        ).text
    }
    if scene.user_code:
        found["device-consent"] = phone.get(f"/device?user_code={scene.user_code}").text
    return found


def test_each_consent_screen_is_grade_6_or_lower(screens):
    grades = {name: grade(readable_text(html)) for name, html in screens.items()}

    print("reading grades:", grades)
    assert {name for name, g in grades.items() if g > GRADE} == set()
    assert "confirm-access" in grades


def test_each_consent_screen_says_who_what_how_long_and_why_in_that_order(screens):
    for name, html in screens.items():
        text = readable_text(html)
        who = text.index("Priya Shah")
        what = text.index("See what we decided when you asked us to look again")
        how_long = text.index("3 months")
        why = text.index("Help with")
        assert who < what < how_long < why, name


def test_the_text_reader_keeps_blocks_apart_and_skips_hidden_words():
    html = (
        "<nav>Menu</nav><main><h1>Check it</h1><dl><dt>Who</dt><dd>Priya</dd></dl>"
        "<span class='govuk-visually-hidden'>Warning</span><p>Stop at any time.</p></main>"
    )
    assert readable_text(html) == "Check it. Who. Priya. Stop at any time."


def test_changing_what_they_can_see_and_its_answer_are_grade_6_or_lower(app, ctx, frozen_clock):
    scene = build(app, frozen_clock)
    phone = app.test_client()
    sign_in(phone, scene.claimant.account.username)
    path = f"/access/{scene.priya_grant.id}/change"
    page = phone.get(path)
    unticked_all = phone.post(path, data={"csrf_token": csrf_from(page.text), "scopes": []})
    phone.post(path, data={"csrf_token": csrf_from(page.text), "scopes": ["mr:read"]})
    flashed = phone.get("/access")

    grades = {
        "narrow-access": grade(readable_text(page.text)),
        "narrow-access-error": grade(readable_text(unticked_all.text)),
    }
    print("reading grades:", grades)
    assert {name for name, g in grades.items() if g > GRADE} == set()
    assert "Priya Shah can now see less." in flashed.text
    assert (
        grade("Priya Shah can now see less. They can still see: your reconsideration decisions.")
        <= GRADE
    )


def test_the_history_page_is_grade_6_or_lower(app, ctx, frozen_clock):
    scene = build(app, frozen_clock)  # reads, a refused and an allowed write, ended access
    phone = app.test_client()
    sign_in(phone, scene.claimant.account.username)

    page = phone.get("/history")
    text = readable_text(page.text)

    print("history:", grade(text), text)
    assert "Details if you want to complain" in text
    assert grade(text) <= GRADE
