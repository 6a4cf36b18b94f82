"""Journal-safe, couple-safe writes (issue 27 item 2, security.md 78), through the API, the
adviser's console and the claimant's check-before-send screen: personal details are refused with
422 and nothing is stored, the refusal is audited without the text, health and abuse words make
the entry sensitive so the partner never reads it, and in a couple claim the claimant is told in
plain words whether their partner will be able to read what they send."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from broker.extensions import db
from broker.models import AuditEvent, JournalEntry, MRDraft
from tests.conftest import csrf_from, sign_in
from tests.drafts.conftest import press
from tests.factories import (
    bearer,
    chain_events,
    issue_token,
    make_adviser,
    make_claimant,
    make_grant,
)
from tests.staff.helpers import assert_page, text_of

ABOUT = "Limited capability for work"
PHONE_IN_REASONS = "The assessor did not ring her back on 07700 900123 as promised."
HEALTH = "The assessment ignored her mental health and the letter from her GP."
HEALTH_CY = "Anwybyddodd yr asesiad ei hiechyd meddwl a'r llythyr gan ei meddyg."
PLAIN = "The decision missed the payslips she sent in March."


@pytest.fixture
def couple(app, ctx):  # noqa: ANN001, ANN201
    alex = make_claimant("Alex Morgan")
    sam = make_claimant("Sam Morgan", partner=alex)
    db.session.commit()
    priya = make_adviser("Priya Shah", "Northside Citizens Advice")
    direct = make_grant(alex, priya, "mr:read mr:request journal:read")
    token, _ = issue_token(direct)
    return SimpleNamespace(alex=alex, sam=sam, priya=priya, grant=direct, token=token)


def lodge(client, token: str, reasons: str, about: str = ABOUT):  # noqa: ANN001, ANN201
    return client.post(
        "/api/v1/mr-requests",
        headers=bearer(token),
        json={"decision_about": about, "reasons": reasons},
    )


def stored(claimant_id: str) -> tuple[list[JournalEntry], list[MRDraft]]:
    db.session.expire_all()
    entries = db.session.scalars(
        db.select(JournalEntry).where(
            JournalEntry.claimant_id == claimant_id, JournalEntry.kind == "mr_request"
        )
    ).all()
    drafts = db.session.scalars(db.select(MRDraft).where(MRDraft.claimant_id == claimant_id)).all()
    return list(entries), list(drafts)


def test_the_api_refuses_a_phone_number_with_422_naming_what_and_where(client, couple, caplog):
    caplog.set_level(logging.DEBUG)

    answer = lodge(client, couple.token, PHONE_IN_REASONS)

    assert answer.status_code == 422
    assert answer.json["error"] == "invalid_request"
    assert answer.json["found"] == [{"kind": "phone", "field": "reasons", "first": 39, "last": 50}]
    assert (
        "Remove the phone number from reasons (characters 39 to 50)"
        in (answer.json["error_description"])
    )
    assert "07700" not in answer.text
    assert stored(couple.alex.id) == ([], [])
    # Audited as refused, and neither the audit nor any log line holds the text.
    [(outcome,)] = chain_events(couple.alex.id, "mr.request", "outcome")
    assert outcome == "refused:personal_details"
    for event in db.session.scalars(db.select(AuditEvent)):
        assert "07700" not in " ".join((event.action, event.resource, event.outcome))
    assert not [r for r in caplog.records if "07700" in r.getMessage()]


def test_a_draft_is_never_kept_for_text_the_journal_may_not_hold(client, couple):
    tom = make_adviser("Tom Reed", "Riverside Law Centre")
    checked = make_grant(couple.alex, tom, "mr:request", check_before_send=True)
    token, _ = issue_token(checked)

    answer = lodge(
        client, token, "Her partner John Smith pays the rent.", about="Housing, CF10 1AA"
    )

    assert answer.status_code == 422
    assert answer.json["found"] == [
        {"kind": "postcode", "field": "decision_about", "first": 10, "last": 17},
        {"kind": "name", "field": "reasons", "first": 13, "last": 22},
    ]
    assert stored(couple.alex.id) == ([], [])


@pytest.mark.parametrize("reasons", [HEALTH, HEALTH_CY])
def test_health_words_make_the_entry_sensitive_and_hidden_without_the_sensitive_scope(
    client, couple, reasons
):
    answer = lodge(client, couple.token, reasons)

    assert answer.status_code == 201
    assert answer.json["sensitive"] is True
    listed = client.get("/api/v1/journal", headers=bearer(couple.token)).json["entries"]
    assert answer.json["id"] not in [entry["id"] for entry in listed]
    read = client.get(f"/api/v1/journal/{answer.json['id']}", headers=bearer(couple.token))
    assert read.status_code == 404


def test_plain_text_is_lodged_as_not_sensitive(client, couple):
    answer = lodge(client, couple.token, PLAIN)

    assert (answer.status_code, answer.json["sensitive"]) == (201, False)


def test_the_partner_never_sees_a_sensitive_entry(app, client, couple):
    answer = lodge(client, couple.token, HEALTH)
    sams_adviser = make_adviser("Tom Reed", "Riverside Law Centre")
    sams_token, _ = issue_token(
        make_grant(couple.sam, sams_adviser, "journal:read journal:sensitive")
    )
    sam_phone = app.test_client()
    sign_in(sam_phone, couple.sam.account.username)

    through_sam = client.get("/api/v1/journal", headers=bearer(sams_token)).json["entries"]
    by_id = client.get(f"/api/v1/journal/{answer.json['id']}", headers=bearer(sams_token))

    assert answer.json["id"] not in [entry["id"] for entry in through_sam]
    assert by_id.status_code == 404
    for path in ("/", "/history", "/access"):
        assert "mental health" not in sam_phone.get(path).text


def test_the_console_form_shows_what_to_remove_and_keeps_the_text(app, couple):
    console = app.test_client()
    sign_in(console, couple.priya.account.username)
    form = console.get(f"/adviser/clients/{couple.grant.id}/mr-request")

    page = console.post(
        f"/adviser/clients/{couple.grant.id}/mr-request",
        data={
            "csrf_token": csrf_from(form.text),
            "decision_about": ABOUT,
            "reasons": PHONE_IN_REASONS,
        },
    )

    assert page.status_code == 422
    assert "<title>Error:" in page.text
    assert 'class="govuk-error-summary"' in page.text
    assert '<a href="#reasons">Remove the phone number from reasons (characters 39 to 50)</a>' in (
        page.text
    )
    assert 'id="reasons-error"' in page.text
    assert PHONE_IN_REASONS in page.text  # the textarea keeps what the adviser wrote
    assert stored(couple.alex.id) == ([], [])


@pytest.fixture
def checked(app, couple):  # noqa: ANN001, ANN201
    """Alex asked another adviser to check writes with them first; Alex's phone signed in."""
    tom = make_adviser("Tom Reed", "Riverside Law Centre")
    grant = make_grant(couple.alex, tom, "mr:request", check_before_send=True)
    token, _ = issue_token(grant)
    phone = app.test_client()
    sign_in(phone, couple.alex.account.username)
    return SimpleNamespace(token=token, phone=phone)


def welsh(phone) -> None:  # noqa: ANN001
    token = csrf_from(phone.get("/").text)
    phone.post("/language", data={"csrf_token": token, "language": "cy", "next": "/"})


def test_in_a_couple_claim_check_before_send_says_the_partner_can_read_it(client, couple, checked):
    lodge(client, checked.token, PLAIN)

    english = text_of(assert_page(checked.phone.get("/")))
    welsh(checked.phone)
    cymraeg = text_of(assert_page(checked.phone.get("/")))

    assert "Your partner will be able to read this in your journal." in english
    assert "Bydd eich partner yn gallu darllen hwn yn eich dyddlyfr." in cymraeg


def test_in_a_couple_claim_a_sensitive_draft_says_the_partner_cannot_and_is_lodged_sensitive(
    client, couple, checked
):
    made = lodge(client, checked.token, HEALTH)
    assert made.status_code == 202, made.text

    home = text_of(assert_page(checked.phone.get("/")))
    welsh(checked.phone)
    cymraeg = text_of(assert_page(checked.phone.get("/")))
    sent = press(checked.phone, "send", made.json["draft_id"])

    assert "Your partner will not be able to read this. It mentions health or abuse" in home
    assert "Ni fydd eich partner yn gallu darllen hwn." in cymraeg
    assert sent.status_code == 303
    [entry], _ = stored(couple.alex.id)
    assert entry.sensitive is True


def test_without_a_partner_nothing_is_said_about_one(app, client, ctx):
    claimant = make_claimant("Casey Jones")
    adviser = make_adviser("Priya Patel")
    token, _ = issue_token(make_grant(claimant, adviser, "mr:request", check_before_send=True))
    phone = app.test_client()
    sign_in(phone, claimant.account.username)

    lodge(client, token, PLAIN)

    home = text_of(assert_page(phone.get("/")))
    assert "Check this before it is sent" in home
    assert "partner" not in home
