"""`make bench`: one run, one table.

Serves a bare Flask JSON endpoint and the broker with the same gunicorn settings on 127.0.0.1,
loads each with wrk, and prints requests per second, p50/p99/p99.9 latency, the share of bare
Flask and each worker's peak RSS; then, in the same run, revoke under load on SQLite and
PostgreSQL, the audit verify rate over a million events, and the staff banner at scale when that
API exists.

    .venv/bin/python bench/run.py [--duration 15] [--connections 16] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
ISSUER = "http://127.0.0.1:8100"
SECRET = "bench-secret-key-not-for-production"  # noqa: S105
PG_DIR = os.environ.get("BENCH_PG_DIR", "/tmp/bench-pg")  # noqa: S108 (the brief's cluster)
PG_PORT = os.environ.get("BENCH_PG_PORT", "55433")
TIMINGS: list[tuple[str, float]] = []


@contextlib.contextmanager
def part(name: str) -> Iterator[None]:
    """Say what is running and how long it took."""
    print(f"== {name}", flush=True)
    started = time.perf_counter()
    try:
        yield
    finally:
        took = time.perf_counter() - started
        TIMINGS.append((name, took))
        print(f"   {name}: took {took:.1f}s", flush=True)


# Databases


def start_postgres() -> str:
    """The bench's own PostgreSQL cluster (Debian's packages), normal durability settings."""
    env = {**os.environ, "PG_DIR": PG_DIR, "PG_PORT": PG_PORT, "PG_FAST": "0"}
    out = subprocess.run(
        [str(ROOT / ".ci" / "postgres"), "broker_bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def stop_postgres() -> None:
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not pg_bin or not (Path(PG_DIR) / "postmaster.pid").exists():
        return
    command = [str(pg_bin[-1] / "pg_ctl"), "-D", PG_DIR, "-m", "fast", "-w", "stop"]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, capture_output=True, check=False)


def fresh_database(url: str) -> None:
    """An empty database at `url`. The bench's one key folder serves every database in turn,
    so the checkpoint copy an earlier one left there (broker/chain/rollback.py) goes too: kept,
    `verify-audit` would rightly call the new database a rollback of the old (a second
    `make bench` failed so)."""
    from broker.chain import rollback

    (RESULTS / "keys" / rollback.COPY_FILE).unlink(missing_ok=True)
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def build_app(url: str) -> Any:
    """The broker app on `url`, migrated, with the bench's key and issuer."""
    from flask_migrate import upgrade

    from broker import create_app
    from broker.extensions import db

    app = create_app(
        {
            "INSTANCE_PATH": str(RESULTS / "instance"),
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET,
            "BROKER_KEY_DIR": str(RESULTS / "keys"),
            "BROKER_ISSUER": ISSUER,
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        db.session.remove()
    return app


def isolated(fn: Any, *args: Any) -> Any:
    """Run fn(*args) in a forked child and return its result: each child builds its own app
    (a Flask app's blueprints can be registered once per process)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork")) as pool:
        return pool.submit(fn, *args).result()


# Servers and load


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str

    def workers(self) -> list[int]:
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(c) for c in children]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(url: str | None, port: int, sync: str = "full") -> dict[str, str]:
    env = {
        "BROKER_SQLITE_SYNC": sync,
        **os.environ,
        "BROKER_BIND": f"127.0.0.1:{port}",
        "BROKER_WORKERS": os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)),
        "SECRET_KEY": SECRET,
        "BROKER_KEY_DIR": str(RESULTS / "keys"),
        "BROKER_ISSUER": ISSUER,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
        "BROKER_SCHEDULER": "0",  # the request path alone: no sweep or checkpoint mid-row
    }
    if url:
        env["DATABASE_URL"] = url
    else:  # bare Flask at its fastest, so every share is of the best it does here (README)
        env.setdefault("BROKER_WORKER_CLASS", "sync")
        env.setdefault("BROKER_THREADS", "1")
    return env


def worker_models(pg_url: str, sqlite_url: str) -> str:
    """Which gunicorn worker model serves each row (gunicorn.conf.py, broker/serving.py)."""
    from broker import serving

    workers = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 1)))
    rows = (("bare Flask", None), ("SQLite", sqlite_url), ("PostgreSQL", pg_url))
    described = []
    for name, url in rows:
        model = serving.for_database(url, server_env(url, 0))
        keepalive = f", keep-alive {model.keepalive}s" if model.threads > 1 else ""
        described.append(f"{name}: {model.describe(workers)}{keepalive}")
    return "; ".join(described)


@contextlib.contextmanager
def gunicorn(app_spec: str, url: str | None, log_name: str, sync: str = "full") -> Iterator[Server]:
    port = free_port()
    log = (RESULTS / f"{log_name}.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app_spec],
        cwd=ROOT,
        env=server_env(url, port, sync),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {log.name}")
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    requests: int
    non_2xx: int
    errors: str = ""
    rss_mb: list[float] = field(default_factory=list)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency(text_: str, pct: str) -> float:
    match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text_, re.M)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


# wrk's --latency stops at p99: its Lua `done` hook prints the tail beyond.
TAIL_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("p99.9 %d us\\n", latency:percentile(99.9)))
end
"""


def wrk(url: str, *, script: Path | None, duration: int, connections: int) -> Load:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    with_tail = RESULTS / f"{script.stem if script else 'plain'}-tail.lua"
    with_tail.write_text((script.read_text() if script else "") + TAIL_LUA)
    cmd += ["-s", str(with_tail)]
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout
    tail = re.search(r"^p99\.9 (\d+) us$", out, re.M)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return Load(
        rps,
        _latency(out, "50"),
        _latency(out, "99"),
        int(tail.group(1)) / 1000 if tail else float("nan"),
        requests,
        int(non.group(1)) if non else 0,
        errors.group(0) if errors else "",
    )


def peak_rss_mb(pid: int) -> float:
    """The worker's high-water resident set size (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(
    server: Server, path: str, *, script: Path | None, duration: int, connections: int
) -> Load:
    wrk(server.base_url + path, script=script, duration=2, connections=connections)  # warm up
    load = wrk(server.base_url + path, script=script, duration=duration, connections=connections)
    load.rss_mb = [peak_rss_mb(pid) for pid in server.workers()]
    return load


# The parts of the run


@dataclass
class Report:
    rows: list[tuple[str, Load]] = field(default_factory=list)
    # database name -> (the audited read, the yardstick on the same data)
    reads: dict[str, tuple[Load, Load]] = field(default_factory=dict)
    revoke: dict[str, dict[str, Any]] = field(default_factory=dict)
    verify: dict[str, dict[str, Any]] = field(default_factory=dict)
    # database name -> (the Bearer read, the same read with DPoP)
    dpop: dict[str, tuple[Load, Load]] = field(default_factory=dict)
    staff: list[str] = field(default_factory=list)
    checkpoint: dict[str, Any] = field(default_factory=dict)


def bare_flask(args: argparse.Namespace, report: Report) -> None:
    with part("bare Flask JSON endpoint"), gunicorn("bare:app", None, "bare") as server:
        load = measure(
            server, "/ping", script=None, duration=args.duration, connections=args.connections
        )
        report.rows.append(("bare Flask JSON endpoint", load))


def protected_read(
    name: str,
    url: str,
    args: argparse.Namespace,
    report: Report,
    *,
    sync: str = "full",
    revoke: bool = True,
    sender_constrained: bool = False,
) -> None:
    """The audited protected read and the yardstick on the same data, then revoke under load,
    against one gunicorn on `url`; with `sender_constrained`, the same read with DPoP too."""
    key = DpopKey() if sender_constrained else None
    with part(f"{name}: fresh database, migrate, seed {args.readers} claimants"):
        script = isolated(seed_readers, name, url, args.readers, key.jkt if key else None)
    with gunicorn("broker:create_app()", url, f"broker-{_slug(name)}", sync) as server:
        with part(f"{name}: audited protected read, {args.duration}s under load"):
            load = _row(report, f"audited protected read, {name}", server, script, args)
        if key is not None:
            with part(f"{name}: audited protected read with DPoP, {args.duration}s under load"):
                report.dpop[name] = (load, dpop_read(name, server, key, load.rps, args, report))
        if revoke:
            with part(f"{name}: revoke under load"):
                report.revoke[name] = isolated(
                    revoke_under_load, url, server.base_url, args.revoke_seconds, args.connections
                )
    with gunicorn("yardstick:app", url, f"yardstick-{_slug(name)}", sync) as server:
        with part(f"{name}: yardstick (the guard's statements, raw connection, no ORM)"):
            ceiling = _row(report, f"yardstick, {name}", server, script, args)
    report.reads[name] = (load, ceiling)


def _row(
    report: Report, label: str, server: Server, script: Path, args: argparse.Namespace
) -> Load:
    """Load `server` with the read script; one row of the table."""
    load = measure(server, "/", script=script, duration=args.duration, connections=args.connections)
    report.rows.append((label, load))
    if load.non_2xx:
        print(f"   WARNING: {load.non_2xx} responses were not 2xx", flush=True)
    return load


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def seed_readers(name: str, url: str, count: int, jkt: str | None = None) -> Path:
    """The read script; with `jkt`, DPoP-bound tokens for the same readers too (dpop_reads)."""
    import seed

    from broker import clock
    from broker.extensions import db

    fresh_database(url)
    app = build_app(url)
    with app.app_context():
        now = clock.now()
        readers = seed.readers(app, count, now=now)
        if jkt is not None:
            bound = seed.mint_tokens(
                app,
                [(r.claimant_id, r.grant_id, seed.READ_SCOPES) for r in readers],
                now=now,
                jkt=jkt,
            )
            dpop_reads(name).write_text(
                json.dumps(
                    [
                        (f"/api/v1/mr-decisions/{r.decision_id}", token)
                        for r, (token, _jti) in zip(readers, bound, strict=True)
                    ]
                )
            )
        settle(db.engine)
        db.engine.dispose()
    script = RESULTS / f"read-{_slug(name)}.lua"
    script.write_text(seed.lua_pairs(readers))
    return script


def settle(engine: Any) -> None:
    """After bulk seeding, PostgreSQL's statistics and visibility map as a server in service
    has them (as pgbench vacuums before it runs): otherwise autovacuum's first pass over the
    fresh tables lands in the first row's measured seconds, and its plans with it."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def dpop_reads(name: str) -> Path:
    return RESULTS / f"dpop-reads-{_slug(name)}.json"


class DpopKey:
    """A case system's DPoP key (RFC 9449): proofs made here, as a client would make them."""

    def __init__(self) -> None:
        import jwt
        from cryptography.hazmat.primitives.asymmetric import ec

        from broker.oauth import dpop

        self.private = ec.generate_private_key(ec.SECP256R1())
        self.jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        self.jkt = dpop.thumbprint(self.jwk)

    def proof(self, url: str, token: str, nonce: str | None) -> str:
        import jwt

        from broker.oauth import dpop

        claims = {
            "jti": os.urandom(12).hex(),
            "htm": "GET",
            "htu": url,
            "iat": int(time.time()),
            "ath": dpop.token_hash(token),
        }
        if nonce:
            claims["nonce"] = nonce
        headers = {"typ": "dpop+jwt", "jwk": self.jwk}
        return jwt.encode(claims, self.private, algorithm="ES256", headers=headers)


def dpop_read(
    name: str,
    server: Server,
    key: DpopKey,
    bearer_rps: float,
    args: argparse.Namespace,
    report: Report,
) -> Load:
    """The audited read with DPoP-bound tokens, a fresh proof per request made in advance
    (enough for the Bearer read's rate, each sent once), the server's nonce in each."""
    import httpx
    import seed

    reads = json.loads(dpop_reads(name).read_text())
    path, token = reads[0]
    asked = httpx.get(
        server.base_url + path,
        headers={"Authorization": f"DPoP {token}", "DPoP": key.proof(ISSUER + path, token, None)},
    )
    nonce = asked.headers["DPoP-Nonce"]

    def script(label: str, seconds: int) -> Path:
        count = int(bearer_rps * 1.5 * seconds) + 1000
        proofs = [
            (
                i % len(reads),
                key.proof(ISSUER + reads[i % len(reads)][0], reads[i % len(reads)][1], nonce),
            )
            for i in range(count)
        ]
        made = RESULTS / f"dpop-{label}-{_slug(name)}.lua"
        made.write_text(seed.lua_dpop(reads, proofs))
        return made

    wrk(server.base_url + "/", script=script("warm", 2), duration=2, connections=args.connections)
    measured = script("read", args.duration)
    load = wrk(
        server.base_url + "/", script=measured, duration=args.duration, connections=args.connections
    )
    load.rss_mb = [peak_rss_mb(pid) for pid in server.workers()]
    report.rows.append((f"audited protected read with DPoP, {name}", load))
    if load.non_2xx:
        print(f"   WARNING: {load.non_2xx} responses were not 2xx", flush=True)
    return load


def revoke_under_load(url: str, base_url: str, seconds: int, connections: int) -> dict[str, Any]:
    """Many clients read with tokens under one grant; the claimant revokes mid-run through the
    real pages. Counts allowed reads ordered after the revoke in the claimant's audit chain."""
    import httpx
    import seed

    from broker import clock
    from broker.chain import audit
    from broker.extensions import db

    app = build_app(url)
    now = clock.now()
    with app.app_context():
        with db.engine.begin() as conn:
            _org, adviser_id = seed.organisation_and_adviser(conn, now)
            ((claimant_id, username, grant_id, decision_id),) = seed.claimants_with_grants(
                conn, 1, adviser_id, now=now, prefix="REVOKE"
            )
        tokens = seed.mint_tokens(app, [(claimant_id, grant_id, seed.READ_SCOPES)] * 32, now=now)
        db.session.remove()
    readers = [seed.Reader(claimant_id, grant_id, decision_id, t, j) for t, j in tokens]
    script = RESULTS / "revoke.lua"
    script.write_text(seed.lua_pairs(readers))
    result: dict[str, Any] = {}

    def load() -> None:
        result["load"] = wrk(
            base_url + "/", script=script, duration=seconds, connections=connections
        )

    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(seconds / 2)
    with httpx.Client(base_url=base_url, timeout=30) as browser:
        page = browser.get("/sign-in")
        browser.post(
            "/sign-in",
            data={"username": username, "password": seed.PASSWORD, "csrf_token": _csrf(page.text)},
        )
        confirm = browser.get(f"/access/{grant_id}/revoke")
        done = browser.post(f"/access/{grant_id}/revoke", data={"csrf_token": _csrf(confirm.text)})
    loader.join()
    if done.status_code != 303:
        raise RuntimeError(f"the claimant's revoke answered {done.status_code}")
    with app.app_context():
        rows = db.session.execute(
            db.text(
                "SELECT seq, action, outcome FROM audit_events WHERE claimant_id = :c ORDER BY seq"
            ),
            {"c": claimant_id},
        ).all()
        with db.engine.connect() as conn:
            breaks = list(audit.verify(conn))
        db.session.remove()
        db.engine.dispose()
    revoke_seq = next(seq for seq, action, _o in rows if action == "grant.revoke")
    reads = [(seq, outcome) for seq, action, outcome in rows if action == "mr.read"]
    wrk_load: Load = result["load"]
    return {
        "requests": wrk_load.requests,
        "client_2xx": wrk_load.requests - wrk_load.non_2xx,
        "allowed_before": sum(1 for s, o in reads if o == "allowed" and s < revoke_seq),
        "allowed_after": sum(1 for s, o in reads if o == "allowed" and s > revoke_seq),
        "refused_after": sum(1 for s, o in reads if o != "allowed" and s > revoke_seq),
        "chain_intact": not breaks,
    }


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def audit_verify(name: str, url: str, args: argparse.Namespace, report: Report) -> None:
    """Seed a million chained events over many claimants and time `verify-audit` on them."""
    claimants = args.events // 100
    with part(f"{name}: seed {args.events:,} audit events over {claimants:,} claimants"):
        isolated(seed_events, url, claimants)
    with part(f"{name}: flask verify-audit"):
        started = time.perf_counter()
        command = [str(BIN / "flask"), "--app", "broker", "verify-audit"]
        out = subprocess.run(
            command, cwd=ROOT, env=server_env(url, 0), capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - started
    match = re.search(r"Checked (\d+) audit events in ([\d.]+)s \(([\d,]+) events/s\)", out.stdout)
    if out.returncode != 0 or not match:
        raise RuntimeError(f"verify-audit failed: {out.stdout}\n{out.stderr}")
    report.verify[name] = {
        "events": int(match.group(1)),
        "seconds": float(match.group(2)),
        "rate": int(match.group(3).replace(",", "")),
        "wall": wall,
    }


def seed_events(url: str, claimants: int) -> None:
    import seed

    from broker import clock
    from broker.extensions import db

    fresh_database(url)
    app = build_app(url)
    with app.app_context():
        with db.engine.begin() as conn:
            seed.audit_events(conn, claimants=claimants, per_claimant=100, now=clock.now())
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    db.text("VACUUM ANALYZE audit_events")
                )
        db.engine.dispose()


def checkpoint_at_scale(url: str, args: argparse.Namespace, report: Report) -> None:
    """`consent-broker checkpoint` over a million claimants' chain heads, 1 % of them moved since
    the last checkpoint: its cost must follow what changed, not the number of claimants."""
    claimants = args.checkpoint_claimants
    with part(f"checkpoint: seed {claimants:,} chains and their first checkpoint"):
        first = isolated(seed_checkpointed, url, claimants)
    with part("checkpoint: move 1 % of the chains"):
        moved = isolated(move_chains, url, 0.01)
    with part("checkpoint: consent-broker checkpoint"):
        started = time.perf_counter()
        env = {**server_env(url, 0), "BROKER_CHECKPOINT_SECONDS": "0"}
        command = [str(BIN / "consent-broker"), "checkpoint"]
        out = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - started
    match = re.search(r"Signed checkpoint (\d+): (\d+) chain\(s\).*\(([\d.]+)s\)", out.stdout)
    if out.returncode != 0 or not match:
        raise RuntimeError(f"checkpoint failed: {out.stdout}\n{out.stderr}")
    report.checkpoint = {
        "chains": int(match.group(2)),
        "moved": moved,
        "seconds": float(match.group(3)),
        "wall": wall,
        "first": first,
    }
    print(
        f"   checkpoint over {int(match.group(2)):,} chains, {moved:,} moved: "
        f"{float(match.group(3)):.2f}s signing ({wall:.2f}s with the command's start-up); "
        f"the first, over every chain: {first:.1f}s",
        flush=True,
    )


def seed_checkpointed(url: str, claimants: int) -> float:
    """`claimants` chains of 2 events, then the first checkpoint over them all (timed)."""
    import seed

    from broker import clock, services
    from broker.chain import checkpoints
    from broker.extensions import db

    fresh_database(url)
    app = build_app(url)
    with app.app_context():
        with db.engine.begin() as conn:
            seed.audit_events(
                conn, claimants=claimants, per_claimant=2, now=clock.now() - timedelta(hours=1)
            )
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    db.text("VACUUM ANALYZE audit_events, audit_heads")
                )
        started = time.perf_counter()
        checkpoints.make(services.of(app), now=clock.now() - timedelta(minutes=5))
        db.session.commit()
        took = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    db.text("VACUUM ANALYZE audit_heads, checkpoint_leaves, checkpoint_nodes")
                )
        db.session.remove()
        db.engine.dispose()
    return took


def move_chains(url: str, fraction: float) -> int:
    import seed

    from broker import clock
    from broker.extensions import db

    app = build_app(url)
    with app.app_context():
        with db.engine.begin() as conn:
            moved = seed.moved_chains(conn, fraction=fraction, now=clock.now())
        db.engine.dispose()
    return moved


def staff_banner(url: str, args: argparse.Namespace, report: Report) -> None:
    """The consent banner (staff API and staff page) for claimants picked at random among
    200 000 with a million grants between them, p95 of sequential lookups."""
    total = args.staff_claimants * 5
    with part(f"PostgreSQL: seed {args.staff_claimants:,} claimants with {total:,} grants"):
        seeded = isolated(seed_staff, url, args.staff_claimants)
    if seeded is None:
        report.staff.append("not measured: the staff API (/api/v1/staff/...) does not exist yet")
        return
    references, username, key = seeded
    import httpx

    with gunicorn("broker:create_app()", url, "broker-staff") as server:
        with part(f"staff banner: {len(references)} API lookups and {len(references)} pages"):
            with httpx.Client(base_url=server.base_url, timeout=30) as http:
                api_paths = [f"/api/v1/staff/claimants/{r}/consents" for r in references]
                api = _latencies(http, api_paths, {"Authorization": f"Bearer {key}"})
                page = http.get("/sign-in")
                http.post(
                    "/sign-in",
                    data={
                        "username": username,
                        "password": PASSWORD_FOR_STAFF,
                        "csrf_token": _csrf(page.text),
                    },
                )
                pages = _latencies(http, [f"/staff/claimants/{r}" for r in references], {})
    for name, got in (("staff consents API", api), ("staff banner page", pages)):
        report.staff.append(
            f"{name}: p50 {got[0]:.1f} ms, **p95 {got[1]:.1f} ms** (target 20), "
            f"p99 {got[2]:.1f} ms over {len(references)} claimants, "
            f"{total:,} grants in the database"
        )


PASSWORD_FOR_STAFF = "bench-password"  # noqa: S105 (bench data)


def _latencies(http: Any, paths: list[str], headers: dict[str, str]) -> tuple[float, ...]:
    for path in paths[:20]:  # warm up
        http.get(path, headers=headers)
    took = []
    for path in paths:
        started = time.perf_counter()
        response = http.get(path, headers=headers)
        took.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    took.sort()
    return tuple(took[min(len(took) - 1, int(len(took) * q))] for q in (0.5, 0.95, 0.99))


def seed_staff(url: str, claimants: int) -> tuple[list[str], str, str] | None:
    import seed

    from broker import clock, services
    from broker.extensions import db
    from broker.people import accounts, staff_keys

    fresh_database(url)
    app = build_app(url)
    if not any(r.rule.startswith("/api/v1/staff/") for r in app.url_map.iter_rules()):
        return None
    now = clock.now()
    with app.app_context():
        with db.engine.begin() as conn:
            references = seed.staff_scale(conn, claimants=claimants, grants_per_claimant=5, now=now)
        staff = accounts.create_staff(
            "bench-staff@dwp.example",
            PASSWORD_FOR_STAFF,
            "Bench Staff",
            "Bench team",
            now,
            hasher=services.of(app).hasher,
        )
        _row, key = staff_keys.create("Bench staff system", now=now)
        db.session.commit()
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(db.text("VACUUM ANALYZE"))
        username = staff.account.username
        db.engine.dispose()
    return references, username, key


# The table


SQLITE_FULL = "SQLite (WAL, synchronous=FULL)"
SQLITE_NORMAL = "SQLite (WAL, BROKER_SQLITE_SYNC=normal)"
POSTGRES = "PostgreSQL"
# The targets (issue 14): shares of bare Flask, and of the yardstick on the same database.
# Issue 28: the durable audited read at 1.5x the Authlib example server's share (19.3 %).
BARE_TARGETS = {SQLITE_FULL: 0.30, SQLITE_NORMAL: 0.40, POSTGRES: 0.25}
P99_TARGET_MS = 25.0
DPOP_TARGET = 0.85  # of the Bearer read
YARDSTICK_TARGET = 0.90
RSS_TARGET_MB = 120


def print_table(report: Report) -> None:
    bare = report.rows[0][1].rps if report.rows else float("nan")
    of_yardstick = {
        f"audited protected read, {n}": r.rps / y.rps for n, (r, y) in report.reads.items()
    }
    head = (
        f"| {'request':52} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'p99.9 ms':>8} "
        f"| {'of bare':>7} | "
        f"{'of yardstick':>12} | {'non-2xx':>7} | worker peak RSS (MB) |"
    )
    print()
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for name, load in report.rows:
        rss = ", ".join(f"{r:.0f}" for r in load.rss_mb)
        share = f"{of_yardstick[name]:.0%}" if name in of_yardstick else ""
        print(
            f"| {name:52} | {load.rps:8.0f} | {load.p50_ms:7.2f} | {load.p99_ms:7.2f} | "
            f"{load.p999_ms:8.2f} | {load.rps / bare:7.0%} | {share:>12} | {load.non_2xx:7d} "
            f"| {rss:20} |"
        )
    print()
    for name, (read, ceiling) in report.reads.items():
        print(f"targets, {name}: " + "; ".join(_targets(name, read, ceiling, bare)))
    _print_the_rest(report)


def _targets(name: str, read: Load, ceiling: Load, bare: float) -> list[str]:
    def verdict(met: bool) -> str:
        return "**met**" if met else "**missed**"

    out = [
        f"{read.rps / ceiling.rps:.0%} of the yardstick (target {YARDSTICK_TARGET:.0%}) "
        + verdict(read.rps >= YARDSTICK_TARGET * ceiling.rps)
    ]
    if name in BARE_TARGETS:
        want = BARE_TARGETS[name]
        out.append(
            f"{read.rps / bare:.0%} of bare Flask (target {want:.0%}) "
            + verdict(read.rps >= want * bare)
        )
    out.append(
        f"p99 {read.p99_ms:.1f} ms, p99.9 {read.p999_ms:.1f} ms (target p99 {P99_TARGET_MS:.0f}) "
        + verdict(read.p99_ms <= P99_TARGET_MS)
    )
    peak = max(read.rss_mb, default=float("nan"))
    out.append(
        f"worker peak RSS {peak:.0f} MB (target {RSS_TARGET_MB}) " + verdict(peak <= RSS_TARGET_MB)
    )
    return out


def _print_the_rest(report: Report) -> None:
    print()
    for name, r in report.revoke.items():
        print(
            f"revoke under load, {name}: {r['requests']} requests, {r['client_2xx']} 2xx seen "
            f"by clients; chain: {r['allowed_before']} allowed reads before the revoke, "
            f"**{r['allowed_after']} allowed after it** (target 0), {r['refused_after']} "
            f"refused after it; chain intact: {r['chain_intact']}"
        )
    for name, v in report.verify.items():
        print(
            f"audit verify, {name}: {v['events']:,} events in {v['seconds']:.2f}s = "
            f"**{v['rate']:,} events/s** in one process (target 300,000); "
            f"command wall time {v['wall']:.1f}s"
        )
    for name, (bearer, bound) in report.dpop.items():
        met = "met" if bound.rps >= DPOP_TARGET * bearer.rps else "missed"
        print(
            f"DPoP, {name}: {bound.rps:.0f} req/s with a proof checked and its jti stored per "
            f"request = **{bound.rps / bearer.rps:.0%} of the Bearer read** ({bearer.rps:.0f}; "
            f"target {DPOP_TARGET:.0%}: {met}"
            f"); p50 {bound.p50_ms:.2f} ms vs {bearer.p50_ms:.2f} ms, p99 {bound.p99_ms:.1f} ms; "
            f"{bound.non_2xx} not 2xx"
        )
    for line in report.staff:
        print(f"staff banner at scale: {line}")
    if report.checkpoint:
        c = report.checkpoint
        print(
            f"checkpoint, PostgreSQL: {c['chains']:,} chains, {c['moved']:,} moved since the "
            f"last: **{c['seconds']:.2f}s** to check, hash and sign (command wall time "
            f"{c['wall']:.1f}s); the first, over every chain, {c['first']:.1f}s"
        )
    print()
    print("time per part: " + "; ".join(f"{n} {t:.0f}s" for n, t in TIMINGS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per row")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--readers", type=int, default=200, help="claimants (tokens) read")
    parser.add_argument("--revoke-seconds", type=int, default=8)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--staff-claimants", type=int, default=200_000)
    parser.add_argument("--checkpoint-claimants", type=int, default=1_000_000)
    parser.add_argument(
        "--only", choices=("read", "reads", "verify", "staff", "checkpoint"), action="append"
    )
    parser.add_argument("--quick", action="store_true", help="short runs, 100k events")
    parser.add_argument("--keep-postgres", action="store_true", help="leave the cluster running")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.revoke_seconds, args.events = 5, 6, 100_000
        args.staff_claimants, args.checkpoint_claimants = 20_000, 100_000
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (make bench does this)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with part("start the bench's PostgreSQL"):
        pg_url = start_postgres()
    sqlite_url = f"sqlite:///{RESULTS / 'bench.sqlite3'}"
    print(
        f"bench: {os.cpu_count()} cores; gunicorn.conf.py (preloaded), "
        f"{worker_models(pg_url, sqlite_url)}; wrk 2 threads x {args.connections} connections, "
        f"{args.duration}s per row"
    )
    report = Report()
    only = {
        "read" if o == "reads" else o
        for o in args.only or ("read", "verify", "staff", "checkpoint")
    }
    try:
        if "read" in only:
            bare_flask(args, report)
            protected_read(SQLITE_FULL, sqlite_url, args, report, sender_constrained=True)
            protected_read(SQLITE_NORMAL, sqlite_url, args, report, sync="normal", revoke=False)
            protected_read(POSTGRES, pg_url, args, report, sender_constrained=True)
        if "verify" in only:
            audit_verify("PostgreSQL", pg_url, args, report)
            audit_verify("SQLite", sqlite_url, args, report)
        if "staff" in only:
            staff_banner(pg_url, args, report)
        if "checkpoint" in only:
            checkpoint_at_scale(pg_url, args, report)
    finally:
        if not args.keep_postgres:
            stop_postgres()
    print_table(report)
    print(f"whole run: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
