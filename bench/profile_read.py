"""Where one audited read's time goes: cProfile over the broker's WSGI app in one process.

Seeds a fresh SQLite database (or DATABASE_URL) as `make bench` does, warms up, then runs the
audited protected read (`GET /api/v1/mr-decisions/<id>` with a bearer token) N times through
the app's WSGI callable, with no server and no network, and prints the time per request and
where it goes: each part's own time (tottime) summed by where its code lives, then the functions
that cost most.

    .venv/bin/python bench/profile_read.py [--requests 4000] [--sync normal] [--top 30] [--dpop]

`--dpop`: the same read with DPoP-bound tokens and a fresh proof for each request (made in
advance, the server's nonce in each), as `make bench`'s DPoP row sends.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# Where a function's code lives, first match wins: the profile's summary by part.
PARTS = (
    (
        "sqlite3/psycopg (the database)",
        ("sqlite3", "psycopg", "{method 'execute'", "{method 'commit'"),
    ),
    ("broker: guard, audit, tokens", ("broker/oauth", "broker/chain", "broker/driver")),
    ("broker: web layer and hooks", ("broker/web", "broker/", "flask_wtf", "flask_babel", "babel")),
    ("PyJWT and cryptography", ("jwt/", "cryptography", "{method 'verify'")),
    ("Flask and Werkzeug", ("flask/", "werkzeug/", "flask_compress", "flask_sqlalchemy")),
    ("SQLAlchemy", ("sqlalchemy",)),
)


def part_of(location: str) -> str:
    for name, needles in PARTS:
        if any(n in location for n in needles):
            return name
    return "other (standard library, builtins)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--sync", default="normal", help="BROKER_SQLITE_SYNC: full or normal")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--dpop", action="store_true", help="DPoP-bound tokens, a proof each")
    args = parser.parse_args()
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    os.environ["BROKER_SQLITE_SYNC"] = args.sync
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{results / 'profile.db'}"

    import run  # the bench's own seeding, so the profile reads what the bench reads
    import seed

    from broker import clock
    from broker.extensions import db

    run.fresh_database(url)
    app = run.build_app(url)
    key = run.DpopKey() if args.dpop else None
    with app.app_context():
        readers = seed.readers(app, 200, now=clock.now())
        if key is not None:  # the same readers' tokens, bound to the key
            bound = seed.mint_tokens(
                app,
                [(r.claimant_id, r.grant_id, seed.READ_SCOPES) for r in readers],
                now=clock.now(),
                jkt=key.jkt,
            )
            readers = [
                replace(r, token=token) for r, (token, _jti) in zip(readers, bound, strict=True)
            ]
        db.session.remove()
    from werkzeug.test import EnvironBuilder

    def environ(reader: Any, proof: str | None = None) -> dict[str, Any]:
        path = f"/api/v1/mr-decisions/{reader.decision_id}"
        headers = {"Authorization": f"Bearer {reader.token}"}
        if key is not None:
            headers = {"Authorization": f"DPoP {reader.token}"}
            headers["DPoP"] = proof or key.proof(run.ISSUER + path, reader.token, nonce)
        return EnvironBuilder(path=path, base_url=run.ISSUER, headers=headers).get_environ()

    nonce = None
    if key is not None:  # the server's nonce, as a client learns it: from a first refusal
        answered: list[Any] = []
        app(environ(readers[0]), lambda s, h, e=None: answered.append(dict(h)))
        nonce = answered[0].get("DPoP-Nonce")
    needed = 500 + 2 * args.requests  # one proof a request: warm-up, timed, profiled
    count = needed if key is not None else len(readers)
    environs = [environ(readers[i % len(readers)]) for i in range(count)]

    def one(i: int) -> None:
        status: list[str] = []
        body = app(dict(environs[i % len(environs)]), lambda s, h, e=None: status.append(s))
        for _chunk in body:
            pass
        getattr(body, "close", lambda: None)()
        if not status[0].startswith("200"):
            raise SystemExit(f"the read answered {status[0]}")

    for i in range(500):  # warm: caches, keys, connection, first-event chains
        one(i)
    started = time.perf_counter()
    for i in range(500, 500 + args.requests):
        one(i)
    plain = (time.perf_counter() - started) / args.requests
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(500 + args.requests, 500 + 2 * args.requests):
        one(i)
    profiler.disable()

    stats = pstats.Stats(profiler)
    by_part: dict[str, float] = defaultdict(float)
    total = 0.0
    for (path, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_part[part_of(f"{path}:{name}")] += tottime
        total += tottime
    database = url.split(":")[0]
    kind = "DPoP" if args.dpop else "Bearer"
    print(f"audited {kind} read, {database} {args.sync}: {plain * 1e6:.0f} µs a request unprofiled")
    print(f"profiled: {total / args.requests * 1e6:.0f} µs a request; own time by part:")
    for name, seconds in sorted(by_part.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / total:6.1%}  {seconds / args.requests * 1e6:7.1f} µs  {name}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
