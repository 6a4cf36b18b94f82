"""Messages: telling people things, by the channel they chose.

Offers: `notify` (the outbox: every message to a claimant, adviser or contact, in their
language), `contact` (a claimant's contact preferences and addresses), `channels`,
`smtp_sender` and `notify_sender` (email through SMTP, text and email through GOV.UK Notify),
`letters` (letters and their delivery records), `push` (signed events to case systems),
`nominated` and `contact_requests` (a nominated contact who gets copies, and a relative's
request to be one), `sign_in_codes` (the code that links a GOV.UK One Login, sent to the
contact details we hold), and `access_changes` (the reaction to a grant's change: the adviser
told, case systems pushed a CAEP event, the claimant alerted outside the service).
"""
