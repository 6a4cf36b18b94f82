"""The bearer guard's web side: each protected API view declares its scope, audit action and
resource, and the guard (broker/oauth/protect.py) runs the view inside its transaction.

This module reads what the domain must not: the request (its Authorization header and the view's
arguments) and the app's services, and hands them to the guard explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, current_app, make_response, request
from flask.blueprints import BlueprintSetupState

import scopes

from .. import driver, metrics
from ..driver import Driver, Joined, Unit
from ..extensions import db
from ..oauth import dpop, protect
from ..oauth.protect import NO_TOKEN, Access, Refused, Rule, Sender
from . import boundary, dpop_proofs

View = Callable[..., Any]
# What a view of a guarded blueprint carries: its Rule, or PUBLIC (tests/api checks each one).
DECLARED = "guard_rule"
PUBLIC = "public"


def bearer_token() -> str:
    """The token from `Authorization: Bearer ...` (RFC 6750 2.1); never from the URL."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(401, "invalid_request", "A bearer token is required", NO_TOKEN)
    return token.strip()


def presented_token() -> tuple[str, Sender | None]:
    """The token and, for `Authorization: DPoP ...` (RFC 9449 7.1), what its proof must fit."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "dpop":
        return bearer_token(), None
    try:
        proof = dpop_proofs.presented()
    except dpop.ProofRefused:
        proof = ""  # several DPoP headers: refused as an invalid proof, once the token is placed
    if not token.strip():
        raise Refused(401, "invalid_request", "A DPoP-bound token is required", NO_TOKEN, dpop=True)
    sender = Sender(proof, request.method, dpop_proofs.request_url(), dpop_proofs.nonces())
    return token.strip(), sender


def guarded(
    scope: str | tuple[str, ...],
    *,
    action: str,
    resource: str,
    joined: Joined | None = None,
    by: str | None = None,
) -> Callable[[View], View]:
    """Declare a view protected: `view(access, unit, **view_args)` runs only for a live token
    whose grant covers `scope`, in the guard's transaction, and is audited as `action` on
    `resource` (formatted with the view's arguments) either way. `joined`, by the view argument
    `by`, is read with the check and handed over as `access.found`. A tuple of scopes: any one
    of them lets the view run, and the view asks for the others it needs (evidence bundles)."""
    rule = Rule(scope, action, resource, joined, by)
    first = scope if isinstance(scope, str) else scope[0]
    kind = scopes.lookup(first).access  # "read" or "write": the metric's label

    def declare(view: View) -> View:
        @wraps(view)
        def run(**view_args: Any) -> Any:
            outcome = "error"  # anything but an answer or a refusal: the guard raised
            try:
                answer = _guard(rule, view, view_args)
                outcome = "allowed"
                return answer
            except Refused as refusal:
                outcome = refusal.outcome
                raise
            finally:
                metrics.GUARDED.labels(kind, outcome).inc()

        setattr(run, DECLARED, rule)
        return run

    return declare


def _guard(rule: Rule, view: View, view_args: dict[str, Any]) -> Any:
    """Run `view` under the guard for this request's token (and DPoP proof)."""
    # A session cookie was looked up before the view: end that transaction, or on SQLite a
    # POST's BEGIN IMMEDIATE would hold the write lock the guard's connection waits for.
    boundary.end_transaction()
    extensions = current_app.extensions
    token, sender = presented_token()
    try:
        answer = protect.guard(
            rule,
            lambda access, unit: view(access, unit, **view_args),
            token=token,
            view_args=view_args,
            tokens=boundary.services().tokens,
            driver=extensions[driver.EXTENSION],
            sqlite_database=extensions["broker.sqlite_database"],
            sender=sender,
        )
    except Refused as refusal:
        refusal.dpop = refusal.dpop or sender is not None
        raise
    if sender is None:
        return answer
    return dpop_proofs.with_nonce(make_response(answer))


def public(view: View) -> View:
    """Declare a view of a guarded blueprint open to all, on purpose."""
    setattr(view, DECLARED, PUBLIC)
    return view


def undeclared(app: Flask, blueprint: str) -> list[str]:
    """The endpoints of `blueprint` whose views declare neither a guard rule nor PUBLIC."""
    return sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint.rpartition(".")[0] == blueprint and getattr(view, DECLARED, None) is None
    )


def bind_driver(blueprint: Blueprint) -> None:
    """Give the app the guard's driver connections when `blueprint` is registered."""

    def bind(state: BlueprintSetupState) -> None:
        with state.app.app_context():
            state.app.extensions.setdefault(driver.EXTENSION, Driver(db.engine))

    blueprint.record_once(bind)


__all__ = [
    "Access",
    "Unit",
    "bearer_token",
    "presented_token",
    "guarded",
    "public",
    "undeclared",
    "bind_driver",
]
