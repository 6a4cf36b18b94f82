"""Attack 74: reading secrets and names out of the logs, and forging or losing a request's
trail (issue 26 item 4). Every line is one JSON object (time, level, logger, message, and the
request's ID while one is answered); the request ID is the caller's `X-Request-ID` only when it is
1 to 128 characters of `A-Za-z0-9._:-`, otherwise a new one, and every answer carries it, errors
too; the app writes one access line per request naming the URL rule, never the path, query or a
header; the servers' own request lines, which quote the raw path, never reach the logs.

The whole run's lines are checked for secrets and names too: tests/log_check.py, and
tests/test_log_check.py for that check itself. Through a real gunicorn:
tests/resilience/test_request_ids_through_gunicorn.py."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask

from broker import clock, create_app, logs
from broker.extensions import db
from broker.people import invitations
from tests.agencies.helpers import make_agency
from tests.conftest import sign_in
from tests.factories import make_claimant

ROOT = Path(__file__).resolve().parents[2]
MADE = re.compile(r"[0-9a-f]{32}")  # a UUID4's hex


class Lines:
    """What the production handler would write while a test runs, one JSON object a line."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logs.JsonFormatter())
        self.handler.addFilter(logs.RequestIdFilter())

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def parsed(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.text.splitlines()]

    def access(self) -> list[dict[str, object]]:
        return [line for line in self.parsed() if line["logger"] == "broker.access"]


@pytest.fixture
def lines() -> Iterator[Lines]:
    captured = Lines()
    root = logging.getLogger()
    root.addHandler(captured.handler)
    yield captured
    root.removeHandler(captured.handler)


def test_a_request_without_an_id_gets_a_new_one_on_its_answer_and_its_lines(client, lines):
    answer = client.get("/healthz")

    made = answer.headers["X-Request-ID"]
    assert MADE.fullmatch(made)
    assert client.get("/healthz").headers["X-Request-ID"] != made
    (line,) = [line for line in lines.access() if line["request_id"] == made]
    assert set(line) >= {"time", "level", "logger", "message", "request_id"}
    assert line["level"] == "INFO" and line["route"] == "/healthz" and line["status"] == 200
    assert line["method"] == "GET" and isinstance(line["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(line["time"]))  # UTC


@pytest.mark.parametrize("given", ["abc", "lb-7f3e:1.2_x", "a" * 128])
def test_a_valid_request_id_is_taken_and_returned(client, lines, given):
    answer = client.get("/healthz", headers={"X-Request-ID": given})

    assert answer.headers["X-Request-ID"] == given
    assert [line["request_id"] for line in lines.access()] == [given]


@pytest.mark.parametrize(
    "given",
    ["", "a" * 129, "two words", "<script>", "demo\tpassword", 'quote"d', "ünïcode", "a,b"],
)
def test_an_invalid_request_id_is_replaced_never_echoed_or_logged(client, lines, given):
    answer = client.get("/healthz", headers={"X-Request-ID": given})

    made = answer.headers["X-Request-ID"]
    assert MADE.fullmatch(made)
    assert [line["request_id"] for line in lines.access()] == [made]
    if given:
        assert given not in lines.text and json.dumps(given)[1:-1] not in lines.text


def test_every_kind_of_error_answer_carries_the_request_id(app: Flask, client, monkeypatch):
    def boom() -> None:
        raise RuntimeError("an injected fault")

    monkeypatch.setitem(app.view_functions, "health.healthz", boom)
    answers = {
        "not found": client.get("/no/such/page", headers={"X-Request-ID": "e-404"}),
        "wrong method": client.delete("/sign-in", headers={"X-Request-ID": "e-405"}),
        "CSRF refused": client.post(
            "/sign-in", data={"username": "x", "password": "y"}, headers={"X-Request-ID": "e-csrf"}
        ),
        "API without a token": client.get("/api/v1/journal", headers={"X-Request-ID": "e-api"}),
        "OAuth error": client.post("/oauth/token", headers={"X-Request-ID": "e-oauth"}),
        "server error": client.get("/healthz", headers={"X-Request-ID": "e-500"}),
    }

    statuses = {kind: answer.status_code for kind, answer in answers.items()}
    assert statuses == {
        "not found": 404,
        "wrong method": 405,
        "CSRF refused": 400,
        "API without a token": 401,
        "OAuth error": 400,
        "server error": 500,
    }
    for kind, answer in answers.items():
        assert answer.headers["X-Request-ID"].startswith("e-"), kind


def test_the_unhandled_error_line_names_the_route_and_request_not_the_path(
    app: Flask, client, lines, monkeypatch
):
    def boom(token: str) -> None:
        raise RuntimeError("an injected fault")

    monkeypatch.setitem(app.view_functions, "invitation.accept_invitation", boom)
    token = "Zq" + uuid.uuid4().hex  # what an invitation's token looks like in the path
    answer = client.get(f"/invitations/{token}", headers={"X-Request-ID": "fault-1"})

    assert answer.status_code == 500
    (error,) = [line for line in lines.parsed() if line["level"] == "ERROR"]
    assert error["message"] == "unhandled error on GET /invitations/<token>"
    assert error["request_id"] == "fault-1" and "an injected fault" in str(error["exception"])
    assert token not in lines.text


def test_the_access_line_names_the_rule_never_the_path_query_or_headers(app: Flask, lines):
    with app.app_context():
        agency = make_agency()
        _, token = invitations.invite(agency.org, "new@nsa.example", by="test", now=clock.now())
        db.session.commit()
    client = app.test_client()
    answer = client.get(
        f"/invitations/{token}?from=newsletter-q9",
        headers={"Authorization": "Bearer not-a-token-a3f9", "Cookie": "x=cookie-value-b7"},
    )

    assert answer.status_code == 200
    (line,) = lines.access()
    assert line["route"] == "/invitations/<token>"
    assert line["message"] == f"GET /invitations/<token> 200 {line['duration_ms']}ms"
    for secret in (token, "newsletter-q9", "not-a-token-a3f9", "cookie-value-b7"):
        assert secret not in lines.text


def test_a_signed_in_journey_logs_no_name_or_password(app: Flask, lines):
    with app.app_context():
        claimant = make_claimant("Sam Patel")
        username = claimant.account.username
        db.session.commit()
    client = app.test_client()
    sign_in(client, username)
    client.get("/")

    assert [line["route"] for line in lines.access()] == ["/sign-in", "/sign-in", "/"]
    for value in ("Sam Patel", username, "pw-for-tests"):
        assert value not in lines.text


def test_the_development_servers_request_line_never_reaches_the_logs(live_server, lines):
    secret_path = "/invitations/Tk" + uuid.uuid4().hex
    answer = httpx.get(f"{live_server}{secret_path}?code=q-7731", headers={"X-Request-ID": "dev-1"})

    assert answer.headers["X-Request-ID"] == "dev-1"
    assert [line["route"] for line in lines.access()] == ["/invitations/<token>"]
    assert secret_path not in lines.text and "q-7731" not in lines.text


@pytest.mark.parametrize(
    ("logger", "message", "args"),
    [
        ("gunicorn.error", "Error handling request %s", ("/invitations/Tk-secret-1?code=c-1",)),
        (
            "gunicorn.error",
            "Invalid request from ip=10.1.2.3: Invalid HTTP request line: "
            "'GET /invitations/Tk-secret-1 HTTP/9'",
            (),
        ),
        ("broker", "Exception on /invitations/Tk-secret-1 [GET]", ()),
        (
            "werkzeug",
            "127.0.0.1 - - [05/Dec/2026 03:00:00] code 400, message Bad request "
            "syntax ('GET /invitations/Tk-secret-1')",
            (),
        ),
    ],
)
def test_the_servers_and_flasks_lines_about_a_request_never_quote_its_path(
    app, lines, logger, message, args
):
    # The lines gunicorn and Flask write when an app fails or a request cannot be read (their
    # own code: gunicorn/workers/base.py handle_error, flask.Flask.log_exception).
    logging.getLogger(logger).error(message, *args)

    (line,) = lines.parsed()
    assert line["logger"] == logger and line["level"] == "ERROR"
    assert "Tk-secret-1" not in lines.text and "10.1.2.3" not in lines.text


def test_unknown_log_settings_refuse_to_start(tmp_path: Path):
    for setting, value, said in (
        ("BROKER_LOG_FORMAT", "xml", "BROKER_LOG_FORMAT must be json or text"),
        ("BROKER_LOG_LEVEL", "LOUD", "BROKER_LOG_LEVEL must be one of DEBUG"),
    ):
        with pytest.raises(RuntimeError, match=said):
            create_app({"INSTANCE_PATH": str(tmp_path), setting: value})
        with pytest.raises(RuntimeError, match=said):
            logs.gunicorn_logging({setting: value})
    # A level in either case, as for the app (broker/config.py).
    assert logs.gunicorn_logging({"BROKER_LOG_LEVEL": "warning"})["root"]["level"] == "WARNING"


def _command(tmp_path: Path, **env: str) -> str:
    """A real `consent-broker` command in a process of its own; its standard error."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "broker", "routes"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "BROKER_KEY_DIR": str(tmp_path / "keys"),  # new: it logs making a key there
            "SECRET_KEY": "a-test-secret",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stderr


def test_a_command_logs_json_by_default_text_when_asked_and_at_the_level_set(tmp_path: Path):
    (line,) = [json.loads(text) for text in _command(tmp_path / "a").splitlines()]
    assert line["logger"] == "broker.chain.keys" and line["level"] == "INFO"
    assert line["message"].startswith("generated a key-encryption key in ")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])

    text = _command(tmp_path / "b", BROKER_LOG_FORMAT="text")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO broker\.chain\.keys \[-\] "
        r"generated a key-encryption key in \S+\n",
        text,
    )

    assert _command(tmp_path / "c", BROKER_LOG_LEVEL="warning") == ""


def test_the_readme_documents_the_settings_the_request_id_and_what_is_never_logged():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Logs\n", 1)[1].split("\n## ", 1)[0]
    for setting in ("BROKER_LOG_FORMAT", "BROKER_LOG_LEVEL"):
        assert re.search(rf"^\| `{setting}` \| `", readme, re.MULTILINE), setting
    for said in ("X-Request-ID", "1 to 128", "**Never logged**", "tests/log_check.py"):
        assert said in section, said
