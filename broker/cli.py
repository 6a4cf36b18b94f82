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

    register_staff_side(app)
    register_oauth_side(app)


def register_staff_side(app: Flask) -> None:
    """`sweep` (run it from cron) and `staff-api-key` (credentials for staff systems)."""
    from . import clock, notify, staff_keys, sweep

    @app.cli.command("sweep")
    @click.option("--sender", default=None, metavar="MODULE:NAME",
                  help="Outbox sender (default BROKER_OUTBOX_SENDER, else the logging sender).")
    @click.option("--batch", default=sweep.BATCH, show_default=True, type=click.IntRange(1))
    @click.option("--quiet", is_flag=True, help="Print nothing unless something failed.")
    def sweep_command(sender: str | None, batch: int, quiet: bool) -> None:
        """End grants past their end date, queue reminders and send the outbox.

        Safe to run every few minutes from cron: runs never overlap (a lease in the database)
        and every step is idempotent.
        """
        spec = sender or app.config.get("BROKER_OUTBOX_SENDER") or notify.DEFAULT_SENDER

        def progress(stage: str, done: int, total: int) -> None:
            if total > batch and not quiet:  # large runs show how far they have got
                click.echo(f"  {stage}: {done:,}/{total:,}", err=True)

        report = sweep.run(now=clock.now(), sender=notify.load_sender(spec), batch=batch,
                           progress=progress)  # fmt: skip
        if not report.ran:
            if not quiet:
                click.echo("Another sweep is running; this one did nothing.")
            return
        if not quiet:
            click.echo(f"Ended {report.expired} grant(s) past their end date. "
                       f"Queued {report.reminders_queued} reminder(s). "
                       f"Sent {report.sent} message(s).")  # fmt: skip
        if report.failed:
            click.echo(f"{report.failed} message(s) could not be sent; the next run retries "
                       "them.", err=True)  # fmt: skip
        if report.given_up:
            click.echo(f"{report.given_up} message(s) failed {notify.MAX_ATTEMPTS} times and "
                       "need looking at (outbox rows with attempts and last_error).",
                       err=True)  # fmt: skip

    @app.cli.group("staff-api-key")
    def staff_api_key() -> None:
        """Keys for DWP staff systems calling /api/v1/staff (Authorization: Bearer <key>)."""

    @staff_api_key.command("create")
    @click.argument("name")
    def create_key(name: str) -> None:
        """Create a key for the named system and print it once."""
        row, key = staff_keys.create(name, now=clock.now())
        db.session.commit()
        click.echo(f"Key {row.id} for {row.name}. Store it now: it is not shown again.")
        click.echo(key)

    @staff_api_key.command("revoke")
    @click.argument("key_id")
    def revoke_key(key_id: str) -> None:
        """Stop a key working at once."""
        if not staff_keys.revoke(key_id, now=clock.now()):
            raise click.ClickException(f"No key {key_id}")
        db.session.commit()
        click.echo(f"Key {key_id} is revoked.")

    @staff_api_key.command("list")
    def list_keys() -> None:
        """Every key: its ID, system, and whether it works."""
        for row in staff_keys.all_keys():
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "live"
            click.echo(f"{row.id}  {row.name}  created {row.created_at:%Y-%m-%d}  {state}")


def register_oauth_side(app: Flask) -> None:
    """`register-client`: an OAuth client for a case-management system or a device (issue 3)."""
    from . import clients, clock

    short_names = {"code": clients.CODE_GRANT, "refresh": clients.REFRESH_GRANT,
                   "device": clients.DEVICE_GRANT}  # fmt: skip

    @app.cli.command("register-client")
    @click.option("--name", required=True, help="Shown to claimants on the consent screen.")
    @click.option("--organisation", required=True, help="Created if it does not exist yet.")
    @click.option("--redirect-uri", "redirect_uris", multiple=True, metavar="URL",
                  help="Exact redirect URL (repeat for more); https, or http on 127.0.0.1.")
    @click.option("--scope", "scope_names", multiple=True, required=True, metavar="SCOPE",
                  help="A scope it may ask for, e.g. mr:read (repeat for more).")
    @click.option("--grant-type", "grant_types", multiple=True, default=("code", "refresh"),
                  show_default=True, type=click.Choice([*short_names, *clients.GRANT_TYPES]))
    @click.option("--public", is_flag=True, help="A public client: no secret (PKCE only).")
    @click.option("--auth-method", default="client_secret_basic", show_default=True,
                  type=click.Choice(clients.SECRET_METHODS), help="How a confidential client "
                  "sends its secret.")
    @click.option("--client-id", default=None, help="Choose the client ID (default: generated).")
    def register_client(name: str, organisation: str, redirect_uris: tuple[str, ...],
                        scope_names: tuple[str, ...], grant_types: tuple[str, ...], public: bool,
                        auth_method: str, client_id: str | None) -> None:  # fmt: skip
        """Register an OAuth client and print its secret once (only its hash is stored)."""
        try:
            client, secret = clients.register(
                name,
                organisation=clients.organisation_named(organisation),
                redirect_uris=redirect_uris,
                scope_names=" ".join(scope_names),
                grant_types=[short_names.get(g, g) for g in grant_types],
                auth_method="none" if public else auth_method,
                now=clock.now(),
                client_id=client_id,
            )
        except clients.ClientRefused as refusal:
            db.session.rollback()
            raise click.ClickException(str(refusal)) from None
        db.session.commit()
        click.echo(f"client_id:     {client.id}")
        if secret:
            click.echo(f"client_secret: {secret}")
            click.echo("Store the secret now: only its hash is kept, so it is not shown again.")
        else:
            click.echo("A public client: no secret. It must use PKCE (S256) like every client.")


def main() -> None:
    from . import create_app

    FlaskGroup(create_app=create_app, help="The consent broker's commands.")()
