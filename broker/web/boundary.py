"""The request boundary: every HTML and OAuth view runs as one unit of work.

The boundary opens the unit before the view runs, fixes its `now` and knows who is acting; the
view parses input, makes its domain call and renders or redirects. If the view returns, the
unit commits, whatever the status: a counted wrong try or a refused OAuth request that revokes
a token family must be kept with the page that says so. If it raises, nothing it did is kept.
A commit that fails (the audit append among them) raises too, so the action does not happen and
the answer is an error page, never a success. Domain modules add and flush; only this module
(and the job boundary, broker/units.py) commits or rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request, session

from .. import clock
from ..extensions import db
from ..models import Account
from ..oauth import server as oauth
from ..services import Services
from ..services import of as services_of

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Unit:
    """One request's unit of work: the instant every domain call in it is made at."""

    now: datetime


def writes_on_get(view: F) -> F:
    """Mark a GET view that writes (it counts wrong tries): SQLite begins it IMMEDIATE too."""
    view.writes_on_get = True  # type: ignore[attr-defined]
    return view


def request_writes() -> bool:
    """Whether the request under way changes state (a POST, or a GET marked writes_on_get):
    the database layer asks as each transaction begins, so SQLite takes the write lock at
    BEGIN (broker/db.py). Outside a request (a command, a job): no."""
    if not has_request_context():
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return request.method not in READ_ONLY_METHODS or getattr(view, "writes_on_get", False)


def open_unit() -> Unit:
    """Start the request's unit: one `now` for everything it decides."""
    g.unit = Unit(now=clock.now())
    return g.unit


def now() -> datetime:
    """The unit's instant (a fresh one outside a view, for before_request checks)."""
    unit = g.get("unit")
    return unit.now if unit is not None else clock.now()


def services() -> Services:
    """What this app was built with (create_app), for the view to hand to its domain call."""
    return services_of(current_app)


def authorization_server() -> oauth.BrokerAuthorizationServer:
    """This app's OAuth authorization server (built with its token service at registration)."""
    return current_app.extensions[oauth.EXTENSION]


def current_account() -> Account | None:
    """Who is acting: the signed-in account, looked up once per request."""
    if "account" not in g:
        account_id = session.get("account_id")
        g.account = db.session.get(Account, account_id) if account_id else None
    return g.account


def undo() -> None:
    """Keep none of what this unit did so far (a refused action); the unit stays open, so a
    page rendered next reads the database as it was, and anything done after it is kept."""
    db.session.rollback()


def end_transaction() -> None:
    """Commit what the unit has done so far and end its transaction, before the view waits on
    another request (the console's in-process API call), which must never wait on its locks.
    Costs nothing when the request has not used the ORM session (an API call without a cookie)."""
    if db.session.registry.has() and db.session().in_transaction():
        db.session.commit()


def apart(work: Callable[[], T]) -> T:
    """Run `work` as a unit of its own, committed at once (a session's last-seen time, its
    flashes): nothing a view left unfinished is kept with it.

    The read transaction before it ends first, so on SQLite its write is the first statement of
    its transaction and waits its turn for the write lock instead of failing on a stale snapshot.
    """
    db.session.rollback()
    try:
        result = work()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def unit_of_work(view: Callable[..., Any]) -> Callable[..., Any]:
    """`view` as one unit: committed if it returns, rolled back if it (or the commit) raises."""

    @wraps(view)  # keeps the view's marks, such as writes_on_get
    def run(*args: Any, **kwargs: Any) -> Any:
        open_unit()
        flashed_before = list(session.get("_flashes", ()))
        try:
            answer = view(*args, **kwargs)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            # A message the view flashed said what it did; none of that happened.
            if list(session.get("_flashes", ())) != flashed_before:
                session["_flashes"] = flashed_before
            raise
        return answer

    return run


def bind(app: Flask, blueprint_names: Iterable[str]) -> None:
    """Run every view of these blueprints inside the boundary, for this app only."""
    names = set(blueprint_names)
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.partition(".")[0] in names and not getattr(view, "in_boundary", False):
            wrapped = unit_of_work(view)
            wrapped.in_boundary = True  # type: ignore[attr-defined]
            app.view_functions[endpoint] = wrapped
