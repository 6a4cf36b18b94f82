"""IDs in paths: every ID the broker makes is a UUID (broker/db.py `new_id`), so a path segment
that is not one names nothing and is a 404 before any view or query sees it (overlong, NUL,
control characters). Views get the canonical text, as the database holds it."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from werkzeug.routing import UUIDConverter


class IdConverter(UUIDConverter):
    """`<uuid:name>`: werkzeug's pattern, handed to the view as the UUID's lower-case text."""

    def to_python(self, value: str) -> str:  # type: ignore[override]
        return str(uuid.UUID(value))

    def to_url(self, value: Any) -> str:
        return str(value)


def init_app(app: Flask) -> None:
    """Before any blueprint is registered: a rule takes its converters when it is added."""
    app.url_map.converters["uuid"] = IdConverter
