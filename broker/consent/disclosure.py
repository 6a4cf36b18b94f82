"""Who may be told what: the one rule for every disclosure of a claimant's data (issue 23).

Anyone outside the claimant may be told something of theirs only while a grant works (active,
before its review date and its end), when it holds the scope for that kind of thing, and when
the thing is dated inside the grant's date window (windows.py), all at the moment of telling.

The resource guard asks `why_not` for every API read (protect.py; single rows through
`inside`, lists through the same window in SQL). Every other teller asks it too, at the moment
it tells: the console's decision notices and the adviser's emails (watches.py), a case system's
Security Event Tokens when they are made and again when they are sent (deliveries.py), what the
console lists later, and the adviser's words when a case-tied consent ends. A function that
writes a notice, a push or an adviser's message about claimant data takes a `Permit`, which only
`permit` makes; tests/window/test_every_teller_asks.py fails on any that does not.

A refused telling leaves nothing behind: no message, no notice, no push, and no audit event
(an event naming the row would tell the adviser's statement that it exists).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from .windows import Window, of

ACTIVE = "active"  # grants.ACTIVE: the one status under which a grant lets anything through
GRANT_INACTIVE, SCOPE_MISSING, OUTSIDE_WINDOW = "grant_inactive", "scope_removed", "outside_window"


def authorises(status: str, review_at: datetime, ends_at: datetime, now: datetime) -> bool:
    """Whether a grant lets its tokens work at this moment."""
    return status == ACTIVE and now < ends_at and now < review_at


def inside(window: Window, dated: datetime) -> bool:
    """Whether a row dated at this moment is inside the window (its UK day, windows.py)."""
    return window.open or window.holds(dated)


class GrantLike(Protocol):
    id: str
    status: str
    review_at: datetime
    ends_at: datetime

    @property
    def scope_names(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class Consent:
    """What a grant allows, as the rule reads it."""

    status: str
    review_at: datetime
    ends_at: datetime
    scopes: Collection[str]  # the scopes it holds (a tuple will do: a handful at most)
    window: Window

    @classmethod
    def of(cls, grant: GrantLike) -> Consent:
        return cls(grant.status, grant.review_at, grant.ends_at, grant.scope_names, of(grant))


def why_not(
    consent: Consent, scope: str, now: datetime, dated: datetime | None = None
) -> str | None:
    """Why nothing under this consent may be told now, for `scope`, of a row dated `dated`
    (None: no row, as for a list or a write): None when it may."""
    if not authorises(consent.status, consent.review_at, consent.ends_at, now):
        return GRANT_INACTIVE
    if scope not in consent.scopes:
        return SCOPE_MISSING
    if dated is not None and not inside(consent.window, dated):
        return OUTSIDE_WINDOW
    return None


class NotTold(Exception):
    """The rule refused a telling; `reason` is why_not's answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_MINT = object()  # only `permit` holds it, so only `permit` makes a Permit


@dataclass(frozen=True, slots=True)
class Permit:
    """The rule said yes: this grant may be told of this row, for this scope, now."""

    grant_id: str
    scope: str
    dated: datetime | None
    at: datetime
    mint: object = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.mint is not _MINT:
            raise TypeError("a Permit is made by disclosure.permit only")


def permit(grant: GrantLike, scope: str, now: datetime, dated: datetime | None) -> Permit:
    """A Permit to tell the grant's holder of a row dated `dated`; NotTold if the rule refuses."""
    reason = why_not(Consent.of(grant), scope, now, dated)
    if reason is not None:
        raise NotTold(reason)
    return Permit(grant.id, scope, dated, now, _MINT)
