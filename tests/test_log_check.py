"""The run-wide check for secrets and names in the logs (tests/log_check.py) really finds them,
and really sees the run's lines: were it to find nothing whatever was logged, or read a file
nothing is written to, the whole run would pass with a leak in it."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from broker import demo, logs
from broker.chain import keys
from broker.consent import device
from broker.opaque import new_opaque_token
from broker.people import staff_keys
from tests import factories, log_check
from tests.factories import issue_token, make_claimant, make_grant, make_people

ROOT = Path(__file__).resolve().parents[1]


def _write(path: Path, messages: list[str]) -> None:
    """Each message as the production handler writes it: one JSON line, one after another."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger(f"tests.planted.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.propagate = False  # planted lines stay out of the run's own file
    try:
        for message in messages:
            logger.warning("%s", message)
    finally:
        logger.removeHandler(handler)
        handler.close()


def _opaque() -> str:
    """A real opaque token (the few without a capital, a small letter and a digit, about one in
    1500, the check lets through: it looks for all three, which identifiers rarely have)."""
    return next(
        token
        for token in iter(new_opaque_token, None)
        if any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() for c in token)
    )


def _key_id() -> str:
    return keys.signing_key_of(ec.generate_private_key(ec.SECP256R1())).kid


def test_every_kind_of_secret_and_name_planted_in_a_line_is_found_on_its_line(ctx, tmp_path):
    people = make_people()
    token, _jti = issue_token(make_grant(people.claimant, people.adviser))
    planted = {
        "a demo person's name (claimant)": "access for Alex Morgan",
        "the demo password": f"signed in with {demo.DEMO_PASSWORD}",
        "a demo username (adviser)": "user priya@northside.example",
        "the demo's data (a name, number, address or journal text)": "call 07700 900 123",
        "the test factories' password": f"password {factories.PASSWORD}",
        "a test factory's default name": "Casey Claimant signed in",
        "a name the tests give a person": "Sam Patel asked",
        "a JWT": f"token {token}",
        "a random token (32 or 48 random bytes in base64url)": f"code {_opaque()}",
        "a staff API key": f"key {staff_keys.PREFIX}abc123DEF456ghi789",
        "a device user code": f"user code {device.display(device.new_user_code())}",
        "an adviser code": "adviser code XYZ-1234",
        "an email address": "sent to someone@example.net",
        "a UK mobile number": "texted +447700900999",
        "a password hash": "hash $argon2id$v=19$m=8,t=1,p=1$abc",
        "Basic credentials": "Authorization: Basic ZGVtbzpwYXNzd29yZA==",
        "a bearer token": "Authorization: DPoP abcdefghijklmnopqrstu.vwx",
    }
    clean = [
        "issued access token 5d2e under grant 8c1f to client northside-case-system (refresh)",
        f"rotated the signing key: kid {_key_id()} retired",
        "GET /invitations/<token> 200 3.1ms",
    ]
    path = tmp_path / "planted.jsonl"
    _write(path, list(planted.values()) + clean)

    findings = log_check.scan([path])

    found = {(finding.line, finding.what) for finding in findings}
    for number, what in enumerate(planted, start=1):
        assert (number, what) in found, what
    assert not [f for f in findings if f.line > len(planted)], "a clean line was flagged"
    assert str(findings[0]).startswith(f"{path}:1: ")


def test_a_name_in_a_json_escaped_form_is_found_too(tmp_path):
    path = tmp_path / "escaped.jsonl"
    path.write_text('{"message": "Alex \\u004dorgan"}\n')

    assert [(f.line, f.what) for f in log_check.scan([path])] == [
        (1, "a demo person's name (claimant)")
    ]


def test_the_lists_hold_the_demos_and_the_tests_people_and_secrets():
    values = log_check.forbidden_values()

    for login in demo.LOGINS:
        assert login.username in values and login.name in values
    for value in (demo.DEMO_PASSWORD, demo.DEMO_CLIENT_SECRET, factories.PASSWORD):
        assert value in values
    # The demo's other people, numbers, codes and journal text; the tests' own people.
    for value in ("Ruth Evans", "07700 900 456", "NSA-4821", "UC-1001-AM", "Send us your new"):
        assert any(value in known for known in values), value
    for value in ("Casey Claimant", "Avery Adviser", "Sid Staff", "Sam Patel", "Priya Shah"):
        assert value in values, value


def test_this_processs_log_records_reach_the_file_the_run_checks(ctx):
    assert log_check.still_capturing()
    marker = uuid.uuid4().hex
    logging.getLogger("broker.anything").debug("a line at DEBUG %s", marker)
    make_claimant("Quinn Marker")  # a real broker call, whatever it logs, is captured as well

    files = list(log_check.run_dir.glob("*.jsonl")) if log_check.run_dir else []
    written = "".join(path.read_text(encoding="utf-8") for path in files)
    assert f"a line at DEBUG {marker}" in written


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR"])
def test_a_name_logged_at_any_level_by_a_broker_logger_would_fail_the_run(
    tmp_path, level, monkeypatch
):
    """As the run's handler writes it (production formatter, request ID filter), a name logged
    anywhere is a finding the run fails on."""
    path = tmp_path / f"{level}.jsonl"
    handler = log_check.RunFileHandler(path, encoding="utf-8")
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger("broker.consent.grants")
    monkeypatch.setattr(logger, "propagate", False)  # planted here only, not in the run's file
    logger.addHandler(handler)
    try:
        logger.log(logging.getLevelNamesMapping()[level], "grant given by %s", "Alex Morgan")
    finally:
        logger.removeHandler(handler)
        handler.close()

    assert [(f.line, f.what) for f in log_check.scan([path])] == [
        (1, "a demo person's name (claimant)")
    ]


PLANTED = """
import logging


def test_signs_someone_in():
    logging.getLogger("broker.planted").info("signed in as %s", "Alex Morgan")


def test_makes_a_token():
    logging.getLogger("broker.planted").debug("issued eyJhbGciOi.eyJzdWIiOi.c2ln")
"""
CLEAN = """
import logging


def test_logs_an_id():
    logging.getLogger("broker.planted").info("grant %s revoked", "0b7c9d2e")
"""


def _pytest(tmp_path: Path, source: str, *options: str) -> subprocess.CompletedProcess[str]:
    """A pytest run of its own with this suite's conftest (its log capture and its check)."""
    test_file = tmp_path / "test_planted.py"
    test_file.write_text(source)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "-q",
            *options,
            str(test_file),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_run_whose_tests_log_a_name_or_a_token_fails_naming_file_and_line(tmp_path):
    run = _pytest(
        tmp_path, PLANTED, "-n", "1"
    )  # a pytest-xdist worker writes, its controller checks

    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
    assert "2 passed" in run.stdout
    assert "secrets or names in the logs (security.md 74)" in run.stdout
    assert re.search(r"/gw0\.jsonl:\d+: a demo person's name \(claimant\)", run.stdout)
    assert re.search(r"/gw0\.jsonl:\d+: a JWT", run.stdout)
    kept = re.search(r"the logs are kept in (\S+)", run.stdout)
    assert kept
    shutil.rmtree(kept.group(1))


def test_a_run_whose_logs_are_clean_passes(tmp_path):
    run = _pytest(tmp_path, CLEAN, "-n", "0")

    assert run.returncode == pytest.ExitCode.OK, run.stdout + run.stderr
    assert "secrets or names" not in run.stdout
