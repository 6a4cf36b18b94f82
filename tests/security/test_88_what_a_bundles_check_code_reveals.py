"""security.md 88: what an evidence bundle's check code reveals. Whoever holds the code (or the
printed page, or the file) reads the bundle's facts at /verify with no account: the chosen
entries' and decisions' words, the adviser's name and organisation, the claimant's reference.
Nothing more: not the claimant's name, not an entry left out. The adviser is told so plainly
before making it, and on the bundle's page."""

from __future__ import annotations

import re

from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, make_entry, make_grant

CODE_RE = re.compile(r'id="check-code">([0-9A-Z-]+)<')


def test_the_code_shows_the_bundle_and_nothing_else_and_the_adviser_is_told(ctx, client):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, adviser, "journal:read")
    chosen = make_entry(claimant, "Chosen entry")
    make_entry(claimant, "Left out")
    sign_in(client, adviser.account.username)
    page = client.get(f"/adviser/clients/{grant.id}/evidence-bundle").text
    told = "Anyone who has the bundle's check code can read everything in it at /verify"
    assert told in page and page.index(told) < page.index('name="journal_entries"')
    made = client.post(
        f"/adviser/clients/{grant.id}/evidence-bundle",
        data={"csrf_token": csrf_from(page), "journal_entries": [chosen.id]},
    )
    shown = client.get(made.headers["Location"]).text
    assert "Anyone who has the check code below can read everything in this bundle" in shown
    code = CODE_RE.search(shown).group(1)
    client.post("/sign-out", data={"csrf_token": csrf_from(shown)})

    anyone = client.get(f"/verify?code={code}").text  # no account
    assert "Chosen entry" in anyone and "Body text" in anyone
    assert "Priya Shah" in anyone and claimant.reference in anyone
    assert "Left out" not in anyone and "Alex Morgan" not in anyone
