"""OAuth 2: the authorization server and the resource guard in front of the API.

Offers: `server` (Authlib's authorization server: authorization code with PKCE, device flow,
refresh, revocation and introspection, PAR, RFC 9207 `iss`), `tokens` (RFC 9068 access tokens),
`dpop` (RFC 9449 proofs and their replay cache) and `protect` (the guard: every protected read
and write checked against the grant and audited with its token ID, in one transaction). Above
consent, whose grants it issues tokens for; beside messages, which it never knows.
"""
