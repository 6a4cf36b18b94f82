"""The claimant sees every access made under each grant, newest first, grouped by the person it
was given to, with a short reference to the token that made it for a complaint."""

from __future__ import annotations

import re

from broker import clock
from broker.consent import grants
from broker.extensions import db
from tests.conftest import sign_in
from tests.factories import (
    bearer,
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
    make_staff,
    record_by_phone,
    signer,
)
from tests.oauth.helpers import make_client


def _history(app, claimant) -> str:  # noqa: ANN001
    page = app.test_client()
    sign_in(page, claimant.account.username)
    return page.get("/history").text


def _headings(html: str) -> list[str]:
    return re.findall(r'<h2 class="govuk-heading-m">([^<]+)</h2>', html)


def test_a_read_by_the_adviser_shows_in_the_claimants_history_with_the_token_id(app, ctx):
    claimant = make_claimant()
    adviser = make_adviser("Priya Shah", "Northside Citizens Advice")
    grant = make_grant(claimant, adviser, "mr:read")
    decision = make_decision(claimant, "Housing costs element")
    token, jti = issue_token(grant)
    api = app.test_client()
    api.get(f"/api/v1/mr-decisions/{decision.id}", headers=bearer(token))
    api.post(
        "/api/v1/mr-requests", headers=bearer(token), json={"decision_about": "x", "reasons": "y"}
    )

    page = app.test_client()
    sign_in(page, claimant.account.username)
    history = page.get("/history")

    assert history.status_code == 200
    text = history.text
    assert "Read a reconsideration decision: Housing costs element" in text
    assert "Priya Shah, Northside Citizens Advice" in text
    assert "Refused" in text and "Allowed" in text
    # Newest first: the refused write comes before the read.
    assert text.index("Asked for a reconsideration for you") < text.index("Read a reconsideration")


def test_a_partner_does_not_see_the_other_partners_history(app, ctx):
    alex = make_claimant("Alex")
    sam = make_claimant("Sam", partner=alex)
    grant = make_grant(alex, make_adviser())
    token, jti = issue_token(grant)
    app.test_client().get("/api/v1/mr-decisions", headers=bearer(token))

    page = app.test_client()
    sign_in(page, sam.account.username)

    assert jti not in page.get("/history").text
    assert "Nobody can see your journal" in page.get("/access").text


def test_the_token_is_named_by_a_short_reference_behind_a_complaint_disclosure(app, ctx):
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser("Priya Shah", "Northside Citizens Advice"))
    token, jti = issue_token(grant)
    app.test_client().get("/api/v1/mr-decisions", headers=bearer(token))

    text = _history(app, claimant)

    disclosure = re.search(r'<details class="govuk-details.*?</details>', text, re.S)
    assert disclosure is not None
    assert "Details if you want to complain" in disclosure.group(0)
    assert f'<span class="app-token-ref">{jti[:8]}</span>' in disclosure.group(0)
    assert "This is the key their system used. Tell us this if you complain." in text
    assert jti not in text  # the full ID is in the downloads, not on the phone
    assert "Token ID" not in text


def test_every_grant_given_to_the_same_person_is_one_group_with_one_heading(app, ctx):
    claimant = make_claimant()
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    first = make_grant(claimant, priya, "mr:read")
    grants.revoke(first, by=f"claimant:{claimant.id}", now=clock.now(), signer=signer())
    db.session.commit()
    second = make_grant(claimant, priya, "journal:read")
    make_grant(claimant, make_adviser("Tom Reed", "Riverside Law Centre"), "todo:read")
    for grant in (first, second):
        token, _ = issue_token(grant)
        app.test_client().get("/api/v1/mr-decisions", headers=bearer(token))

    text = _history(app, claimant)

    assert sorted(_headings(text)) == [
        "Priya Shah, Northside Citizens Advice",
        "Tom Reed, Riverside Law Centre",
    ]
    priya_part = text[text.index("Priya Shah, Northside") :]
    priya_part = priya_part[: priya_part.index("</ol>")]
    assert priya_part.count("Access given") == 2  # both of Priya's grants, under one heading
    assert "Access stopped" in priya_part


def test_access_the_claimant_approved_on_their_phone_is_given_by_you(app, ctx):
    claimant = make_claimant()
    client, _ = make_client(name="Northside case system")
    grants.give(
        claimant,
        grants.Representative.of(make_adviser("Priya Shah", "Northside Citizens Advice")),
        scope_names="mr:read",
        ends_at=grants.add_months(clock.now(), 1),
        purpose="Appeal",
        relationship="Adviser",
        now=clock.now(),
        recorded_by="oauth",
        client_id=client.id,
        signer=signer(),
    )
    make_grant(claimant, make_adviser("Tom Reed", "Riverside Law Centre"))  # given online
    db.session.commit()

    text = _history(app, claimant)

    assert text.count("Given by: you") == 2
    assert "By: Priya Shah" not in text


def test_consent_dwp_took_by_phone_is_given_by_dwp_staff(app, ctx):
    claimant = make_claimant()
    record_by_phone(
        claimant,
        make_adviser("Tom Reed", "Riverside Law Centre"),
        staff=make_staff("Jordan Lee"),
    )

    text = _history(app, claimant)

    assert "Given by: DWP staff, on the phone with you" in text
    assert "Given by: you" not in text
