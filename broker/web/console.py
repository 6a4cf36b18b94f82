"""The adviser console's API client: it holds a token issued under the grant and calls the
protected API with it, exactly as an outside case system would. It never reads journal tables.

The token is minted per page view and never leaves the server, so nothing in the adviser's
browser can be replayed against the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from werkzeug.test import Client

from .. import clock
from ..consent.clients import CONSOLE_CLIENT_ID
from ..models import Grant
from . import boundary


@dataclass(frozen=True)
class GrantSnapshot:
    """What a token needs of its grant, read before the page's transaction ends."""

    id: str
    claimant_id: str
    ends_at: datetime


@dataclass
class ApiAnswer:
    status: int
    body: Any


class ConsoleClient:
    """Calls /api/v1 in-process (a real WSGI request through the same guard) with a fresh token."""

    def __init__(self, grant: Grant) -> None:
        service = boundary.services().tokens
        snapshot = GrantSnapshot(grant.id, grant.claimant_id, grant.ends_at)
        scopes = grant.scope_names
        # End the page's own transaction first: on SQLite a page that read and then wrote could
        # lose a race with another writer, and the API call below must never wait on this page.
        boundary.end_transaction()
        with current_app.app_context():
            self._token, _row, _expires_in = boundary.apart(
                lambda: service.issue(
                    snapshot, client_id=CONSOLE_CLIENT_ID, scopes=scopes, now=clock.now()
                )
            )
        self._client = Client(current_app._get_current_object())  # type: ignore[attr-defined]

    def get(self, path: str) -> ApiAnswer:
        return self._call("GET", path)

    def post(self, path: str, payload: dict[str, Any]) -> ApiAnswer:
        return self._call("POST", path, json=payload)

    def delete(self, path: str) -> ApiAnswer:
        return self._call("DELETE", path)

    def _call(self, method: str, path: str, **kwargs: Any) -> ApiAnswer:
        # A fresh app context gives the API request its own g and database session, exactly as
        # if it had come over the network; the page's own transaction is not touched.
        with current_app.app_context():
            response = self._client.open(
                f"/api/v1{path}",
                method=method,
                headers={"Authorization": f"Bearer {self._token}"},
                **kwargs,
            )
            body = response.get_json(silent=True)
        return ApiAnswer(response.status_code, body)


def decisions_and_journal(grant: Grant) -> tuple[ApiAnswer | None, ApiAnswer | None]:
    """The client's MR decisions and journal as the API lets this grant read them now; None for
    a list the grant holds no scope for (the page says the client has not shared it)."""
    allowed = set(grant.scope_names)
    api = ConsoleClient(grant)
    decisions = api.get("/mr-decisions") if "mr:read" in allowed else None
    journal = api.get("/journal") if "journal:read" in allowed else None
    return decisions, journal
