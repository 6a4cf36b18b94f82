"""What travels to the browser: static files under content-hashed names with a year's immutable
caching (a phone fetches the stylesheet once), the stylesheet gzipped as `make install` built it,
and HTML pages compressed when the browser accepts it, their security headers kept."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

from flask import Flask

from broker.config import ROOT
from tests.conftest import csrf_from
from tests.factories import make_claimant

STATIC = ROOT / "broker" / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/static/build/app\.(\w{12})\.css)">')


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_pages_name_the_stylesheet_by_its_content(client) -> None:  # noqa: ANN001
    page = client.get("/sign-in")

    found = STYLESHEET.search(page.text)
    assert found, "the page links its stylesheet under a content-hashed name"
    assert found.group(2) == digest(STATIC / "build" / "app.css")


def test_a_hashed_name_is_cached_for_a_year_and_gzipped_when_accepted(client) -> None:  # noqa: ANN001
    url = STYLESHEET.search(client.get("/sign-in").text).group(1)

    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    plain = client.get(url)

    for response in (packed, plain):
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert response.mimetype == "text/css"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(packed.data) == plain.data == (STATIC / "build" / "app.css").read_bytes()


def test_a_name_with_another_digest_gets_todays_file_but_is_not_kept(client) -> None:  # noqa: ANN001
    """A page from another version (a rolling deploy) may name an older digest."""
    response = client.get("/static/build/app.000000000000.css")

    assert response.status_code == 200
    assert response.data == (STATIC / "build" / "app.css").read_bytes()
    assert "immutable" not in response.headers.get("Cache-Control", "")
    assert "max-age=31536000" not in response.headers.get("Cache-Control", "")


def test_the_plain_name_is_still_served_and_revalidated(client) -> None:  # noqa: ANN001
    response = client.get("/static/js/ask.js")

    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")
    assert client.get("/static/js/nothing.js").status_code == 404
    assert client.get("/static/build/nothing.000000000000.css").status_code == 404


def test_a_changed_file_gets_a_new_name(app: Flask, tmp_path: Path) -> None:
    from broker.web.static_files import StaticFiles

    (tmp_path / "site.css").write_text("body { color: black }")
    files = StaticFiles(tmp_path)
    before = {"filename": "site.css"}
    files.hashed_url("static", before)
    (tmp_path / "site.css").write_text("body { color: navy; }")
    after = {"filename": "site.css"}
    files.hashed_url("static", after)

    assert before["filename"] != after["filename"]
    assert after["filename"] == f"site.{digest(tmp_path / 'site.css')}.css"


def test_html_is_compressed_when_accepted_and_keeps_its_headers(client) -> None:  # noqa: ANN001
    packed = client.get("/sign-in", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/sign-in")

    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in packed.headers["Vary"]
    for name in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy"):
        assert packed.headers[name] == plain.headers[name]
    assert packed.headers["Cache-Control"] == "no-store"
    assert len(packed.data) < len(plain.data) / 2
    assert b"<html" in gzip.decompress(packed.data)


def test_api_answers_are_not_compressed_and_do_not_vary_by_encoding(client) -> None:  # noqa: ANN001
    """JSON stays as it is: small answers on the hot path (and tokens in some). Never
    compressed, so its answer does not depend on Accept-Encoding and says not."""
    response = client.get(
        "/.well-known/oauth-authorization-server", headers={"Accept-Encoding": "gzip"}
    )

    assert response.status_code == 200
    assert len(response.data) > 1000  # large enough that Flask-Compress would otherwise act
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" not in response.headers.get("Vary", "")


def test_error_pages_are_compressed_like_any_other_page(ctx, client) -> None:  # noqa: ANN001
    """A 404, 405, 400 (an expired form) or 429 is a page too: a phone on a slow line gets it
    gzipped, and it is still never stored."""
    username = make_claimant().account.username
    gzip_only = {"Accept-Encoding": "gzip"}

    def wrong_password() -> object:
        form = {
            "username": username,
            "password": "guess",
            "csrf_token": csrf_from(client.get("/sign-in").text),
        }
        return client.post("/sign-in", data=form, headers=gzip_only)

    answers = {
        404: client.get("/no-such-page", headers=gzip_only),
        405: client.put("/sign-in", headers=gzip_only),
        400: client.post("/sign-in", data={"username": "x"}, headers=gzip_only),  # no CSRF token
    }
    answers[429] = [wrong_password() for _ in range(6)][-1]

    for status, packed in answers.items():
        assert packed.status_code == status
        assert packed.mimetype == "text/html"
        assert packed.headers.get("Content-Encoding") == "gzip", status
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert packed.headers["Cache-Control"] == "no-store"
        assert b"<h1" in gzip.decompress(packed.data)
    plain = client.get("/no-such-page")
    assert plain.status_code == 404 and "Content-Encoding" not in plain.headers
