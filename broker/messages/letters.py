"""The claimant's letters inbox (issue 15): every message the broker sends a claimant is filed
there (broker/messages/notify.py fans it out), staff can send a letter to it, and each message
carries its proof of delivery: when it was sent, delivered on each channel, and opened in the inbox.

Every lookup is by the claimant's own account: one claimant's letters are never another's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, update

from .. import i18n, inputs
from ..chain import audit
from ..db import new_id
from ..extensions import db
from ..models import Claimant, Delivery, Grant, OutboxMessage, StaffMember
from . import contact, notify

LETTER_MAX_CHARS = 5_000
LETTER_LANGUAGES = ("en", "cy")
OPENING_CHARS = 60  # a staff letter's title: its first sentence, cut to this at a word
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


class LetterRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class LetterNotFound(LookupError):
    pass


@dataclass(frozen=True)
class CopySent:
    """A copy of a letter for the claimant's nominated contact (issue 23), with its own proof."""

    delivery: Delivery
    name: str  # the contact's name


@dataclass(frozen=True)
class Letter:
    """A message as its claimant (or staff, on the record) sees it, with its deliveries."""

    message: OutboxMessage
    inbox: Delivery | None
    others: tuple[Delivery, ...]  # email, text, post: in channel order
    grant: Grant | None = None  # the consent it is about, if any: its title names the person
    copies: tuple[CopySent, ...] = ()  # to their nominated contact

    @property
    def id(self) -> str:
        return self.message.id

    @property
    def kind(self) -> str:
        return contact.kind_of(self.message.kind)

    @property
    def opening(self) -> str:
        """The letter's first sentence, without its full stop, cut at a word to at most
        OPENING_CHARS characters: what a letter staff wrote is called in the inbox."""
        first_line = self.message.body.strip().split("\n", 1)[0].strip()
        sentence = _SENTENCE_END.split(first_line, maxsplit=1)[0].rstrip(".")
        if len(sentence) <= OPENING_CHARS:
            return sentence
        return sentence[: OPENING_CHARS + 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"

    @property
    def language(self) -> str:
        return self.inbox.language if self.inbox else i18n.DEFAULT_LANGUAGE

    @property
    def opened_at(self) -> datetime | None:
        return self.inbox.opened_at if self.inbox else None

    @property
    def unread(self) -> bool:
        return self.inbox is not None and self.inbox.opened_at is None

    def as_json(self) -> dict[str, object]:
        def at(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.message.id,
            "kind": self.message.kind,
            "created_at": at(self.message.created_at),
            "opened_at": at(self.opened_at),
            "deliveries": [
                {
                    "channel": d.channel,
                    "status": d.status,
                    "sent_at": at(d.sent_at),
                    "delivered_at": at(d.delivered_at),
                    "failed_at": at(d.failed_at),
                }
                for d in ((self.inbox,) if self.inbox else ()) + self.others
            ],
            "copies": [
                {
                    "to": copy.name,
                    "channel": copy.delivery.channel,
                    "status": copy.delivery.status,
                    "sent_at": at(copy.delivery.sent_at),
                    "delivered_at": at(copy.delivery.delivered_at),
                    "failed_at": at(copy.delivery.failed_at),
                    "opened_at": at(copy.delivery.opened_at),
                }
                for copy in self.copies
            ],
        }


def _order(delivery: Delivery) -> int:
    return contact.CHANNELS.index(delivery.channel) if delivery.channel in contact.CHANNELS else 9


def _letters(claimant_id: str, *, limit: int, message_id: str | None = None) -> list[Letter]:
    query = (
        db.select(OutboxMessage)
        .where(OutboxMessage.account_id == claimant_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    if message_id is not None:
        query = query.where(OutboxMessage.id == message_id)
    messages = list(db.session.scalars(query))
    by_message: dict[str, list[Delivery]] = {m.id: [] for m in messages}
    if messages:
        # The same messages again as a subquery, not a list of IDs: a long history would pass
        # SQLite's limit on bound parameters.
        chosen = query.with_only_columns(OutboxMessage.id).scalar_subquery()
        for delivery in db.session.scalars(
            db.select(Delivery).where(Delivery.message_id.in_(chosen))
        ):
            by_message[delivery.message_id].append(delivery)
    about = _grants_of(query) if any(m.grant_id for m in messages) else {}
    names = _contact_names(d for found in by_message.values() for d in found)
    letters = []
    for message in messages:
        deliveries = sorted(by_message[message.id], key=_order)
        inbox = next((d for d in deliveries if d.channel == contact.INBOX), None)
        if inbox is None:
            continue  # not filed in the inbox: not a letter to this claimant
        own = [d for d in deliveries if d.recipient != notify.CONTACT]
        others = tuple(d for d in own if d.channel != contact.INBOX)
        copies = tuple(
            CopySent(d, names.get(d.contact_grant_id or "", ""))
            for d in deliveries
            if d.recipient == notify.CONTACT
        )
        grant = about.get(message.grant_id) if message.grant_id else None
        letters.append(Letter(message, inbox, others, grant, copies))
    return letters


def _grants_of(query: Select[tuple[OutboxMessage]]) -> dict[str, Grant]:
    """The consents these messages are about, by ID (one query, as for their deliveries)."""
    chosen = query.with_only_columns(OutboxMessage.grant_id).scalar_subquery()
    return {
        grant.id: grant
        for grant in db.session.scalars(db.select(Grant).where(Grant.id.in_(chosen)))
    }


def _contact_names(deliveries: Iterable[Delivery]) -> dict[str, str]:
    """The names of the nominated contacts these deliveries copied letters to, by grant ID."""
    ids = {d.contact_grant_id for d in deliveries if d.contact_grant_id}
    if not ids:
        return {}
    query = db.select(Grant.id, Grant.representative_name).where(Grant.id.in_(ids))
    return {grant_id: name for grant_id, name in db.session.execute(query).all()}


def inbox(claimant_id: str, *, limit: int = 200) -> list[Letter]:
    """The claimant's letters, newest first."""
    return _letters(claimant_id, limit=limit)


def unread_count(claimant_id: str) -> int:
    return (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(Delivery)
            .join(OutboxMessage, OutboxMessage.id == Delivery.message_id)
            .where(
                OutboxMessage.account_id == claimant_id,
                Delivery.channel == contact.INBOX,
                Delivery.opened_at.is_(None),
            )
        )
        or 0
    )


def letter(claimant_id: str, message_id: str) -> Letter:
    """One of the claimant's letters; LetterNotFound for anyone else's, or none."""
    found = _letters(claimant_id, limit=1, message_id=message_id)
    if not found:
        raise LetterNotFound(message_id)
    return found[0]


def open_letter(claimant_id: str, message_id: str, *, now: datetime) -> Letter:
    """The claimant's letter, marked opened the first time they open it. No commit."""
    found = letter(claimant_id, message_id)
    if found.inbox is not None and found.inbox.opened_at is None:
        db.session.execute(
            update(Delivery)
            .where(Delivery.id == found.inbox.id, Delivery.opened_at.is_(None))
            .values(opened_at=now)
        )
        db.session.refresh(found.inbox)
    return found


def send_letter(
    claimant: Claimant, body: str, *, language: str, staff: StaffMember, now: datetime
) -> str:
    """A letter from DWP staff to the claimant's inbox (and the channels they chose for
    letters), audited in their chain with who sent it. Adds, no commit; LetterRefused."""
    text = body.replace("\r\n", "\n").strip()
    if not inputs.visible(text):  # security.md 70: spaces or zero-width characters only
        raise LetterRefused("body", "Enter the letter")
    if len(text) > LETTER_MAX_CHARS:
        raise LetterRefused("body", f"The letter must be {LETTER_MAX_CHARS:,} characters or fewer")
    if language not in LETTER_LANGUAGES:
        raise LetterRefused("language", "Choose English or Welsh")
    head = audit.lock_head(db.session.connection(), claimant.id)
    dedupe = f"{contact.LETTER_KIND}:{new_id()}"
    notify.queue(
        account_id=claimant.id,
        kind=contact.LETTER_KIND,
        body=text,
        dedupe_key=dedupe,
        now=now,
        language=language,
    )
    message_id = db.session.scalar(
        db.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe)
    )
    audit.append(
        audit.Event(
            claimant_id=claimant.id,
            token_id="",
            grant_id="",
            actor=f"staff:{staff.id}",
            action="letter.send",
            resource=f"letter:{message_id}",
            outcome="done",
        ),
        now=now,
        head=head,
    )
    return str(message_id)


def for_record(claimant_id: str, *, limit: int = 50) -> list[Letter]:
    """The claimant's messages with their proof of delivery, newest first, for staff."""
    return _letters(claimant_id, limit=limit)


def print_due(letters: list[Letter]) -> list[Letter]:
    """Those a printed letter is due for: the claimant chose post, and nobody has a postal API."""
    return [found for found in letters if any(d.status == notify.PRINT_DUE for d in found.others)]
