"""Plain words for what the audit log and the catalogue hold, shared by every template."""

from __future__ import annotations

from flask import Flask

import scopes

from ..models import Grant

ACTIONS = {
    "journal.list": "Looked at your journal",
    "journal.read": "Read a journal message",
    "mr.list": "Looked at your reconsideration decisions",
    "mr.read": "Read a reconsideration decision",
    "mr.request": "Asked for a reconsideration for you",
    "todo.list": "Looked at your to-do list",
    "payments.list": "Looked at your payments",
    "grant.create": "Access given",
    "grant.revoke": "Access stopped",
}


def describe_action(action: str, resource: str, titles: dict[str, str] | None = None) -> str:
    words = ACTIONS.get(action, action)
    title = (titles or {}).get(resource)
    return f"{words}: {title}" if title else words


def describe_actor(actor: str, grant: Grant | None) -> str:
    kind, _, _ident = actor.partition(":")
    if kind == "claimant":
        return "You"
    if kind == "staff":
        return "DWP staff"
    if grant is None:
        return "Someone you gave access to"
    who = grant.representative_name
    return f"{who}, {grant.organisation_name}" if grant.organisation_name else who


def scope_title(name: str, language: str = "en") -> str:
    return scopes.lookup(name).title_in(language)


def scope_sentence(name: str, language: str = "en") -> str:
    return scopes.lookup(name).sentence_in(language)


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        describe_action=describe_action,
        describe_actor=describe_actor,
        scope_title=scope_title,
        scope_sentence=scope_sentence,
    )
