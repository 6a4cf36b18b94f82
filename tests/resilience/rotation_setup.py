"""Set up the key-rotation test's database (tests/resilience/test_key_rotation.py), in a process
of its own as the other resilience set-ups are: migrate it, then register a case system and
run the authorization code flow once, printing as JSON the client, its refresh token and the
access token that flow gave (signed with the first key), and the decision to read with it.

Usage: python -m tests.resilience.rotation_setup URL KEY_DIR (BROKER_KEY_ENCRYPTION_KEY set).
"""

from __future__ import annotations

import json
import os
import sys

from flask_migrate import upgrade
from sqlalchemy import text

from broker import create_app
from broker.extensions import db
from tests.conftest import FAST_PASSWORD_HASHING
from tests.factories import make_claimant, make_decision
from tests.oauth.helpers import code_flow, make_client

from .conftest import ISSUER


def main(url: str, key_dir: str) -> None:
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "BROKER_KEY_DIR": key_dir,
        "BROKER_KEY_ENCRYPTION_KEY": os.environ["BROKER_KEY_ENCRYPTION_KEY"],
        "BROKER_ISSUER": ISSUER,
        "SECRET_KEY": "resilience",
        "TESTING": True,
        "INSTANCE_PATH": key_dir + "-instance",
        **FAST_PASSWORD_HASHING,
    }
    app = create_app(settings)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
    with app.app_context():  # a new context: the first key is made as it begins
        claimant = make_claimant("Rotating Claimant")
        decision = make_decision(claimant)
        client, secret = make_client()
        tokens = code_flow(app, claimant.account.username, client.id, secret)
        found = {
            "client_id": client.id,
            "secret": secret,
            "refresh_token": tokens["refresh_token"],
            "access_token": tokens["access_token"],
            "decision_id": decision.id,
        }
        db.session.remove()
        db.engine.dispose()
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
