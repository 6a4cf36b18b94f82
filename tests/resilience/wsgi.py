"""The broker as gunicorn serves it in the resilience tests: configured from the environment like
production, plus the SQLite busy timeout (short in the lock test, so that it stays bounded) and the
suite's cheap password hashing."""

from __future__ import annotations

import os

from broker import create_app
from tests.conftest import FAST_PASSWORD_HASHING

app = create_app(
    {
        "SQLITE_BUSY_TIMEOUT_MS": int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "15000")),
        **FAST_PASSWORD_HASHING,
    }
)
