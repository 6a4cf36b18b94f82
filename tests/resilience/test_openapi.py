"""The OpenAPI 3.1 document at /api/v1/openapi.json describes exactly the routes the app has under
/api/v1, /oauth and /.well-known, and fuzzing the live app from it (schemathesis, valid and invalid
credentials, security.md 30) finds no 5xx and no response that the document does not describe."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.core.parameters import ParameterLocation
from werkzeug.routing import UUIDConverter

from broker import clock
from broker.consent import grants
from broker.extensions import db
from broker.people import staff_keys
from broker.scheduler import Scheduler
from tests.factories import (
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_entry,
    make_grant,
    signer,
)
from tests.oauth.helpers import basic, make_client

PATH, QUERY, HEADER, BODY = (
    ParameterLocation.PATH,
    ParameterLocation.QUERY,
    ParameterLocation.HEADER,
    ParameterLocation.BODY,
)
DOCUMENT = Path(__file__).resolve().parents[2] / "broker" / "openapi.json"
DESCRIBED = ("/api/v1/", "/oauth/", "/.well-known/", "/healthz", "/readyz")
EVERY_SCOPE = "mr:read journal:read journal:sensitive mr:request payments:read todo:read"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.ignored_auth,
]
FUZZ = settings(
    max_examples=300,  # enough to reach every operation as the document grows
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _documented() -> set[tuple[str, str]]:
    document = json.loads(DOCUMENT.read_text())
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def test_the_document_lists_every_api_route_and_no_other(app: Flask):
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(DESCRIBED):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        served |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}

    assert served == _documented()


def test_the_document_is_served_as_json_without_credentials(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json["openapi"].startswith("3.1")
    assert response.json == json.loads(DOCUMENT.read_text())


@pytest.fixture
def world(ctx):  # noqa: ANN201
    """A claimant whose grant allows everything, with a decision and an entry, a revoked token,
    and a staff system's key, and the scheduled work just done: what the fuzzer reads with."""
    claimant = make_claimant()
    adviser = make_adviser()
    grant = make_grant(claimant, adviser, EVERY_SCOPE)
    decision, entry = make_decision(claimant), make_entry(claimant)
    token, _ = issue_token(grant)
    revoked_grant = make_grant(claimant, make_adviser("Another Adviser"), "mr:read")
    revoked_token, _ = issue_token(revoked_grant)
    grants.revoke(revoked_grant, by="claimant:test", now=clock.now(), signer=signer())
    _row, key = staff_keys.create("Fuzzing system", now=clock.now())
    case_system, secret = make_client()
    ids = {"decision_id": decision.id, "entry_id": entry.id, "reference": claimant.reference}
    db.session.commit()
    db.session.rollback()  # hold no transaction while the live server works
    Scheduler(ctx, holder="fuzzing").step()  # the scheduled work ran: /readyz answers 200
    return {
        "token": token,
        "revoked": revoked_token,
        "key": key,
        "ids": ids,
        "client": basic(case_system.id, secret)["Authorization"],
    }


SCHEMA = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text()))
# Valid and deliberately invalid requests (bad bodies, wrong types), spread over every operation.
CASES = st.one_of(
    SCHEMA.as_strategy(GenerationMode.POSITIVE), SCHEMA.as_strategy(GenerationMode.NEGATIVE)
)
_turn = itertools.count()


def _negative(case, *locations: ParameterLocation) -> bool:  # noqa: ANN001
    return case.meta is not None and any(case.meta.is_negative_at(at) for at in locations)


def _aim(case, ids: dict[str, str]) -> None:  # noqa: ANN001
    """Half the valid cases name rows that exist, so that the 200 answers are checked too."""
    if case.path_parameters and not _negative(case, PATH) and next(_turn) % 2:
        for name in case.path_parameters:
            if name in ids:
                case.path_parameters[name] = ids[name]


def _with_credential(case, credential: str) -> dict[str, str]:  # noqa: ANN001
    """The case's headers with a valid credential, unless the credential is all that is wrong."""
    headers = dict(case.headers or {})
    if _negative(case, HEADER) and not _negative(case, PATH, QUERY, BODY):
        return headers  # a missing or mangled Authorization header: it must be refused
    headers["Authorization"] = credential
    return headers


def _credential(path: str, world: dict) -> str:  # noqa: ANN001
    if path.startswith("/oauth/"):
        return world["client"]  # the client authenticates with HTTP Basic
    return f"Bearer {world['key'] if path.startswith('/api/v1/staff/') else world['token']}"


def test_fuzzing_with_valid_credentials_finds_no_server_error_or_undocumented_answer(
    live_server: str, world
):
    seen: set[int] = set()

    @FUZZ
    @given(case=CASES)
    def fuzz(case) -> None:  # noqa: ANN001
        _aim(case, world["ids"])
        response = case.call_and_validate(
            base_url=live_server,
            checks=CHECKS,
            headers=_with_credential(case, _credential(case.path, world)),
        )
        seen.add(response.status_code)
        paths.add(case.path)

    paths: set[str] = set()
    fuzz()
    assert {200, 201, 400, 404} <= seen  # the fuzzer reached real answers, not only refusals
    assert {"/oauth/token", "/oauth/revoke", "/oauth/introspect"} <= paths  # and the OAuth ones
    assert {"/oauth/device_authorization", "/.well-known/jwks.json"} <= paths


INVALID = itertools.cycle(
    [
        "Bearer not-a-token",
        "Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.",  # alg none
        "Basic dXNlcjpwYXNz",
        "Bearer dwpstaff_not-a-real-key",
        "",
    ]
)


def _names_no_route(case) -> bool:  # noqa: ANN001
    """Whether a path parameter the document types as a UUID holds something else: the route's
    `<uuid:>` converter does not match it, so the answer is 404 before any credential is read."""
    return any(
        name in UUID_PARAMETERS and not re.fullmatch(UUIDConverter.regex, str(value))
        for name, value in (case.path_parameters or {}).items()
    )


UUID_PARAMETERS = {"entry_id", "decision_id", "draft_id", "check_id"}


# Operations that need no credential: the document marks them with an empty security list.
PUBLIC = {
    path
    for path, item in json.loads(DOCUMENT.read_text())["paths"].items()
    if all(operation.get("security") == [] for operation in item.values())
}


def test_fuzzing_with_invalid_credentials_finds_no_server_error_or_undocumented_answer(
    live_server: str, world
):
    @FUZZ
    @given(case=CASES)
    def fuzz(case) -> None:  # noqa: ANN001
        _aim(case, world["ids"])
        wrong = next(INVALID)
        if wrong == "" and case.path.startswith("/api/v1/staff/"):
            wrong = f"Bearer {world['token']}"  # an adviser's token is not a staff key
        elif wrong == "":
            wrong = f"Bearer {world['revoked']}"  # a token whose grant was revoked
        response = case.call(base_url=live_server, headers={"Authorization": wrong})
        case.validate_response(response, checks=CHECKS[:5])
        if _names_no_route(case):  # an ID that is not a UUID: no route, whoever asks
            assert response.status_code == 404, response.text
            assert response.json()["error"] == "not_found"
        elif case.path not in PUBLIC:
            assert response.status_code in (400, 401, 405), response.text

    fuzz()


@pytest.mark.parametrize("value", ["%00", "a%00b", "%1F", "x" * 300])
def test_control_characters_or_huge_values_in_any_path_parameter_are_refused_not_500(
    client, world, value: str
):
    for path in (
        "/journal/{entry_id}",
        "/mr-decisions/{decision_id}",
        "/staff/claimants/{reference}/consents",
    ):
        credential = world["key"] if path.startswith("/staff/") else world["token"]
        url = "/api/v1" + re.sub(r"\{[^}]+\}", value, path)

        response = client.get(url, headers={"Authorization": f"Bearer {credential}"})

        assert response.status_code in (400, 404), (url, response.status_code)
        assert response.json["error"] in ("invalid_request", "not_found")
