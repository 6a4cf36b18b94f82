"""The new claimant sentences (the draft on the home page, the setting on the card, what the
buttons lead to, and the message) are at a Flesch-Kincaid grade of 6 or lower."""

from __future__ import annotations

from tests.conftest import csrf_from
from tests.drafts.conftest import press, send_request
from tests.factories import messages_to
from tests.i18n.readability import GRADE, grade, readable_text


def _part(html: str, start: str, forms: int) -> str:
    """The page's words from `start` to the end of its `forms` forms (its buttons)."""
    begin = end = html.index(start)
    for _ in range(forms):
        end = html.index("</form>", end) + len("</form>")
    return readable_text(f"<main><div {html[begin:end]}</div></main>")


def test_the_draft_the_setting_and_the_answers_are_grade_6_or_lower(people, client, phone):
    draft_id = send_request(client, people.token).json["draft_id"]
    texts = {
        "the draft": _part(phone.get("/").text, 'class="govuk-notification-banner app-draft"', 2),
        "the message": messages_to(people.claimant.id, "mr_drafted")[0].body,
    }
    press(phone, "send", draft_id)
    texts["sent"] = "Sent. DWP will now look at the decision again."
    assert texts["sent"] in phone.get("/").text
    card = phone.get("/access").text
    texts["the setting"] = _part(card, 'class="govuk-summary-list__key">Check with me', 1)
    phone.post(
        f"/access/{people.grant.id}/check-first",
        data={"csrf_token": csrf_from(card), "check": "off"},
    )
    texts["turned off"] = "Priya Shah can now send things without asking you."
    assert texts["turned off"] in phone.get("/access").text

    grades = {name: grade(text) for name, text in texts.items()}

    print("reading grades:", grades)
    assert {name for name, g in grades.items() if g > GRADE} == set()
