"""Email by plain SMTP (issue 15): BROKER_SMTP_URL, `smtp://user:password@host:port`.

STARTTLS is used whenever the server offers it, and before any password is sent; `smtps://`
speaks TLS from the start. Each message is a proper MIME email in the claimant's language
(Content-Language, a translated subject), plain text in UTF-8.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlsplit

from flask_babel import force_locale
from flask_babel import gettext as _

from .. import i18n
from .notify import Message

DEFAULT_FROM = "no-reply@consent-broker.invalid"


class SmtpSender:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str = "",
        password: str = "",
        implicit_tls: bool = False,
        sender_address: str = DEFAULT_FROM,
        timeout: float = 30,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.implicit_tls = implicit_tls
        self.sender_address = sender_address
        self.timeout = timeout
        self.tls_context = tls_context or ssl.create_default_context()

    @classmethod
    def from_url(cls, url: str, *, sender_address: str = DEFAULT_FROM) -> SmtpSender:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("BROKER_SMTP_URL must look like smtp://user:password@host:port")
        implicit = parts.scheme == "smtps"
        return cls(
            parts.hostname,
            parts.port or (465 if implicit else 587),
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            implicit_tls=implicit,
            sender_address=sender_address,
        )

    def email(self, message: Message) -> EmailMessage:
        language = i18n.known(message.language)
        with force_locale(language):
            subject = _("A message from Share your journal")
        email = EmailMessage()
        email["From"] = self.sender_address
        email["To"] = message.address or message.to
        email["Subject"] = subject
        email["Date"] = format_datetime(message.created_at)
        email["Message-ID"] = make_msgid(domain=self.sender_address.rpartition("@")[2])
        email.set_content(message.body, charset="utf-8")
        email["Content-Language"] = language  # after set_content, which clears Content-*
        return email

    def send(self, message: Message) -> str:
        """Hand the email to the server; its Message-ID is the reference. Raises on refusal."""
        email = self.email(message)
        if self.implicit_tls:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self.tls_context
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with connection as smtp:
            smtp.ehlo()
            if not self.implicit_tls and smtp.has_extn("starttls"):
                smtp.starttls(context=self.tls_context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)
        return str(email["Message-ID"])
