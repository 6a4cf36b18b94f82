"""Who signs in, and the records DWP keeps about them: one concept, people and their sessions.

Offers: `accounts` (claimants, advisers and staff with their passwords), `sessions` (server-side
sign-in sessions), `passkeys` (WebAuthn), `staff_keys` (API keys of DWP's systems) and `records`
(the staff record of a claimant: pinned notes, additional support, staff reads),
`organisations` (advice agencies, their admins and suspensions) and `invitations` (an adviser's
one-time link into their organisation). Knows nothing of
consent: a person exists before and after any grant.
"""
