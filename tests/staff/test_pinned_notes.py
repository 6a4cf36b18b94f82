"""Vulnerability on the record: up to three pinned notes (a fourth is refused with a clear
message) and the additional-support flag, both above the consent banner."""

from __future__ import annotations

from broker.extensions import db
from broker.models import Claimant, PinnedNote
from broker.people import records
from tests.conftest import sign_in
from tests.factories import make_grant
from tests.staff.helpers import assert_page, audit_actions, post_form, text_of


def notes_path(claimant) -> str:  # noqa: ANN001
    return f"/staff/claimants/{claimant.reference}/notes/new"


def pinned(claimant) -> list[str]:  # noqa: ANN001
    db.session.expire_all()
    return [n.body for n in records.pinned_notes(claimant.id)]


def test_three_notes_can_be_pinned_and_a_fourth_is_refused_with_a_clear_message(
    staff_client, people
):
    for n in (1, 2, 3):
        assert (
            post_form(staff_client, notes_path(people.claimant), {"body": f"Note {n}"}).status_code
            == 303
        )

    fourth = post_form(staff_client, notes_path(people.claimant), {"body": "Note 4"})

    html = assert_page(fourth, 400)
    assert "A record can have 3 pinned notes at most. Unpin a note before you pin a new one" in html
    assert pinned(people.claimant) == ["Note 1", "Note 2", "Note 3"]
    assert db.session.scalar(db.select(db.func.count()).select_from(PinnedNote)) == 3


def test_unpinning_makes_room_for_another_note(staff_client, people):
    for n in (1, 2, 3):
        post_form(staff_client, notes_path(people.claimant), {"body": f"Note {n}"})
    first = db.session.scalars(db.select(PinnedNote).order_by(PinnedNote.body)).first()

    unpinned = post_form(
        staff_client,
        f"/staff/claimants/{people.claimant.reference}/notes/{first.id}/unpin",
        form_page=f"/staff/claimants/{people.claimant.reference}",
    )
    again = post_form(staff_client, notes_path(people.claimant), {"body": "Note 4"})

    assert (unpinned.status_code, again.status_code) == (303, 303)
    assert pinned(people.claimant) == ["Note 2", "Note 3", "Note 4"]
    assert audit_actions(people.claimant.id).count("record.note_pin") == 4
    assert "record.note_unpin" in audit_actions(people.claimant.id)


def test_the_limit_holds_in_the_domain_whatever_the_page(ctx, people):
    for n in (1, 2, 3):
        records.pin_note(
            people.claimant, f"Note {n}", staff=people.staff, now=people.claimant.account.created_at
        )
    db.session.commit()

    try:
        records.pin_note(
            people.claimant, "Note 4", staff=people.staff, now=people.claimant.account.created_at
        )
    except records.RecordRefused as refusal:
        assert "3 pinned notes at most" in str(refusal)
    else:
        raise AssertionError("a fourth pinned note was accepted")
    db.session.rollback()
    assert len(pinned(people.claimant)) == 3


def test_notes_and_the_support_flag_show_above_the_consent_banner(staff_client, people):
    make_grant(people.claimant, people.adviser)
    post_form(
        staff_client, notes_path(people.claimant), {"body": "Hard of hearing: use text relay"}
    )
    post_form(
        staff_client,
        f"/staff/claimants/{people.claimant.reference}/additional-support",
        {"description": "Finds phone calls hard: contact by letter"},
    )

    html = assert_page(staff_client.get(f"/staff/claimants/{people.claimant.reference}"))

    support = html.index('id="additional-support"')
    notes = html.index('id="pinned-notes"')
    banner = html.index('id="consent-banner"')
    assert support < banner and notes < banner
    assert "Needs additional support: Finds phone calls hard: contact by letter" in text_of(html)
    assert "Pinned notes (1 of 3) Hard of hearing: use text relay" in text_of(html)


def test_the_support_flag_needs_a_description_and_can_be_removed(staff_client, people):
    path = f"/staff/claimants/{people.claimant.reference}/additional-support"

    empty = post_form(staff_client, path, {"description": ""})
    post_form(staff_client, path, {"description": "Needs an interpreter: Polish"})
    db.session.expire_all()
    flagged = db.session.get(Claimant, people.claimant.id).additional_support
    removed = post_form(staff_client, f"{path}/remove", {"reason": "Claimant asked us to"})

    assert "Describe the support they need" in assert_page(empty, 400)
    assert flagged == "Needs an interpreter: Polish"
    assert removed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Claimant, people.claimant.id).additional_support is None
    assert audit_actions(people.claimant.id)[-2:] == ["record.support_set", "record.support_clear"]


def test_notes_never_show_on_the_claimants_own_pages(app, staff_client, people):
    make_grant(people.claimant, people.adviser)
    post_form(staff_client, notes_path(people.claimant), {"body": "Risk: partner controls money"})
    phone = app.test_client()
    sign_in(phone, people.claimant.account.username)

    pages = "".join(phone.get(p).text for p in ("/", "/access", "/history"))

    assert "partner controls money" not in pages
