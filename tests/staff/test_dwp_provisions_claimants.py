"""DWP's systems create claimants and keep their details up to date (issue 25): POST and PATCH
/api/v1/staff/claimants with a staff API key. Each creation and change is an event on the
claimant's own chain naming the key and the fields, never their values; a bad body is a 400
naming the field, a taken reference or email a 409, and nothing is stored by either."""

from __future__ import annotations

import pytest

from broker import clock
from broker.chain import audit
from broker.extensions import db
from broker.messages import contact
from broker.models import Account, AuditEvent, Claimant
from broker.people import records, staff_keys
from tests.conftest import csrf_from
from tests.factories import bearer, make_claimant

NEW = "/api/v1/staff/claimants"
ALEX = {
    "reference": "uc-2001-ab",
    "name": "Alex Brown",
    "language": "cy",
    "email": "Alex.Brown@Example.com",
    "mobile": "07700 900123",
}


@pytest.fixture
def key(ctx):  # noqa: ANN001, ANN201
    row, plain = staff_keys.create("Universal Credit case management", now=clock.now())
    db.session.commit()
    return row, plain


def chain_of(claimant_id: str) -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [
        (e.actor, e.action, e.resource)
        for e in db.session.scalars(
            db.select(AuditEvent)
            .where(AuditEvent.claimant_id == claimant_id, AuditEvent.action.like("claimant.%"))
            .order_by(AuditEvent.seq)
        )
    ]


def claimants() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Claimant))


def test_a_new_claimant_is_created_with_their_details_and_audited(client, key):
    row, plain = key

    answer = client.post(NEW, json=ALEX, headers=bearer(plain))

    assert answer.status_code == 201
    assert answer.json == {
        "reference": "UC-2001-AB",
        "name": "Alex Brown",
        "language": "cy",
        "email": "alex.brown@example.com",
        "mobile": "+447700900123",
    }
    claimant = records.claimant_by_reference("UC-2001-AB")
    assert claimant.account.language == "cy"
    assert chain_of(claimant.id) == [
        (
            f"staff-system:{row.id}",
            "claimant.provisioned",
            "claimant:UC-2001-AB;fields=reference,name,language,email,mobile",
        )
    ]
    assert list(audit.verify(db.session.connection())) == []
    # Until the claimant chooses their own, texts go to the number DWP gave.
    assert contact.of(claimant.id).mobile == "+447700900123"


def test_a_claimant_with_only_a_mobile_is_created(client, key):
    body = {
        "reference": "UC-2002-CD",
        "name": "Chris Dee",
        "language": "en",
        "mobile": "07700900456",
    }

    answer = client.post(NEW, json=body, headers=bearer(key[1]))

    assert answer.status_code == 201
    assert answer.json["email"] is None
    assert answer.json["mobile"] == "+447700900456"


def test_the_same_reference_again_is_a_conflict_and_changes_nothing(client, key):
    client.post(NEW, json=ALEX, headers=bearer(key[1]))
    before = claimants()

    again = client.post(
        NEW, json={**ALEX, "email": "someone.else@example.com"}, headers=bearer(key[1])
    )

    assert again.status_code == 409
    assert again.json["error"] == "conflict"
    assert again.json["field"] == "reference"
    assert claimants() == before


def test_an_email_another_account_has_is_a_conflict(client, key):
    taken = make_claimant("Sam Taken")
    body = {**ALEX, "email": taken.account.username}

    answer = client.post(NEW, json=body, headers=bearer(key[1]))

    assert answer.status_code == 409
    assert answer.json["field"] == "email"
    assert records.claimant_by_reference("UC-2001-AB") is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in ALEX.items() if k != "name"}, "name"),
        ({**ALEX, "reference": "UC 2001"}, "reference"),
        ({**ALEX, "language": "fr"}, "language"),
        ({**ALEX, "email": "not-an-address"}, "email"),
        ({**ALEX, "mobile": "020 7946 0000"}, "mobile"),
        ({**ALEX, "nino": "QQ123456C"}, "nino"),
        ({**ALEX, "name": 42}, "name"),
        ({k: v for k, v in ALEX.items() if k not in ("email", "mobile")}, "email"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field_and_stores_nothing(client, key, body, field):
    before = claimants()

    answer = client.post(NEW, json=body, headers=bearer(key[1]))

    assert answer.status_code == 400
    assert answer.json["error"] == "invalid_request"
    assert answer.json["field"] == field
    assert field in answer.json["error_description"]
    assert claimants() == before


def test_without_a_staff_key_nobody_is_created(client, ctx):
    answer = client.post(NEW, json=ALEX, headers=bearer("not-a-key"))

    assert answer.status_code == 401
    assert claimants() == 0


def test_a_change_of_contact_details_is_kept_and_audited_by_field(client, key):
    row, plain = key
    client.post(NEW, json=ALEX, headers=bearer(plain))

    answer = client.patch(
        f"{NEW}/UC-2001-AB",
        json={"email": "alex@example.org", "mobile": "07700 900999", "language": "cy"},
        headers=bearer(plain),
    )

    assert answer.status_code == 200
    assert answer.json["email"] == "alex@example.org"
    assert answer.json["mobile"] == "+447700900999"
    claimant = records.claimant_by_reference("UC-2001-AB")
    assert chain_of(claimant.id)[-1] == (
        f"staff-system:{row.id}",
        "claimant.details_changed",
        "claimant:UC-2001-AB;fields=email,mobile",  # the language was already Welsh
    )


def test_a_change_that_changes_nothing_is_not_audited(client, key):
    client.post(NEW, json=ALEX, headers=bearer(key[1]))

    answer = client.patch(f"{NEW}/UC-2001-AB", json={"name": "Alex Brown"}, headers=bearer(key[1]))

    assert answer.status_code == 200
    claimant = records.claimant_by_reference("UC-2001-AB")
    assert [action for _, action, _ in chain_of(claimant.id)] == ["claimant.provisioned"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"reference": "UC-9999-ZZ"}, "reference"), ({"email": "x"}, "email"), ({"pin": "1"}, "pin")],
)
def test_a_bad_change_is_a_400_naming_the_field_and_changes_nothing(client, key, body, field):
    client.post(NEW, json=ALEX, headers=bearer(key[1]))

    answer = client.patch(f"{NEW}/UC-2001-AB", json=body, headers=bearer(key[1]))

    assert answer.status_code == 400
    assert answer.json["field"] == field
    db.session.expire_all()
    assert records.claimant_by_reference("UC-2001-AB").account.username == "alex.brown@example.com"


def test_changing_a_claimant_who_is_not_here_is_a_404(client, key):
    answer = client.patch(f"{NEW}/UC-0000-XX", json={"name": "Nobody"}, headers=bearer(key[1]))

    assert answer.status_code == 404


def test_a_provisioned_claimant_cannot_sign_in_with_any_password(client, key):
    client.post(NEW, json=ALEX, headers=bearer(key[1]))
    phone = client.application.test_client()
    page = phone.get("/sign-in")

    answer = phone.post(
        "/sign-in",
        data={
            "username": "alex.brown@example.com",
            "password": "!provisioned",
            "csrf_token": csrf_from(page.text),
        },
    )

    assert answer.status_code != 303
    assert "sign" in answer.text.lower()
    account = db.session.scalar(
        db.select(Account).where(Account.username == "alex.brown@example.com")
    )
    assert account.last_signed_in_at is None
