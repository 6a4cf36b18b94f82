"""Issue 27 item 3: "This wasn't right" on ANY line of the history, not only the lines of access
the claimant gave: a sign-in line, a call (caller check) line, a day of DWP staff's looks and a
signed notice's line each have the link, its form says the line as the history says it, and
sending it opens a dispute that pauses nothing (none of these lines is about someone's access)."""

from __future__ import annotations

import re

from broker.extensions import db
from broker.models import AuditEvent
from broker.people import records
from tests.caller_checks.helpers import staff_starts
from tests.factories import make_decision, make_grant
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.conftest import ORIGIN, RP_ID, add_passkey
from tests.staff.helpers import assert_page, post_form, signed_in_staff, text_of

from .helpers import disputes_of

LINK = re.compile(r'href="/history/lines/(\d+)/wrong"')
WORDS = "This did not happen"


def _links_in(phone, section_id: str) -> list[int]:  # noqa: ANN001
    """The "This wasn't right" links in one part of the history page."""
    page = assert_page(phone.get("/history"))
    start = page.index(f'id="{section_id}"')
    end = min(i for i in (page.find("</ol>", start), page.find("</table>", start)) if i > 0)
    return [int(n) for n in LINK.findall(page[start:end])]


def _dispute(phone, people, line: int, says: str):  # noqa: ANN001, ANN202
    """Open the line's form, check it says the line as the history does, and send it."""
    path = f"/history/lines/{line}/wrong"
    form = text_of(assert_page(phone.get(path)))
    assert says in form
    assert "This line is not about anyone's access, so sending this pauses nothing." in form
    sent = post_form(phone, path, {"words": WORDS})
    assert sent.status_code == 302
    [dispute] = disputes_of(people.claimant.id)
    assert (dispute.event_id, dispute.grant_id, dispute.paused) == (line, None, False)
    assert says in text_of(assert_page(phone.get(sent.headers["Location"])))
    return dispute


def _event(line: int) -> AuditEvent:
    db.session.expire_all()
    return db.session.get(AuditEvent, line)


def test_a_sign_in_line(phone, people):
    assert add_passkey(phone, SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID)).status_code == 200

    [line] = _links_in(phone, "sign-in-history")

    assert _event(line).action == "passkey.added"
    # The account's own sign-in history page names the same line.
    assert LINK.findall(assert_page(phone.get("/account/history"))) == [str(line)]
    _dispute(phone, people, line, "Passkey added")


def test_a_call_line_names_the_check_as_it_started(app, phone, people):
    staff_starts(signed_in_staff(app, people.staff), people.claimant.reference)

    [line] = _links_in(phone, "calls")

    assert _event(line).action == "caller_check.started"
    _dispute(
        phone, people, line, "Jordan Lee from Department for Work and Pensions tried to call at"
    )


def test_a_day_of_dwp_staff_looks_names_its_newest_look_and_says_the_day(app, phone, people):
    staff = signed_in_staff(app, people.staff)
    for _ in range(2):
        assert staff.get(f"/staff/claimants/{people.claimant.reference}").status_code == 200
    reads = records.staff_reads(people.claimant.id)

    [line] = _links_in(phone, "staff-looks")

    assert line == reads[0].line == max(r.line for r in reads)
    _dispute(phone, people, line, "DWP staff looked at your consent record: 2 times")


def test_a_signed_notice_line(phone, people):
    decision = make_decision(people.claimant)
    db.session.commit()
    assert phone.get(f"/decisions/{decision.id}/notice").status_code == 200

    [line] = _links_in(phone, "documents")

    assert _event(line).action == "document.issue"
    _dispute(phone, people, line, "Notice of your Mandatory Reconsideration decision issued")


def test_every_line_on_the_page_has_the_link_and_each_names_its_own_line(app, phone, people):
    make_grant(people.claimant, people.adviser)
    add_passkey(phone, SoftAuthenticator(origin=ORIGIN, rp_id=RP_ID))
    staff_starts(signed_in_staff(app, people.staff), people.claimant.reference)
    decision = make_decision(people.claimant)
    db.session.commit()
    phone.get(f"/decisions/{decision.id}/notice")

    page = assert_page(phone.get("/history"))
    lines = [int(n) for n in LINK.findall(page)]
    sign_in_rows = page[page.index('id="sign-in-history"') :].count('<tr class="govuk-table__row">')

    # Each line of the page: a list item of access, documents, staff or calls, or a sign-in
    # row (one header row besides).
    assert len(lines) == page.count('class="app-event"') + sign_in_rows - 1
    assert len(set(lines)) == len(lines)
    assert all(_event(n).claimant_id == people.claimant.id for n in lines)


def test_the_form_says_the_line_in_welsh_too(app, phone, people):
    staff = signed_in_staff(app, people.staff)
    staff.get(f"/staff/claimants/{people.claimant.reference}")
    [line] = _links_in(phone, "staff-looks")
    path = f"/history/lines/{line}/wrong"
    post_form(phone, "/language", {"language": "cy", "next": path}, form_page=path)

    form = text_of(assert_page(phone.get(path)))

    assert "Dweud wrthym fod llinell yn anghywir" in form
    assert "Edrychodd staff DWP ar eich cofnod caniatâd" in form
    assert "DWP staff looked at your consent record" not in form
