"""Who signs in, and the records DWP keeps about them: one concept, people and their sessions.

Offers: `accounts` (claimants, advisers and staff with their passwords), `sessions` (server-side
sign-in sessions), `passkeys` (WebAuthn), `staff_keys` (API keys of DWP's systems), `records`
(the staff record of a claimant: pinned notes, additional support, staff reads), `provisioning`
(claimants created and kept up to date by DWP's systems), `organisations` (advice agencies,
their admins and suspensions), `invitations` (an adviser's one-time link into their
organisation), and sign-in through OpenID Connect providers: `oidc` (checking what a provider
sends), `external_sign_in` (linking a provider's identity to an account) and
`back_channel_logout` (a provider ending every session of its user). Knows nothing of consent:
a person exists before and after any grant.
"""
