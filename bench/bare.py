"""The yardstick: a bare Flask JSON endpoint, served by the same gunicorn settings as the broker."""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():  # noqa: ANN201
    return jsonify(status="ok")
