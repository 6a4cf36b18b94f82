"""Commands: `flask --app broker <command>` or the console script `consent-broker <command>`."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import click
import requests
from flask import Flask, current_app

from . import backup, clock, demo, retention, scheduler, services, sweep, units
from .casework import decisions
from .chain import audit, checkpoints, rollback
from .chain.keyring import wait as keyring_wait
from .chain.keys import KeyStoreError
from .config import is_production
from .consent import agency_grants, clients
from .extensions import db
from .messages import notify, push
from .models import Account, Claimant, Organisation
from .people import invitations, organisations, records, staff_keys
from .proof import verifying

COMMAND_ACTOR = "system:command"  # who an organisation step made by a command is audited as


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Add the demo people and journal (does nothing if they exist). Never in production:
        the demo passwords and client secret are printed in the README (security.md 33)."""
        if is_production(current_app.config):
            raise click.ClickException("seed-demo is refused in production (BROKER_ENV=production)")
        created = demo.seed(services.of(app).hasher, services.of(app).tokens)
        units.keep()
        click.echo("Demo data created." if created else "Demo data already present.")
        for login in demo.LOGINS:
            click.echo(f"  {login.role:9} {login.username:26} {login.note}")
        click.echo(f"  password for all: {demo.DEMO_PASSWORD}")

    @app.cli.command("verify-audit")
    @click.option(
        "--strict",
        is_flag=True,
        help="Also fail when an event has waited longer than BROKER_CHECKPOINT_SECONDS to be "
        "sealed by a checkpoint.",
    )
    @click.option(
        "--checkpoint",
        "witnessed",
        multiple=True,
        metavar="FILE_OR_URL",
        help="A copy of published checkpoints kept outside this database (a witness's, saved "
        "from /api/v1/audit/checkpoints): fail if this database lacks one or holds it changed. "
        "The broker's own copy (BROKER_CHECKPOINT_COPY) is always checked too.",
    )
    def verify_audit(strict: bool, witnessed: tuple[str, ...]) -> None:
        """Walk every claimant's audit chain; exit 1 naming each claimant whose chain is broken,
        or when a checkpoint kept outside the database is missing here or differs."""
        started = time.perf_counter()
        with db.engine.connect() as connection:
            breaks = list(audit.verify(connection))
            total = connection.scalar(db.text("SELECT count(*) FROM audit_events")) or 0
        elapsed = time.perf_counter() - started
        references = dict(db.session.execute(db.select(Claimant.id, Claimant.reference)).all())
        for broken in breaks:
            who = references.get(broken.claimant_id, "unknown reference")
            click.echo(
                f"BROKEN claimant {broken.claimant_id} ({who}) at event {broken.seq}: "
                f"{broken.reason}"
            )
        rate = total / elapsed if elapsed else 0
        click.echo(f"Checked {total} audit events in {elapsed:.2f}s ({rate:,.0f} events/s).")
        findings = _against_checkpoints(references)
        findings += _against_copies(witnessed)
        overdue = _unsealed()
        if breaks or findings:
            click.echo(
                f"{len(breaks)} broken chain(s), {len(findings)} checkpoint finding(s).", err=True
            )
            sys.exit(1)
        if strict and overdue:
            click.echo(
                "Events are waiting longer than a checkpoint interval to be sealed: is "
                "the scheduler (`consent-broker scheduler`, started by gunicorn) running?",
                err=True,
            )
            sys.exit(1)
        click.echo("Every audit chain is intact.")

    def _unsealed() -> bool:
        """Print the events no checkpoint has signed yet; True if any waited too long."""

        now = clock.now()
        pending = checkpoints.unsealed()
        units.discard()
        if not pending.events or pending.oldest is None:
            click.echo("Every event is sealed by a signed checkpoint.")
            return False
        age = (now - pending.oldest).total_seconds()
        every = checkpoints.interval(app.config)
        limit = every.total_seconds()
        click.echo(
            f"{pending.events} event(s) on {pending.chains} chain(s) not yet sealed: "
            f"the oldest is {age:.0f}s old (a checkpoint is due every {limit:.0f}s)."
        )
        return pending.overdue(now, every)

    def _against_checkpoints(references: dict[str, str]) -> list[checkpoints.Finding]:
        """After the walk: the checkpoints hold together, and every chain still matches the
        latest one (a rewrite with recomputed hashes, a truncation or a fork shows here)."""
        key_set = services.of(app).key_set()
        findings = checkpoints.verify_checkpoints(key_set)
        last = checkpoints.latest()
        if last is None:
            click.echo("No signed checkpoint yet: run `consent-broker checkpoint`.")
            return findings
        findings += checkpoints.verify_chains_against(last, key_set)
        units.discard()
        for finding in findings:
            if finding.claimant_id is None:
                click.echo(f"BROKEN checkpoints: {finding.reason}")
            else:
                who = references.get(finding.claimant_id, "unknown reference")
                click.echo(
                    f"BROKEN claimant {finding.claimant_id} ({who}) at event "
                    f"{finding.seq}: {finding.reason}"
                )
        if not findings:
            click.echo(
                f"Every chain matches signed checkpoint {last.seq} "
                f"({last.event_count} events, {last.issued_at:%Y-%m-%d %H:%M} UTC)."
            )
        return findings

    def _against_copies(witnessed: tuple[str, ...]) -> list[str]:
        """The database against checkpoints kept outside it (security.md 76): the broker's own
        copy and any a witness kept. A rollback or a rewrite after a copy was taken shows here,
        though the database agrees with itself."""
        bound = services.of(app)
        copies: list[tuple[str, list[str] | None]] = []
        problems: list[str] = []
        own = bound.checkpoint_copy
        if own is not None:
            try:
                copies.append((str(own), rollback.read(own)))
            except rollback.CopyRefused as exc:
                problems.append(f"the checkpoint copy {own} is refused: {exc}")
        for source in witnessed:
            try:
                copies.append((source, rollback.parse(_fetch(source))))
            except rollback.CopyRefused as exc:
                problems.append(f"the checkpoint copy {source} is refused: {exc}")
        for name, jwss in copies:
            if jwss is None:
                click.echo(
                    f"No checkpoint copy at {name} yet (the next checkpoint writes one): a "
                    "rollback of this database shows only against a witness's copy "
                    "(--checkpoint)."
                )
                continue
            try:
                kept = rollback.verified(jwss, bound.key_set(), bound.issuer)
            except rollback.CopyRefused as exc:
                problems.append(f"the checkpoint copy {name} is refused: {exc}")
                continue
            found = rollback.findings(kept)
            problems += [f"{problem} (checkpoint copy {name})" for problem in found]
            if not found:
                newest = max(copy.seq for copy in kept)
                click.echo(f"This database holds checkpoint {newest} as the copy at {name} has it.")
        units.discard()
        for problem in problems:
            click.echo(f"BROKEN checkpoints: {problem}")
        return problems

    register_staff_side(app)
    register_oauth_side(app)
    register_backup(app)
    register_proof(app)
    register_journal(app)
    register_agencies(app)


def _fetch(source: str) -> str:
    """A witness's checkpoint copy: a file, or an http(s) URL (its body); CopyRefused if it
    cannot be had."""
    if source.startswith(("https://", "http://")):
        try:
            answer = requests.get(source, timeout=FETCH_TIMEOUT)
        except requests.RequestException as exc:
            raise rollback.CopyRefused(f"it could not be fetched: {type(exc).__name__}") from None
        if answer.status_code != 200:
            raise rollback.CopyRefused(f"fetching it answered {answer.status_code}")
        return answer.text
    try:
        return Path(source).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise rollback.CopyRefused(f"it cannot be read: {exc}") from None


FETCH_TIMEOUT = 10  # seconds


def register_backup(app: Flask) -> None:
    """`backup FILE`: a consistent copy of the live SQLite database (issue 26)."""

    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace FILE if it exists.")
    @click.option(
        "--pages",
        default=backup.PAGES,
        show_default=True,
        type=click.IntRange(1),
        help="Pages copied per step; the broker's writers go on between steps.",
    )
    def backup_command(file: Path, force: bool, pages: int) -> None:
        """Copy the live SQLite database to FILE (mode 0600) while the broker serves, check the
        copy, and say what it holds. PostgreSQL: use pg_dump (README, "Backing up and
        restoring")."""
        url = db.engine.url
        if db.engine.dialect.name != "sqlite" or not url.database or url.database == ":memory:":
            # pg_dump is PostgreSQL's own consistent copy, matched to the server's version and
            # run with the operator's credentials; the broker does not wrap it. The URL is not
            # printed: it may hold a password.
            raise click.ClickException(
                f"This database is {db.engine.dialect.name}, not a SQLite file: back it up with "
                'pg_dump -Fc --file=FILE "$DATABASE_URL" (README, "Backing up and restoring").'
            )
        started = time.perf_counter()
        try:
            copied = backup.copy(Path(url.database), file, force=force, pages=pages)
        except backup.BackupRefused as exc:
            raise click.ClickException(f"No backup made: {exc}") from None
        except sqlite3.Error as exc:
            raise click.ClickException(f"No backup made: SQLite said {exc}") from None
        counts = copied.counts
        click.echo(
            f"Copied {url.database} to {copied.path} (mode 0600) in "
            f"{time.perf_counter() - started:.1f}s: {copied.pages} pages, "
            f"{copied.size / 1_048_576:.1f} MiB; SQLite's integrity check: ok."
        )
        if copied.restarts:
            click.echo(
                f"The broker wrote meanwhile: the copy began again {copied.restarts} time(s)."
            )
        newest = (
            f"checkpoints up to {copied.newest_checkpoint}"
            if copied.newest_checkpoint
            else "no checkpoint yet"
        )
        click.echo(
            f"It holds {counts.get('claimants', 0)} claimant(s), "
            f"{counts.get('audit_events', 0)} audit event(s) and {newest}."
        )
        click.echo(
            f"Keep the key directory ({app.config['BROKER_KEY_DIR']}) and the settings beside "
            "it: a restored copy needs them. After a restore, run verify-audit."
        )


def register_proof(app: Flask) -> None:
    """`checkpoint` (the scheduler runs it) and `verify-statement` (offline, issue 8)."""

    @app.cli.command("checkpoint")
    @click.option("--force", is_flag=True, help="Sign one now, even if nothing changed.")
    def checkpoint_command(force: bool) -> None:
        """Sign an audit checkpoint once it is due (the scheduler does every minute).

        Due: events were added since the last checkpoint and it is BROKER_CHECKPOINT_SECONDS
        (60) old, so nothing stays unsealed for much longer than a minute (security.md 28).
        """
        now = clock.now()
        if not force and not checkpoints.due(now, checkpoints.interval(app.config)):
            click.echo("No checkpoint due.")
            return

        started = time.perf_counter()
        try:
            row = sweep.sign_checkpoint(services.of(app), now=now, force=force)
        except sweep.CheckpointBusy:
            click.echo("Another run is signing a checkpoint now.")
            return
        except checkpoints.ChainBroken as exc:
            raise click.ClickException(f"Refused to sign over a broken chain: {exc}") from None
        if row is None:
            click.echo("Nothing changed since the last checkpoint.")
        else:
            click.echo(
                f"Signed checkpoint {row.seq}: {row.tree_size} chain(s), "
                f"{row.event_count} event(s), root {row.root.hex()} "
                f"({time.perf_counter() - started:.2f}s)."
            )

    @app.cli.command("rotate-signing-key")
    @click.option(
        "--now",
        "at_once",
        is_flag=True,
        help="Sign with the new key at once (a compromised key), not after "
        "BROKER_KEY_WAIT_SECONDS: clients holding a cached JWKS meet its kid before they have it.",
    )
    def rotate_signing_key(at_once: bool) -> None:
        """Publish the next ES256 signing key; every worker signs with it after the wait.

        The new key is in /.well-known/jwks.json at once and signs from BROKER_KEY_WAIT_SECONDS
        (600) later, on every worker and host, with no restart. The key it replaces stays
        published until the access tokens it signed have expired; checkpoints, receipts and
        statements it signed verify always (security.md 34, 75). The first run on an empty
        database imports signing-key.pem or makes the first key, signing at once.
        """
        now = clock.now()
        wait = timedelta(0) if at_once else keyring_wait(app.config)
        try:
            old, new = services.of(app).tokens.ring.publish(now, wait=wait)
        except KeyStoreError as exc:
            raise click.ClickException(str(exc)) from None
        if old is None:
            click.echo(f"Signing key {new.kid} is the first, and signs now.")
        elif new.signs_from <= now:
            click.echo(
                f"New signing key {new.kid} signs now on every worker (within "
                f"BROKER_KEY_REFRESH_SECONDS); {old.kid} is retired and stays in the JWKS until "
                "the tokens it signed have expired. Clients that cached the JWKS meet the new "
                "kid before they have it: they must fetch the JWKS again."
            )
        else:
            click.echo(
                f"New signing key {new.kid} is published in the JWKS and signs from "
                f"{new.signs_from:%Y-%m-%d %H:%M:%S} UTC on every worker, with no restart; "
                f"{old.kid} signs until then."
            )

    @app.cli.command("verify-statement")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--jwks",
        "jwks_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="The published keys (/api/v1/audit/keys, or /.well-known/jwks.json for a "
        "document signed since the last rotation); default: this broker's own.",
    )
    @click.option(
        "--checkpoints",
        "checkpoints_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="The published checkpoints (/api/v1/audit/checkpoints); default: this broker's own.",
    )
    def verify_statement(file: Path, jwks_file: Path | None, checkpoints_file: Path | None) -> None:
        """Check a signed statement, receipt or history file; exit 1 if it is not valid."""
        try:
            document = json.loads(file.read_text())
        except (ValueError, UnicodeDecodeError):
            raise click.ClickException(f"{file} is not a JSON file") from None
        if not isinstance(document, dict):
            raise click.ClickException(f"{file} is not a file the broker gave out")
        key_set = json.loads(jwks_file.read_text()) if jwks_file else services.of(app).key_set()
        if checkpoints_file:
            published = json.loads(checkpoints_file.read_text())["checkpoints"]
        elif jwks_file:
            published = None  # offline with keys only: say so below
        else:
            published = [checkpoints.as_json(c) for c in checkpoints.published(limit=10_000)]
        result = verifying.check(document, key_set, published)
        for name, passed, detail in result.checks:
            click.echo(f"  {'ok  ' if passed else 'FAIL'} {name}: {detail}")
        if published is None and result.checks:
            click.echo(
                "  note: no published checkpoints given (--checkpoints), so the "
                "checkpoint was not compared with them"
            )
        click.echo(result.summary)
        if not result.ok:
            sys.exit(1)


def register_staff_side(app: Flask) -> None:
    """`sweep` and `retention` (the scheduler runs them), `scheduler` and `staff-api-key` (staff
    systems' keys)."""

    @app.cli.command("sweep")
    @click.option(
        "--sender",
        default=None,
        metavar="MODULE:NAME",
        help="Outbox sender (default BROKER_OUTBOX_SENDER, else the logging sender).",
    )
    @click.option("--batch", default=sweep.BATCH, show_default=True, type=click.IntRange(1))
    @click.option("--quiet", is_flag=True, help="Print nothing unless something failed.")
    def sweep_command(sender: str | None, batch: int, quiet: bool) -> None:
        """End grants past their end date, queue reminders and send the outbox.

        The scheduler runs it every BROKER_SWEEP_SECONDS; safe to run beside it: runs never
        overlap (a lease in the database) and every step is idempotent.
        """

        def progress(stage: str, done: int, total: int) -> None:
            if total > batch and not quiet:  # large runs show how far they have got
                click.echo(f"  {stage}: {done:,}/{total:,}", err=True)

        report = sweep.run(
            now=clock.now(),
            sender=notify.load_sender(sender) if sender else services.of(app).sender,
            batch=batch,
            progress=progress,
            services=services.of(app),
            checkpoint=bool(app.config.get("BROKER_CHECKPOINT_ON_SWEEP", True)),
            pusher=push.Pusher(
                app.config.get("BROKER_PUSH_CA_BUNDLE"),
                allow_loopback=bool(app.config.get("BROKER_PUSH_ALLOW_LOOPBACK")),
            ),
        )
        if not report.ran:
            if not quiet:
                click.echo("Another sweep is running; this one did nothing.")
            return
        if not quiet:
            click.echo(
                f"Ended {report.expired} grant(s) past their end date. "
                f"Queued {report.reminders_queued} reminder(s). "
                f"Sent {report.sent} message(s)."
            )
        if (report.pushed or report.push_failed) and not quiet:
            click.echo(
                f"Pushed {report.pushed} security event(s) to case systems; "
                f"{report.push_failed} will be tried again or were refused."
            )
        if report.drafts_expired and not quiet:  # issue 16
            click.echo(f"Expired {report.drafts_expired} draft request(s) not answered in 7 days.")
        if report.checkpoint and not quiet:
            click.echo(f"Signed audit checkpoint {report.checkpoint}.")
        if report.checkpoint_refused:
            click.echo(f"No audit checkpoint signed: {report.checkpoint_refused}", err=True)
        if report.failed:
            click.echo(
                f"{report.failed} message(s) could not be sent; the next run retries them.",
                err=True,
            )
        if report.given_up:
            click.echo(
                f"{report.given_up} message(s) failed {notify.MAX_ATTEMPTS} times and "
                "need looking at (outbox rows with attempts and last_error).",
                err=True,
            )
        if report.push_refused:
            click.echo(
                f"{report.push_refused} security event(s) were given up for good and need "
                "looking at (push_deliveries rows with given_up_at and last_error).",
                err=True,
            )
        for error in report.errors:
            click.echo(f"Failed, the rest of the sweep ran: {error}", err=True)
        # Everything that could run did (and the checkpoint is signed); 1 tells cron that
        # something needs a person. Failures the next run retries are not that.
        if report.errors or report.push_refused:
            sys.exit(1)

    @app.cli.command("retention")
    @click.option("--dry-run", is_flag=True, help="Count what is past its time; delete nothing.")
    @click.option("--batch", default=retention.BATCH, show_default=True, type=click.IntRange(1))
    def retention_command(dry_run: bool, batch: int) -> None:
        """Delete what is past its time (docs/retention.md), printing the rows per kind.

        The scheduler runs it every BROKER_RETENTION_SECONDS; safe to run beside it (a lease in
        the database). Each kind's period is BROKER_RETAIN_<KIND>_DAYS.
        """
        try:
            periods = retention.periods(app.config)
        except RuntimeError as exc:
            raise click.UsageError(str(exc)) from None
        report = retention.run(now=clock.now(), config=app.config, batch=batch, dry_run=dry_run)
        if not report.ran:
            click.echo("Another retention run is under way; this one did nothing.")
            return
        click.echo("Past their time (would delete):" if dry_run else "Deleted past their time:")
        for kind in retention.KINDS:
            days = periods[kind.name].days
            for step in kind.steps:
                click.echo(
                    f"  {kind.name:<20} {step.name:<24} {report.deleted[step.name]:>8}"
                    f"  (kept {days} day{'s' if days != 1 else ''})"
                )
        click.echo(
            f"{report.total} row(s) in all" + ("." if dry_run else f", {report.batches} batch(es).")
        )
        for error in report.errors:
            click.echo(f"Failed, the rest ran: {error}", err=True)
        if report.errors:
            sys.exit(1)

    @app.cli.command("scheduler")
    def scheduler_command() -> None:
        """Run the scheduled work until stopped: the sweep, the audit checkpoint and retention.

        gunicorn.conf.py starts it beside the web server (so `make run` does); run it yourself
        only where gunicorn is not. Any number may run: one acts at a time (a database lease).
        """
        scheduler.serve(app)

    @app.cli.group("staff-api-key")
    def staff_api_key() -> None:
        """Keys for DWP staff systems calling /api/v1/staff (Authorization: Bearer <key>)."""

    @staff_api_key.command("create")
    @click.argument("name")
    def create_key(name: str) -> None:
        """Create a key for the named system and print it once."""
        row, key = staff_keys.create(name, now=clock.now())
        units.keep()
        click.echo(f"Key {row.id} for {row.name}. Store it now: it is not shown again.")
        click.echo(key)

    @staff_api_key.command("revoke")
    @click.argument("key_id")
    def revoke_key(key_id: str) -> None:
        """Stop a key working at once."""
        if not staff_keys.revoke(key_id, now=clock.now()):
            raise click.ClickException(f"No key {key_id}")
        units.keep()
        click.echo(f"Key {key_id} is revoked.")

    @staff_api_key.command("list")
    def list_keys() -> None:
        """Every key: its ID, system, and whether it works."""
        for row in staff_keys.all_keys():
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "live"
            click.echo(f"{row.id}  {row.name}  created {row.created_at:%Y-%m-%d}  {state}")


def register_oauth_side(app: Flask) -> None:
    """`register-client`: an OAuth client for a case-management system or a device (issue 3)."""

    short_names = {
        "code": clients.CODE_GRANT,
        "refresh": clients.REFRESH_GRANT,
        "device": clients.DEVICE_GRANT,
    }

    @app.cli.command("register-client")
    @click.option("--name", required=True, help="Shown to claimants on the consent screen.")
    @click.option("--organisation", required=True, help="Created if it does not exist yet.")
    @click.option(
        "--redirect-uri",
        "redirect_uris",
        multiple=True,
        metavar="URL",
        help="Exact redirect URL (repeat for more); https, or http on 127.0.0.1.",
    )
    @click.option(
        "--scope",
        "scope_names",
        multiple=True,
        required=True,
        metavar="SCOPE",
        help="A scope it may ask for, e.g. mr:read (repeat for more).",
    )
    @click.option(
        "--grant-type",
        "grant_types",
        multiple=True,
        default=("code", "refresh"),
        show_default=True,
        type=click.Choice([*short_names, *clients.GRANT_TYPES]),
    )
    @click.option("--public", is_flag=True, help="A public client: no secret (PKCE only).")
    @click.option(
        "--auth-method",
        default="client_secret_basic",
        show_default=True,
        type=click.Choice(clients.SECRET_METHODS),
        help="How a confidential client sends its secret.",
    )
    @click.option("--client-id", default=None, help="Choose the client ID (default: generated).")
    @click.option(
        "--push-endpoint",
        default=None,
        metavar="URL",
        help="https URL the broker POSTs security events to (RFC 8935), e.g. a new MR decision.",
    )
    @click.option(
        "--require-dpop",
        is_flag=True,
        help="Issue it only DPoP-bound tokens (RFC 9449): a token request without a proof fails.",
    )
    def register_client(
        name: str,
        organisation: str,
        redirect_uris: tuple[str, ...],
        scope_names: tuple[str, ...],
        grant_types: tuple[str, ...],
        public: bool,
        auth_method: str,
        client_id: str | None,
        push_endpoint: str | None,
        require_dpop: bool,
    ) -> None:
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
                push_endpoint=push_endpoint,
                require_dpop=require_dpop,
                allow_loopback_push=bool(app.config.get("BROKER_PUSH_ALLOW_LOOPBACK")),
            )
        except clients.ClientRefused as refusal:
            units.discard()
            raise click.ClickException(str(refusal)) from None
        units.keep()
        click.echo(f"client_id:     {client.id}")
        if require_dpop:
            click.echo("DPoP required: it gets only tokens bound to its key (RFC 9449).")
        if secret:
            click.echo(f"client_secret: {secret}")
            click.echo("Store the secret now: only its hash is kept, so it is not shown again.")
        else:
            click.echo("A public client: no secret. It must use PKCE (S256) like every client.")


def register_journal(app: Flask) -> None:
    """`journal add-mr-decision`: a decision arrives in a claimant's journal (demo and tests;
    DWP's own systems use POST /api/v1/staff/claimants/<ref>/mr-decisions)."""

    @app.cli.group("journal")
    def journal() -> None:
        """Add to a claimant's journal as DWP's systems would."""

    @journal.command("add-mr-decision")
    @click.argument("reference")
    @click.option(
        "--outcome", required=True, type=click.Choice(list(decisions.OUTCOMES)), help="The result."
    )
    @click.option("--decided-on", required=True, metavar="YYYY-MM-DD", help="The decision date.")
    @click.option("--subject", default="", help="The notice's title.")
    @click.option("--body", default="", help="The notice's text.")
    def add_mr_decision(
        reference: str, outcome: str, decided_on: str, subject: str, body: str
    ) -> None:
        """Add an MR decision for the claimant with REFERENCE and tell everyone watching."""
        claimant = records.claimant_by_reference(reference)
        if claimant is None:
            raise click.ClickException(f"No claimant has the reference {reference!r}")
        try:
            decision = decisions.add_mr_decision(
                claimant,
                outcome=outcome,
                decided_on=decisions.parse_day(decided_on),
                subject=subject,
                body=body,
                by="system:journal-command",
                now=clock.now(),
                signer=services.of(app).tokens,
            )
        except decisions.DecisionRefused as refusal:
            units.discard()
            raise click.ClickException(str(refusal)) from None
        answer = decisions.as_json(decision)
        units.keep()
        click.echo(
            f"Added decision {answer['id']} for {claimant.reference}: {outcome}, decided on "
            f"{answer['decided_on']}; appeal by {answer['appeal_deadline']} "
            f"(at the outside {answer['appeal_outside_limit']})."
        )


def register_agencies(app: Flask) -> None:
    """`org create|invite|suspend|resume`: advice agencies and their advisers (issue 25)."""

    @app.cli.group("org")
    def org() -> None:
        """Advice agencies: add one, invite its advisers, suspend or resume it."""

    @org.command("create")
    @click.option("--name", required=True, help="Shown to claimants.")
    @click.option("--kind", required=True, type=click.Choice(list(organisations.KINDS)))
    @click.option("--mark-scheme", required=True, type=click.Choice(list(organisations.MARKS)))
    @click.option("--mark-number", required=True, help="Its regulator or quality-mark number.")
    @click.option("--code-prefix", default="", help="2 to 4 letters (default: the initials).")
    @click.option("--admin-email", required=True, help="Its first admin, invited by email.")
    def create(
        name: str, kind: str, mark_scheme: str, mark_number: str, code_prefix: str, admin_email: str
    ) -> None:
        """Add an organisation and invite its first admin."""
        now = clock.now()
        try:
            organisation = organisations.create(
                name,
                kind=kind,
                mark_scheme=mark_scheme,
                mark_number=mark_number,
                code_prefix=code_prefix,
                by=COMMAND_ACTOR,
                now=now,
            )
        except organisations.OrganisationRefused as refusal:
            units.discard()
            raise click.ClickException(f"--{refusal.field.replace('_', '-')}: {refusal}") from None
        _invite(organisation, admin_email, as_admin=True, now=now)
        click.echo(
            f"Organisation {organisation.id}: {organisation.name}, "
            f"adviser codes start {organisation.code_prefix}"
        )

    @org.command("invite")
    @click.option("--org", "name", required=True, help="The organisation's name.")
    @click.option("--email", required=True)
    @click.option("--admin", "as_admin", is_flag=True, help="Also an admin of the organisation.")
    def invite(name: str, email: str, as_admin: bool) -> None:
        """Invite an adviser into an organisation (a one-time link, 7 days)."""
        _invite(_organisation(name), email, as_admin=as_admin, now=clock.now())

    @org.command("suspend")
    @click.option("--org", "name", required=True, help="The organisation's name.")
    def suspend(name: str) -> None:
        """Suspend an organisation: every grant to its advisers stops at once."""
        _suspend_or_resume(name, suspend=True)

    @org.command("resume")
    @click.option("--org", "name", required=True, help="The organisation's name.")
    def resume(name: str) -> None:
        """Resume an organisation: the grants its suspension stopped work again."""
        _suspend_or_resume(name, suspend=False)

    def _suspend_or_resume(name: str, *, suspend: bool) -> None:
        organisation = _organisation(name)
        now, signer = clock.now(), services.of(app).tokens
        try:
            if suspend:
                organisations.suspend(organisation, by=COMMAND_ACTOR, now=now)
            else:
                organisations.resume(organisation, by=COMMAND_ACTOR, now=now)
            count = 0
            for adviser in organisations.advisers_of(organisation.id):
                if suspend:
                    count += agency_grants.hold_for(
                        adviser,
                        why=agency_grants.ORGANISATION,
                        by=COMMAND_ACTOR,
                        signer=signer,
                        now=now,
                    )
                else:
                    count += agency_grants.release_for(
                        adviser, by=COMMAND_ACTOR, signer=signer, now=now
                    )
        except organisations.OrganisationRefused as refusal:
            units.discard()
            raise click.ClickException(str(refusal)) from None
        units.keep()
        done = "suspended" if suspend else "resumed"
        clients = f"{count} client" if count == 1 else f"{count} clients"
        click.echo(f"{organisation.name} is {done}: access for {clients} changed.")

    def _organisation(name: str) -> Organisation:
        organisation = organisations.named(name)
        if organisation is None:
            raise click.ClickException(f"--org: no organisation is named {name!r}")
        return organisation

    def _invite(organisation: Organisation, email: str, *, as_admin: bool, now: datetime) -> None:
        try:
            invitation, token = invitations.invite(
                organisation, email, by=COMMAND_ACTOR, now=now, as_admin=as_admin
            )
        except invitations.InvitationRefused as refusal:
            units.discard()
            raise click.ClickException(f"--email: {refusal}") from None
        link = f"{services.of(app).issuer}/invitations/{token}"
        # The outbox's rows belong to an account: the broker's admin sends it. With none, the
        # link is only printed, for the operator to pass on.
        sender = db.session.scalar(
            db.select(Account.id).where(Account.role == "admin").order_by(Account.created_at)
        )
        if sender is not None:
            notify.invitation(
                from_account_id=sender,
                to=invitation.email,
                organisation=organisation.name,
                link=link,
                days=invitations.LIFETIME.days,
                now=now,
            )
        units.keep()
        queued = "queued for the sweep to send" if sender else "not emailed (no admin account)"
        click.echo(f"Invitation for {invitation.email}, {queued}; it works once, for 7 days:")
        click.echo(link)
