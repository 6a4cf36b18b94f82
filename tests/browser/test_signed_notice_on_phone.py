"""The signed MR decision notice on a 320-pixel phone (issue 27 item 1), in English and Welsh: the
claimant opens it from their history, downloads the PDF and prints the page to one A4 sheet;
anyone, with no account, checks it at /verify by its code, by its QR code's link and by the
signed file; an altered file and an unknown code are refused in plain words; the claimant's
history then shows the notice issued and each check made. Every page is axe-clean and has no
sideways scrolling.

With SCREENSHOTS set, each step's screenshot, the downloaded PDF, the printed PDF and the signed
and altered files are saved there (`make screenshots`): the closing note's evidence."""

from __future__ import annotations

import base64
import json
import os
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale
from playwright.sync_api import expect

from broker import clock, services
from broker.chain import checkpoints
from broker.extensions import db
from broker.i18n import day
from broker.web import notice_pages
from tests.browser.conftest import (
    NARROW_PHONE,
    assert_fits,
    axe_violations,
    new_page,
    sign_in_by_keys,
    snap,
    switch_language,
)
from tests.factories import make_claimant, make_decision

pytestmark = pytest.mark.browser

DOWNLOAD_MS = 15_000  # a download that never comes fails the test instead of holding it

WORDS = {
    "en": {
        "link": "Notice of the decision of {day}",
        "notice": "Mandatory Reconsideration decision notice",
        "decided": "Date of decision",
        "outcome": "Outcome",
        "reference": "Claimant reference",
        "appeal_by": "Last day to appeal",
        "limit": "No appeal after (13-month limit)",
        "qr": "QR code for checking this document",
        "pdf": "Download it as a PDF",
        "file": "Download the signed file (JSON)",
        "code": "Check code",
        "check_code": "Check the code",
        "upload": "Notice, statement, receipt or history file (JSON)",
        "check_file": "Check the file",
        "genuine": "Genuine",
        "unchanged": "This document was issued by this service and has not been changed.",
        "not_sealed": "It is not yet sealed in our audit.",
        "sealed": "It is sealed in our audit: a signed checkpoint covers the record of it.",
        "refused": "Not confirmed",
        "not_found": "We cannot find that document",
        "altered": "This document is not genuine or has been changed: "
        "the signature does not match its contents",
        "issued": "Issued: Mandatory Reconsideration decision notice",
        "checked": "Checked at /verify on {day}",
    },
    "cy": {
        "link": "Hysbysiad o benderfyniad {day}",
        "notice": "Hysbysiad o benderfyniad Ailystyriaeth Orfodol",
        "decided": "Dyddiad y penderfyniad",
        "outcome": "Canlyniad",
        "reference": "Cyfeirnod yr hawlydd",
        "appeal_by": "Y diwrnod olaf i apelio",
        "limit": "Dim apêl ar ôl (terfyn 13 mis)",
        "qr": "Cod QR i wirio’r ddogfen hon",
        "pdf": "Ei lawrlwytho fel PDF",
        "file": "Lawrlwytho’r ffeil wedi’i llofnodi (JSON)",
        "code": "Cod gwirio",
        "check_code": "Gwirio'r cod",
        "upload": "Ffeil hysbysiad, datganiad, derbynneb neu hanes (JSON)",
        "check_file": "Gwirio’r ffeil",
        "genuine": "Dilys",
        "unchanged": (
            "Cafodd y ddogfen hon ei chyhoeddi gan y gwasanaeth hwn ac nid yw wedi’i newid."
        ),
        "not_sealed": "Nid yw wedi’i selio yn ein harchwiliad eto.",
        "sealed": (
            "Mae wedi’i selio yn ein harchwiliad: mae pwynt gwirio wedi’i lofnodi yn cynnwys y"
            " cofnod ohono."
        ),
        "refused": "Heb ei gadarnhau",
        "not_found": "Ni allwn ddod o hyd i’r ddogfen honno",
        "altered": "Nid yw’r ddogfen hon yn ddilys neu mae wedi’i newid: "
        "nid yw’r llofnod yn cyfateb i’w chynnwys",
        "issued": "Wedi’i chyhoeddi: Hysbysiad o benderfyniad Ailystyriaeth Orfodol",
        "checked": "Wedi’i wirio yn /verify ar {day}",
    },
}
A4_POINTS = (595, 842)  # 210 x 297 mm at 72 points to the inch


@pytest.fixture
def alex(app, ctx):  # noqa: ANN001, ANN201
    """A claimant with one MR decision, and what their notice will say in each language."""
    claimant = make_claimant("Alex Morgan")
    decision = make_decision(claimant)
    facts = notice_pages.facts_of(decision)
    found = SimpleNamespace(
        username=claimant.account.username,
        reference=claimant.reference,
        decision_id=decision.id,
        facts=facts,
    )
    db.session.rollback()  # hold no transaction open while the live server answers
    return found


def shown(app, facts: dict[str, str], language: str) -> dict[str, str]:
    """The notice's dates and outcome as the page shows them in `language`."""
    with app.test_request_context(), force_locale(language):
        return {
            "decided": day(date.fromisoformat(facts["decided_on"])),
            "appeal_by": day(date.fromisoformat(facts["appeal_by"])),
            "limit": day(date.fromisoformat(facts["appeal_outside_limit"])),
            "outcome": notice_pages.outcome_words(facts["outcome"]),
            "today": day(clock.now()),
        }


def clean(page, name: str) -> None:  # noqa: ANN001
    """No sideways scrolling, nothing axe finds against WCAG A and AA; a screenshot if asked."""
    assert_fits(page)
    assert axe_violations(page) == [], name
    snap(page, name)


def keep(name: str, data: bytes) -> None:
    """A file for the closing note, beside the screenshots, when SCREENSHOTS is set."""
    if folder := os.environ.get("SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(data)


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The width and height in points of each page of a PDF (fpdf2's and Chromium's write their
    page objects uncompressed; /Type /Pages, the page tree, is not a page)."""
    sizes = []
    for page in re.finditer(rb"/Type\s*/Page(?![a-z])(.*?)>>", pdf, re.S):
        box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", page[0])
        if box is None:  # the box inherited from the page tree
            box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", pdf)
        x0, y0, x1, y1 = (float(n) for n in box.groups())
        sizes.append((x1 - x0, y1 - y0))
    return sizes


def is_one_a4_page(pdf: bytes) -> bool:
    sizes = pdf_pages(pdf)
    return (
        pdf.startswith(b"%PDF-")
        and len(sizes) == 1
        and all(abs(a - b) < 2 for a, b in zip(sizes[0], A4_POINTS, strict=True))
    )


def download(page, link_name: str) -> bytes:  # noqa: ANN001
    with page.expect_download(timeout=DOWNLOAD_MS) as started:
        page.get_by_role("link", name=link_name).click()
    assert started.value.failure() is None
    return Path(started.value.path()).read_bytes()


def altered(signed_file: dict[str, str]) -> bytes:
    """The signed file with the outcome changed in the signed payload, signature kept."""
    header, payload, signature = signed_file["jws"].split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["facts"]["outcome"] = "changed"
    body["facts"]["outcome_words"] = "changed"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return json.dumps({"jws": f"{header}.{forged}.{signature}"}).encode()


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_notice_is_issued_printed_checked_and_an_altered_copy_refused_on_a_small_phone(
    app, browser, live_server, alex, tmp_path, language
):
    words, says = WORDS[language], shown(app, alex.facts, language)
    # JavaScript on: axe runs on the page's own timers.
    phone = new_page(browser, live_server, NARROW_PHONE, javascript=True)
    phone.goto("/sign-in")
    if language == "cy":
        switch_language(phone, "Cymraeg")
    sign_in_by_keys(phone, alex.username)
    expect(phone.locator("form[action='/sign-out']")).to_have_count(1)

    # 1. From the history to the notice: its facts, check code and QR code.
    phone.goto("/history")
    link = phone.get_by_role("link", name=words["link"].format(day=says["decided"]))
    expect(link).to_be_visible()
    clean(phone, f"notice-history-{language}")
    link.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(words["notice"])
    main = phone.get_by_role("main")
    the_facts(main.locator("dl"), words, says, alex)
    code = phone.locator("#check-code").inner_text()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", code)
    qr_link = main.locator(".app-token-id").inner_text().strip()
    assert qr_link.endswith(f"/verify?code={code.replace('-', '')}")
    qr = phone.get_by_role("img", name=words["qr"])
    expect(qr).to_be_visible()
    expect(qr.locator("svg")).to_have_count(1)
    clean(phone, f"notice-{language}")

    # 2. The PDF, the signed file, and the page printed by Chromium: each one A4 page.
    pdf = download(phone, words["pdf"])
    assert is_one_a4_page(pdf), pdf_pages(pdf)
    keep(f"notice-{language}.pdf", pdf)
    signed_file_bytes = download(phone, words["file"])
    signed_file = json.loads(signed_file_bytes)
    assert signed_file["document"]["facts"] == alex.facts
    keep(f"notice-{language}.json", signed_file_bytes)
    phone.emulate_media(media="print")
    snap(phone, f"notice-print-view-{language}")
    printed = phone.pdf(format="A4", print_background=True)  # headless Chromium only
    phone.emulate_media(media="screen")
    assert is_one_a4_page(printed), pdf_pages(printed)
    keep(f"notice-printed-{language}.pdf", printed)

    # 3. Anyone, with no account, checks it by the code, then by the QR code's link.
    anyone = new_page(browser, live_server, NARROW_PHONE, javascript=True)
    anyone.goto("/verify")
    if language == "cy":
        switch_language(anyone, "Cymraeg")
    expect(anyone.locator("html")).to_have_attribute("lang", language)
    clean(anyone, f"verify-{language}")
    anyone.get_by_label(words["code"], exact=True).fill(code)
    anyone.get_by_role("button", name=words["check_code"]).click()
    genuine(anyone, words, says, words["not_sealed"], alex)
    clean(anyone, f"verify-genuine-{language}")

    checkpoints.make(services.of(app), now=clock.now())  # the scheduler's next checkpoint
    db.session.commit()
    db.session.rollback()
    parts = urlsplit(qr_link)
    anyone.goto(f"{parts.path}?{parts.query}")
    genuine(anyone, words, says, words["sealed"], alex)
    clean(anyone, f"verify-qr-{language}")

    # 4. The signed file is genuine; an altered copy and an unknown code are refused.
    genuine_file = tmp_path / "notice.json"
    genuine_file.write_bytes(signed_file_bytes)
    anyone.get_by_label(words["upload"]).set_input_files(str(genuine_file))
    anyone.get_by_role("button", name=words["check_file"]).click()
    genuine(anyone, words, says, words["sealed"], alex)
    clean(anyone, f"verify-file-{language}")

    forged = altered(signed_file)
    keep(f"notice-altered-{language}.json", forged)
    altered_file = tmp_path / "notice-altered.json"
    altered_file.write_bytes(forged)
    anyone.get_by_label(words["upload"]).set_input_files(str(altered_file))
    anyone.get_by_role("button", name=words["check_file"]).click()
    answer = anyone.locator("#document-check")
    expect(answer.get_by_role("heading")).to_have_text(words["refused"])
    expect(answer).to_contain_text(words["altered"])
    expect(anyone.locator("#document-sealed")).to_have_count(0)  # no facts from a forgery
    clean(anyone, f"verify-altered-{language}")

    anyone.get_by_label(words["code"], exact=True).fill("22222-22222")
    anyone.get_by_role("button", name=words["check_code"]).click()
    expect(answer.get_by_role("heading")).to_have_text(words["refused"])
    expect(answer).to_contain_text(words["not_found"])
    clean(anyone, f"verify-unknown-{language}")
    anyone.context.close()

    # 5. The claimant's history: the notice issued and the three checks that found it.
    phone.goto("/history")
    lines = phone.locator("#documents + ol > li")
    expect(lines.filter(has_text=words["issued"])).to_have_count(1)
    checked = words["checked"].format(day=says["today"])
    expect(lines.filter(has_text=checked)).to_have_count(3)
    clean(phone, f"notice-history-checked-{language}")
    phone.context.close()


def genuine(page, words: dict[str, str], says: dict[str, str], sealing: str, alex) -> None:  # noqa: ANN001
    """/verify says the notice is genuine and unchanged, sealed or not, with its facts."""
    answer = page.locator("#document-check")
    expect(answer.get_by_role("heading")).to_have_text(words["genuine"])
    expect(answer).to_contain_text(words["unchanged"])
    expect(page.locator("#document-sealed")).to_contain_text(sealing)
    the_facts(page.locator("#document-sealed + dl"), words, says, alex)


def the_facts(facts, words: dict[str, str], says: dict[str, str], alex) -> None:  # noqa: ANN001
    """The notice's facts, the same on its page and at /verify: its dates in words, in the page's
    language, and the claimant's reference."""
    for label, value in (
        ("decided", says["decided"]),
        ("outcome", says["outcome"]),
        ("appeal_by", says["appeal_by"]),
        ("limit", says["limit"]),
        ("reference", alex.reference),
    ):
        row = facts.locator(".govuk-summary-list__row", has_text=words[label])
        expect(row.locator("dd")).to_have_text(value)
