"""The adviser's evidence bundle in the console (issue 27 item 1): tick entries and decisions,
make the bundle through the API with a token of the grant, print it or download its PDF and file.
The console can put in a bundle only what the grant lets it read now (security.md 87), and says
plainly, before making it, that the check code lets anyone read it (security.md 88)."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import func, select

from broker import clock
from broker.consent import grants
from broker.consent.windows import Window
from broker.extensions import db
from broker.models import SignedDocument
from tests.conftest import csrf_from, sign_in
from tests.factories import (
    chain_events,
    make_adviser,
    make_claimant,
    make_decision,
    make_entry,
    make_grant,
    signer,
)
from tests.proof.test_evidence_bundles import pdf_text
from tests.staff.helpers import assert_page
from tests.window.dated import at, windowed

CODE_RE = re.compile(r'id="check-code">([0-9A-Z-]+)<')


def bundles() -> int:
    return db.session.scalar(select(func.count()).select_from(SignedDocument))


def choose(client, grant) -> str:  # noqa: ANN001
    page = client.get(f"/adviser/clients/{grant.id}/evidence-bundle")
    return assert_page(page)


def make(client, grant, **chosen: list[str]):  # noqa: ANN001, ANN201
    page = choose(client, grant)
    return client.post(
        f"/adviser/clients/{grant.id}/evidence-bundle",
        data={"csrf_token": csrf_from(page), **chosen},
    )


def test_the_adviser_ticks_entries_and_a_decision_and_gets_a_signed_bundle(ctx, client):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, adviser, "mr:read journal:read")
    decision = make_decision(claimant)
    entry = make_entry(claimant, "Fit note sent")
    make_entry(claimant, "Not chosen")
    sign_in(client, adviser.account.username)
    assert 'id="evidence-bundle"' in client.get(f"/adviser/clients/{grant.id}").text
    page = choose(client, grant)
    assert "Fit note sent" in page and "Not chosen" in page
    assert f'value="{decision.id}"' in page and f'value="{entry.id}"' in page

    made = make(client, grant, journal_entries=[entry.id], mr_decisions=[decision.id])
    assert made.status_code == 303, made.text
    shown = assert_page(client.get(made.headers["Location"]))
    assert "Evidence bundle for an appeal" in shown
    assert "Journal entry: Fit note sent" in shown and "Not chosen" not in shown
    assert "Priya Shah" in shown and "Northside Citizens Advice" in shown
    code = CODE_RE.search(shown).group(1)
    pdf = client.get(made.headers["Location"] + ".pdf")
    assert pdf.mimetype == "application/pdf"
    assert "Journal entry: Fit note sent" in pdf_text(pdf.data)
    file = client.get(made.headers["Location"] + ".json").get_json()
    assert file["document"]["kind"] == "evidence-bundle"
    assert "has not been changed" in client.get(f"/verify?code={code}").text
    # Made with the console's token: the request is in the client's chain with its token's ID.
    made_by = chain_events(claimant.id, "evidence.bundle", "token_id", "actor", "grant_id")
    assert len(made_by) == 1 and made_by[0][0]
    assert made_by[0][1:] == (f"adviser:{adviser.id}", grant.id)
    assert len(chain_events(claimant.id, "document.issue")) == 1


def test_nothing_chosen_is_a_plain_error_on_the_page(ctx, client):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah")
    grant = make_grant(claimant, adviser, "journal:read")
    make_entry(claimant)
    sign_in(client, adviser.account.username)
    answer = make(client, grant)
    assert answer.status_code == 303  # back to the list, before any call to the API
    page = assert_page(client.get(answer.headers["Location"]))
    assert "Choose at least one journal entry or decision" in page
    assert "Error:" in page.split("</title>")[0]
    assert bundles() == 0
    too_many = make(client, grant, journal_entries=[str(uuid4()) for _ in range(51)])
    assert "Choose no more than 50" in client.get(too_many.headers["Location"]).text
    no_csrf = client.post(f"/adviser/clients/{grant.id}/evidence-bundle", data={})
    assert no_csrf.status_code == 400 and bundles() == 0


def test_security_87_an_item_the_grant_cannot_read_is_refused_and_nothing_made(ctx, client):
    """An adviser who edits the form to add an entry outside the window, or another claimant's,
    gets the API's 404 on the page, audited, and no bundle."""
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah")
    today = clock.uk_day(clock.now())
    grant = windowed(claimant, adviser, Window(today - timedelta(days=10), today))
    inside = make_entry(claimant, "Inside", created_at=at(today - timedelta(days=2)))
    outside = make_entry(claimant, "Outside", created_at=at(today - timedelta(days=30)))
    theirs = make_entry(make_claimant("Other Person"), "Theirs")
    sign_in(client, adviser.account.username)
    page = choose(client, grant)
    assert "Inside" in page and "Outside" not in page
    for extra in (outside.id, theirs.id):
        answer = make(client, grant, journal_entries=[inside.id, extra])
        assert answer.status_code == 404
        assert f"No such journal entry: {extra}" in answer.text
    assert bundles() == 0
    refused = chain_events(claimant.id, "evidence.bundle", "outcome")
    assert refused == [("refused:not_found",), ("refused:not_found",)]


def test_security_87_opening_a_bundle_again_reads_each_item_again(ctx, client):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah")
    grant = make_grant(claimant, adviser, "journal:read")
    entry = make_entry(claimant, "Old one", created_at=clock.now() - timedelta(days=20))
    sign_in(client, adviser.account.username)
    where = make(client, grant, journal_entries=[entry.id]).headers["Location"]
    assert client.get(where).status_code == 200
    today = clock.uk_day(clock.now())
    grants.narrow_window(
        grant, Window(today - timedelta(days=5), None), signer=signer(), by="claimant:x",
        now=clock.now(),
    )  # fmt: skip
    db.session.commit()
    for suffix in ("", ".pdf", ".json"):
        assert client.get(where + suffix).status_code == 404


def test_another_advisers_grant_cannot_open_the_bundle(ctx, client):
    claimant = make_claimant("Alex Morgan")
    priya, tom = make_adviser("Priya Shah"), make_adviser("Tom Reed")
    priya_grant = make_grant(claimant, priya, "journal:read")
    tom_grant = make_grant(claimant, tom, "journal:read")
    entry = make_entry(claimant)
    sign_in(client, priya.account.username)
    where = make(client, priya_grant, journal_entries=[entry.id]).headers["Location"]
    document_id = where.rsplit("/", 1)[1]
    client.post("/sign-out", data={"csrf_token": csrf_from(client.get("/adviser/").text)})
    sign_in(client, tom.account.username)
    assert client.get(where).status_code == 404  # Priya's grant is not Tom's
    theirs = f"/adviser/clients/{tom_grant.id}/evidence-bundles/{document_id}"
    assert client.get(theirs).status_code == 404  # not made under Tom's grant


def test_security_88_the_page_says_the_code_lets_anyone_read_it_before_it_is_made(ctx, client):
    claimant = make_claimant("Alex Morgan")
    adviser = make_adviser("Priya Shah")
    grant = make_grant(claimant, adviser, "journal:read")
    entry = make_entry(claimant)
    sign_in(client, adviser.account.username)
    page = choose(client, grant)
    warning = page.index("Anyone who has the bundle's check code can read everything in it")
    assert warning < page.index("Make the evidence bundle</button>")
    where = make(client, grant, journal_entries=[entry.id]).headers["Location"]
    assert "Anyone who has the check code below can read everything" in client.get(where).text
