"""OAuth endpoints and discovery documents (/oauth, /.well-known)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from ..extensions import csrf

bp = Blueprint("oauth", __name__)
csrf.exempt(bp)


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(current_app.extensions["broker.tokens"].jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
