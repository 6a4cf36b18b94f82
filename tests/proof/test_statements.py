"""The adviser's signed statement: a complete list of what their tokens did on one account,
checked offline with the published keys and checkpoints; anything else on the account stays
hidden. Forged, stripped or altered statements are refused, naming the check that failed."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from broker.chain import signed
from broker.chain.keys import SigningKey
from tests.conftest import sign_in
from tests.factories import bound
from tests.proof.conftest import download_statement


@pytest.fixture
def published(client, tmp_path):  # noqa: ANN001, ANN201
    """Write the broker's published keys and checkpoints to files, as a verifier would."""

    def fetch() -> tuple[str, str]:
        jwks, cps = tmp_path / "jwks.json", tmp_path / "checkpoints.json"
        jwks.write_text(client.get("/.well-known/jwks.json").text)
        cps.write_text(client.get("/api/v1/audit/checkpoints").text)
        return str(jwks), str(cps)

    return fetch


def verify_file(runner, tmp_path, document, published) -> object:  # noqa: ANN001
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(document))
    jwks, cps = published()
    return runner.invoke(args=["verify-statement", str(path), "--jwks", jwks, "--checkpoints", cps])


def resign(document: dict, change, key: SigningKey | None = None) -> dict:  # noqa: ANN001
    """The statement's contents changed by `change`, signed again (by the broker's own key,
    as a broken or dishonest builder would, unless `key` is given)."""
    statement = json.loads(json.dumps(document["statement"]))
    change(statement)
    return {"jws": signed.sign(statement, signed.STATEMENT, key or bound().signing_key)}


def test_a_statement_lists_every_event_of_the_adviser_and_verifies(
    account, client, runner, tmp_path, published
):
    document = download_statement(client, account.priya, account.priya_grant)

    result = verify_file(runner, tmp_path, document, published)

    assert result.exit_code == 0, result.output
    assert (
        "VALID. This is the complete record of what Priya Shah (Northside Citizens Advice)"
        in result.output
    )
    assert "3 event(s) in all" in result.output  # two reads and one refused write
    mine = [e for e in document["statement"]["events"] if "action" in e]
    assert [e["outcome"] for e in mine] == ["allowed", "allowed", "refused:scope"]
    assert {e["token_id"] for e in mine} == set(account.priya_tokens)


def test_an_adviser_who_never_looked_gets_a_valid_statement_with_nothing_in_it(
    account, client, runner, tmp_path, published, ctx
):
    from tests.factories import make_adviser, make_grant

    quiet = make_adviser("Quinn Quiet", "Quiet Advice")
    grant = make_grant(account.claimant, quiet)
    document = download_statement(client, quiet, grant)

    result = verify_file(runner, tmp_path, document, published)

    assert result.exit_code == 0, result.output
    assert "0 event(s) in all" in result.output


def test_a_statement_reveals_nothing_of_anyone_elses_events(account, client):
    document = download_statement(client, account.priya, account.priya_grant)
    text = json.dumps(document) + json.dumps(
        signed.verify(
            document["jws"], signed.STATEMENT, client.get("/.well-known/jwks.json").get_json()
        )
    )

    for secret in (
        account.tom.id,
        account.tom.name,
        account.tom.organisation.name,
        account.tom_grant.id,
        *account.tom_tokens,
        account.claimant.name,
        account.other.id,
        "token.issue",
        "grant.create",
    ):
        assert secret not in text, secret
    hidden = [e for e in document["statement"]["events"] if "action" not in e]
    assert hidden and all(
        set(e) == {"seq", "prev_hash", "hash", "actor_commitment"} for e in hidden
    )


def test_the_printable_page_lists_the_events_in_the_dates(account, client, runner):
    assert runner.invoke(args=["checkpoint"]).exit_code == 0  # cron, within a minute
    sign_in(client, account.priya.account.username)
    page = client.get(f"/adviser/clients/{account.priya_grant.id}/statement")
    from tests.conftest import csrf_from

    response = client.post(
        f"/adviser/clients/{account.priya_grant.id}/statement",
        data={
            "csrf_token": csrf_from(page.text),
            "date_from": "2000-01-01",
            "date_to": "2100-01-01",
        },
    )
    assert response.status_code == 200
    assert "Made by you: 3 in these dates" in response.text
    assert account.priya_tokens[0] in response.text
    assert account.tom_tokens[0] not in response.text


def test_another_advisers_grant_gives_no_statement(account, client):
    sign_in(client, account.priya.account.username)
    assert client.get(f"/adviser/clients/{account.tom_grant.id}/statement").status_code == 404


def test_a_forged_statement_is_refused(account, client, runner, tmp_path, published):
    document = download_statement(client, account.priya, account.priya_grant)
    rogue = SigningKey(ec.generate_private_key(ec.SECP256R1()), "rogue", {})
    forged = resign(document, lambda s: s["events"].pop(), rogue)

    result = verify_file(runner, tmp_path, forged, published)

    assert result.exit_code == 1
    assert (
        "NOT VALID: signature: the statement is not genuine: it was signed by a key the "
        "broker has not published" in result.output
    )


def test_editing_the_signed_text_breaks_the_signature(account, client, runner, tmp_path, published):
    document = download_statement(client, account.priya, account.priya_grant)
    header, body, signature = document["jws"].split(".")
    tampered = {"jws": f"{header}.{body[:-4]}AAAA.{signature}"}

    result = verify_file(runner, tmp_path, tampered, published)

    assert result.exit_code == 1
    assert "NOT VALID: signature" in result.output


def _hide_first_of_mine(statement: dict) -> None:
    event = next(e for e in statement["events"] if "action" in e)
    from broker.chain import audit, checkpoints

    # Hide it as the hash it really has; its commitment is what the checkpoint signed.
    index = statement["events"].index(event)
    prev = audit.GENESIS if index == 0 else None
    assert prev is None  # event 1 is the grant's creation, never an adviser's
    key = bytes.fromhex(statement["actor_key"])
    statement["events"][index] = {
        "seq": event["seq"],
        "actor_commitment": checkpoints.commitment(
            key, statement["claimant"]["id"], event["seq"]
        ).hex(),
        "prev_hash": statement["events"][index - 1].get("hash", "00" * 32),
        "hash": "00" * 32,
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: s["events"].pop(next(i for i, e in enumerate(s["events"]) if "action" in e)),
            "FAIL complete: event",
        ),
        (lambda s: s["events"].pop(), "FAIL complete: "),
        (_hide_first_of_mine, "FAIL nothing hidden: event"),
        (
            lambda s: next(e for e in s["events"] if "action" in e).update(
                outcome="allowed", action="journal.read"
            ),
            "does not follow the event before it: an event was changed",
        ),
        (
            lambda s: next(e for e in s["events"] if "action" not in e).update(
                actor_commitment="11" * 32
            ),
            "FAIL commitments: the commitments were changed",
        ),
        (
            lambda s: s.update(inclusion_proof=s["inclusion_proof"][::-1] + ["00" * 32]),
            "FAIL included",
        ),
    ],
    ids=[
        "strip-an-event",
        "drop-the-newest",
        "hide-one-of-theirs",
        "alter-an-event",
        "alter-a-commitment",
        "bad-inclusion-proof",
    ],
)
def test_a_statement_signed_with_an_event_stripped_or_altered_is_refused(
    account, client, runner, tmp_path, published, change, expected
):
    """Even a statement carrying a good signature (a broken or dishonest builder) fails the
    checks anyone can make from the published checkpoint."""
    document = download_statement(client, account.priya, account.priya_grant)

    result = verify_file(runner, tmp_path, resign(document, change), published)

    assert result.exit_code == 1
    assert expected in result.output, result.output
    assert "NOT VALID" in result.output


def test_a_checkpoint_that_was_never_published_is_refused(
    account, client, runner, tmp_path, published
):
    document = download_statement(client, account.priya, account.priya_grant)
    jwks, cps = published()
    with open(cps, "w") as f:
        json.dump({"checkpoints": []}, f)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))

    result = runner.invoke(
        args=["verify-statement", str(path), "--jwks", jwks, "--checkpoints", cps]
    )

    assert result.exit_code == 1
    assert "is not among the published checkpoints" in result.output


def test_the_upload_page_checks_a_file_without_signing_in(account, client):
    from io import BytesIO

    from tests.conftest import csrf_from

    document = download_statement(client, account.priya, account.priya_grant)
    anonymous = client.application.test_client()
    page = anonymous.get("/verify")
    assert page.status_code == 200

    def upload(content: dict):  # noqa: ANN202
        data = {
            "csrf_token": csrf_from(page.text),
            "file": (BytesIO(json.dumps(content).encode()), "statement.json"),
        }
        return anonymous.post("/verify", data=data, content_type="multipart/form-data")

    good = upload(document)
    assert good.status_code == 200
    assert "This is the complete record of what Priya Shah" in good.text
    refused = upload(resign(document, lambda s: s["events"].pop()))
    assert "Not valid" in refused.text and "NOT VALID: complete" in refused.text


def test_a_statement_for_a_claimant_with_thousands_of_events_fits_the_upload_page(account, client):
    """issue 13 item 7: /verify takes what it says, and a busy claimant's statement fits it."""
    from io import BytesIO

    from broker import clock
    from broker.chain import audit
    from broker.extensions import db
    from tests.conftest import csrf_from

    now = clock.now()
    for n in range(3000):  # other people's reads: hidden in Priya's statement, but all there
        audit.append(
            audit.Event(
                account.claimant.id,
                f"token-{n}",
                account.tom_grant.id,
                f"adviser:{account.tom.id}",
                "mr.read",
                f"mr_decision:{n}",
                "allowed",
            ),
            now=now,
        )
    db.session.commit()
    document = download_statement(client, account.priya, account.priya_grant)
    content = json.dumps(document).encode()
    anonymous = client.application.test_client()
    page = anonymous.get("/verify")
    limit = client.application.config["UPLOAD_MAX_BYTES"]

    answer = anonymous.post(
        "/verify",
        data={"csrf_token": csrf_from(page.text), "file": (BytesIO(content), "statement.json")},
        content_type="multipart/form-data",
    )

    assert len(content) > 256 * 1024, len(content)  # more than the old limit refused
    assert len(content) < limit / 2, len(content)
    assert f"up to {limit // (1024 * 1024)} MB" in page.text
    assert answer.status_code == 200, answer.text[:500]
    assert "This is the complete record of what Priya Shah" in answer.text


def test_a_file_over_the_upload_limit_is_refused_with_the_limit_named(client):
    from io import BytesIO

    from tests.conftest import csrf_from

    client.application.config["UPLOAD_MAX_BYTES"], limit = (
        1024 * 1024,
        client.application.config["UPLOAD_MAX_BYTES"],
    )
    try:
        page = client.get("/verify")
        answer = client.post(
            "/verify",
            data={
                "csrf_token": csrf_from(page.text),
                "file": (BytesIO(b"{" + b" " * (1024 * 1024 + 1) + b"}"), "statement.json"),
            },
            content_type="multipart/form-data",
        )
    finally:
        client.application.config["UPLOAD_MAX_BYTES"] = limit

    assert answer.status_code == 400
    assert "up to 1 MB" in answer.text


def test_a_statement_given_out_in_format_1_still_verifies(account):  # noqa: ANN001
    """Files signed before per-actor keys (salted commitments, format 1) keep verifying."""
    import os

    from broker.chain import audit, checkpoints
    from broker.chain.checkpoints import Leaf
    from broker.proof import statements

    claimant_id, mine = account.claimant.id, statements.actor_of(account.priya.id)
    salt_key, events = os.urandom(32), []
    prev, tag = audit.GENESIS, checkpoints.ZERO
    for event in checkpoints.chain_events(claimant_id):
        salt = checkpoints.salt_v1(salt_key, claimant_id, event.seq)
        commitment = checkpoints.actor_commitment_v1(salt, event.actor)
        if event.actor == mine:
            shown = {n: getattr(event, n) for n in audit.CHAINED_FIELDS[1:]}
            events.append({**shown, "at": "2026-11-30T12:00:00+00:00", "salt": salt.hex()})
        else:
            events.append(
                {
                    "seq": event.seq,
                    "prev_hash": prev.hex(),
                    "hash": bytes(event.hash).hex(),
                    "salt": salt.hex(),
                    "actor_commitment": commitment.hex(),
                }
            )
        prev = bytes(event.hash)
        tag = checkpoints.next_tag_v1(tag, prev, salt, commitment)
    leaf = Leaf(claimant_id, len(events), prev, tag)
    checkpoint = signed.sign(
        {"iss": "x", "seq": 1, "issued_at": "2026-11-30T12:00:00+00:00", "tree_size": 1,
         "events": leaf.seq, "root": leaf.leaf_hash().hex(), "prev": "00" * 32},
        signed.CHECKPOINT,
        bound().signing_key,
    )  # fmt: skip
    statement = {
        "format": statements.FORMAT_V1,
        "adviser": {"id": account.priya.id, "actor": mine, "name": "Priya", "organisation": "N"},
        "claimant": {"id": claimant_id, "reference": account.claimant.reference},
        "range": {"from": "2000-01-01T00:00:00+00:00", "to": "2100-01-01T00:00:00+00:00"},
        "events": events,
        "leaf": {**leaf.as_json(), "index": 0, "tree_size": 1},
        "inclusion_proof": [],
        "checkpoint": checkpoint,
    }
    document = {
        "jws": signed.sign(statement, signed.STATEMENT, bound().signing_key),
        "statement": statement,
    }

    verdict = statements.verify(document, bound().key_set())

    assert verdict.ok, verdict.checks
    assert sum("action" in e for e in events) == 3
