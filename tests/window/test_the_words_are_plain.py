"""The date window's new sentences, and the pages that carry them, read at a Flesch-Kincaid
grade of 6 or lower (tests/i18n/test_plain_english.py), like the consent screens."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from broker.consent.windows import Window
from broker.web import window_fields
from tests.conftest import sign_in
from tests.factories import make_adviser, make_claimant
from tests.i18n.readability import GRADE, grade, readable_text
from tests.window.dated import windowed

SENTENCES = (
    "Only from a date.",
    "You can let them see only what is new. Pick the first day they can see. "
    "You can also pick a last day.",
    "Leave both empty to let them see all of it.",
    "Here you can only pick a later first day or an earlier last day.",
    "You can pick a later day. You cannot pick an earlier one.",
    "You can only make the dates shorter here, not longer.",
    "You can only choose a later start date than they asked for.",
    "Now they can see all dates.",
    "All of it, old and new.",
    "Enter a real date, like 3 3 2026.",
    "Choose dates less than a year from today.",
    "The end date must be on or after the start date.",
)


def test_each_new_sentence_is_grade_6_or_lower():
    grades = {sentence: grade(sentence) for sentence in SENTENCES}

    assert {s for s, g in grades.items() if g > GRADE} == set()


def test_the_window_in_words_is_grade_6_or_lower(app):
    with app.test_request_context(), force_locale("en"):
        said = [
            window_fields.words(date(2026, 3, 3), None),
            window_fields.words(date(2026, 3, 3), date(2026, 6, 30)),
            window_fields.words(None, date(2026, 6, 30)),
        ]

    assert said == [
        "Only from 3 March 2026",
        "From 3 March 2026 to 30 June 2026",
        "Only up to 30 June 2026",
    ]
    assert all(grade(f"{words}.") <= GRADE for words in said)


def test_the_pages_with_dates_are_grade_6_or_lower(app, ctx):
    claimant = make_claimant("Alex Morgan")
    grant = windowed(claimant, make_adviser("Priya Shah"), Window(date(2026, 3, 3)))
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    pages = {
        "give access": phone.get("/access/new").text,
        "change": phone.get(f"/access/{grant.id}/change").text,
        "cards": phone.get("/access").text,
    }

    grades = {name: grade(readable_text(html)) for name, html in pages.items()}

    print("reading grades:", grades)
    assert {name for name, g in grades.items() if g > GRADE} == set()
