"""Configuration read from the environment, in one place.

`create_app(config)` takes a mapping on top of this, which is how tests set their own.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = ROOT / "instance"


def from_environment(instance_path: Path) -> dict[str, Any]:
    """Settings from environment variables, with development defaults under instance/."""
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'broker.sqlite3'}"
    port = int(env.get("PORT", "5000"))
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SECRET_KEY": env.get("SECRET_KEY"),
        "BROKER_ISSUER": env.get("BROKER_ISSUER", f"http://localhost:{port}"),
        # Passkeys (issue 17): unset, the RP ID is the issuer's host name and the origin is the
        # issuer's scheme, host and port. Set both when pages are served from another address.
        "BROKER_PASSKEY_RP_ID": env.get("BROKER_PASSKEY_RP_ID"),
        "BROKER_PASSKEY_ORIGIN": env.get("BROKER_PASSKEY_ORIGIN"),
        "BROKER_KEY_DIR": env.get("BROKER_KEY_DIR", str(instance_path / "keys")),
        # The signing keys (broker/chain/keyring.py, issue 26): the key their private halves are
        # sealed under in the database (outside production, made once in BROKER_KEY_DIR); how
        # often each worker reads them again; how long a published key waits before it signs
        # (longer than any client caches the JWKS); and a scheduled rotation (0: none).
        "BROKER_KEY_ENCRYPTION_KEY": env.get("BROKER_KEY_ENCRYPTION_KEY") or None,
        "BROKER_KEY_REFRESH_SECONDS": float(env.get("BROKER_KEY_REFRESH_SECONDS", "30")),
        "BROKER_KEY_WAIT_SECONDS": float(env.get("BROKER_KEY_WAIT_SECONDS", "600")),
        "BROKER_KEY_ROTATE_DAYS": float(env.get("BROKER_KEY_ROTATE_DAYS") or 0),
        "BROKER_ENV": env.get("BROKER_ENV", "development"),
        "PORT": port,
        # How many reverse proxies in front set X-Forwarded-For/-Proto (0: none, trust no such
        # header). Rate limits count per client address, so behind a proxy this must be right.
        "BROKER_PROXY_HOPS": int(env.get("BROKER_PROXY_HOPS", "0")),
        # SQLite only: "full" (durable through a power cut) or "normal" (faster; see README).
        "BROKER_SQLITE_SYNC": env.get("BROKER_SQLITE_SYNC", "full"),
        # DPoP (RFC 9449 8, 9): proofs must carry the server's nonce unless this is "0".
        "BROKER_DPOP_NONCE": env.get("BROKER_DPOP_NONCE", "1") != "0",
        # Signed-in sessions (security.md 27): idle limit per role in minutes, and the absolute
        # limit in hours after sign-in, whatever the activity.
        "BROKER_SESSION_IDLE_MINUTES": {
            "claimant": int(env.get("BROKER_SESSION_IDLE_MINUTES", "30")),
            "adviser": int(env.get("BROKER_SESSION_IDLE_MINUTES", "30")),
            "staff": int(env.get("BROKER_SESSION_IDLE_MINUTES", "30")),
            "admin": int(env.get("BROKER_ADMIN_SESSION_IDLE_MINUTES", "15")),
        },
        "BROKER_SESSION_HOURS": int(env.get("BROKER_SESSION_HOURS", "12")),
        # Argon2id's cost per password hash (broker/services.py): unset, argon2-cffi's defaults.
        "BROKER_ARGON2_TIME_COST": env.get("BROKER_ARGON2_TIME_COST"),
        "BROKER_ARGON2_MEMORY_KIB": env.get("BROKER_ARGON2_MEMORY_KIB"),
        # Audit checkpoints (broker/chain/checkpoints.py): one is signed whenever events were added
        # and the last is older than this many seconds (security.md 28), by the scheduler and the
        # sweep.
        "BROKER_CHECKPOINT_SECONDS": int(env.get("BROKER_CHECKPOINT_SECONDS", "60")),
        "BROKER_CHECKPOINT_ON_SWEEP": env.get("BROKER_CHECKPOINT_ON_SWEEP", "1") != "0",
        # Where the newest signed checkpoint is also kept, outside the database, so that
        # verify-audit can tell a database restored to before it (broker/chain/rollback.py);
        # unset, latest-checkpoint.json in BROKER_KEY_DIR.
        "BROKER_CHECKPOINT_COPY": env.get("BROKER_CHECKPOINT_COPY") or None,
        # The scheduler (broker/scheduler.py, issue 26): the sweep runs every this many seconds.
        "BROKER_SWEEP_SECONDS": int(env.get("BROKER_SWEEP_SECONDS", "300")),
        # Retention (broker/retention.py, docs/retention.md): how often it runs, and each kind's
        # period in days, BROKER_RETAIN_<KIND>_DAYS, read (and checked) by broker/retention.py.
        "BROKER_RETENTION_SECONDS": int(env.get("BROKER_RETENTION_SECONDS", "3600")),
        **{name: value for name, value in env.items() if name.startswith("BROKER_RETAIN_")},
        **delivery_settings(env),
        # The CA certificates a case system's push endpoint is checked against
        # (broker/messages/push.py); unset, the system's own.
        "BROKER_PUSH_CA_BUNDLE": env.get("BROKER_PUSH_CA_BUNDLE"),
        # "1": push endpoints may be on loopback (127.0.0.0/8, ::1, localhost), for tests and
        # development only; private, link-local and metadata addresses are refused whatever this
        # says (security.md 63).
        "BROKER_PUSH_ALLOW_LOOPBACK": env.get("BROKER_PUSH_ALLOW_LOOPBACK", "0") == "1",
        # GET /metrics (broker/web/metrics.py) answers only `Authorization: Bearer <this>`;
        # unset, /metrics is 404 (security.md 73).
        "BROKER_METRICS_TOKEN": env.get("BROKER_METRICS_TOKEN") or None,
        # The logs (broker/logs.py): "json" (one object a line) or "text"; and the least level
        # written. gunicorn.conf.py reads the same two for gunicorn's own lines.
        "BROKER_LOG_FORMAT": env.get("BROKER_LOG_FORMAT") or "json",
        "BROKER_LOG_LEVEL": (env.get("BROKER_LOG_LEVEL") or "INFO").upper(),
        **sign_in_settings(env),
    }


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs, the driver the broker is tested with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


DEVELOPMENT, PRODUCTION = "development", "production"
ENVIRONMENTS = (DEVELOPMENT, PRODUCTION)  # BROKER_ENV: exactly one of these (security.md 67)


def is_production(config: Mapping[str, Any]) -> bool:
    return config.get("BROKER_ENV") == PRODUCTION


def environment_refusal(config: Mapping[str, Any]) -> str | None:
    """Why BROKER_ENV is not one the broker knows, or None. `Production` or `prod` must not
    quietly run as development (no HSTS, no secure cookies, made-up keys, demo data allowed)."""
    value = config.get("BROKER_ENV")
    if value in ENVIRONMENTS:
        return None
    return f"BROKER_ENV must be exactly {' or '.join(ENVIRONMENTS)}, not {value!r}"


MIN_SECRET_KEY_BYTES = 32
# Estimated by how evenly the key's characters are spread (Shannon entropy per character times
# its length): 32 random letters and digits give about 140 bits, 64 hex digits about 240, one
# repeated letter 0. A low bar that only ever refuses keys a person typed, never random ones.
MIN_SECRET_KEY_BITS = 96


def estimated_bits(secret: str) -> float:
    """A secret's entropy as its character frequencies suggest (an upper bound for a typed one)."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    n = len(secret)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) * n


def secret_key_refusal(secret: str, name: str = "SECRET_KEY") -> str | None:
    """Why a production secret (SECRET_KEY, or `name`) is too weak, or None (security.md 33,
    67, 73): shorter than 32 bytes, one short pattern repeated, or too few bits by its
    character spread."""
    if len(secret.encode()) < MIN_SECRET_KEY_BYTES:
        return f"{name} must be at least {MIN_SECRET_KEY_BYTES} bytes in production"
    if any(secret[p:] == secret[:-p] for p in range(1, len(secret) // 2 + 1)):
        return f"{name} must not be a short pattern repeated"
    if estimated_bits(secret) < MIN_SECRET_KEY_BITS:
        return (
            f"{name} must be random (at least {MIN_SECRET_KEY_BITS} bits by its character "
            "spread): make one with python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return None


def issuer_refusal(issuer: str) -> str | None:
    """Why the issuer cannot be production's, or None: it must be an https URL, since every
    token, cookie and signed document names it."""
    parts = urlsplit(issuer)
    if parts.scheme != "https" or not parts.hostname:
        return f"BROKER_ISSUER must be an https URL in production, not {issuer!r}"
    return None


DELIVERY_SETTINGS = (
    "BROKER_OUTBOX_SENDER",  # a sender of your own, "package.module:Name" (overrides the rest)
    "BROKER_SMTP_URL",  # smtp://user:password@host:port: email by SMTP (STARTTLS when offered)
    "BROKER_SMTP_FROM",  # the From address of those emails
    "BROKER_NOTIFY_API_KEY",  # GOV.UK Notify: email (unless SMTP is set) and text messages
    "BROKER_NOTIFY_EMAIL_TEMPLATE_ID",
    "BROKER_NOTIFY_SMS_TEMPLATE_ID",
    "BROKER_NOTIFY_BASE_URL",  # Notify's API, if not the real one (the tests' local server)
    "BROKER_NOTIFY_CALLBACK_TOKEN",  # the bearer token Notify sends to /callbacks/notify
)


def delivery_settings(env: Mapping[str, str]) -> dict[str, str | None]:
    """How messages leave the broker (issue 15, broker/messages/channels.py): unset, the log
    only."""
    return {name: env.get(name) or None for name in DELIVERY_SETTINGS}


SIGN_IN_SETTINGS = (
    # GOV.UK One Login for claimants (issue 25): all three set, or the sign-in page is as before.
    "BROKER_ONELOGIN_ISSUER",
    "BROKER_ONELOGIN_CLIENT_ID",
    "BROKER_ONELOGIN_KEY_FILE",  # the private_key_jwt key (PEM); its public half is published
    # The department's OpenID Connect provider for staff (Microsoft Entra ID in DWP).
    "BROKER_STAFF_OIDC_ISSUER",
    "BROKER_STAFF_OIDC_CLIENT_ID",
    "BROKER_STAFF_OIDC_CLIENT_SECRET",  # or BROKER_STAFF_OIDC_KEY_FILE for private_key_jwt
    "BROKER_STAFF_OIDC_KEY_FILE",
    "BROKER_STAFF_OIDC_ROLE_VALUE",
)
# One Login's vector of trust as it expects it: a JSON list, sent as a string.
DEFAULT_VTR = '["Cl.Cm"]'
DEFAULT_ROLE_CLAIM = "roles"


def sign_in_settings(env: Mapping[str, str]) -> dict[str, str | None]:
    """Sign-in through OpenID Connect providers (broker/web/oidc_flow.py); unset, passwords."""
    settings: dict[str, str | None] = {name: env.get(name) or None for name in SIGN_IN_SETTINGS}
    settings["BROKER_ONELOGIN_VTR"] = env.get("BROKER_ONELOGIN_VTR") or DEFAULT_VTR
    settings["BROKER_STAFF_OIDC_ROLE_CLAIM"] = (
        env.get("BROKER_STAFF_OIDC_ROLE_CLAIM") or DEFAULT_ROLE_CLAIM
    )
    return settings
