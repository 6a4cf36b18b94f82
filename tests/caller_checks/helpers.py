"""Starting checks as each caller does, and reading what the pages and the chain say."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from broker.extensions import db
from broker.models import CallerCheck
from tests.conftest import csrf_from
from tests.factories import chain_events

CODE_RE = re.compile(r'class="app-user-code[^"]*"[^>]*>\s*(\d{4})\s*<')


def staff_starts(staff: FlaskClient, reference: str):  # noqa: ANN201
    """Press "Start a caller check" on the claimant's record."""
    record = staff.get(f"/staff/claimants/{reference}")
    assert record.status_code == 200, record.text
    return staff.post(
        f"/staff/claimants/{reference}/caller-checks", data={"csrf_token": csrf_from(record.text)}
    )


def adviser_starts(adviser: FlaskClient, grant_id: str):  # noqa: ANN201
    """Press "Start a caller check" on the client's page (the form's token is the session's)."""
    page = adviser.get(f"/adviser/clients/{grant_id}/caller-checks")
    assert page.status_code == 200, page.text
    return adviser.post(
        f"/adviser/clients/{grant_id}/caller-checks", data={"csrf_token": csrf_from(page.text)}
    )


def codes_on(html: str) -> list[str]:
    return CODE_RE.findall(html)


def caller_events(claimant_id: str) -> list[tuple[str, str, str]]:
    """(action, actor, resource) of the claimant's caller check events, in chain order."""
    return chain_events(claimant_id, "caller_check.%", "action", "actor", "resource")


def checks_of(claimant_id: str) -> list[CallerCheck]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(CallerCheck)
            .where(CallerCheck.claimant_id == claimant_id)
            .order_by(CallerCheck.started_at, CallerCheck.id)
        )
    )
