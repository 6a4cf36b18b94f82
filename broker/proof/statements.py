"""The adviser's signed statement: every audit event made with their tokens on one claimant's
account, with proof that the list is complete, and nothing else of anyone's story.

What it covers (security.md 29, 64). The claimant's chain from event 1 up to one signed
checkpoint: the latest while the adviser's access is live, and once it has stopped (ended, or
paused: suspended, or its review date passed unconfirmed), the first checkpoint at or after the
stop, for as long as it stays stopped. So an adviser whose access was stopped cannot watch the
account: each later statement covers the same events. A statement never signs a checkpoint:
checkpoints come every minute (broker/chain/checkpoints.py), and a request just after access
ended is asked to wait for the next one.

What it holds (a JWS, `typ` consent-broker-statement, with a readable copy):

- this adviser's events (actor "adviser:<id>") in full;
- every other event reduced to its hash, the hash before it and its actor commitment, and
  nothing else: no time, action, resource, token, grant or name;
- `actor_key`: the adviser's own commitment key on this account (below);
- the claimant's leaf (seq, head hash, tag head), its RFC 9162 inclusion proof and the signed
  checkpoint it leads to.

The commitments. Each event is committed to whoever made it with a key of that actor's own on
that claimant's chain, derived from the broker's statement key (its own secret, 0600, not the
signing key): key(actor) = HMAC-SHA256(statement key, "actor" US claimant US actor) and
commit(n) = HMAC-SHA256(key(actor of n), claimant US n). The checkpoint's tag chain signs every
commitment. A statement reveals only its holder's key: with it the verifier recomputes the
holder's commitment for every position in the chain, so it can check that each hidden event's
commitment is not the holder's (made by someone else), but without the other actors' keys it
cannot test a guess of who made a hidden event (the old salted SHA-256(salt || actor) could be
tested against any guessed client or staff ID).

How a verifier checks it, offline, with the published keys (/api/v1/audit/keys) and checkpoints:

1. the statement and its checkpoint are signed by a published key, and the checkpoint is one
   of the published ones (so it was not made for this statement alone);
2. the events are numbered 1, 2, 3... up to the leaf's seq: none is missing or moved;
3. recomputing each full event's hash from its fields, and linking it with the hashes given for
   the hidden ones (each hidden event names the hash before it), arrives at the leaf's head
   hash: no full event was changed;
4. recomputing the tag chain from every event's hash and commitment (the holder's recomputed
   from `actor_key`) arrives at the leaf's tag head, so the commitments are the ones signed;
5. each hidden event's commitment differs from the holder's for that position: it was made by
   someone else (HMAC-SHA256 does not collide);
6. the leaf and its inclusion proof lead to the checkpoint's signed root.

Limits. The proof rests on the broker's signature and on its honesty when it computed the
commitments at checkpoint time (as every signed document of the broker does): someone with only
the database cannot make or test commitments, since they need the statement key. The hidden
events' count and positions show, so the holder learns how much happened on the account before
the covering checkpoint, not what or by whom; their hashes are over contents with random IDs
and cannot be guessed back. A holder who shares their statement shares their own key on that
account, and with it their own story only. Files of format 1 (salted commitments, before this
scheme) still verify. The date range only chooses which of this adviser's events the printable
page lists: the file proves all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from .. import clock
from ..chain import audit, checkpoints, merkle, signed
from ..chain.checkpoints import Leaf
from ..consent import grants
from ..extensions import db
from ..models import Adviser, AuditCheckpoint, CheckpointLeafVersion, Claimant, Grant
from ..services import Services

FORMAT = "consent-broker statement 2"
FORMAT_V1 = "consent-broker statement 1"  # salted commitments; files given out still verify


class StatementRefused(RuntimeError):
    """The broker will not sign a statement: the audit does not match its checkpoint, or no
    checkpoint covers the holder's story yet."""


def actor_of(adviser_id: str) -> str:
    return f"adviser:{adviser_id}"


def access_ended(adviser: Adviser, claimant: Claimant, now: datetime) -> datetime | None:
    """When this adviser's access to this claimant stopped, or None while any of it is live.
    Stopped means ended (revoked or expired), past its end date, suspended (by staff or by the
    agency) or waiting for a review whose date passed: a paused grant counts nothing after its
    pause, as an ended one counts nothing after its end (issue 26)."""
    rows = db.session.scalars(
        select(Grant).where(Grant.adviser_id == adviser.id, Grant.claimant_id == claimant.id)
    ).all()
    stops = [_stopped_at(grant, now) for grant in rows]
    if not stops or any(stop is None for stop in stops):
        return None
    return max(stop for stop in stops if stop is not None)


def _stopped_at(grant: Grant, now: datetime) -> datetime | None:
    """When this grant's access stopped, or None if it works now (or has not started yet)."""
    if grant.ended_at is not None:
        return grant.ended_at
    if grant.status == grants.SUSPENDED:
        return grant.suspended_at or now
    if grant.ends_at <= now or grant.review_at <= now:
        return min(grant.ends_at, grant.review_at)
    return None


def covering_checkpoint(ended: datetime | None) -> AuditCheckpoint:
    """The checkpoint a statement covers: the latest while access is live; once it ended, the
    first checkpoint at or after the end, for good (later activity is never shown). Never signs
    one: a statement waits for the next checkpoint, which is at most a minute away."""
    first_kept = db.session.scalar(select(func.min(CheckpointLeafVersion.checkpoint_seq)))
    if first_kept is None:
        raise StatementRefused("no audit checkpoint covers this account yet; try again in a minute")
    query = select(AuditCheckpoint).where(AuditCheckpoint.seq >= first_kept)
    if ended is None:
        row = db.session.scalar(query.order_by(AuditCheckpoint.seq.desc()).limit(1))
    else:
        row = db.session.scalar(
            query.where(AuditCheckpoint.issued_at >= ended).order_by(AuditCheckpoint.seq).limit(1)
        )
    if row is None:
        raise StatementRefused(
            "your access has just ended; the statement can be signed once the next audit "
            "checkpoint seals it, within a minute"
        )
    return row


def build(
    adviser: Adviser,
    claimant: Claimant,
    *,
    date_from: datetime,
    date_to: datetime,
    now: datetime,
    services: Services,
) -> dict[str, Any]:
    """The signed statement file for this adviser on this claimant's account, covering the
    chain up to the checkpoint after their access ended (or the latest while it is live)."""
    ended = access_ended(adviser, claimant, now)
    checkpoint = covering_checkpoint(ended)
    found = checkpoints.leaf_at(claimant.id, checkpoint.seq)
    index, leaf = found if found else (None, Leaf(claimant.id, 0, audit.GENESIS, checkpoints.ZERO))
    mine = actor_of(adviser.id)
    key = services.statement_key
    keys = {mine: checkpoints.actor_key(key, claimant.id, mine)}
    events: list[dict[str, Any]] = []
    prev, tag = audit.GENESIS, checkpoints.ZERO
    for event in checkpoints.chain_events(claimant.id, upto=leaf.seq):
        if event.seq != len(events) + 1 or audit.link_problem(event, prev):
            raise StatementRefused(f"event {event.seq} of this chain was changed or removed")
        if event.actor not in keys:
            keys[event.actor] = checkpoints.actor_key(key, claimant.id, event.actor)
        commitment = checkpoints.commitment(keys[event.actor], claimant.id, event.seq)
        link = prev
        prev, tag = bytes(event.hash), checkpoints.next_tag(tag, event.hash, commitment)
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
                }
            )
        else:
            events.append(
                {
                    "seq": event.seq,
                    "prev_hash": link.hex(),
                    "hash": prev.hex(),
                    "actor_commitment": commitment.hex(),
                }
            )
    if len(events) != leaf.seq or prev != leaf.hash or tag != leaf.tag_head:
        raise StatementRefused("this chain does not match its checkpoint")
    try:
        proof = checkpoints.inclusion_proof(index, checkpoint) if index is not None else []
    except checkpoints.ChainBroken as exc:
        raise StatementRefused(exc.reason) from None
    payload = {
        "format": FORMAT,
        "iss": services.issuer,
        "issued_at": now.isoformat(),
        "adviser": {
            "id": adviser.id,
            "actor": mine,
            "name": adviser.name,
            "organisation": adviser.organisation.name,
        },
        "claimant": {"id": claimant.id, "reference": claimant.reference},
        "range": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "access_ended": ended.isoformat() if ended else None,
        "actor_key": keys[mine].hex(),
        "events": events,
        "leaf": {**leaf.as_json(), "index": index, "tree_size": checkpoint.tree_size},
        "inclusion_proof": [p.hex() for p in proof],
        "checkpoint": checkpoint.jws,
    }
    return {
        "jws": signed.sign(payload, signed.STATEMENT, services.signing_key),
        "statement": payload,
    }


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
    v1 = s.get("format") == FORMAT_V1
    my_key = b"" if v1 else bytes.fromhex(s["actor_key"])

    def committed(event: dict[str, Any]) -> bytes:
        """What this adviser's commitment for the event's place in the chain would be."""
        if v1:
            return checkpoints.actor_commitment_v1(bytes.fromhex(event["salt"]), mine)
        return checkpoints.commitment(my_key, claimant_id, event["seq"])

    prev, tag = audit.GENESIS, checkpoints.ZERO
    for event in events:
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
            commitment = committed(event)
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
            if commitment == committed(event):
                verdict.add(
                    "nothing hidden",
                    False,
                    f"event {event['seq']} was made by this adviser but is hidden",
                )
                return
        if v1:
            tag = checkpoints.next_tag_v1(tag, digest, bytes.fromhex(event["salt"]), commitment)
        else:
            tag = checkpoints.next_tag(tag, digest, commitment)
        prev = digest
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
        "the commitments are the ones the checkpoint signed"
        if tag.hex() == leaf["tag_head"]
        else "the commitments were changed",
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
