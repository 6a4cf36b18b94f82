"""Issued tokens end with their grant: the one place access and refresh token rows are marked
revoked (a grant ending or narrowing, a refresh family ended on reuse or on request). Only the
rows' IDs are stored, never a token, so revoking is an update of rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, update

from ..extensions import db
from ..models import AccessToken, RefreshToken


def revoke_issued(
    now: datetime,
    *,
    access: ColumnElement[bool] | None = None,
    refresh: ColumnElement[bool] | None = None,
) -> None:
    """Mark the unrevoked access and refresh token rows these conditions select as revoked at
    `now`: the one place issued tokens are revoked (a grant ending or narrowing, a refresh family
    ended on reuse or on request). No commit."""
    for model, where in ((AccessToken, access), (RefreshToken, refresh)):
        if where is not None:
            db.session.execute(
                update(model).where(where, model.revoked_at.is_(None)).values(revoked_at=now)
            )
