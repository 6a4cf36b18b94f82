"""What the broker is bound to at start-up: built once by create_app (broker/__init__.py), then
handed to domain code as arguments, never looked up by a string key from inside it. This module
only names them: it sits below the domain, which takes a Services without importing what builds
one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from flask import Flask

if TYPE_CHECKING:
    from .chain.keys import SigningKey
    from .messages.notify import Sender
    from .oauth.tokens import TokenService

EXTENSION = "broker.services"


@dataclass(frozen=True)
class Services:
    issuer: str  # BROKER_ISSUER without a trailing slash: the one `iss` of tokens and documents
    tokens: TokenService  # access tokens, and the signing keys every signed document uses
    statement_key: bytes  # the secret behind the audit chain's actor commitments
    hasher: PasswordHasher
    # Delivers the outbox (the sweep): BROKER_OUTBOX_SENDER, else one sender per channel from
    # BROKER_SMTP_URL / BROKER_NOTIFY_API_KEY (broker/messages/channels.py), the log when neither
    # is set.
    sender: Sender
    # The newest checkpoint's copy outside the database (broker/chain/rollback.py): every
    # checkpoint signed is written there too, and verify-audit compares the database with it.
    checkpoint_copy: Path | None = None

    @property
    def signing_key(self) -> SigningKey:
        """The key that signs now: read from the shared key ring (broker/chain/keyring.py)."""
        return self.tokens.key

    def key_set(self) -> dict[str, Any]:
        """Every key a document of the broker's may be signed with, current and retired."""
        return self.tokens.all_keys()


def normalise_issuer(issuer: str) -> str:
    """One spelling of the issuer: `https://broker.example/` and `https://broker.example` would
    otherwise sign tokens and documents with two different `iss` values."""
    return issuer.rstrip("/")


def password_hasher(config: Mapping[str, Any]) -> PasswordHasher:
    """Argon2id at argon2-cffi's own costs unless BROKER_ARGON2_TIME_COST,
    BROKER_ARGON2_MEMORY_KIB or BROKER_ARGON2_PARALLELISM say otherwise (tests lower them;
    production keeps the defaults). Argon2 needs at least 8 KiB of memory per lane."""
    defaults = PasswordHasher()
    return PasswordHasher(
        time_cost=int(config.get("BROKER_ARGON2_TIME_COST") or defaults.time_cost),
        memory_cost=int(config.get("BROKER_ARGON2_MEMORY_KIB") or defaults.memory_cost),
        parallelism=int(config.get("BROKER_ARGON2_PARALLELISM") or defaults.parallelism),
    )


def bind(app: Flask, services: Services) -> None:
    app.extensions[EXTENSION] = services


def of(app: Flask) -> Services:
    """The services `app` was built with (for the web layer and commands, not domain code)."""
    return app.extensions[EXTENSION]
