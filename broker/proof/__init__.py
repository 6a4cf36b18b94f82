"""Proof: documents that show what happened, checkable by anyone with the published keys.

Offers: `statements` (signed statements of what an adviser did or did not see, from the audit
chain), `verifying` (checking an uploaded receipt or statement), `history_copy` (the
claimant's signed copy of their history) and `lodging` (the proof of lodging of each MR request
the broker lodges, a signed document of `documents`). Reads across consent, messages and people;
nothing in the domain reads it (the web and the commands do).
"""
