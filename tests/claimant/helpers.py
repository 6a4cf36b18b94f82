"""The claimant's own forms on their phone, as the tests fill them in."""

from __future__ import annotations

from tests.conftest import csrf_from


def give_by_code(phone, adviser, scopes=("mr:read",), months="3", purpose="Help with my appeal"):  # noqa: ANN001, ANN201
    """The claimant gives access on "Give someone access" with the adviser's code, and confirms."""
    page = phone.get("/access/new")
    answers = {
        "csrf_token": csrf_from(page.text),
        "adviser_code": adviser.code,
        "scopes": list(scopes),
        "months": months,
        "purpose": purpose,
        "relationship": "Welfare rights adviser",
    }
    check = phone.post("/access/new", data=answers)
    assert check.status_code == 200, check.text
    return check, phone.post("/access/new", data={**answers, "confirmed": "yes"})
