"""Consent: the claimant's grants to a named representative, and what a grant lets them see.

Offers: `grants` (give, amend, narrow, suspend, revoke, expire: every rule of a grant's life),
`disclosure` (the one rule of what may be told: a live grant, the scope, the date window),
`windows` (a grant's date window), `clients` (OAuth clients and requests for consent),
`device` (RFC 8628 device authorisations: consent given on the claimant's phone), `case_tied`
(consent that ends with the reconsideration), `receipts` (signed consent receipts), `issued`
(issued tokens end with their grant), `news` (what changed since the claimant last looked),
`agency_grants` (an advice agency's suspensions and an adviser's move, as they touch grants), and
`grant_events` (a grant changed: the event higher packages react to, bound in create_app, so
that consent never calls up into messages or casework).
"""
