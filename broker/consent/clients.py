"""OAuth clients: registration (secrets stored hashed, exact redirect URIs), what a client may ask
for (its scopes and an RFC 9396 authorization details object), and the grant a claimant gives it.

A client is an organisation's case-management system, or the broker's own adviser console.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scopes

from .. import clock, inputs
from ..chain.keys import Signer
from ..extensions import db
from ..models import Claimant, Grant, OAuthClient, Organisation
from ..opaque import hash_secret
from . import grants, windows

CODE_GRANT = "authorization_code"
REFRESH_GRANT = "refresh_token"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_TYPES = (CODE_GRANT, REFRESH_GRANT, DEVICE_GRANT)  # no implicit, password or client grants
CONSOLE_CLIENT_ID = "adviser-console"  # the adviser console's own client (broker/web/console.py)
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
AUTH_METHODS = (*SECRET_METHODS, "none")

# RFC 9396: the one authorization details type the broker understands.
DETAILS_TYPE = "uc_journal_access"
DETAILS_FIELDS = {
    "type",
    "purpose",
    "relationship",
    "information",
    "duration_months",
    "until_event",  # access that ends when the case does (broker/consent/case_tied.py)
    "date_from",  # the date window (broker/consent/windows.py), ISO days
    "date_to",
}
DEFAULT_MONTHS = 3
DURATION_PRESETS = (1, 3, 6)
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9._-]{3,64}$")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})  # urlsplit gives [::1] as ::1


class ClientRefused(ValueError):
    """A registration the rules do not allow; the message says what to fix."""


class DetailsRefused(ValueError):
    """Authorization details that are not a valid uc_journal_access object (RFC 9396 5)."""


# Registration


class EndpointRefused(ValueError):
    """A push endpoint must be an https URL on a public address and an allowed port."""


# The broker POSTs to a push endpoint from inside the service's network, so an endpoint is a
# way to make it call anything it can reach (security.md 63): only addresses on the public
# internet, never loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
# (169.254/16 with the cloud metadata service, fe80::/10), shared, reserved or multicast ones.
# Loopback only when BROKER_PUSH_ALLOW_LOOPBACK is set (the tests' local receiver). Ports: 443,
# or 1024 to 65535 (never another service's well-known port, such as 22 or 25).
def is_local_name(host: str) -> bool:
    """localhost and its subdomains: this machine, whatever DNS says (RFC 6761 6.3)."""
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def address_refusal(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why a push may not go to this IP address, or None if it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "is a loopback address"
    if ip.is_link_local:
        return "is a link-local address (the cloud metadata service lives there)"
    if ip.is_private:
        return "is a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "is not a public address"
    return None


def port_refusal(port: int | None) -> str | None:
    """Why a push may not go to this port (None: the https default, 443), or None if it may."""
    if port is None or port == 443 or 1024 <= port <= 65535:
        return None
    return "The push endpoint's port must be 443 or a number from 1024 to 65535"


def check_endpoint(url: str, *, allow_loopback: bool = False) -> str:
    """The endpoint as given, if it is an absolute https URL with a host and no fragment, on an
    allowed port, whose host is not a local name or an IP address pushes may not go to. (Names
    are resolved and their addresses checked again when each push is sent: broker/messages/
    push.py.)"""
    url = url.strip()
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise EndpointRefused("The push endpoint's port must be a number from 1 to 65535") from None
    if parts.scheme != "https" or not parts.hostname or parts.fragment or parts.username:
        raise EndpointRefused(
            "The push endpoint must be an https URL, like https://cases.example/events"
        )
    refused = port_refusal(port)
    if refused:
        raise EndpointRefused(refused)
    host = parts.hostname.lower()
    if is_local_name(host):
        if not allow_loopback:
            raise EndpointRefused("The push endpoint's host is this machine (localhost)")
        return url
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return url  # a name: checked when it is resolved, at each push
    refused = address_refusal(host, allow_loopback=allow_loopback)
    if refused:
        raise EndpointRefused(f"The push endpoint's address {host} {refused}")
    return url


def check_redirect_uri(uri: str) -> str:
    """The URI unchanged if it may be registered: absolute https, or http on a loopback host
    (RFC 8252 7.3, for native apps and development); no user info, no fragment, no wildcard.

    RFC 9700 4.1.3: redirect URIs are later compared as exact strings, so what is stored here is
    exactly what a client must send.
    """
    uri = uri.strip()
    try:
        parts = urlsplit(uri)
        hostname = parts.hostname
    except ValueError:
        raise ClientRefused(f"{uri} is not a valid URL") from None
    if not hostname or parts.username is not None or "@" in parts.netloc:
        raise ClientRefused(f"{uri} must be an absolute URL without a user name")
    if parts.fragment or "#" in uri:
        raise ClientRefused(f"{uri} must not have a fragment")
    if "*" in uri or any(ch.isspace() for ch in uri):
        raise ClientRefused(f"{uri} must not contain wildcards or spaces")
    if parts.scheme == "https":
        return uri
    if parts.scheme == "http" and _is_loopback(hostname):
        return uri
    raise ClientRefused(f"{uri} must use https (http is only allowed on 127.0.0.1 or [::1])")


def _is_loopback(hostname: str) -> bool:
    # RFC 8252 8.3 / RFC 9700 2.1: loopback IP literals only, not `localhost` (a name DNS or a
    # hosts file may point elsewhere), and exactly these two, as written, since the URI is
    # later compared as an exact string.
    return hostname in _LOOPBACK_HOSTS


def register(
    name: str,
    *,
    organisation: Organisation | None,
    redirect_uris: Sequence[str],
    scope_names: Sequence[str] | str,
    grant_types: Sequence[str],
    auth_method: str,
    now: datetime,
    client_id: str | None = None,
    secret: str | None = None,
    push_endpoint: str | None = None,
    require_dpop: bool = False,
    allow_loopback_push: bool = False,
) -> tuple[OAuthClient, str | None]:
    """A new client and its secret (None for a public client); the secret is stored hashed
    and cannot be shown again. Adds and flushes, no commit."""
    name = name.strip()
    if not name:
        raise ClientRefused("Enter the name of the system")
    if auth_method not in AUTH_METHODS:
        raise ClientRefused(f"The authentication method must be one of {', '.join(AUTH_METHODS)}")
    kinds = [g for g in GRANT_TYPES if g in set(grant_types)]
    unknown = set(grant_types) - set(GRANT_TYPES)
    if unknown:
        raise ClientRefused(f"These grant types are not offered: {', '.join(sorted(unknown))}")
    if not set(kinds) - {REFRESH_GRANT}:
        raise ClientRefused("Choose the authorization code grant, the device grant, or both")
    uris = [check_redirect_uri(u) for u in redirect_uris if u.strip()]
    if CODE_GRANT in kinds and not uris:
        raise ClientRefused("The authorization code grant needs at least one redirect URL")
    try:
        allowed = scopes.parse(scope_names)
    except scopes.UnknownScope as exc:
        raise ClientRefused(f"Unknown scopes: {', '.join(exc.names)}") from None
    if not allowed:
        raise ClientRefused("Choose at least one scope the system may ask for")
    client_id = client_id or f"{_slug(name)}-{secrets.token_hex(4)}"
    if not _CLIENT_ID_RE.match(client_id):
        raise ClientRefused("A client ID is 3 to 64 letters, digits, dots, dashes or underscores")
    if db.session.get(OAuthClient, client_id) is not None:
        raise ClientRefused(f"A client called {client_id} already exists")
    try:
        endpoint = (
            check_endpoint(push_endpoint, allow_loopback=allow_loopback_push)
            if push_endpoint
            else None
        )
    except EndpointRefused as refusal:
        raise ClientRefused(str(refusal)) from None
    if auth_method != "none":
        secret = secret or secrets.token_urlsafe(32)
    else:
        secret = None
    client = OAuthClient(
        id=client_id,
        secret_hash=hash_secret(secret) if secret else None,
        name=name,
        organisation_id=organisation.id if organisation else None,
        redirect_uris="\n".join(uris),
        allowed_scopes=" ".join(allowed),
        grant_types=" ".join(kinds),
        token_endpoint_auth_method=auth_method,
        created_at=now,
        push_endpoint=endpoint,
        require_dpop=require_dpop,
    )
    db.session.add(client)
    db.session.flush()
    return client, secret


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:40] or "client"


def organisation_named(name: str) -> Organisation:
    """The organisation with this exact name, created if there is none. Adds, no commit."""
    name = name.strip()
    if not name:
        raise ClientRefused("Enter the organisation's name")
    found = db.session.scalar(db.select(Organisation).where(Organisation.name == name))
    if found is None:
        found = Organisation(name=name)
        db.session.add(found)
        db.session.flush()
    return found


def ensure_console_client(now: datetime) -> OAuthClient:
    """The adviser console's own client row, created on first use.

    It is confidential with a secret nobody holds (only its hash of random bytes is kept), so it
    cannot be used from outside: the console starts device requests in-process.
    """
    client = db.session.get(OAuthClient, CONSOLE_CLIENT_ID)
    if client is None:
        client, _secret = register(
            "Adviser console",
            organisation=None,
            redirect_uris=(),
            scope_names=tuple(scopes.catalogue()),
            grant_types=(DEVICE_GRANT,),
            auth_method="client_secret_basic",
            now=now,
            client_id=CONSOLE_CLIENT_ID,
        )
    return client


def active(client_id: str | None) -> OAuthClient | None:
    """The registered, not disabled, client with this ID."""
    if not client_id:
        return None
    client = db.session.get(OAuthClient, client_id)
    if client is None or client.disabled_at is not None:
        return None
    return client


def all_clients() -> list[OAuthClient]:
    return list(db.session.scalars(db.select(OAuthClient).order_by(OAuthClient.created_at.desc())))


def check_secret(client: OAuthClient, secret: str) -> bool:
    """True if `secret` is this client's; compares hashes in constant time."""
    if not client.secret_hash or not secret:
        return False
    return hmac.compare_digest(hash_secret(secret), client.secret_hash)


def redirect_uris(client: OAuthClient) -> list[str]:
    return [u for u in client.redirect_uris.split("\n") if u]


def organisation_name(client: OAuthClient) -> str:
    if not client.organisation_id:
        return ""
    organisation = db.session.get(Organisation, client.organisation_id)
    return organisation.name if organisation else ""


def allowed_scopes(client: OAuthClient, requested: str | None) -> tuple[str, ...] | None:
    """The requested scopes in catalogue order if every one is known and allowed for this
    client; None otherwise. Never widened, never silently narrowed (security.md 13)."""
    if not requested or not requested.strip():
        return None
    try:
        names = scopes.parse(requested)
    except scopes.UnknownScope:
        return None
    if not names or not set(names) <= set(client.allowed_scopes.split()):
        return None
    return names


# RFC 9396 authorization details


@dataclass(frozen=True)
class ConsentDetails:
    """Why, for whom and for how long a client asks: our one authorization details type."""

    purpose: str
    relationship: str
    information: str
    months: int
    _: KW_ONLY  # the optional parts by name, so that a new one never shifts another
    until_event: str | None = None  # grants.UNTIL_EVENTS: access that ends when the case does
    window: windows.Window = windows.OPEN

    def as_json(self, months: int | None = None) -> dict[str, Any]:
        value: dict[str, Any] = {
            "type": DETAILS_TYPE,
            "purpose": self.purpose,
            "relationship": self.relationship,
        }
        if self.information:
            value["information"] = self.information
        value["duration_months"] = months or self.months
        if self.until_event:
            value["until_event"] = self.until_event
        value.update({k: v for k, v in self.window.as_json().items() if v})
        return value


def parse_details(raw: str | None, scope_names: Sequence[str]) -> ConsentDetails:
    """The one uc_journal_access object in `raw` (a JSON array, RFC 9396 2), checked against
    its type definition; DetailsRefused says what is wrong. Unknown types and fields are refused
    (RFC 9396 5), so nothing a client sends is silently ignored."""
    if raw is None or not raw.strip():
        raise DetailsRefused(
            "authorization_details is required: one uc_journal_access object with purpose and"
            " relationship"
        )
    try:
        value = inputs.load_json(raw)
    except inputs.BadInput as refusal:
        raise DetailsRefused(f"authorization_details: {refusal}") from None
    if not isinstance(value, list) or not value:
        raise DetailsRefused("authorization_details must be a JSON array of objects")
    if len(value) != 1 or not isinstance(value[0], dict):
        raise DetailsRefused("authorization_details must hold exactly one object")
    item: dict[str, Any] = value[0]
    if item.get("type") != DETAILS_TYPE:
        raise DetailsRefused(f"the only authorization details type supported is {DETAILS_TYPE}")
    unknown = set(item) - DETAILS_FIELDS
    if unknown:
        raise DetailsRefused(f"unknown fields for {DETAILS_TYPE}: {', '.join(sorted(unknown))}")
    purpose = _text(item, "purpose", 500, required=True)
    relationship = _text(item, "relationship", 100, required=True)
    information = _text(item, "information", 500, required=False)
    longest = scopes.longest_months(scope_names)
    months = item.get("duration_months", min(DEFAULT_MONTHS, longest))
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 6:
        raise DetailsRefused("duration_months must be a whole number from 1 to 6")
    if months > longest:
        raise DetailsRefused(f"these scopes can be granted for {longest} months at most")
    until_event = item.get("until_event")
    if until_event is not None and until_event not in grants.UNTIL_EVENTS:
        raise DetailsRefused(f"until_event must be one of: {', '.join(grants.UNTIL_EVENTS)}")
    return ConsentDetails(
        purpose, relationship, information, months, until_event=until_event, window=_window(item)
    )


def check_token_details(raw: str, granted: Sequence[dict[str, Any]]) -> None:
    """RFC 9396 6: `authorization_details` sent to the token endpoint (a code redeemed, a
    refresh) may only repeat what the consent granted: JSON, an array of objects of our one type,
    each field one the granted object holds, with the same value. DetailsRefused otherwise; the
    token then carries the grant's own details, never these (security.md 71)."""
    try:
        value = inputs.load_json(raw)
    except inputs.BadInput as refusal:
        raise DetailsRefused(f"authorization_details: {refusal}") from None
    if not isinstance(value, list) or not value or not all(isinstance(i, dict) for i in value):
        raise DetailsRefused("authorization_details must be a JSON array of objects")
    for item in value:
        if item.get("type") != DETAILS_TYPE:
            raise DetailsRefused(f"the only authorization details type supported is {DETAILS_TYPE}")
        if not any(all(k in g and g[k] == v for k, v in item.items()) for g in granted):
            raise DetailsRefused(
                "authorization_details may only repeat what the consent granted, nothing more"
            )


def _window(item: dict[str, Any]) -> windows.Window:
    """The date window asked for: ISO days, the start on or before the end, neither far ahead."""
    try:
        return windows.checked(
            windows.parse_day(item.get("date_from"), "date_from"),
            windows.parse_day(item.get("date_to"), "date_to"),
            today=clock.uk_day(clock.now()),
        )
    except windows.WindowRefused as refusal:
        raise DetailsRefused(str(refusal)) from None


def _text(item: dict[str, Any], name: str, limit: int, *, required: bool) -> str:
    value = item.get(name, "")
    if not isinstance(value, str):
        raise DetailsRefused(f"{name} must be a string")
    value = " ".join(value.split())
    if required and not inputs.visible(value):  # security.md 70: zero-width characters only
        raise DetailsRefused(f"{name} is required")
    if value and not inputs.visible(value):
        raise DetailsRefused(f"{name} has nothing visible in it")
    if len(value) > limit:
        raise DetailsRefused(f"{name} is longer than {limit} characters")
    return value


def details_from_json(text: str | None) -> ConsentDetails | None:
    """Stored authorization details (already checked when they arrived) back as an object."""
    if not text:
        return None
    item = json.loads(text)[0]
    return ConsentDetails(
        item["purpose"],
        item["relationship"],
        item.get("information", ""),
        int(item["duration_months"]),
        until_event=item.get("until_event"),
        window=windows.stored(item.get("date_from"), item.get("date_to")),
    )


def month_choices(requested: int) -> list[int]:
    """The durations a claimant may pick: the one asked for, or a shorter preset."""
    return sorted({m for m in DURATION_PRESETS if m < requested} | {requested})


# The claimant's answer


KEEP_END = 0  # the claimant's duration choice when they already have a grant: keep its end


def grant_access(
    claimant: Claimant,
    representative: grants.Representative,
    *,
    signer: Signer,
    client: OAuthClient,
    requested: Sequence[str],
    chosen: Sequence[str],
    details: ConsentDetails,
    months: int,
    now: datetime,
    window: windows.Window | None = None,
) -> Grant:
    """The grant a claimant gives in answer to a client's request: only scopes it asked for,
    for no longer than it asked. If this representative already has a live grant, the answer
    amends it (grants.give): `chosen` then adds to what it holds, and KEEP_END keeps its end."""
    try:
        chosen_names = scopes.parse(chosen)
    except scopes.UnknownScope:
        raise grants.GrantRefused("Choose from the things they asked for") from None
    if not set(chosen_names) <= set(requested):
        # A tampered form cannot widen the request (security.md 13).
        raise grants.GrantRefused("Choose from the things they asked for")
    existing = grants.live_relationship(claimant.id, representative.key(client.id), now)
    if existing is None and not chosen_names:
        raise grants.GrantRefused("Choose at least one thing they can see or do")
    if existing is not None and months == KEEP_END:
        ends_at = existing.ends_at
    elif months in month_choices(details.months):
        ends_at = grants.add_months(now, months)
    else:
        raise grants.GrantRefused("Choose how long they can have access")
    held = existing.scope_names if existing is not None else ()
    # The claimant may start the window later than asked, never earlier (issue 16). A request
    # with no window, answered with none, leaves a live grant's window as it is.
    if window is not None or not details.window.open:
        try:
            window = windows.no_earlier(details.window, window or details.window)
        except windows.WindowRefused:
            raise grants.GrantRefused(LATER_ONLY) from None
    grant = grants.give(
        claimant,
        representative,
        scope_names=(*held, *chosen_names),
        ends_at=ends_at,
        purpose=details.purpose,
        relationship=details.relationship,
        information=details.information,
        now=now,
        recorded_by="oauth",
        client_id=client.id,
        authorization_details=[details.as_json(months or _months_of(existing))],
        signer=signer,
        until_event=details.until_event,  # None: not asked, an existing grant keeps its own
        window=window,
        check_before_send=True,  # approved on the claimant's phone: they check writes first
    )
    return grant


LATER_ONLY = "You can only choose a later start date than they asked for"


def _months_of(grant: Grant | None) -> int | None:
    """The duration a grant's own authorization details record, if it has any."""
    kept = details_from_json(grant.authorization_details) if grant is not None else None
    return kept.months if kept is not None else None


def representative_for(client: OAuthClient) -> grants.Representative:
    """Who a client's grant is for when no adviser is named: the system and its organisation."""
    return grants.Representative(client.name, organisation_name(client))
