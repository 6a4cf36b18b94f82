"""Email and text messages through GOV.UK Notify (issue 15), with its official Python client.

Each channel has one Notify template whose content is `((body))` (and, for email, a subject of
your choice): BROKER_NOTIFY_EMAIL_TEMPLATE_ID and BROKER_NOTIFY_SMS_TEMPLATE_ID. The delivery's
ID goes to Notify as `reference`, and Notify's notification `id` comes back: it is what Notify's
delivery receipt (the callback, broker/web/callbacks.py) names.
"""

from __future__ import annotations

from notifications_python_client.notifications import NotificationsAPIClient

from . import contact
from .notify import Message

NOTIFY_API = "https://api.notifications.service.gov.uk"


class NotifySender:
    def __init__(
        self,
        api_key: str,
        *,
        email_template_id: str,
        sms_template_id: str,
        base_url: str = NOTIFY_API,
        timeout: float = 30,
    ) -> None:
        self.client = NotificationsAPIClient(api_key, base_url=base_url, timeout=timeout)
        self.templates = {contact.EMAIL: email_template_id, contact.SMS: sms_template_id}

    def send(self, message: Message) -> str:
        template = self.templates.get(message.channel)
        if not template:
            raise LookupError(f"no GOV.UK Notify template for {message.channel}")
        personalisation = {"body": message.body}
        if message.channel == contact.SMS:
            answer = self.client.send_sms_notification(
                phone_number=message.address,
                template_id=template,
                personalisation=personalisation,
                reference=message.delivery_id,
            )
        else:
            answer = self.client.send_email_notification(
                email_address=message.address or message.to,
                template_id=template,
                personalisation=personalisation,
                reference=message.delivery_id,
            )
        return str(answer["id"])
