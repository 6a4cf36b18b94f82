"""Build a database for a resilience test in its own process (one Flask app per process):
migrate it and add claimants, each with an adviser's grant, an MR decision and tokens.

    python -m tests.resilience.setup_data URL KEY_DIR CLAIMANTS SCOPES   -> JSON on stdout
"""

from __future__ import annotations

import json
import sys

from flask_migrate import upgrade
from sqlalchemy import text

from broker import create_app, services
from broker.extensions import db
from tests.conftest import FAST_PASSWORD_HASHING
from tests.factories import (
    issue_token,
    make_adviser,
    make_claimant,
    make_decision,
    make_grant,
)

ISSUER = "http://broker.resilience"


def main(url: str, key_dir: str, claimants: int, scopes: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "BROKER_KEY_DIR": key_dir,
            "BROKER_ISSUER": ISSUER,
            "SECRET_KEY": "resilience",
            "TESTING": True,
            "INSTANCE_PATH": key_dir + "-instance",
            **FAST_PASSWORD_HASHING,
        }
    )
    people = []
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        # The first signing key before any write: made lazily inside the first grant's write
        # transaction, the key ring's own connection waits on SQLite's write lock and fails
        # ("database is locked"; broker/chain/keyring.py, reported on issue 26).
        assert services.of(app).signing_key
        adviser = make_adviser()
        for n in range(claimants):
            claimant = make_claimant(f"Resilient Claimant {n}")
            grant = make_grant(claimant, adviser, scopes)
            decision = make_decision(claimant)
            token, jti = issue_token(grant)
            people.append(
                {
                    "claimant_id": claimant.id,
                    "username": claimant.account.username,
                    "grant_id": grant.id,
                    "decision_id": decision.id,
                    "token": token,
                    "jti": jti,
                }
            )
        db.engine.dispose()
    json.dump(people, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
