"""Helpers for OAuth tests: register clients, run the claimant's side of each flow through the
real pages, and speak the protocol to the real endpoints."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from urllib.parse import parse_qs, urlencode, urlsplit

from flask.testing import FlaskClient

from broker import clock
from broker.consent import clients
from broker.extensions import db
from broker.models import OAuthClient
from tests.conftest import csrf_from, sign_in

REDIRECT_URI = "https://case.example/callback"
DEVICE_GRANT = clients.DEVICE_GRANT
CODE_AND_REFRESH = (clients.CODE_GRANT, clients.REFRESH_GRANT)


def make_client(
    *,
    name: str = "Northside case system",
    organisation: str = "Northside Citizens Advice",
    redirect_uris: Sequence[str] = (REDIRECT_URI,),
    scope_names: str = "mr:read journal:read mr:request",
    grant_types: Sequence[str] = CODE_AND_REFRESH,
    auth_method: str = "client_secret_basic",
) -> tuple[OAuthClient, str | None]:
    client, secret = clients.register(
        name,
        organisation=clients.organisation_named(organisation),
        redirect_uris=redirect_uris,
        scope_names=scope_names,
        grant_types=grant_types,
        auth_method=auth_method,
        now=clock.now(),
    )
    db.session.commit()
    return client, secret


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def details(**fields: object) -> str:
    value = {
        "type": "uc_journal_access",
        "purpose": "Help with an appeal about capability for work",
        "relationship": "Welfare rights adviser",
        **fields,
    }
    return json.dumps([{k: v for k, v in value.items() if v is not None}])


def authorize_query(
    client_id: str,
    challenge: str | None,
    *,
    scope: str = "mr:read journal:read",
    state: str = "state-123",
    redirect_uri: str | None = REDIRECT_URI,
    method: str | None = "S256",
    response_type: str = "code",
    authorization_details: str | None = None,
) -> str:
    params = {
        "response_type": response_type,
        "client_id": client_id,
        "scope": scope,
        "state": state,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": method,
        "authorization_details": authorization_details or details(),
    }
    return "/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def basic(client_id: str, secret: str | None) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent(
    browser: FlaskClient,
    url: str,
    *,
    decision: str = "approve",
    scopes: Sequence[str] | None = None,
    months: str | None = None,
):  # noqa: ANN201
    """GET the consent page at `url`, then POST the answer with its CSRF token."""
    page = browser.get(url)
    assert page.status_code == 200, page.text
    form: dict[str, object] = {"csrf_token": csrf_from(page.text), "decision": decision}
    if scopes is not None:
        form["scopes"] = list(scopes)
    else:
        form["scopes"] = [v for v in _ticked(page.text)]
    form["months"] = months if months is not None else _checked_months(page.text)
    user_code = _hidden(page.text, "user_code")
    if user_code:
        form["user_code"] = user_code
    action = _form_action(page.text)
    return browser.post(action, data=form)


def _ticked(html: str) -> list[str]:
    import re

    return re.findall(r'name="scopes" type="checkbox" value="([^"]+)"[^>]*checked', html)


def _checked_months(html: str) -> str:
    import re

    match = re.search(r'name="months" type="radio" value="(\d+)" checked', html)
    return match.group(1) if match else ""


def _hidden(html: str, name: str) -> str | None:
    import re

    match = re.search(rf'type="hidden" name="{name}" value="([^"]*)"', html)
    return match.group(1) if match else None


def _form_action(html: str) -> str:
    import html as html_lib
    import re

    forms = re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    return html_lib.unescape(next(action for action, body in forms if 'name="decision"' in body))


def approve_code(browser: FlaskClient, claimant_username: str, url: str, **answer: object) -> str:
    """Sign the claimant in, approve the request at `url`; the redirect's Location."""
    sign_in(browser, claimant_username)
    response = consent(browser, url, **answer)  # type: ignore[arg-type]
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def redeem(
    api: FlaskClient,
    client_id: str,
    secret: str | None,
    code: str,
    verifier: str | None,
    redirect_uri: str = REDIRECT_URI,
):  # noqa: ANN201
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    headers = basic(client_id, secret) if secret else {}
    if not secret:
        form["client_id"] = client_id
    return api.post("/oauth/token", data=form, headers=headers)


def code_flow(
    app,
    claimant_username: str,
    client_id: str,
    secret: str | None,  # noqa: ANN001
    scope: str = "mr:read journal:read",
) -> dict[str, object]:
    """The whole authorization code flow; the token response's JSON."""
    verifier, challenge = pkce_pair()
    location = approve_code(
        app.test_client(), claimant_username, authorize_query(client_id, challenge, scope=scope)
    )
    response = redeem(app.test_client(), client_id, secret, query_of(location)["code"], verifier)
    assert response.status_code == 200, response.text
    return response.json


def refresh(
    api: FlaskClient,
    client_id: str,
    secret: str | None,
    refresh_token: str,
    scope: str | None = None,
):  # noqa: ANN201
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope:
        form["scope"] = scope
    return api.post("/oauth/token", data=form, headers=basic(client_id, secret))


def start_device(
    api: FlaskClient,
    client_id: str,
    secret: str | None = None,
    scope: str = "mr:read journal:read",
    **fields: object,
):  # noqa: ANN201
    form = {"scope": scope, "authorization_details": details(**fields)}
    headers = basic(client_id, secret) if secret else {}
    if not secret:
        form["client_id"] = client_id
    return api.post("/oauth/device_authorization", data=form, headers=headers)


def poll_device(api: FlaskClient, client_id: str, secret: str | None, device_code: str):  # noqa: ANN201
    form = {"grant_type": DEVICE_GRANT, "device_code": device_code}
    headers = basic(client_id, secret) if secret else {}
    if not secret:
        form["client_id"] = client_id
    return api.post("/oauth/token", data=form, headers=headers)


def answer_device(browser: FlaskClient, claimant_username: str, user_code: str, **answer: object):  # noqa: ANN201
    sign_in(browser, claimant_username)
    return consent(browser, f"/device?user_code={user_code}", **answer)  # type: ignore[arg-type]


# Over real HTTP (live servers)

DETAILS = [
    {
        "type": "uc_journal_access",
        "purpose": "Prepare the appeal hearing bundle",
        "relationship": "Welfare rights caseworker",
        "duration_months": 3,
    }
]


def discover(base_url: str) -> dict[str, object]:
    """The metadata document, validated as RFC 8414 + RFC 9207 metadata by Authlib's client."""
    import requests
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
    from authlib.oauth2.rfc9207 import AuthorizationServerMetadata as IssuerMetadata

    metadata = requests.get(f"{base_url}/.well-known/oauth-authorization-server", timeout=10).json()
    AuthorizationServerMetadata(metadata).validate(metadata_classes=[IssuerMetadata])
    assert metadata["issuer"] == base_url  # RFC 8414 3.3
    return metadata


def http_browser(base_url: str, username: str):  # noqa: ANN201
    """A claimant's browser (requests.Session with cookies), signed in on the live server."""
    import requests

    browser = requests.Session()
    page = browser.get(f"{base_url}/sign-in", timeout=10)
    response = browser.post(
        f"{base_url}/sign-in",
        timeout=10,
        allow_redirects=False,
        data={"username": username, "password": "pw-for-tests", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303, response.text
    return browser


def http_consent(
    browser,
    url: str,
    *,
    decision: str = "approve",  # noqa: ANN001
    scopes: Sequence[str] | None = None,
    months: str | None = None,
):  # noqa: ANN201
    """Open the consent page at `url` in the browser and answer it; the answer (not followed)."""
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text
    form: dict[str, object] = {
        "csrf_token": csrf_from(page.text),
        "decision": decision,
        "scopes": list(scopes) if scopes is not None else _ticked(page.text),
        "months": months or _checked_months(page.text),
    }
    user_code = _hidden(page.text, "user_code")
    if user_code:
        form["user_code"] = user_code
    base = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    return browser.post(
        base + _form_action(page.text), data=form, timeout=10, allow_redirects=False
    )


CODE = re.compile(r'id="user-code">([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})<')


def ask(browser, scopes=("mr:read", "journal:read"), months="3") -> str:  # noqa: ANN001
    """The adviser asks for access on the console: where the page with the QR code and user code
    is."""
    page = browser.get("/adviser/ask")
    assert page.status_code == 200
    response = browser.post(
        "/adviser/ask",
        data={
            "csrf_token": csrf_from(page.text),
            "scopes": list(scopes),
            "months": months,
            "purpose": "Help with your appeal about capability for work",
            "relationship": "Welfare rights adviser",
        },
    )
    assert response.status_code == 303, response.text
    return response.headers["Location"]
