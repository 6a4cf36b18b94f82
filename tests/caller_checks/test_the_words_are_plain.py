"""The caller check pages, as the claimant reads them, are at a Flesch-Kincaid grade of 6 or
lower, like the consent screens (tests/i18n/test_plain_english.py)."""

from __future__ import annotations

from tests.caller_checks.helpers import checks_of, staff_starts
from tests.conftest import csrf_from
from tests.i18n.readability import GRADE, grade, readable_text


def test_every_caller_check_page_is_grade_6_or_lower(people, staff, phone):
    pages = {"nobody": phone.get("/who-is-calling").text}
    staff_starts(staff, people.claimant.reference)
    pages["a check"] = phone.get("/who-is-calling").text
    [check] = checks_of(people.claimant.id)
    done = phone.post(
        f"/who-is-calling/{check.id}/not-genuine",
        data={"csrf_token": csrf_from(pages["a check"])},
    )
    pages["reported"] = phone.get(done.headers["Location"]).text

    grades = {name: grade(readable_text(html)) for name, html in pages.items()}

    print("reading grades:", grades)
    assert {name for name, g in grades.items() if g > GRADE} == set()
