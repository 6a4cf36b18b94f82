"""A grant changed: the domain event grants.py records, and whoever must react to it reacts.

grants.py owns a grant's status and sits low in the domain: it must not call up into the
packages that tell the other side (the adviser's messages, a case system's CAEP events, the
claimant's alert). So each change it audits is published here, in the same transaction, and
the reactions bound at start-up (create_app) run inside it: if one fails, the change and its
audit event roll back with it, as a failed audit would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..chain.keys import Signer
    from ..models import Grant


@dataclass(frozen=True, slots=True)
class GrantChanged:
    """One audited change of a grant (the audit action names it: grant.create, grant.revoke...)."""

    grant: Grant
    action: str
    by: str  # the actor on the audit event: claimant:<id>, adviser:<id>, staff:<id>, client:<id>
    now: datetime
    signer: Signer
    removed: Sequence[str] = ()
    added: Sequence[str] = ()
    window_changed: bool = False


Reaction = Callable[[GrantChanged], None]
_reactions: list[Reaction] = []


def react_with(*reactions: Reaction) -> None:
    """Bind the reactions (create_app does, once per process; binding again replaces them)."""
    _reactions[:] = reactions


def publish(change: GrantChanged) -> None:
    """Run every reaction in the caller's transaction; an exception rolls the change back."""
    for reaction in _reactions:
        reaction(change)
