"""In a real browser: the claimant finds the receipt for a grant under it on their phone and
downloads it; the adviser prints their statement, downloads the signed file, and the public
upload page says it is valid, and that an altered one is not."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from broker.extensions import db
from tests.browser.conftest import sign_in_page
from tests.proof.conftest import account  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


def test_the_claimant_sees_and_downloads_a_receipt_on_their_phone(phone, account):  # noqa: F811
    db.session.rollback()
    sign_in_page(phone, account.claimant.account.username)
    phone.goto("/access")
    phone.get_by_role("link", name="Receipts for Priya Shah").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Receipts for Priya Shah")
    expect(phone.get_by_role("heading", level=2).first).to_have_text("Access given")
    expect(phone.locator("main")).to_contain_text("Help with an appeal")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download this receipt").first.click()
    receipt = json.loads(download.value.path().read_text())
    assert receipt["receipt"]["services"][0]["purposes"][0]["thirdPartyName"].startswith("Priya")


def test_the_adviser_prints_and_downloads_a_statement_that_checks_out(
    laptop,
    account,  # noqa: F811
    tmp_path,
    runner,
):
    assert runner.invoke(args=["checkpoint"]).exit_code == 0  # cron seals it within a minute
    db.session.rollback()
    sign_in_page(laptop, account.priya.account.username)
    laptop.goto(f"/adviser/clients/{account.priya_grant.id}/statement")
    laptop.get_by_role("button", name="Show the statement").click()

    expect(laptop.locator("main")).to_contain_text("Made by you: 3 in these dates")
    expect(laptop.get_by_role("table")).to_contain_text(account.priya_tokens[0])
    expect(laptop.locator("main")).not_to_contain_text(account.tom_tokens[0])
    with laptop.expect_download() as download:
        laptop.get_by_role("button", name="Download the signed file (JSON)").click()
    good = tmp_path / "statement.json"
    good.write_text(download.value.path().read_text())
    document = json.loads(good.read_text())
    document["statement"]["events"] = document["statement"]["events"][:-1]
    bad = tmp_path / "altered.json"
    bad.write_text(json.dumps(document))

    laptop.goto("/verify")
    laptop.get_by_label("Statement, receipt or history file (JSON)").set_input_files(str(good))
    laptop.get_by_role("button", name="Check the file").click()
    expect(laptop.get_by_role("status")).to_contain_text(
        re.compile("VALID. This is the complete record of what Priya Shah")
    )
    laptop.get_by_label("Statement, receipt or history file (JSON)").set_input_files(str(bad))
    laptop.get_by_role("button", name="Check the file").click()
    expect(laptop.get_by_role("status")).to_contain_text("the readable copy in the file differs")
