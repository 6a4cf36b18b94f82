"""One request boundary: views and domain modules never end a transaction themselves.

A request's unit of work is committed or rolled back by broker/web/boundary.py, a job's or a
command's by broker/units.py. Anywhere else, a `.commit()` or `.rollback()` is a second
transaction style creeping back in, and this test names the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

from broker.chain import audit
from broker.extensions import db
from broker.models import AuditEvent, Grant
from tests.conftest import csrf_from, sign_in
from tests.factories import make_adviser, make_claimant, make_grant

BROKER = Path(__file__).resolve().parent.parent / "broker"
BOUNDARIES = {"web/boundary.py", "units.py"}
# The guarded API is a boundary of its own: the guard commits each request's work with its audit
# event, or rolls both back, on its own driver connection (oauth/protect.py over driver.py), and
# the audit append can send that commit in the same round trip as the event (chain/audit.py). On
# SQLite the guard's group commit commits a batch of such requests together (oauth/batches.py).
GUARD = {"oauth/protect.py", "oauth/batches.py", "driver.py", "chain/audit.py"}
# The key ring reads and writes the signing keys on a DBAPI connection of its own, never the
# request's session: a key made or published is kept whatever the request's unit later does
# (chain/keyring.py's docstring says why).
KEY_RING = {"chain/keyring.py"}
ENDS = {"commit", "rollback"}


def transaction_ends(source: str) -> list[int]:
    """Lines calling `<anything>.commit()` or `<anything>.rollback()`."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ENDS
    ]


def ends_outside_boundaries(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name in BOUNDARIES | GUARD | KEY_RING:
            continue
        found += [f"broker/{name}:{line}" for line in transaction_ends(path.read_text())]
    return found


def test_only_the_boundaries_commit_or_roll_back():
    assert ends_outside_boundaries(BROKER) == []


def test_a_commit_in_a_view_or_a_domain_module_is_found(tmp_path: Path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "claimant.py").write_text(
        "def revoke():\n    grants.revoke()\n    db.session.commit()\n"
    )
    (tmp_path / "consent").mkdir()
    (tmp_path / "consent" / "grants.py").write_text("def give():\n    session.rollback()\n")
    (tmp_path / "web" / "boundary.py").write_text("def run():\n    db.session.commit()\n")
    assert ends_outside_boundaries(tmp_path) == [
        "broker/consent/grants.py:2",
        "broker/web/claimant.py:3",
    ]


def test_if_the_audit_cannot_be_written_a_revoke_does_not_happen(app, ctx, monkeypatch):
    claimant = make_claimant()
    grant = make_grant(claimant, make_adviser(), "mr:read")
    phone = app.test_client()
    sign_in(phone, claimant.account.username)
    page = phone.get(f"/access/{grant.id}/revoke")
    events = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))

    def broken_append(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise audit.AuditWriteFailed("disk full")

    monkeypatch.setattr(audit, "append", broken_append)
    response = phone.post(f"/access/{grant.id}/revoke", data={"csrf_token": csrf_from(page.text)})
    monkeypatch.undo()

    assert response.status_code == 500
    db.session.rollback()
    assert db.session.get(Grant, grant.id).status == "active"
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == events
    # The success message flashed before the commit failed is not shown on the next page.
    assert "can no longer see" not in phone.get("/access").text
