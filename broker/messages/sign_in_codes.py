"""The code that links a GOV.UK One Login to a claimant whose email matched nobody (issue 25).

It goes to the contact details we already hold, not to anything the person signing in typed:
by text message when the claimant gave us a mobile number, else by email to their account's
address. It goes to that one address alone: never into the inbox (they cannot read it without
signing in) and never as a copy to a nominated contact; like a contact's code, its text leaves
the outbox once sent (notify.TO_CONTACT_KINDS).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from .. import i18n
from ..db import new_id
from ..models import Claimant
from . import contact, notify

SIGN_IN_CODE = notify.SIGN_IN_CODE


def send(claimant: Claimant, code: str, *, minutes: int, now: datetime) -> None:
    """Queue the code for the claimant's own phone or email; no commit."""
    mobile = contact.of(claimant.id).mobile
    channel, address = (
        (contact.SMS, mobile) if mobile else (contact.EMAIL, claimant.account.username)
    )
    language = i18n.known(claimant.account.language)
    with force_locale(language):
        body = _(
            "Your code is %(code)s. Someone is linking a GOV.UK One Login to your Universal "
            "Credit account. If it is you, type this code. It works for %(minutes)d minutes. "
            "If it is not you, do not give this code to anyone.",
            code=code,
            minutes=minutes,
        )
    notify.queue_to_address(
        account_id=claimant.id,
        kind=SIGN_IN_CODE,
        body=body,
        channel=channel,
        address=address,
        language=language,
        contact_grant_id=None,
        dedupe_key=f"{SIGN_IN_CODE}:{claimant.id}:{new_id()}",
        now=now,
    )
