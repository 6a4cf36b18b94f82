"""security.md 84: a closed dispute's signed outcome (issue 27 item 3) is a file the claimant
downloads and anyone checks at /verify, without signing in: recognised as a dispute's outcome,
its facts (whose, when, what DWP decided) said plainly in English and in Welsh; a changed one
refused."""

from __future__ import annotations

import base64
import json
from io import BytesIO

import pytest
from flask_babel import force_locale

from broker import i18n
from broker.chain import signed
from broker.proof import verifying
from tests.conftest import csrf_from
from tests.factories import make_grant
from tests.staff.helpers import assert_page, post_form, text_of

from .helpers import disputes_of, line_of, wrong_path

OUTCOME_WORDS = {
    "resumed": (
        "DWP decided access could carry on.",
        "Penderfynodd DWP y gallai'r mynediad barhau.",
    ),
    "stopped": ("DWP stopped this access.", "Daeth DWP â'r mynediad hwn i ben."),
    "passed_on": (
        "DWP passed it on to be looked at further.",
        "Mae DWP wedi ei throsglwyddo i gael edrych arni ymhellach.",
    ),
}


def _closed(phone, staff_client, people, outcome: str) -> dict:  # noqa: ANN001
    grant = make_grant(people.claimant, people.adviser)
    post_form(phone, wrong_path(line_of(grant)), {"words": "I never agreed to this"})
    [dispute] = disputes_of(people.claimant.id)
    post_form(
        staff_client,
        f"/staff/disputes/{dispute.id}/close",
        {"outcome": outcome},
        "/staff/disputes",
    )
    download = phone.get(f"/history/disputes/{dispute.id}/outcome.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].endswith(f'dispute-{dispute.id}.json"')
    return download.get_json()


def _upload(app, document: dict, language: str = "en"):  # noqa: ANN001, ANN202
    anyone = app.test_client()
    anyone.set_cookie("language", language)
    page = anyone.get("/verify")
    return anyone.post(
        "/verify",
        data={
            "csrf_token": csrf_from(page.text),
            "file": (BytesIO(json.dumps(document).encode()), "dispute.json"),
        },
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("outcome", list(OUTCOME_WORDS))
def test_the_outcome_is_recognised_and_said_plainly_in_english_and_welsh(
    app, phone, staff_client, people, outcome
):
    document = _closed(phone, staff_client, people, outcome)
    english, welsh = OUTCOME_WORDS[outcome]
    closed_on = disputes_of(people.claimant.id)[0].closed_at

    in_english = text_of(assert_page(_upload(app, document)))
    in_welsh = text_of(assert_page(_upload(app, document, "cy")))

    assert "Genuine This outcome was signed by this service and has not been changed." in (
        in_english
    )
    assert "DWP's decision on a line of a claimant's history that they said was wrong" in (
        in_english
    )
    assert f"Claimant reference {people.claimant.reference}" in in_english
    with force_locale("en"):
        assert f"DWP decided {i18n.day(closed_on)}" in in_english
    assert f"Outcome {english}" in in_english
    assert "Dilys Cafodd y canlyniad hwn ei lofnodi gan y gwasanaeth hwn" in in_welsh
    assert f"Cyfeirnod yr hawlydd {people.claimant.reference}" in in_welsh
    assert f"Canlyniad {welsh}" in in_welsh
    with force_locale("cy"):
        assert f"Penderfynodd DWP {i18n.day(closed_on)}" in in_welsh
    assert "consent-broker-dispute" not in in_english  # the page's words, not the codes


def _tampered(document: dict, outcome: str) -> dict:
    """The JWS with its payload swapped for one saying `outcome`; the signature is the old one."""
    header, _payload, signature = document["jws"].split(".")
    claims = {**document["dispute"], "outcome": outcome}
    body = base64.urlsafe_b64encode(signed.canonical_json(claims)).rstrip(b"=").decode()
    return {"dispute": claims, "jws": f"{header}.{body}.{signature}"}


def test_a_changed_outcome_or_readable_copy_is_refused(app, phone, staff_client, people):
    document = _closed(phone, staff_client, people, "stopped")

    resigned = text_of(assert_page(_upload(app, _tampered(document, "resumed"))))
    copy_changed = text_of(
        assert_page(_upload(app, {**document, "dispute": {**document["dispute"], "outcome": "x"}}))
    )
    in_welsh = text_of(assert_page(_upload(app, _tampered(document, "resumed"), "cy")))

    for page in (resigned, copy_changed):
        assert "Not confirmed" in page
        assert "This file is not a genuine outcome from this service, or it has been changed." in (
            page
        )
        assert "DWP decided access could carry on." not in page
    assert "Heb ei gadarnhau" in in_welsh


def test_the_command_line_check_says_the_same(app, phone, staff_client, people):
    document = _closed(phone, staff_client, people, "passed_on")
    keys = phone.get("/api/v1/audit/keys").get_json()

    good = verifying.check(document, keys, None)
    bad = verifying.check(_tampered(document, "resumed"), keys, None)

    assert good.ok and good.summary.startswith(
        f"VALID. Outcome of a dispute by {people.claimant.reference}: passed_on, decided "
    )
    assert not bad.ok and bad.summary.startswith("NOT VALID")


def test_an_open_dispute_has_no_outcome_to_download(phone, people):
    grant = make_grant(people.claimant, people.adviser)
    post_form(phone, wrong_path(line_of(grant)), {"words": "I never agreed to this"})
    [dispute] = disputes_of(people.claimant.id)

    assert phone.get(f"/history/disputes/{dispute.id}/outcome.json").status_code == 404
