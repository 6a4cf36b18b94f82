"""Which sender delivers each channel, from the environment (issue 15).

Email: by SMTP when BROKER_SMTP_URL is set, else by GOV.UK Notify when BROKER_NOTIFY_API_KEY is
set. Text messages: by GOV.UK Notify. A channel with no sender is written to the log only (and
every claimant message is in their letters inbox whatever happens), so `make run` needs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import contact
from .notify import LoggingSender, Message, Sender
from .notify_sender import NOTIFY_API, NotifySender
from .smtp_sender import DEFAULT_FROM, SmtpSender


class ChannelSenders:
    """Sends each delivery with the sender for its channel."""

    def __init__(self, email: Sender, sms: Sender) -> None:
        self.email, self.sms = email, sms

    def send(self, message: Message) -> str | None:
        return (self.sms if message.channel == contact.SMS else self.email).send(message)


def from_config(config: Mapping[str, Any]) -> ChannelSenders:
    log: Sender = LoggingSender()
    notify: Sender | None = None
    if config.get("BROKER_NOTIFY_API_KEY"):
        notify = NotifySender(
            str(config["BROKER_NOTIFY_API_KEY"]),
            email_template_id=str(config.get("BROKER_NOTIFY_EMAIL_TEMPLATE_ID") or ""),
            sms_template_id=str(config.get("BROKER_NOTIFY_SMS_TEMPLATE_ID") or ""),
            base_url=str(config.get("BROKER_NOTIFY_BASE_URL") or NOTIFY_API),
        )
    email: Sender = notify or log
    if config.get("BROKER_SMTP_URL"):
        email = SmtpSender.from_url(
            str(config["BROKER_SMTP_URL"]),
            sender_address=str(config.get("BROKER_SMTP_FROM") or DEFAULT_FROM),
        )
    return ChannelSenders(email=email, sms=notify or log)
