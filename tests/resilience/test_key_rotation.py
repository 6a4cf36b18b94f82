"""Keys rotate without a restart (issue 26, security.md 75): two broker servers (two gunicorn
masters, two workers each) on one PostgreSQL, a rotation through the real command, and a case
system that caches the JWKS as its Cache-Control allows and checks every access token it is
given by either server against that cache.

With short settings standing for the real ones (a 4-second wait for 10 minutes, a JWKS cached 2
seconds for 5 minutes, each worker reading the keys every second for 30): the client never meets
a kid it does not have; every token issued before the new key's `signs_from` carries the old
kid and every one after it the new kid, from both servers (every worker has read the new row
long before that instant, so the switch is exact, not merely within the refresh); and the
access token signed with the old key before the rotation still opens the API and introspects
as active on both servers after the switch."""

from __future__ import annotations

import base64
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import create_engine, text

from .conftest import BIN, ISSUER, ROOT, Postgres, Server, bearer, start_server, stop_server

KEK = base64.urlsafe_b64encode(bytes(range(100, 132))).decode()
SHORT = {
    "BROKER_KEY_ENCRYPTION_KEY": KEK,
    "BROKER_KEY_WAIT_SECONDS": "4",
    "BROKER_KEY_REFRESH_SECONDS": "1",
}
AUDIENCE = f"{ISSUER}/api/v1"


@dataclass
class Setup:
    url: str
    tmp_path: Path
    found: dict[str, str]
    servers: list[Server]


@pytest.fixture
def setup(resilience_pg: Postgres, tmp_path: Path) -> Iterator[Setup]:
    url = resilience_pg.fresh_database("resilience_key_rotation")
    out = subprocess.run(
        [sys.executable, "-m", "tests.resilience.rotation_setup", url, str(tmp_path / "keys")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "BROKER_KEY_ENCRYPTION_KEY": KEK},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    servers: list[Server] = []
    try:
        for _ in range(2):
            servers.append(start_server(url, tmp_path, workers=2, **SHORT))
        yield Setup(url, tmp_path, found, servers)
    finally:
        for server in servers:
            stop_server(server)


@dataclass
class CachingClient:
    """A case system that fetches the JWKS only when its copy is older than the answer's
    max-age, and checks each token against that copy: an unknown kid is a failure, not a
    reason to fetch again (the strictest reading a client may make)."""

    servers: list[Server]
    keys: dict[str, Any] = field(default_factory=dict)
    fresh_until: float = 0.0
    fetches: int = 0
    unknown: list[str] = field(default_factory=list)

    def verify(self, token: str) -> dict[str, Any]:
        if time.monotonic() >= self.fresh_until:
            server = self.servers[self.fetches % len(self.servers)]
            answer = httpx.get(f"{server.base_url}/.well-known/jwks.json", timeout=10)
            max_age = int(answer.headers["Cache-Control"].split("max-age=")[1])
            self.keys = {key["kid"]: key for key in answer.json()["keys"]}
            self.fresh_until = time.monotonic() + max_age
            self.fetches += 1
        kid = jwt.get_unverified_header(token)["kid"]
        if kid not in self.keys:
            self.unknown.append(kid)
            return {}
        public = jwt.PyJWK.from_dict(self.keys[kid], algorithm="ES256").key
        return jwt.decode(token, public, algorithms=["ES256"], audience=AUDIENCE, issuer=ISSUER)


def _refresh(server: Server, found: dict[str, str], refresh_token: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{server.base_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(found["client_id"], found["secret"]),
        headers={"Connection": "close"},  # a new connection: any of the server's workers
        timeout=20,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _rotate(setup: Setup) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": setup.url,
        "BROKER_KEY_DIR": str(setup.tmp_path / "keys"),
        "BROKER_ISSUER": ISSUER,
        "SECRET_KEY": "resilience",
        "PYTHONPATH": str(ROOT),
        **SHORT,
    }
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "broker", "rotate-signing-key"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _signing_keys(url: str) -> dict[str, float]:
    """kid -> signs_from (seconds since the epoch), as stored."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT kid, signs_from FROM signing_keys")).all()
    finally:
        engine.dispose()
    return {kid: signs_from.timestamp() for kid, signs_from in rows}


def test_two_servers_switch_to_the_published_key_with_no_restart_and_no_unknown_kid(
    setup: Setup,
) -> None:
    found = setup.found
    client = CachingClient(setup.servers)
    servers = itertools.cycle(enumerate(setup.servers))
    (old_kid,) = _signing_keys(setup.url)
    received: list[tuple[int, str, int]] = []  # (server, kid, iat) of every token given
    refresh_token = found["refresh_token"]

    def exchange() -> None:
        nonlocal refresh_token
        index, server = next(servers)
        answer = _refresh(server, found, refresh_token)
        refresh_token = answer["refresh_token"]
        claims = client.verify(answer["access_token"])
        kid = jwt.get_unverified_header(answer["access_token"])["kid"]
        received.append((index, kid, claims.get("iat", 0)))

    for _ in range(6):
        exchange()
    output = _rotate(setup)
    assert "signs from" in output
    (new_kid,) = set(_signing_keys(setup.url)) - {old_kid}
    signs_from = _signing_keys(setup.url)[new_kid]

    # Exchange until both servers have given tokens with the new key a few times over.
    deadline = time.monotonic() + 60
    while sum(1 for _, kid, _ in received if kid == new_kid) < 6:
        assert time.monotonic() < deadline, f"no switch to {new_kid}: {received}"
        exchange()
        time.sleep(0.2)

    assert client.unknown == []  # the cached JWKS always held the signing key
    assert client.fetches >= 3  # it did fetch again as its cache aged
    for index, kid, iat in received:
        if iat < int(signs_from):
            assert kid == old_kid, (index, kid, iat, signs_from)
        elif iat > signs_from:
            assert kid == new_kid, (index, kid, iat, signs_from)
    assert {index for index, kid, _ in received if kid == old_kid} == {0, 1}
    assert {index for index, kid, _ in received if kid == new_kid} == {0, 1}

    # The token the first key signed before the rotation still works on both, after the switch.
    old_token = found["access_token"]
    assert jwt.get_unverified_header(old_token)["kid"] == old_kid
    for server in setup.servers:
        read = httpx.get(
            f"{server.base_url}/api/v1/mr-decisions/{found['decision_id']}",
            headers=bearer(old_token),
            timeout=20,
        )
        assert read.status_code == 200, read.text
        introspected = httpx.post(
            f"{server.base_url}/oauth/introspect",
            data={"token": old_token},
            auth=(found["client_id"], found["secret"]),
            timeout=20,
        )
        assert introspected.json()["active"] is True
        published = httpx.get(f"{server.base_url}/.well-known/jwks.json", timeout=10).json()
        assert [key["kid"] for key in published["keys"]] == [new_kid, old_kid]
