"""security.md 81: a forged, altered or guessed signed notice. Every miss at /verify gets the same
answer whatever was typed, counts against the address, and the code is never logged."""

from __future__ import annotations

import logging

from broker.proof import documents
from tests.factories import make_claimant, make_decision
from tests.proof.test_documents import issue


def test_misses_look_alike_and_the_code_is_never_logged(ctx, client, caplog):
    claimant = make_claimant("Alex Morgan")
    code = issue(client, claimant, make_decision(claimant))
    caplog.set_level(logging.DEBUG)
    right = client.get(f"/verify?code={code}")
    assert right.status_code == 200
    near = code[:-1] + ("2" if code[-1] != "2" else "3")  # one character off the right code
    wrong = [client.get(f"/verify?code={c}") for c in ("22222-22222", "a", near)]
    assert {w.status_code for w in wrong} == {404}
    assert all(documents.NOT_FOUND in w.text for w in wrong)
    assert len({w.text.count("govuk-") for w in wrong}) == 1  # the same page each time
    assert code not in caplog.text and code.replace("-", "") not in caplog.text
