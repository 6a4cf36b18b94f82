"""The relying party passkeys are made for, from this app's settings (README: Passkeys)."""

from __future__ import annotations

from flask import current_app

from ..people.passkeys import RelyingParty
from ..people.passkeys import relying_party as from_settings


def relying_party() -> RelyingParty:
    """Read per request, so the RP ID and origin are always those of the running app."""
    config = current_app.config
    return from_settings(
        config["BROKER_ISSUER"],
        rp_id=config.get("BROKER_PASSKEY_RP_ID"),
        origin=config.get("BROKER_PASSKEY_ORIGIN"),
    )
