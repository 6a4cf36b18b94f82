"""What travels to the browser: static files under content-hashed names, cached for a year, and
HTML compressed when the browser accepts it.

`url_for("static", filename="build/app.css")` gives `/static/build/app.<digest>.css`, where the
digest is the first 12 hex digits of the file's SHA-256. A name that carries the file's current
digest can never mean other bytes, so it is served `immutable` for a year: a phone fetches the
stylesheet once, and a new build is a new name. The plain name is still served, revalidated as
before. The digest is worked out from the file when a page first names it (and again when the
file changes), in memory: nothing is written at start-up.

The compiled stylesheet is ~100 KB raw and ~12 KB gzipped; `make install` writes the .gz beside
it, and a browser that accepts gzip gets that (a claimant page must stay under 100 KB, issue 5).
HTML pages, error pages too, are compressed on the fly by Flask-Compress. The session cookie is
SameSite=Lax, so a page on another site cannot make the many signed-in requests a compression side
channel (BREACH) needs to read a CSRF token out of a page's size.
"""

from __future__ import annotations

import hashlib
import mimetypes
import posixpath
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, send_from_directory
from flask_compress import Compress

DIGEST_LENGTH = 12
HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGEST_LENGTH}}})(?P<suffix>\.\w+)$")
A_YEAR = 365 * 24 * 60 * 60
PRECOMPRESSED = "build/"  # the folder whose files `make install` gzips beside themselves


def init_app(app: Flask) -> None:
    files = StaticFiles(Path(app.static_folder or ""))
    app.url_defaults(files.hashed_url)
    app.view_functions["static"] = files.serve
    # HTML only: static files are precompressed above, and API answers are small and on the
    # hot path. Pages are never stored (no-store), so no conditional answers are worked out.
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html"])
    app.config.setdefault("COMPRESS_EVALUATE_CONDITIONAL_REQUEST", False)
    PagesCompress(app)


class PagesCompress(Compress):
    """Flask-Compress, for every page: it leaves any answer outside 2xx as it is, but an error
    page (404, 400, 429...) or a form sent back with its errors is a page like any other, and a
    phone on a slow line should get it gzipped too."""

    def after_request(self, response: Response | None) -> Response:
        if response is not None and response.mimetype not in self.compress_mimetypes_set:
            # Never compressed (the API's JSON, a file), so it does not vary by Accept-Encoding:
            # no Vary header, and none of Flask-Compress's work on the API's hot path.
            return response
        if response is None or response.status_code < 400 or response.is_streamed:
            return super().after_request(response)
        # Its check is on the status alone: answer it as a 200, then give the status back.
        # (Conditional answers are off above, so nothing else reads the status meanwhile.)
        status = response.status
        response.status_code = 200
        try:
            return super().after_request(response)
        finally:
            response.status = status


@dataclass(frozen=True, slots=True)
class _Seen:
    mtime_ns: int
    size: int
    digest: str


class StaticFiles:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._root = folder.resolve()
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()

    def digest(self, filename: str) -> str | None:
        """The file's content digest, or None if there is no such file (or it is outside)."""
        path = (self.folder / filename).resolve()
        if not path.is_relative_to(self._root):
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        seen = self._seen.get(filename)
        if seen is None or (seen.mtime_ns, seen.size) != (stat.st_mtime_ns, stat.st_size):
            with self._lock:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:DIGEST_LENGTH]
                seen = self._seen[filename] = _Seen(stat.st_mtime_ns, stat.st_size, digest)
        return seen.digest

    def hashed_url(self, endpoint: str | None, values: dict[str, Any]) -> None:
        """Flask's url_defaults hook: put the digest into every static file's name."""
        filename = values.get("filename")
        if endpoint != "static" or not isinstance(filename, str):
            return
        stem, suffix = posixpath.splitext(filename)
        digest = self.digest(filename) if suffix else None
        if digest is not None:
            values["filename"] = f"{stem}.{digest}{suffix}"

    def serve(self, filename: str) -> Response:
        match = HASHED.match(filename)
        if match is None:
            return self._send(filename)
        plain = match["stem"] + match["suffix"]
        current = self.digest(plain)
        if current is None:
            return self._send(filename)  # a file whose own name looks hashed, or a 404
        response = self._send(plain)
        if current == match["digest"]:
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = A_YEAR
            response.cache_control.immutable = True
        # An older or newer digest (a rolling deploy: the page came from another version) gets
        # today's file, revalidated, so the wrong bytes are never kept for a year under its name.
        return response

    def _send(self, filename: str) -> Response:
        packed = self.folder / f"{filename}.gz"
        plain = self.folder / filename
        if (
            filename.startswith(PRECOMPRESSED)
            and request.accept_encodings["gzip"]
            and packed.is_file()
            and plain.is_file()
            and packed.stat().st_mtime >= plain.stat().st_mtime
        ):
            mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            response = send_from_directory(self.folder, f"{filename}.gz", mimetype=mimetype)
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = send_from_directory(self.folder, filename)
        response.vary.add("Accept-Encoding")
        return response
