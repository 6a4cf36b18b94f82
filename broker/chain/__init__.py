"""The audit chain and the broker's signature: the lowest concept, written to by every other.

Offers: `audit` (append an event to a claimant's hash chain, read and verify it), `merkle` (the
tree a checkpoint seals), `checkpoints` (signed tree heads sealing every event so far),
`rollback` (the newest checkpoint kept outside the database, so a restore to before it shows),
`signed` (compact JWS documents of each kind), `keys` (an ES256 signing key, how it is sealed at
rest, and the `Signer` protocol a domain function is handed when it must sign) and `keyring` (the
keys every worker shares through the database, and their rotation without a restart). Imports
nothing of the domain.
"""
