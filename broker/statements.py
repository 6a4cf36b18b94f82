"""The adviser's signed statement: every audit event made with their tokens on one claimant's
account, with proof that the list is complete and without revealing anyone else's events.

What the statement holds (a JWS, `typ` consent-broker-statement, with a readable copy):

- the claimant's whole chain, event 1 to the event the latest checkpoint covers. This adviser's
  events (actor "adviser:<id>") are given in full; every other event is reduced to its hash,
  the hash before it, its salt and its actor commitment (broker/checkpoints.py) and nothing
  else: no time, action, resource, token, grant or name;
- the claimant's leaf (seq, head hash, tag head), its RFC 9162 inclusion proof and the signed
  checkpoint it leads to.

How a verifier checks it, offline, with the published JWKS and checkpoints (`verify`):

1. the statement and its checkpoint are signed by a published key, and the checkpoint is one
   of the published ones (so it was not made for this statement alone);
2. the events are numbered 1, 2, 3... up to the leaf's seq: none is missing or moved;
3. recomputing each full event's hash from its fields, and linking it with the hashes given for
   the hidden ones (each hidden event names the hash before it), arrives at the leaf's head
   hash: no full event was changed;
4. recomputing the tag chain from every event's hash, salt and actor commitment arrives at the
   leaf's tag head, so the salts and commitments are the ones the checkpoint signed;
5. each full event's commitment is SHA-256(salt || "adviser:<id>"), and each hidden event's is
   not: a hidden event was made by someone else. SHA-256 is collision resistant, so an event of
   this adviser cannot be hidden;
6. the leaf and its inclusion proof lead to the checkpoint's signed root.

So nothing by this adviser is missing up to the checkpoint, and what it shows is what happened.
What it reveals of other events: their hashes (over contents that include random IDs, so they
cannot be guessed back) and, through the salt, the chance to test one exact guess of who made an
event. Advisers, staff and clients are named by random 128-bit IDs, so a guess needs the ID
already; a verifier could confirm that the claimant, or the expiry sweep, made a hidden event,
but never what it was or when. The date range only chooses which of this adviser's events the
printable page lists: the file proves all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app

from . import audit, checkpoints, clock, merkle, signed
from .checkpoints import Leaf
from .extensions import db
from .models import Adviser, AuditCheckpoint, Claimant

FORMAT = "consent-broker statement 1"


class StatementRefused(RuntimeError):
    """The broker will not sign a statement: the audit does not match its checkpoint."""


def actor_of(adviser_id: str) -> str:
    return f"adviser:{adviser_id}"


def ensure_checkpoint(claimant_id: str, now: datetime) -> AuditCheckpoint:
    """The latest checkpoint, first signing a new one if this claimant's chain moved on."""
    head = (
        db.session.execute(
            db.text("SELECT seq FROM audit_heads WHERE claimant_id = :c"), {"c": claimant_id}
        ).scalar()
        or 0
    )
    leaf = next((x for x in checkpoints.leaves() if x.claimant_id == claimant_id), None)
    last = checkpoints.latest()
    if last is None or head > (leaf.seq if leaf else 0):
        try:
            made = checkpoints.make(now=now, force=last is None)
        except checkpoints.ChainBroken as exc:
            raise StatementRefused(str(exc)) from None
        db.session.commit()
        last = made or checkpoints.latest()
    assert last is not None
    return last


def build(
    adviser: Adviser, claimant: Claimant, *, date_from: datetime, date_to: datetime, now: datetime
) -> dict[str, Any]:
    """The signed statement file for this adviser on this claimant's account."""
    checkpoint = ensure_checkpoint(claimant.id, now)
    stored = checkpoints.leaves()
    if len(stored) != checkpoint.tree_size or checkpoints.tree_root(stored) != checkpoint.root:
        raise StatementRefused("the chain heads kept for the latest checkpoint were changed")
    index = next((i for i, x in enumerate(stored) if x.claimant_id == claimant.id), None)
    leaf = (
        stored[index]
        if index is not None
        else Leaf(claimant.id, 0, audit.GENESIS, checkpoints.ZERO)
    )
    mine = actor_of(adviser.id)
    key = signed.salt_key()
    events: list[dict[str, Any]] = []
    prev, tag = audit.GENESIS, checkpoints.ZERO
    for event in checkpoints.chain_events(claimant.id, upto=leaf.seq):
        if event.seq != len(events) + 1 or audit.link_problem(event, prev):
            raise StatementRefused(f"event {event.seq} of this chain was changed or removed")
        salt = checkpoints.salt(key, claimant.id, event.seq)
        commitment = checkpoints.actor_commitment(salt, event.actor)
        link = prev
        prev, tag = bytes(event.hash), checkpoints.next_tag(tag, event.hash, salt, commitment)
        if event.actor == mine:
            events.append(
                {
                    "seq": event.seq,
                    "occurred_us": event.occurred_us,
                    "at": clock.from_micros(event.occurred_us).isoformat(),
                    "token_id": event.token_id,
                    "grant_id": event.grant_id,
                    "actor": event.actor,
                    "action": event.action,
                    "resource": event.resource,
                    "outcome": event.outcome,
                    "salt": salt.hex(),
                }
            )
        else:
            events.append(
                {
                    "seq": event.seq,
                    "prev_hash": link.hex(),
                    "hash": prev.hex(),
                    "salt": salt.hex(),
                    "actor_commitment": commitment.hex(),
                }
            )
    if len(events) != leaf.seq or prev != leaf.hash or tag != leaf.tag_head:
        raise StatementRefused("this chain does not match the latest checkpoint")
    proof = (
        merkle.inclusion_proof(index, [x.leaf_hash() for x in stored]) if index is not None else []
    )
    payload = {
        "format": FORMAT,
        "iss": current_app.config["BROKER_ISSUER"],
        "issued_at": now.isoformat(),
        "adviser": {
            "id": adviser.id,
            "actor": mine,
            "name": adviser.name,
            "organisation": adviser.organisation.name,
        },
        "claimant": {"id": claimant.id, "reference": claimant.reference},
        "range": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "events": events,
        "leaf": {**leaf.as_json(), "index": index, "tree_size": checkpoint.tree_size},
        "inclusion_proof": [p.hex() for p in proof],
        "checkpoint": checkpoint.jws,
    }
    return {"jws": signed.sign(payload, signed.STATEMENT), "statement": payload}


def revealed_in_range(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """The adviser's events inside the statement's date range, oldest first."""
    low = datetime.fromisoformat(statement["range"]["from"])
    high = datetime.fromisoformat(statement["range"]["to"])
    return [
        e
        for e in statement["events"]
        if "action" in e and low <= datetime.fromisoformat(e["at"]) <= high
    ]


# Verification: offline, from the file, the JWKS and (optionally) the published checkpoints.


@dataclass
class Verdict:
    ok: bool = True
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    statement: dict[str, Any] | None = None

    def add(self, name: str, passed: bool, detail: str) -> bool:
        self.checks.append((name, passed, detail))
        self.ok = self.ok and passed
        return passed

    def summary(self) -> str:
        if not self.ok:
            failed = next(c for c in self.checks if not c[1])
            return f"NOT VALID: {failed[0]}: {failed[2]}"
        s = self.statement or {}
        who = s.get("adviser", {})
        mine = [e for e in s.get("events", []) if "action" in e]
        inside = revealed_in_range(s)
        return (
            f"VALID. This is the complete record of what {who.get('name')} "
            f"({who.get('organisation')}) did with their access to claimant "
            f"{s.get('claimant', {}).get('reference')}'s account, up to audit event "
            f"{s.get('leaf', {}).get('seq')}: {len(mine)} event(s) in all, {len(inside)} "
            f"between {s['range']['from'][:10]} and {s['range']['to'][:10]}. Every other "
            "event on the account is accounted for and was made by someone else; none of "
            "them is revealed."
        )


def verify(
    document: dict[str, Any], key_set: dict[str, Any], published: list[dict[str, Any]] | None = None
) -> Verdict:
    """Check a statement file; the verdict names each check and the first that failed."""
    verdict = Verdict()
    jws = document.get("jws") if isinstance(document, dict) else None
    try:
        statement = signed.verify(str(jws or ""), signed.STATEMENT, key_set)
    except signed.BadSignature as exc:
        verdict.add("signature", False, f"the statement is not genuine: {exc}")
        return verdict
    verdict.add("signature", True, "signed by the broker's published key")
    verdict.statement = statement
    if document.get("statement") not in (None, statement):
        verdict.add(
            "readable copy",
            False,
            "the readable copy in the file differs from what "
            "was signed; only the signed contents count",
        )
        return verdict
    try:
        _check_structure(verdict, statement, key_set, published)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        verdict.add("format", False, f"the statement is malformed ({exc.__class__.__name__})")
    return verdict


def _check_structure(
    verdict: Verdict,
    s: dict[str, Any],
    key_set: dict[str, Any],
    published: list[dict[str, Any]] | None,
) -> None:
    try:
        checkpoint = signed.verify(s["checkpoint"], signed.CHECKPOINT, key_set)
    except signed.BadSignature as exc:
        verdict.add("checkpoint", False, f"the checkpoint is not genuine: {exc}")
        return
    verdict.add("checkpoint", True, f"checkpoint {checkpoint['seq']} is signed by the broker")
    if published is not None:
        same = [c for c in published if c.get("seq") == checkpoint["seq"]]
        if not verdict.add(
            "published",
            bool(same) and same[0].get("jws") == s["checkpoint"],
            f"checkpoint {checkpoint['seq']} is "
            + (
                "one of the published checkpoints"
                if same and same[0].get("jws") == s["checkpoint"]
                else "not among the published checkpoints"
            ),
        ):
            return
    leaf, mine, claimant_id = s["leaf"], s["adviser"]["actor"], s["claimant"]["id"]
    events = s["events"]
    for number, event in enumerate(events, start=1):
        if event["seq"] != number:
            verdict.add(
                "complete",
                False,
                f"event {number} is missing (the list jumps to event {event['seq']})",
            )
            return
    if not verdict.add(
        "complete",
        len(events) == leaf["seq"],
        f"{len(events)} events listed; the checkpoint covers {leaf['seq']}",
    ):
        return
    prev, tag = audit.GENESIS, checkpoints.ZERO
    for event in events:
        salt = bytes.fromhex(event["salt"])
        if "action" in event:
            if event["actor"] != mine:
                verdict.add(
                    "only theirs",
                    False,
                    f"event {event['seq']} is shown in full but was not made by this adviser",
                )
                return
            content = audit.canonical(
                claimant_id, *(event[name] for name in audit.CHAINED_FIELDS[1:])
            )
            digest = audit.link(prev, content)
            commitment = checkpoints.actor_commitment(salt, mine)
        else:
            if bytes.fromhex(event["prev_hash"]) != prev:
                verdict.add(
                    "unchanged",
                    False,
                    f"event {event['seq']} does not follow the event "
                    "before it: an event was changed, added or removed",
                )
                return
            digest = bytes.fromhex(event["hash"])
            commitment = bytes.fromhex(event["actor_commitment"])
            if commitment == checkpoints.actor_commitment(salt, mine):
                verdict.add(
                    "nothing hidden",
                    False,
                    f"event {event['seq']} was made by this adviser but is hidden",
                )
                return
        prev, tag = digest, checkpoints.next_tag(tag, digest, salt, commitment)
    verdict.add("nothing hidden", True, "every hidden event was made by someone else")
    if not verdict.add(
        "unchanged",
        prev.hex() == leaf["hash"],
        "the events link up to the chain head the checkpoint signed"
        if prev.hex() == leaf["hash"]
        else "the events do not lead to the chain head the checkpoint signed: an "
        "event was changed, added or removed",
    ):
        return
    if not verdict.add(
        "commitments",
        tag.hex() == leaf["tag_head"],
        "the salts and commitments are the ones the checkpoint signed"
        if tag.hex() == leaf["tag_head"]
        else "the salts or commitments were changed",
    ):
        return
    node = Leaf(
        claimant_id, leaf["seq"], bytes.fromhex(leaf["hash"]), bytes.fromhex(leaf["tag_head"])
    )
    included = leaf["index"] is not None and merkle.verify_inclusion(
        leaf["index"],
        checkpoint["tree_size"],
        node.leaf_hash(),
        [bytes.fromhex(p) for p in s["inclusion_proof"]],
        bytes.fromhex(checkpoint["root"]),
    )
    verdict.add(
        "included",
        included,
        "the chain head is in the checkpoint's Merkle tree"
        if included
        else "the chain head is not in the checkpoint's Merkle tree",
    )
