"""The logs as production writes them (issue 26 item 4, security.md 74): gunicorn with
gunicorn.conf.py's `logconfig_dict` and two workers. Every line on its standard error, gunicorn's
own and the app's, is one JSON object; each request's ID is the caller's when valid, made
otherwise, returned on the answer and on the app's access line; what gunicorn says about a
request it could not read never quotes it."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .conftest import prepare, stop_server

MADE = re.compile(r"[0-9a-f]{32}")


def _unreadable_request(base_url: str, request_line: str) -> bytes:
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(request_line.encode() + b"\r\nHost: x\r\n\r\n")
        return sock.recv(1024)


def test_every_line_is_json_and_each_request_id_is_on_its_answer_and_its_line(
    pass_database: str, serve, tmp_path: Path
) -> None:
    prepare(pass_database, tmp_path)
    server = serve(pass_database, workers=2)
    secret = "Tk" + "9" * 40  # where an invitation's token would be
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        given = http.get("/healthz", headers={"X-Request-ID": "lb-42:a.b_c"})
        made = http.get("/healthz")
        replaced = http.get("/healthz", headers={"X-Request-ID": "not valid!"})
        invitation = http.get(f"/invitations/{secret}?code=q-5521")
        refused = http.get("/api/v1/journal", headers={"X-Request-ID": "api-1"})
    answer = _unreadable_request(server.base_url, f"GET /invitations/{secret} HTTP/1.1 extra")
    stop_server(server)  # every line written and flushed

    assert given.headers["X-Request-ID"] == "lb-42:a.b_c"
    assert MADE.fullmatch(made.headers["X-Request-ID"])
    assert MADE.fullmatch(replaced.headers["X-Request-ID"])
    assert refused.status_code == 401 and refused.headers["X-Request-ID"] == "api-1"
    assert answer.startswith(b"HTTP/1.1 400")

    text = server.error_log.read_text()
    lines = [json.loads(line) for line in text.splitlines()]  # every line: one JSON object
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
    access = {line["request_id"]: line for line in lines if line["logger"] == "broker.access"}
    for response, route in (
        (given, "/healthz"),
        (made, "/healthz"),
        (replaced, "/healthz"),
        (invitation, "/invitations/<token>"),
        (refused, "/api/v1/journal"),
    ):
        line = access[response.headers["X-Request-ID"]]
        assert (line["route"], line["status"]) == (route, response.status_code)
    assert {
        "logger": "gunicorn.error",
        "level": "WARNING",
        "message": "gunicorn refused a request",
    }.items() <= next(line for line in lines if line["logger"] == "gunicorn.error").items()
    for never in (secret, "q-5521", "not valid!", "ip=127.0.0.1"):
        assert never not in text, never
