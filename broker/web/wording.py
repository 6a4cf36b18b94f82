"""Plain words for what the audit log and the catalogue hold, shared by every template, in the
page's language (English or Welsh)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import cast

from babel.lists import format_list
from flask import Flask
from flask_babel import format_datetime, get_locale, gettext, ngettext
from markupsafe import Markup, escape

import scopes

from .. import clock, i18n
from ..casework import caller_checks
from ..consent import case_tied
from ..i18n import DEFAULT_LANGUAGE, N_, current_language, time_of_day
from ..models import AuditEvent, Grant
from ..people import passkeys, records
from ..proof import call_log, documents

# English here, marked for the catalogue; translated when shown; a test checks every one has a
# Welsh translation.
ACTIONS = {
    "journal.list": N_("Looked at your journal"),
    "journal.read": N_("Read a journal message"),
    "mr.list": N_("Looked at your reconsideration decisions"),
    "mr.read": N_("Read a reconsideration decision"),
    "mr.request": N_("Asked for a reconsideration for you"),
    "todo.list": N_("Looked at your to-do list"),
    "payments.list": N_("Looked at your payments"),
    "grant.create": N_("Access given"),
    "grant.amend": N_("Access changed: you agreed to what they asked"),
    "grant.narrow": N_("Access changed: they can see less"),
    "grant.merge": N_("Two cards for the same person joined into one"),
    "grant.revoke": N_("Access stopped"),
    "grant.expire": N_("Access ended on its end date"),
    "grant.suspend": N_("Access paused by DWP"),
    "grant.lift_suspension": N_("Access restarted by DWP"),
    "grant.agency_hold": N_("Access paused by their advice organisation"),
    "grant.agency_release": N_("Access restarted by their advice organisation"),
    "grant.dispute_pause": N_("Access paused: you told us a line was wrong"),
    "grant.dispute_resume": N_("Access restarted by DWP after you told us a line was wrong"),
    "grant.move_asked": N_(
        "Their advice organisation asked you to move this access to a colleague"
    ),
    "grant.review_confirm": N_("Access checked and kept"),
    "console.open": N_("Tried to open your journal after their access ended"),
    "token.issue": N_("Their system was given a key to your journal"),
    "token.refresh": N_("Their system swapped its key for a new one"),
    "token.revoke": N_("A key to your journal was stopped"),
    # Tell me when a decision arrives (issue 15)
    "mr.watch": N_("Asked to be told when a reconsideration decision arrives"),
    "mr.unwatch": N_("Stopped being told about new reconsideration decisions"),
    "mr.watch_end": N_("Stopped being told about decisions, as their access has ended"),
    "mr_decision.notified": N_("Was told about a new reconsideration decision"),
    "mr_decision.pushed": N_("Their system was sent a new reconsideration decision"),
    # Watches on to-dos and payments (issue 27)
    "todo.watch": N_("Asked to be told about your to-dos"),
    "todo.unwatch": N_("Stopped being told about your to-dos"),
    "todo.watch_list": N_("Checked if they are told about your to-dos"),
    "todo.watch_end": N_("Stopped being told about your to-dos, as their access has ended"),
    "todo.notified": N_("Was told that a to-do is due soon or overdue"),
    "todo.pushed": N_("Their system was told that a to-do is due soon or overdue"),
    "payment.watch": N_("Asked to be told about your payments"),
    "payment.unwatch": N_("Stopped being told about your payments"),
    "payment.watch_list": N_("Checked if they are told about your payments"),
    "payment.watch_end": N_("Stopped being told about your payments, as their access has ended"),
    "payment.notified": N_("Was told that a payment was lower or missing"),
    "payment.pushed": N_("Their system was told that a payment was lower or missing"),
    # Access that ends when the case does (issue 16)
    "grant.case_decided": N_("Your case was decided, so this access now has an end date"),
    # Check with me before they send anything (issue 16)
    "mr.request.drafted": N_("Wrote a request for you to check"),
    "mr.request.approved": N_("You said yes: the request was sent"),
    "mr.request.declined": N_("You said no: the request was not sent"),
    "mr.request.expired": N_("The request was not sent: 7 days passed"),
    "mr.draft.read": N_("Checked if you sent their request"),
    "grant.check_before_send.on": N_("You asked us to check with you before they send anything"),
    "grant.check_before_send.off": N_("They can now send things without asking you"),
    # Passkeys (issue 17): in every account's sign-in history, and a claimant's chain
    passkeys.ADDED: N_("Passkey added"),
    passkeys.USED: N_("Signed in with a passkey"),
    passkeys.REMOVED: N_("Passkey removed"),
    passkeys.REFUSED: N_("A passkey sign-in was refused"),
    passkeys.PASSWORDS_OFF: N_("Password sign-in turned off"),
    passkeys.PASSWORDS_ON: N_("Password sign-in turned on"),
    # Staff reads on the record (issue 23): the page, or a staff system's read of the banner
    records.RECORD_READ: N_("DWP staff looked at your consent record"),
    records.CONSENTS_READ: N_("DWP staff looked at your consent record"),
    # Contacts receive what the claimant chose (issue 23): under the nominated contact's card
    "contact.address": N_("We noted where to send them copies"),
    "contact.code_sent": N_("We sent them a code to check their address"),
    "contact.confirm": N_("Their address was checked with the code"),
    "contact.copy": N_("We sent them a copy of a message"),
    "contact_request.approve": N_("You said yes when they asked to be your contact"),
    # Signed documents and evidence bundles (issue 27)
    "evidence.bundle": N_("Asked for an evidence bundle for an appeal"),
    "document.issue": N_("A signed document was made (see Your signed documents)"),
}


# A grant's state (grants.state_at) as the claimant is told it: plain words, not the states'
# own names (staff and advisers see those, through macros.state_tag).
STATUSES = {
    "current": N_("Current"),
    "review_overdue": N_("Review needed"),
    "suspended": N_("Paused"),
    "revoked": N_("Stopped"),
    "expired": N_("Ended"),
    "pending": N_("Waiting"),
}


def status_word(state: str) -> str:
    """The claimant's word for a grant's state, in the page's language."""
    return gettext(STATUSES[state]) if state in STATUSES else state


def describe_action(action: str, resource: str, titles: dict[str, str] | None = None) -> str:
    words = gettext(ACTIONS[action]) if action in ACTIONS else action
    title = (titles or {}).get(resource)
    return f"{words}: {title}" if title else words


def staff_looks_line(count: int) -> str:
    """One day of staff reads (records.looks) as the history says it, with how many times."""
    words = gettext(ACTIONS[records.RECORD_READ])
    if count == 1:
        return words
    return ngettext("%(what)s: %(num)d time", "%(what)s: %(num)d times", count, what=words)


def disputed_line(event: AuditEvent) -> tuple[str, bool]:
    """A line of the claimant's history, as the history page says it, for the "This wasn't
    right" pages; and True when the line stands for a whole day (DWP staff's reads of a day are
    one line, so the page gives the day, not the one read's time)."""
    if event.action in records.STAFF_READS:
        on = clock.uk_day(clock.from_micros(event.occurred_us))
        count = next((d.count for d in records.looks(event.claimant_id) if d.day == on), 1)
        return staff_looks_line(count), True
    if event.resource.startswith(call_log.PREFIX):
        call = call_log.call_of(event.claimant_id, event.resource)
        return (call_line(call) if call else gettext("Someone tried to call you.")), False
    if event.action == documents.ISSUE:
        return gettext("Notice of your Mandatory Reconsideration decision issued"), False
    if event.action == documents.CHECK:
        return gettext(
            "Checked at /verify on %(day)s", day=i18n.day(clock.from_micros(event.occurred_us))
        ), False
    return describe_action(event.action, ""), False


def organisation_name(name: str) -> str:
    """An organisation as the page's language says it: DWP is ours to translate; an advice
    agency's name is as they typed it."""
    return gettext("Department for Work and Pensions") if name == caller_checks.DWP else name


def call_line(call: call_log.Call) -> str:
    """A caller check (issue 27) as the claimant's history says it: who, when, what they did."""
    tried = gettext(
        "%(name)s from %(organisation)s tried to call at %(time)s.",
        name=call.caller_name,
        organisation=organisation_name(call.organisation),
        time=time_of_day(call.at),
    )
    did = {
        "reported": gettext("You said this caller was not genuine."),
        "confirmed": gettext("You read your code to them: you confirmed it was them."),
        "looked": gettext("You looked at the code."),
        "not_looked": gettext("You did not look."),
        "waiting": gettext("The check is on your phone now."),
    }[call.outcome]
    return f"{tried} {did}"


def describe_actor(actor: str, grant: Grant | None) -> str:
    kind, _, _ident = actor.partition(":")
    if kind == "claimant":
        return gettext("You")
    if kind == "staff":
        return gettext("DWP staff")
    if kind == "system":
        return gettext("This service")
    if grant is None:
        return gettext("Someone you gave access to")
    who = grant.representative_name
    return f"{who}, {grant.organisation_name}" if grant.organisation_name else who


# Actions that give or change access: the claimant (or DWP staff, on the phone with them) made
# them, even when the adviser's system sent the request the claimant approved.
GIVING = frozenset({"grant.create", "grant.amend"})


def given_by_claimant(actor: str, grant: Grant) -> bool:
    """True when this giving of access was the claimant's own act: online, or by approving the
    adviser's request on their phone (the audit names the adviser's client as the actor)."""
    kind = actor.partition(":")[0]
    if kind == "staff":
        return False
    return kind in ("claimant", "client") or grant.recorded_by in ("oauth", "claimant")


def event_by(event: Mapping[str, object], grant: Grant) -> str:
    """Who made an event, as the history says it: "Given by: you" for access the claimant gave
    or approved, never the adviser's name as if they let themselves in."""
    actor = str(event["actor"])
    if event["action"] in GIVING:
        if given_by_claimant(actor, grant):
            return gettext("Given by: you")
        return gettext("Given by: DWP staff, on the phone with you")
    return gettext("By: %(who)s", who=describe_actor(actor, grant))


def result_word(outcome: str) -> str:
    """Whether a read or write was let through, in words; nothing for a change to a grant."""
    if outcome == "done":
        return ""
    if outcome.startswith("failed:"):  # a decision pushed to a case system that did not take it
        return gettext("Not delivered")
    return gettext("Allowed") if outcome == "allowed" else gettext("Refused")


# The CSV copy of the history: the page's words, the UK clock, no audit codes (issue 12).
HISTORY_COLUMNS = (
    N_("When (UK time)"),
    N_("Access given to"),
    N_("What happened"),
    N_("Who"),
    N_("Result"),
    N_("Reference"),
    N_("Full reference"),
)


def history_header() -> list[str]:
    return [gettext(column) for column in HISTORY_COLUMNS]


def history_row(event: Mapping[str, object], grant: Grant, titles: dict[str, str]) -> list[str]:
    """One event as a row of the CSV copy, in the page's language."""
    token_id = str(event["token_id"] or "")
    at = cast(datetime, event["at"])  # audit.events_for_grants gives aware datetimes
    who = grant.representative_name
    by = event_by(event, grant).partition(": ")[2]
    return [
        format_datetime(at, "d MMM y HH:mm"),  # Flask-Babel's zone: Europe/London, summer time
        f"{who}, {grant.organisation_name}" if grant.organisation_name else who,
        describe_action(str(event["action"]), str(event["resource"]), titles),
        by[:1].upper() + by[1:],  # "You", as a cell on its own
        result_word(str(event["outcome"])),
        short_reference(token_id) if token_id else "",
        token_id,
    ]


def short_reference(token_id: str) -> str:
    """The first 8 characters of a token ID: enough to find it among one claimant's tokens,
    short enough to read out on the phone, and the start of the full ID in the downloads."""
    return token_id[:8]


def scope_title(name: str, language: str | None = None) -> str:
    return scopes.lookup(name).title_in(language or current_language())


def staff_scope_title(name: str) -> str:
    """The scope's name for staff and adviser pages (English only): "Their payments"."""
    return scopes.lookup(name).staff_title()


def scope_sentence(name: str, language: str | None = None) -> str:
    return scopes.lookup(name).sentence_in(language or current_language())


def scope_titles(names: Iterable[str]) -> str:
    """Scope titles as one phrase in the page's language: "your journal and your payments"."""
    return format_list([scope_title(n).lower() for n in names], locale=get_locale())


def in_english(text: object) -> Markup:
    """Words someone else typed, in English (an adviser's reasons for asking, the request they
    drafted, a journal message's title), marked lang="en" on a page in another language, so a
    screen reader says them as English (WCAG 3.1.2). An English page needs no mark."""
    if text is None or text == "":
        return Markup("")
    if current_language() == DEFAULT_LANGUAGE:
        return escape(text)
    return Markup('<span lang="en">%s</span>') % text


def as_typed(text: object, grant: Grant) -> Markup:
    """A grant's purpose or relationship as it was typed: the claimant's own words as they are,
    anyone else's (an adviser or case system asking, DWP staff on the phone) in English."""
    return escape(text) if grant.recorded_by == "claimant" else in_english(text)


def register(app: Flask) -> None:
    app.jinja_env.filters.update(english=in_english, as_typed=as_typed)
    app.jinja_env.globals.update(
        titles=scope_titles,
        describe_action=describe_action,
        describe_actor=describe_actor,
        staff_looks_line=staff_looks_line,
        call_line=call_line,
        disputed_line=disputed_line,
        status_word=status_word,
        event_by=event_by,
        result_word=result_word,
        short_reference=short_reference,
        scope_title=scope_title,
        staff_scope_title=staff_scope_title,
        scope_sentence=scope_sentence,
        waits_for_decision=case_tied.waits_for_decision,
    )


def consent_answer(grant: Grant, *, had_access: bool, changed: bool = True) -> str:
    """What the claimant is told once they said yes: new access, a change to the access the
    person already had, or (re-authorizing for what they hold) no change at all."""
    name = grant.representative_name
    if not had_access:
        return gettext("%(name)s can now see what you chose", name=name)
    if not changed:
        return gettext("Nothing has changed. %(name)s can see what they could before", name=name)
    return gettext("You changed what %(name)s can see", name=name)


def clients(count: int) -> str:
    """ "1 client", "3 clients": a count as an adviser or admin reads it (English pages)."""
    return f"{count} client" if count == 1 else f"{count} clients"
