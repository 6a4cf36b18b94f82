"""Every teller asks the disclosure rule (broker/consent/disclosure.py, issue 23).

A function that writes what tells someone outside the claimant of their data (a console
notice, a pushed SET, an adviser's message about a decision) must take a `disclosure.Permit`,
and only `disclosure.permit` makes one, after asking the rule. So a new teller that skips the
rule fails here, the way an unguarded API view fails test_every_api_view_is_guarded.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import broker
from broker.casework import watches
from broker.consent import disclosure

BROKER = Path(broker.__file__).parent
# Rows that tell: a console notice of a decision, a SET waiting to be pushed.
TELLING_ROWS = {"MRDecisionNotice", "PushDelivery"}
# Messages that tell an adviser of a decision.
TELLING_KINDS = {watches.ARRIVED, "grant_case_decided"}
# The outbox's ways in (broker/messages/notify.py).
QUEUING = {"queue", "_to", "_to_claimant_and_adviser"}


def _tells(function: ast.FunctionDef) -> bool:
    """It makes a telling row, or queues a telling kind of message (by keyword or not)."""
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        if _name(node.func) in TELLING_ROWS and not _names_no_notice(node):
            return True
        given = [*node.args, *(k.value for k in node.keywords)]
        if _name(node.func) in QUEUING and any(_is_telling_kind(value) for value in given):
            return True
    return False


def _names_no_notice(call: ast.Call) -> bool:
    """A push that names no decision notice: a CAEP event telling a case system of its own
    access (broker/messages/access_changes.py), nothing of the claimant's."""
    return any(
        k.arg == "notice_id" and isinstance(k.value, ast.Constant) and k.value.value is None
        for k in call.keywords
    )


def _is_telling_kind(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in TELLING_KINDS
    return _name(node) == "ARRIVED"


def _name(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _takes_a_permit(function: ast.FunctionDef) -> bool:
    arguments = function.args.args + function.args.kwonlyargs
    return any(
        a.annotation is not None and "Permit" in ast.unparse(a.annotation) for a in arguments
    )


def tellers(source: str) -> dict[str, bool]:
    """Each function in the source that tells: whether it takes a Permit."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and _tells(node):
            found[node.name] = _takes_a_permit(node)
    return found


def every_teller() -> dict[str, bool]:
    found = {}
    for path in sorted(BROKER.rglob("*.py")):
        if path.name in ("models.py", "disclosure.py"):
            continue  # the rows' definitions and the rule itself
        for name, asks in tellers(path.read_text()).items():
            module = ".".join(path.relative_to(BROKER).with_suffix("").parts)
            found[f"{module}.{name}"] = asks
    return found


def test_every_function_that_tells_takes_a_permit():
    found = every_teller()

    assert {k: v for k, v in found.items() if not v} == {}
    # The scan finds the tellers we know of, so it is looking in the right places.
    assert {
        "casework.watches._notice",
        "casework.watches._queue_push",
        "casework.watches._tell_adviser",
        "messages.notify.case_decided",
    } <= set(found)


def test_a_teller_without_a_permit_is_found():
    source = (
        "def tell(watch, decision):\n"
        "    db.session.add(MRDecisionNotice(watch_id=watch.id, decision_id=decision.id))\n"
    )

    assert tellers(source) == {"tell": False}


def test_a_permit_is_made_only_by_asking_the_rule():
    with pytest.raises(TypeError):
        disclosure.Permit("grant", "mr:read", None, None, object())  # type: ignore[arg-type]
