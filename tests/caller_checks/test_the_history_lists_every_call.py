"""Issue 27: every caller check appears in the claimant's own history in plain words (who, when,
what they did), told from the events the check wrote to their chain, and in the signed copy with
each event's place in the chain."""

from __future__ import annotations

import json

from broker import clock, i18n, sweep
from broker.chain import signed
from broker.extensions import db
from tests.caller_checks.conftest import signed_in
from tests.caller_checks.helpers import adviser_starts, checks_of, staff_starts
from tests.conftest import csrf_from
from tests.factories import bound, chain_events, make_claimant
from tests.lifecycle.senders import Collecting
from tests.staff.helpers import assert_page, text_of


def calls_on(phone) -> str:  # noqa: ANN001
    """The "Who tried to call you" part of the history page, as text."""
    page = assert_page(phone.get("/history"))
    start = page.index('id="calls"')
    return text_of(page[start : page.index("</ol>", start)])


def tried(check) -> str:  # noqa: ANN001
    at = check.started_at.astimezone(clock.UK).strftime("%H:%M")
    return f"Jordan Lee from Department for Work and Pensions tried to call at {at}."


def test_a_check_the_claimant_never_saw_says_they_did_not_look(people, staff, phone, frozen_clock):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    frozen_clock.advance(minutes=6)
    # The sweep ends it: the phone never showed it.
    sweep.run(now=clock.now(), sender=Collecting(), services=bound())

    assert f"{tried(check)} You did not look." in calls_on(phone)


def test_a_check_the_claimant_saw_says_they_looked(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    phone.get("/who-is-calling")

    assert f"{tried(check)} You looked at the code." in calls_on(phone)


def test_a_reported_check_says_they_said_it_was_not_genuine(people, staff, phone):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    page = phone.get("/who-is-calling")
    phone.post(f"/who-is-calling/{check.id}/not-genuine", data={"csrf_token": csrf_from(page.text)})

    assert f"{tried(check)} You said this caller was not genuine." in calls_on(phone)


def test_a_live_check_not_yet_seen_says_it_is_on_the_phone_and_each_check_has_a_line(
    people, staff, adviser, phone
):
    staff_starts(staff, people.claimant.reference)
    adviser_starts(adviser, people.grant.id)
    staff_check, adviser_check = checks_of(people.claimant.id)
    # The history page itself does not show the code, so it does not note the checks shown.
    text = calls_on(phone)

    assert f"{tried(staff_check)} The check is on your phone now." in text
    assert f"{people.adviser.name} from {people.adviser.organisation.name} tried" in text
    assert text.index(people.adviser.name) < text.index("Jordan Lee")  # newest first
    assert staff_check.code not in text and adviser_check.code not in text


def test_another_claimants_checks_are_not_in_the_history(app, people, staff, phone):
    other = make_claimant("Ola")
    db.session.commit()
    staff_starts(staff, other.reference)

    assert 'id="calls"' not in assert_page(phone.get("/history"))


def test_the_signed_copy_keeps_each_check_with_its_events(people, staff, phone, runner, tmp_path):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    phone.get("/who-is-calling")

    document = phone.get("/history.json").get_json()

    copy = document["history"]
    assert signed.verify(document["jws"], signed.HISTORY, bound().key_set()) == copy
    [call] = copy["caller_checks"]
    assert (call["check"], call["caller"]) == (check.id, "Jordan Lee")
    assert call["organisation"] == "Department for Work and Pensions"
    seqs = dict(chain_events(people.claimant.id, "caller_check.%", "seq", "action"))
    assert [(e["seq"], e["action"]) for e in call["events"]] == [
        (seq, seqs[seq]) for seq in sorted(seqs)
    ]
    assert check.code not in str(copy) and check.answer_code not in str(copy)
    path = tmp_path / "history.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(args=["verify-statement", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 caller check(s)" in result.output


def test_the_lines_are_in_welsh_for_a_claimant_who_chose_welsh(app, people, staff):
    staff_starts(staff, people.claimant.reference)
    [check] = checks_of(people.claimant.id)
    i18n.choose(people.claimant.account, "cy")
    db.session.commit()
    phone = signed_in(app, people.claimant.account.username)

    text = calls_on(phone)

    at = check.started_at.astimezone(clock.UK).strftime("%H:%M")
    assert f"Ceisiodd Jordan Lee o Adran Gwaith a Phensiynau eich ffonio am {at}." in text
    assert "Mae'r gwiriad ar eich ffôn nawr." in text
