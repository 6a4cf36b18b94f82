"""Staff sign-in against a real OpenID Connect provider (tests/oidc/fixtures.py)."""

from tests.oidc.fixtures import (  # noqa: F401
    broker_port,
    client_key_file,
    oidc_app,
    oidc_client,
    oidc_provider,
    staff_key_file,
)
