"""The audit chain and the broker's signature: the lowest concept, written to by every other.

Offers: `audit` (append an event to a claimant's hash chain, read and verify it), `merkle` (the
tree a checkpoint seals), `checkpoints` (signed tree heads sealing every event so far), `signed`
(compact JWS documents of each kind) and `keys` (the ES256 signing key, its rotation, and the
`Signer` protocol a domain function is handed when it must sign). Imports nothing of the domain.
"""
