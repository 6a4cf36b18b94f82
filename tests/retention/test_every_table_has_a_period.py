"""docs/retention.md names every table, so a new table cannot arrive without a period; the
tables retention deletes from are the ones the page's first list names, each with its setting,
and README's settings table documents every setting."""

from __future__ import annotations

import re
from pathlib import Path

from broker import retention
from broker.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "retention.md").read_text()
DELETED, KEPT = PAGE.split("## Kept for the broker's life")
NAMED = re.compile(r"`([a-z_]+)`")


def test_every_table_in_the_models_is_named_in_docs_retention():
    import broker.models  # noqa: F401 - every table registered

    tables = set(db.metadata.tables)
    named = set(NAMED.findall(PAGE))

    assert sorted(tables - named) == []


def test_the_tables_deleted_are_the_ones_listed_as_deleted_and_the_rest_as_kept():
    deleted = set(NAMED.findall(DELETED.split("## Deleted when past their time")[1]))
    kept = set(NAMED.findall(KEPT.split("**Why the audit")[0]))

    assert retention.DELETED_TABLES <= deleted
    assert not (retention.DELETED_TABLES & kept)
    assert set(db.metadata.tables) - retention.DELETED_TABLES <= kept


def test_every_period_is_a_setting_in_the_page_and_the_readme_with_its_default():
    readme = (ROOT / "README.md").read_text()
    for kind in retention.KINDS:
        suffix = kind.setting.removeprefix("BROKER_RETAIN_").removesuffix("_DAYS")
        assert f"| `{suffix}` | {kind.days} day" in DELETED, kind.setting
        assert f"| `{kind.setting}` | `{kind.days}` |" in readme, kind.setting
    assert "| `BROKER_RETENTION_SECONDS` | `3600` |" in readme


PROOF = {
    "audit_events",
    "audit_heads",
    "audit_checkpoints",
    "checkpoint_leaves",
    "checkpoint_leaf_versions",
    "checkpoint_nodes",
    "receipts",
    "grants",
}


def test_retention_never_deletes_the_audit_its_checkpoints_receipts_or_grants():
    assert not (retention.DELETED_TABLES & PROOF)


def test_only_rows_retention_deletes_too_name_a_row_it_deletes():
    """A foreign key into a table retention deletes from comes from a table it deletes from as
    well (deliveries with their message, a One Login session with its session, a push before its
    notice, a decision's, to-do's or payment's notice before its
    watch), so a run never orphans a row nor fails on one. A new
    table naming, say, a token fails here until its retention is thought through."""
    naming = {
        (key.parent.table.name, key.column.table.name)
        for table in db.metadata.tables.values()
        for key in table.foreign_keys
        if key.column.table.name in retention.DELETED_TABLES
    }

    assert naming == {
        ("deliveries", "outbox"),
        ("external_sessions", "sessions"),
        ("push_deliveries", "mr_decision_notices"),
        ("mr_decision_notices", "mr_decision_watches"),
        ("push_deliveries", "item_notices"),
        ("item_notices", "item_watches"),
    }
