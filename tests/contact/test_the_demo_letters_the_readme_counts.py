"""`make run`'s demo (issue 23 item 8): the README counts the new letters Alex and Sam find when
they first sign in ("Contact the way you choose", "Try it in the demo"); the home page and the
letters inbox say the same numbers, so a letter the demo gains or loses fails here until the
README counts it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.demo import demo_client
from tests.staff.helpers import text_of

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme() -> str:
    return " ".join(README.read_text(encoding="utf-8").split())


def _new_letters(app, username: str) -> tuple[str, int]:  # noqa: ANN001
    """What the home page says about new letters, and how many the inbox marks new."""
    phone = demo_client(app, username)
    home = re.search(r"You have \d+ new letters?", text_of(phone.get("/").text))
    inbox = text_of(phone.get("/letters").text)
    return (home.group(0) if home else ""), len(re.findall(r", new New\b", inbox))


def test_alex_and_sam_have_as_many_new_letters_as_the_readme_says(app, ctx, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    readme = _readme()

    alex = _new_letters(app, "alex@example.com")
    sam = _new_letters(app, "sam@example.com")

    assert 'sign in as Alex: the home page says "You have 3 new letters"' in readme
    assert alex == ("You have 3 new letters", 3)
    assert "(Sam has 5: " in readme
    assert sam == ("You have 5 new letters", 5)
