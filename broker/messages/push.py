"""Security Event Tokens for case systems: built (RFC 8417) and pushed over HTTPS (RFC 8935).

A SET is signed with the broker's current signing key (ES256, the kid published at
/.well-known/jwks.json), so a case system verifies it exactly as it verifies an access token's
signature. The same SET is sent again on each retry; the receiver tells copies apart by `jti`.
Delivery is an HTTP POST of `application/secevent+jwt`; 202 means accepted, 400 with an `err`
JSON member means the receiver will never accept it, anything else is tried again later.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt

from ..chain.keys import ALGORITHM, Signer
from ..consent import clients

SET_TYPE = "secevent+jwt"
CONTENT_TYPE = "application/secevent+jwt"
EVENT_PATH = "/events/mr-decision-arrived"
MAX_ATTEMPTS = 6
FIRST_WAIT = timedelta(minutes=1)  # then 2, 4, 8, 16 minutes: the sixth try is ~31 minutes on
TIMEOUT_SECONDS = 10
LONGEST_ANSWER = 4096  # of a receiver's error body: enough for {"err": ..., "description": ...}


def event_uri(issuer: str) -> str:
    return f"{issuer}{EVENT_PATH}"


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    """What a case system is told of a decision it watches for."""

    decision_id: str
    claimant_id: str
    grant_id: str
    decided_on: date
    outcome: str
    appeal_deadline: date
    appeal_outside_limit: date


@dataclass(frozen=True, slots=True)
class ItemEvent:
    """What a case system is told of a to-do or payment it watches (issue 27): which one, what
    happened to it (due_soon, overdue, lower, missing) and the day it is dated; never its title
    or amount, which a read with the grant's token fetches through the same rule."""

    topic: str  # todos | payments
    item_id: str
    claimant_id: str
    grant_id: str
    kind: str
    dated_on: date


ITEM_EVENT_PATHS = {"todos": "/events/todo", "payments": "/events/payment"}


def _members(issuer: str, event: DecisionEvent | ItemEvent) -> tuple[str, dict[str, str]]:
    if isinstance(event, ItemEvent):
        return f"{issuer}{ITEM_EVENT_PATHS[event.topic]}", {
            ("todo_id" if event.topic == "todos" else "payment_id"): event.item_id,
            "claimant_id": event.claimant_id,
            "grant_id": event.grant_id,
            "kind": event.kind,
            "dated_on": event.dated_on.isoformat(),
        }
    return event_uri(issuer), {
        "decision_id": event.decision_id,
        "claimant_id": event.claimant_id,
        "grant_id": event.grant_id,
        "decided_on": event.decided_on.isoformat(),
        "outcome": event.outcome,
        "appeal_deadline": event.appeal_deadline.isoformat(),
        "appeal_outside_limit": event.appeal_outside_limit.isoformat(),
    }


def make_set(
    signer: Signer, *, jti: str, audience: str, event: DecisionEvent | ItemEvent, now: datetime
) -> str:
    """The signed SET for one decision, to-do or payment event, for one client (`aud` is its
    client_id)."""
    uri, members = _members(signer.issuer, event)
    claims: dict[str, Any] = {
        "iss": signer.issuer,
        "iat": int(now.timestamp()),
        "jti": jti,
        "aud": audience,
        "sub": event.claimant_id,
        "events": {uri: members},
    }
    return _signed(signer, claims)


# OpenID CAEP 1.0 (Shared Signals Framework 1.0) event types a case system is pushed when its
# access changes (issue 23).
CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
SESSION_REVOKED = f"{CAEP}session-revoked"
TOKEN_CLAIMS_CHANGE = f"{CAEP}token-claims-change"


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """What a case system is told when its access to a claimant's journal changes: the CAEP
    event type, who started it (CAEP's initiating_entity: user, admin, policy or system), why
    in English, and for a claims change the grant's claims as they now stand."""

    event_type: str
    claimant_id: str
    grant_id: str
    initiating_entity: str
    reason: str
    claims: dict[str, Any] | None = None


def make_caep_set(
    signer: Signer, *, jti: str, audience: str, event: AccessEvent, now: datetime
) -> str:
    """The signed CAEP SET. Its subject (SSF 1.0 `sub_id`) is complex: the claimant as the user
    and the grant as the session, the consent every token of the case system's was issued
    under."""
    body: dict[str, Any] = {
        "event_timestamp": int(now.timestamp()),
        "initiating_entity": event.initiating_entity,
        "reason_admin": {"en": event.reason},
    }
    if event.claims is not None:
        body["claims"] = event.claims
    claims: dict[str, Any] = {
        "iss": signer.issuer,
        "iat": int(now.timestamp()),
        "jti": jti,
        "aud": audience,
        "sub_id": {
            "format": "complex",
            "user": {"format": "opaque", "id": event.claimant_id},
            "session": {"format": "opaque", "id": event.grant_id},
        },
        "events": {event.event_type: body},
    }
    return _signed(signer, claims)


def _signed(signer: Signer, claims: dict[str, Any]) -> str:
    return jwt.encode(
        claims,
        signer.key.private_key,
        algorithm=ALGORITHM,
        headers={"typ": SET_TYPE, "kid": signer.key.kid},
    )


@dataclass(frozen=True, slots=True)
class Answer:
    """How one POST went: `outcome` is what the audit event records."""

    delivered: bool
    permanent: bool  # never try again
    outcome: str
    detail: str = ""


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the address that was checked, not to whatever the name resolves to a moment
    later (DNS rebinding); the certificate is still checked against the host name."""

    def __init__(self, host: str, port: int | None, address: str, **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class Pusher:
    """POSTs SETs over HTTPS, trusting the system's CAs or `ca_bundle` (BROKER_PUSH_CA_BUNDLE).
    Redirects are not followed: the endpoint registered is the only place a SET goes. The host
    name is resolved first and every address it has checked (broker/consent/clients.py: no
    loopback unless `allow_loopback`, no private, link-local or metadata address) and the port
    too; the connection goes to the address checked."""

    def __init__(
        self,
        ca_bundle: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
        *,
        allow_loopback: bool = False,
    ) -> None:
        self._context = ssl.create_default_context(cafile=ca_bundle or None)
        self._timeout = timeout
        self._allow_loopback = allow_loopback

    def _address(self, host: str, port: int) -> str | Answer:
        """The address to connect to, or the Answer refusing the push."""
        if clients.is_local_name(host) and not self._allow_loopback:
            return Answer(False, True, "failed:forbidden_address", f"{host} is this machine")
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            return Answer(False, False, "failed:unreachable", f"{type(exc).__name__}: {exc}")
        addresses = [str(info[4][0]) for info in found]
        for address in addresses:
            refused = clients.address_refusal(address, allow_loopback=self._allow_loopback)
            if refused:
                return Answer(False, True, "failed:forbidden_address", f"{address} {refused}")
        if not addresses:
            return Answer(False, False, "failed:unreachable", f"{host} has no address")
        return addresses[0]

    def post(self, endpoint: str, token: str) -> Answer:
        parts = urlsplit(endpoint)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            port = parts.port
        except ValueError as exc:  # a port out of range, stored before registration checked it
            return Answer(False, True, "failed:bad_endpoint", f"{type(exc).__name__}: {exc}")
        refused = clients.port_refusal(port)
        if parts.scheme != "https" or not parts.hostname or refused:
            return Answer(False, True, "failed:bad_endpoint", refused or "not an https URL")
        address = self._address(parts.hostname, port or 443)
        if isinstance(address, Answer):
            return address
        connection = _PinnedHTTPSConnection(
            parts.hostname, port, address, context=self._context, timeout=self._timeout
        )
        try:
            connection.request(
                "POST",
                path,
                body=token.encode(),
                headers={"Content-Type": CONTENT_TYPE, "Accept": "application/json"},
            )
            response = connection.getresponse()
            status, text = response.status, response.read(LONGEST_ANSWER)
        except (OSError, http.client.HTTPException) as exc:
            return Answer(False, False, "failed:unreachable", f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()
        return answer_of(status, text)


def answer_of(status: int, text: bytes) -> Answer:
    """RFC 8935 2.2-2.3: 202 accepted; 400 with an `err` code is final; the rest is retried."""
    if status == 202:
        return Answer(True, False, "allowed")
    if status == 400:
        try:
            err = json.loads(text).get("err")
        except (ValueError, AttributeError):
            err = None
        if isinstance(err, str) and err.isascii() and err.replace("_", "").isalnum():
            return Answer(False, True, f"failed:{err[:30]}", text.decode("utf-8", "replace"))
    return Answer(False, False, f"failed:http_{status}", text[:200].decode("utf-8", "replace"))


def wait_after(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: doubling from FIRST_WAIT."""
    return FIRST_WAIT * (2 ** (attempts - 1))
