"""Commands: `flask --app broker <command>` or the console script `consent-broker <command>`."""

from __future__ import annotations

import sys
import time

import click
from flask import Flask
from flask.cli import FlaskGroup

from . import audit, demo
from .extensions import db
from .models import Claimant


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Add the demo people and journal (does nothing if they exist)."""
        created = demo.seed()
        db.session.commit()
        click.echo("Demo data created." if created else "Demo data already present.")
        for login in demo.LOGINS:
            click.echo(f"  {login.role:9} {login.username:26} {login.note}")
        click.echo(f"  password for all: {demo.DEMO_PASSWORD}")

    @app.cli.command("verify-audit")
    def verify_audit() -> None:
        """Walk every claimant's audit chain; exit 1 naming each claimant whose chain is broken."""
        started = time.perf_counter()
        with db.engine.connect() as connection:
            breaks = list(audit.verify(connection))
            total = connection.scalar(db.text("SELECT count(*) FROM audit_events")) or 0
        elapsed = time.perf_counter() - started
        references = dict(db.session.execute(db.select(Claimant.id, Claimant.reference)).all())
        for broken in breaks:
            who = references.get(broken.claimant_id, "unknown reference")
            click.echo(f"BROKEN claimant {broken.claimant_id} ({who}) at event {broken.seq}: "
                       f"{broken.reason}")  # fmt: skip
        rate = total / elapsed if elapsed else 0
        click.echo(f"Checked {total} audit events in {elapsed:.2f}s ({rate:,.0f} events/s).")
        if breaks:
            click.echo(f"{len(breaks)} broken chain(s).", err=True)
            sys.exit(1)
        click.echo("Every audit chain is intact.")


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app, help="The consent broker's commands.")()
