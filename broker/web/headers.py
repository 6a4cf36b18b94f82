"""The headers every answer carries (set in create_app's after_request)."""

# Nothing from elsewhere, no inline script or style, no framing: a page can only talk to us.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
