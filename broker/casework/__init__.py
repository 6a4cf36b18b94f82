"""Casework: the claimant's Universal Credit journal and what advisers do with it.

Offers: `journal` (entries, to-dos, payments, read through the disclosure rule), `decisions`
(Mandatory Reconsideration decisions arriving), `appeals` (when an appeal is due), `watches`
(an adviser or case system watching for a decision), `deliveries` (pushing decision events to
case systems), `drafts` (an adviser's MR request waiting for the claimant's "Send it"),
`caller_checks` (a caller proving they are from DWP) and `evidence` (the entries and decisions
chosen for an evidence bundle, read by the API's rule). The top of the domain, with proof.
"""
