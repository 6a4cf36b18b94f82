"""Attack 71: widening a consent at the token endpoint (RFC 9396 6). `authorization_details`
sent with a code redemption or a refresh may only repeat what the claimant granted: an unknown
type, a field or value the grant does not hold, or text that is not a JSON array of objects is
answered 400 `invalid_authorization_details`, before the code or refresh token is claimed, so
neither is burnt; a repeat of the grant's own details is taken."""

from __future__ import annotations

import json

import pytest

from tests.oauth.helpers import (
    REDIRECT_URI,
    approve_code,
    authorize_query,
    basic,
    pkce_pair,
    query_of,
)

GRANTED = {
    "type": "uc_journal_access",
    "purpose": "Help with an appeal about capability for work",
    "relationship": "Welfare rights adviser",
}
REFUSED = {
    "unknown type": json.dumps([{**GRANTED, "type": "payment_initiation"}]),
    "wider: a field not granted": json.dumps([{**GRANTED, "information": "Everything on file"}]),
    "wider: six months": json.dumps([{**GRANTED, "duration_months": 6}]),
    "wider: a second object": json.dumps([GRANTED, {**GRANTED, "purpose": "Anything else"}]),
    "not JSON": "uc_journal_access please",
    "not an array": json.dumps(GRANTED),
    "empty": "",
}


def token(api, case, form: dict[str, str]):  # noqa: ANN001, ANN201
    return api.post("/oauth/token", data=form, headers=basic(case.client_id, case.secret))


def refused(answer) -> bool:  # noqa: ANN001
    return answer.status_code == 400 and answer.json["error"] == "invalid_authorization_details"


@pytest.mark.parametrize("sent", REFUSED.values(), ids=REFUSED.keys())
def test_a_refresh_with_details_beyond_the_grant_is_refused(app, case, tokens, sent):
    api = app.test_client()
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}

    assert refused(token(api, case, {**form, "authorization_details": sent}))
    again = token(api, case, form)  # not burnt
    assert again.status_code == 200, again.json


@pytest.mark.parametrize("sent", REFUSED.values(), ids=REFUSED.keys())
def test_a_code_redeemed_with_details_beyond_the_grant_is_refused(app, case, sent):
    verifier, challenge = pkce_pair()
    location = approve_code(
        app.test_client(), case.username, authorize_query(case.client_id, challenge)
    )
    api = app.test_client()
    form = {
        "grant_type": "authorization_code",
        "code": query_of(location)["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }

    assert refused(token(api, case, {**form, "authorization_details": sent}))
    again = token(api, case, form)  # not burnt
    assert again.status_code == 200, again.json


def test_the_grants_own_details_repeated_are_taken(app, case, tokens):
    granted = tokens["authorization_details"]
    answer = token(
        app.test_client(),
        case,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "authorization_details": json.dumps([GRANTED]),
        },
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["authorization_details"] == granted
    both = token(
        app.test_client(),
        case,
        {
            "grant_type": "refresh_token",
            "refresh_token": answer.json["refresh_token"],
            "authorization_details": json.dumps(granted),
        },
    )
    assert both.status_code == 200, both.json
